SUMMARY = "FFI interface to syslog(3) from POSIX.1-2001"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=5e6c932b646ccd55858ca0f522bbd186"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "3eec43c8fb42c23d03f1db7b0b594d39cd94275c2284dcd0c64aa4d680bd7ece"
SRC_URI[cabal.sha256sum] = "0b604c9f3d1bcbe7cd223b1b530110309ae01f2d7c57bc08ffc4fc31ad21324c"

BBCLASSEXTEND = "native"
