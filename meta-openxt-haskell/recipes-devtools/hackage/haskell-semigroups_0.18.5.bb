SUMMARY = "Anything that associates"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=a38bfee1357b68d214d9aab35f38aa98"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "ab2a96af6e81e31b909c37ba65f436f1493dbf387cfe0de10b6586270c4ce29d"
SRC_URI[cabal.sha256sum] = "41ef9f5f183f66c519c5cddcb3fbfdbc9b67a2b7bfae7d81f91de9ff7367d8c6"

BBCLASSEXTEND = "native"
