SUMMARY = "Pseudo-random number generation"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=cb903892d930c0f44a9ed9d706a544e4"

DEPENDS = "haskell-splitmix"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "3e1272f7ed6a4d7bd1712b90143ec326fee9b225789222379fea20a9c90c9b76"
SRC_URI[cabal.sha256sum] = "e7c1f881159d5cc788619c9ee8b8f340ba2ff0db571cdf3d1a1968ebc5108789"

BBCLASSEXTEND = "native"
