SUMMARY = "Pure-Haskell utilities for dealing with XML with the conduit package"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=9ba37c8c3c66d04fc82aabe1ffe17aa7"

DEPENDS = "haskell-attoparsec \
           haskell-blaze-html \
           haskell-blaze-markup \
           haskell-conduit \
           haskell-conduit-extra \
           haskell-data-default-class \
           haskell-resourcet \
           haskell-xml-types"

# Custom Setup.hs only adds doctest hooks (cabal-doctest); not needed to build.
HASKELL_SIMPLE_SETUP = "1"
HACKAGE_REVISION = "2"

inherit hackage

SRC_URI[tarball.sha256sum] = "bdb117606c0b56ca735564465b14b50f77f84c9e52e31d966ac8d4556d3ff0ff"
SRC_URI[cabal.sha256sum] = "c6cbafaea0d0348d83dc44a6c04328f0a2dbb7f4d7f90ddb50e8f79eae9dda54"

BBCLASSEXTEND = "native"
