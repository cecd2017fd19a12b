SUMMARY = "A blazingly fast markup combinator library for Haskell"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=78956766af36a65e7fb72803ee27b507"

DEPENDS = "haskell-blaze-builder"

HACKAGE_REVISION = "5"

inherit hackage

SRC_URI[tarball.sha256sum] = "43fc3f6872dc8d1be8d0fe091bd4775139b42179987f33d6490a7c5f1e07a349"
SRC_URI[cabal.sha256sum] = "d47126377e54d448489a371a493e7182ec01e3769fefcd02eb4185b259672b9e"

BBCLASSEXTEND = "native"
