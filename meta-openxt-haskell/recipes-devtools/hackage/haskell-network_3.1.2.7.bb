SUMMARY = "Low-level networking interface"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=78dd98be72709820ee0098ba6a71a888"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "7f7620fef1a1af3d3d6747f510e73223a5c600e7d7fd9ace073d1222bdc63d85"
SRC_URI[cabal.sha256sum] = "9752628bc626e0cad8c53039bea0dc0417f39ca6663232e4d9ac4e35a8925f7d"

BBCLASSEXTEND = "native"
