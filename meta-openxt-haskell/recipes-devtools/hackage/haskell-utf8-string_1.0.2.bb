SUMMARY = "Support for reading and writing UTF8 Strings"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=8061b32e50a7a7433f0c7bd9f431ca96"

inherit hackage

SRC_URI[tarball.sha256sum] = "ee48deada7600370728c4156cb002441de770d0121ae33a68139a9ed9c19b09a"

BBCLASSEXTEND = "native"
