SUMMARY = "Efficient hashing-based container types"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=1f146cd05e812322fbcf9b679fa56636"

DEPENDS = "haskell-hashable"

HACKAGE_REVISION = "3"

inherit hackage

SRC_URI[tarball.sha256sum] = "1b27bec5e0d522b27a6029ebf4c4a6d40acbc083c787008e32fb55c4b1d128d2"
SRC_URI[cabal.sha256sum] = "1c28ca429e3960de0330908579a427ccacddd700cb84ec1969e2bbe576152add"

BBCLASSEXTEND = "native"
