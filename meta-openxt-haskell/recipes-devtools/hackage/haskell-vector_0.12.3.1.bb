SUMMARY = "Efficient Arrays"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=e7ab0300579b7aa42a9148282d87c89e"

DEPENDS = "haskell-primitive"

HACKAGE_REVISION = "5"

inherit hackage

SRC_URI[tarball.sha256sum] = "fb4a53c02bd4d7fdf155c0604da9a5bb0f3b3bfce5d9960aea11c2ae235b9f35"
SRC_URI[cabal.sha256sum] = "d5ea5673715c34527af5116c6845bbeb3ce29888962b548424f6a7d5e6c42063"

BBCLASSEXTEND = "native"
