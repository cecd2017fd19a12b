SUMMARY = "A blazingly fast HTML combinator library for Haskell"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=78956766af36a65e7fb72803ee27b507"

DEPENDS = "haskell-blaze-builder haskell-blaze-markup"

HACKAGE_REVISION = "4"

inherit hackage

SRC_URI[tarball.sha256sum] = "60503f42546c6c1b954014d188ea137e43d74dcffd2bf6157c113fd91a0c394c"
SRC_URI[cabal.sha256sum] = "2e40ad3828320b72122f09754091fb686fa0fd4c083769f17ef84584972ec450"

BBCLASSEXTEND = "native"
