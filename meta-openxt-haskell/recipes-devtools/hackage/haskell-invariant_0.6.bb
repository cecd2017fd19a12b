SUMMARY = "Haskell98 invariant functors"
LICENSE = "BSD-2-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=a71ff249d0afe89749fce1d22c6fbba3"

DEPENDS = "haskell-bifunctors \
           haskell-comonad \
           haskell-contravariant \
           haskell-profunctors \
           haskell-statevar \
           haskell-tagged \
           haskell-th-abstraction \
           haskell-transformers-compat \
           haskell-unordered-containers"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "b52b2a798c514e2f3bb37d9d629078f433745fa8a25756198c4d33751d7bce1d"
SRC_URI[cabal.sha256sum] = "67ecd31a36c3a9a686a8bee9dbee5a395a4c68b758262413c0355bae03a5a114"

BBCLASSEXTEND = "native"
