SUMMARY = "OpenXT Haskell bindings to xenstore"
DESCRIPTION = "Read, write and watch xenstore paths from Haskell, through \
               Xen's libxenstore."
LICENSE = "LGPL-2.1-only"
LIC_FILES_CHKSUM = "file://../COPYING;md5=321bf41f280cf805086dd5a720b37785"

# libxenstore and its headers alone (not the Xen toolstack): xen-libxenstore.
DEPENDS = "haskell-utf8-string haskell-xchutils xen-libxenstore"

HASKELL_VERSION = "0.1"

require recipes-openxt/xclibs/xclibs.inc
