SUMMARY = "State variables"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=eff8563aaa3722b59b6cd8818b4a8d9d"

HASKELL_PACKAGE = "StateVar"

inherit hackage

SRC_URI[tarball.sha256sum] = "5e4b39da395656a59827b0280508aafdc70335798b50e5d6fd52596026251825"

BBCLASSEXTEND = "native"
