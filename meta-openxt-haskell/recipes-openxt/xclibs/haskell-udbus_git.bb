SUMMARY = "Small DBus implementation"
DESCRIPTION = "OpenXT's copy of Vincent Hanquez's hs-udbus, the DBus wire \
               protocol library under xch-rpc."
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=784a6790a51378ef1cc78d5c6999b241"

DEPENDS = "haskell-cereal haskell-network haskell-utf8-string"

HASKELL_VERSION = "0.2"

require xclibs.inc
