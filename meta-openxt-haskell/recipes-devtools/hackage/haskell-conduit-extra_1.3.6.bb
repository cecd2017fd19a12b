SUMMARY = "Batteries included conduit: adapters for common libraries"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=6c37089f81fabdd487821cbf6ddc5ef6"

DEPENDS = "haskell-async \
           haskell-attoparsec \
           haskell-conduit \
           haskell-network \
           haskell-primitive \
           haskell-resourcet \
           haskell-streaming-commons \
           haskell-typed-process \
           haskell-unliftio-core"

inherit hackage

SRC_URI[tarball.sha256sum] = "8950c38049d892c38590d389bed49ecf880671f58ec63dd4709d9fe3d4b8f153"

BBCLASSEXTEND = "native"
