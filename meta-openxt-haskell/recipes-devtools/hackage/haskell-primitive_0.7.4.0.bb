SUMMARY = "Primitive memory-related operations"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=be0b31f4d3a51d26d9983b09dc5cf70a"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "5b2d6dc2812eb2f6a115f05fcbe3e723d3aeff7894b012c617e075130581add5"
SRC_URI[cabal.sha256sum] = "c2f0ed97b3dce97f2f43b239c3be8b136e4368f1eb7b61322ee9ac98f604622b"

BBCLASSEXTEND = "native"
