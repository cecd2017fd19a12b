SUMMARY = "An either-or-both data type"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=a285bc4848d68b3733efbe16a442c4e8"

DEPENDS = "haskell-assoc haskell-hashable"

HACKAGE_REVISION = "6"

inherit hackage

SRC_URI[tarball.sha256sum] = "d798c9f56e17def441e8f51e54cc11afdb3e76c6a9d1e9ee154e9a78da0bf508"
SRC_URI[cabal.sha256sum] = "2991c13e264b0c35c696c8f5f85c428c53bc42e93b1dfbd19a582052112d948a"

BBCLASSEXTEND = "native"
