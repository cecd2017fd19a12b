SUMMARY = "Combinator library for splitting lists"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=6994c17380b45ebadfe3efa7507ad3da"

inherit hackage

SRC_URI[tarball.sha256sum] = "bf8aa8d610354a2b576946a6c838251ec5988c8374100638e6b2604513b93159"

BBCLASSEXTEND = "native"
