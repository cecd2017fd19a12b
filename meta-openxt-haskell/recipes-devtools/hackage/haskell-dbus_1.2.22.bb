SUMMARY = "A client library for the D-Bus IPC system"
LICENSE = "Apache-2.0"
LIC_FILES_CHKSUM = "file://license.txt;md5=3b83ef96387f14655fc854ddc3c6bd57"

DEPENDS = "haskell-cereal \
           haskell-conduit \
           haskell-lens \
           haskell-network \
           haskell-random \
           haskell-split \
           haskell-th-lift \
           haskell-vector \
           haskell-xml-conduit \
           haskell-xml-types"

inherit hackage

SRC_URI[tarball.sha256sum] = "2aae45cf6cf26410aad5f7d1ced3db9255a540fb0a36186bd187122c5fdb770d"

BBCLASSEXTEND = "native"
