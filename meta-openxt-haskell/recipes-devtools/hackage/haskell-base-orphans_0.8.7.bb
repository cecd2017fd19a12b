SUMMARY = "Backwards-compatible orphan instances for base"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=c4629488e71a17f8111226552f50e9c3"

inherit hackage

SRC_URI[tarball.sha256sum] = "888fd67f0dbe932778f5b170922ce80d0dcab1680ee98f1d6fcc362f20d9e447"

BBCLASSEXTEND = "native"
