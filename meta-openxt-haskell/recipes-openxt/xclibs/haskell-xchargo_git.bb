SUMMARY = "OpenXT Haskell bindings to libargo"
DESCRIPTION = "Argo (Xen's hypervisor-mediated inter-domain transport) \
               sockets for Haskell programs, through libargo."
LICENSE = "LGPL-2.1-only"
LIC_FILES_CHKSUM = "file://../COPYING;md5=321bf41f280cf805086dd5a720b37785"

DEPENDS = "haskell-network haskell-xchutils libargo"

HASKELL_VERSION = "0.1"

require xclibs.inc
