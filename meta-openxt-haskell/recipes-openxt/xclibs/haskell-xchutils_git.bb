SUMMARY = "OpenXT Haskell utilities"
DESCRIPTION = "Files, processes, logging, timers and JSON trees: the helpers \
               every OpenXT Haskell service uses."
LICENSE = "LGPL-2.1-only"
LIC_FILES_CHKSUM = "file://../COPYING;md5=321bf41f280cf805086dd5a720b37785"

DEPENDS = "haskell-hsyslog haskell-json haskell-utf8-string"

HASKELL_VERSION = "0.1"

require xclibs.inc

# GHC converts text through iconv for non-UTF-8 locales.
RDEPENDS:${PN} = "glibc-gconv-utf-32"
