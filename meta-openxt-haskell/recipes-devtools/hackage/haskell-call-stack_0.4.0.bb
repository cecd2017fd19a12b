SUMMARY = "Use GHC call-stacks in a backward compatible way"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=3ec8ac72ac7b8ab5aff756768f8f6c0a"

inherit hackage

SRC_URI[tarball.sha256sum] = "430bcf8a3404f7e55319573c0b807b1356946f0c8f289bb3d9afb279c636b87b"

BBCLASSEXTEND = "native"
