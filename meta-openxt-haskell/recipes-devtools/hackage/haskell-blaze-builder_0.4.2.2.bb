SUMMARY = "Efficient buffered output"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=1381508276b4a17c8568a61e8e34282d"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "2cdc998c021d3a5f2a66a95138b93386271c26a117e7676d78264a90e536af67"
SRC_URI[cabal.sha256sum] = "f0017df374c330de0ebe0eb15eae8c48427bddefa1d81a3cb31c0a4812ecdb08"

BBCLASSEXTEND = "native"
