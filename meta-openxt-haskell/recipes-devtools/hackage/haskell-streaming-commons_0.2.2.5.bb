SUMMARY = "Common lower-level functions needed by various streaming data libraries"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=8fecaaa26c3014c6cdc42cc7db406fc1"

DEPENDS = "haskell-async \
           haskell-network \
           haskell-random \
           haskell-zlib"

inherit hackage

SRC_URI[tarball.sha256sum] = "ca50819bdb2b248ced790e9faab07a3a5369ef702d9f9a932f26438bbeeca704"

BBCLASSEXTEND = "native"
