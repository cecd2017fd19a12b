SUMMARY = "Efficient algorithms for vector arrays"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=ee3dc0bded531d9e889868a40306fb97"

DEPENDS = "haskell-bitvec \
           haskell-primitive \
           haskell-vector"

HACKAGE_REVISION = "3"

inherit hackage

SRC_URI[tarball.sha256sum] = "2ba7c0d3a8f26ef3ada24ff4abe81609225ecbab3b5754f048f8a0a3ecc33841"
SRC_URI[cabal.sha256sum] = "222b01a4c0b9e13d73d04fba7c65930df16d1647acc07d84c47ef0356fa33dba"

BBCLASSEXTEND = "native"
