SUMMARY = "Fast Splittable PRNG"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=7bd5b9bd1eb743b2fef83af75de60046"

HACKAGE_REVISION = "2"

inherit hackage

SRC_URI[tarball.sha256sum] = "6d065402394e7a9117093dbb4530a21342c9b1e2ec509516c8a8d0ffed98ecaa"
SRC_URI[cabal.sha256sum] = "db25c2e17967aa6b6046ab8b1b96ba3f344ca59a62b60fb6113d51ea305a3d8e"

BBCLASSEXTEND = "native"
