SUMMARY = "A class for types that can be converted to a hash value"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=a334afc29ca5fa43de3ec039a04dca8b"

DEPENDS = "haskell-base-orphans"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "baaad82cd4271b197016bdbe76f22d5c3d3913fe38534cec7d817db9bae19886"
SRC_URI[cabal.sha256sum] = "3a2beeafb220f9de706568a7e4a5b3c762cc4c9f25c94d7ef795b8c2d6a691d7"

BBCLASSEXTEND = "native"
