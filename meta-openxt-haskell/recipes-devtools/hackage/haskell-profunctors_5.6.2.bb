SUMMARY = "Profunctors"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=19995a119336e4d109f10b27898fe699"

DEPENDS = "haskell-base-orphans \
           haskell-bifunctors \
           haskell-comonad \
           haskell-contravariant \
           haskell-distributive \
           haskell-tagged"

HACKAGE_REVISION = "3"

inherit hackage

SRC_URI[tarball.sha256sum] = "65955d7b50525a4a3bccdab1d982d2ae342897fd38140d5a94b5ef3800d8c92a"
SRC_URI[cabal.sha256sum] = "e178ba4468982326656626e2089e296f64485e68fdddc9f4476dcd5d612b4f78"

BBCLASSEXTEND = "native"
