SUMMARY = "Space-efficient bit vectors"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=7d48758567ecd86752167f3f96728ddf"

DEPENDS = "haskell-primitive haskell-vector"

inherit hackage

SRC_URI[tarball.sha256sum] = "1c4c3af50a1fcf46e46e2fa9e0493fffaf62de3607ae7553d18015f8a1a60551"

BBCLASSEXTEND = "native"
