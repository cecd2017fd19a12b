SUMMARY = "Nicer interface for reified information about data types"
LICENSE = "ISC"
LIC_FILES_CHKSUM = "file://LICENSE;md5=12a68543d3d2ff2712f2fbe8a3c8df6d"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "00d5e24f247e328bd9898d5af5915c1e86b134b4d40baa680258635f95031526"
SRC_URI[cabal.sha256sum] = "c28f186ae9817a059e54f63689f8985194b7f58d8fbd79e157d12374b6f9d2c3"

BBCLASSEXTEND = "native"
