SUMMARY = "Numbers represented using scientific notation"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=1afd51745437e2440759a2a91d1ebe26"

DEPENDS = "haskell-hashable \
           haskell-integer-logarithms \
           haskell-primitive"

HACKAGE_REVISION = "7"

inherit hackage

SRC_URI[tarball.sha256sum] = "a3a121c4b3d68fb8b9f8c709ab012e48f090ed553609247a805ad070d6b343a9"
SRC_URI[cabal.sha256sum] = "909755ab19b453169ff85281323da1488407776b2360bd9f7afdd219fd306ef2"

BBCLASSEXTEND = "native"
