SUMMARY = "A Haskell 98 logically uninhabited data type"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=84c43960ac46d7029410756642d4da01"

inherit hackage

SRC_URI[tarball.sha256sum] = "53af758ddc37dc63981671e503438d02c6f64a2d8744e9bec557a894431f7317"

BBCLASSEXTEND = "native"
