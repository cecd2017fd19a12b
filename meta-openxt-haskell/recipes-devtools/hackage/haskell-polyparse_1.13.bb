SUMMARY = "A variety of alternative parser combinator libraries"
LICENSE = "LGPL-2.1-only"
LIC_FILES_CHKSUM = "file://COPYRIGHT;md5=271beef410de4146a7e52374fbba02d3"

HACKAGE_REVISION = "9"

inherit hackage

SRC_URI[tarball.sha256sum] = "1c4c72980e1e5a4f07fea65ca08b2399581d2a6aa21eb1078f7ad286c279707b"
SRC_URI[cabal.sha256sum] = "4960fad39d3edcc3827ca93546dbf42eb59c1a022ec06a8d756e6a0558c47f29"

BBCLASSEXTEND = "native"
