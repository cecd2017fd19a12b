SUMMARY = "Fast combinator parsing for bytestrings and text"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=842154b7fc56299acd68b1fe3fcd79b2"

DEPENDS = "haskell-scientific"

HACKAGE_REVISION = "2"

inherit hackage

SRC_URI[tarball.sha256sum] = "21e0f38eaa1957bf471276afa17651c125a38924575f12c2cbd2fa534b45686f"
SRC_URI[cabal.sha256sum] = "1b64fc08464d9dc73d80e13aea362410f3c8bca5abfa6831df8821281c3cdfeb"

BBCLASSEXTEND = "native"
