SUMMARY = "Compression and decompression in the gzip and zlib formats"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=7e081d48c1353e9bd967a267406b0e65"

DEPENDS = "zlib"

HACKAGE_REVISION = "5"

inherit hackage

SRC_URI[tarball.sha256sum] = "9eaa989ad4534438b5beb51c1d3a4c8f6a088fdff0b259a5394fbf39aaee04da"
SRC_URI[cabal.sha256sum] = "96d388c95a98d6db94b74053130c00aea3c8c8ee041b5594bbe09242f1714356"

BBCLASSEXTEND = "native"
