SUMMARY = "Type classes for mapping, folding, and traversing monomorphic containers"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=665943ef0936d1f4cb25cc0f27a04fa8"

DEPENDS = "haskell-hashable \
           haskell-split \
           haskell-unordered-containers \
           haskell-vector \
           haskell-vector-algorithms"

inherit hackage

SRC_URI[tarball.sha256sum] = "98b220f3313d74227a4249210c8818e839678343e62b3ebb1b8c867cf2b974b7"

BBCLASSEXTEND = "native"
