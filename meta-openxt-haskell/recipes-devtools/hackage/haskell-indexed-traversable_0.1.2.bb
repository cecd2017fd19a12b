SUMMARY = "FunctorWithIndex, FoldableWithIndex, TraversableWithIndex"
LICENSE = "BSD-2-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=d17cf045ce59697fc2ae811b58fb5f5f"

HACKAGE_REVISION = "2"

inherit hackage

SRC_URI[tarball.sha256sum] = "516858ee7198b1fed1b93c665157f9855fd947379db7f115d48c1b0d670e698d"
SRC_URI[cabal.sha256sum] = "52a1b708abd921f91a5977f6ae53c4aa2b33f7c30be0fff17173f658b34c5350"

BBCLASSEXTEND = "native"
