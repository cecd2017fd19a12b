SUMMARY = "Derive Template Haskell's Lift class for datatypes"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://BSD3;md5=198185823509f45d2c499cbfb553caa0"

DEPENDS = "haskell-th-abstraction"

HACKAGE_REVISION = "2"

inherit hackage

SRC_URI[tarball.sha256sum] = "3a5927037a10ae63e605c02228c4027c32b7bab1985ae7b5379e6363b3cd5ce4"
SRC_URI[cabal.sha256sum] = "f135f67b018c22889e68b094773273dcf8f9e16fcfa330bf4778f84fce8925e9"

BBCLASSEXTEND = "native"
