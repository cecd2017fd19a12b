SUMMARY = "Run IO operations asynchronously and wait for their results"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=1ea4d1c46e8600f4e1d226415039a868"

DEPENDS = "haskell-hashable"

HACKAGE_REVISION = "4"

inherit hackage

SRC_URI[tarball.sha256sum] = "484df85be0e76c4fed9376451e48e1d0c6e97952ce79735b72d54297e7e0a725"
SRC_URI[cabal.sha256sum] = "9b8ceefce014e490f9e1335fa5f511161309926c55d01cec795016f4363b5d2d"

BBCLASSEXTEND = "native"
