SUMMARY = "Parallel programming library"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=ce23b010a8a26c4008139277939859fd"

HACKAGE_REVISION = "10"

inherit hackage

SRC_URI[tarball.sha256sum] = "170453a71a2a8b31cca63125533f7771d7debeb639700bdabdd779c34d8a6ef6"
SRC_URI[cabal.sha256sum] = "3df46ec247e12b5e406a0adb9577294431b24814b30df420551d176fd112a966"

BBCLASSEXTEND = "native"
