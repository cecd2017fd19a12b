SUMMARY = "Reifies arbitrary terms into types that can be reflected back into terms"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=34054afc68437c9d322fe9d9fcef8870"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "bf3e14917ebb329a53701a3cce0afe670f20037a0148dbfa5cbfa574ed6ba6cd"
SRC_URI[cabal.sha256sum] = "f41afef54a696377bb7591e12969a56e7a4a1cf1d2a32210ab24c6a7aa9bd7ae"

BBCLASSEXTEND = "native"
