SUMMARY = "Adjunctions and representable functors"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=e9f8d3f87866b04e973a51b26d3ce825"

DEPENDS = "haskell-comonad \
           haskell-contravariant \
           haskell-distributive \
           haskell-free \
           haskell-profunctors \
           haskell-semigroupoids \
           haskell-semigroups \
           haskell-tagged \
           haskell-transformers-compat \
           haskell-void"

HACKAGE_REVISION = "2"

inherit hackage

SRC_URI[tarball.sha256sum] = "147b5f8db810bca0ea8952ef974982ffc447cecd21f01e1ea1121df77e276518"
SRC_URI[cabal.sha256sum] = "30206ae6b78d3d523c2ff73640f84b51fa204ac3f05267a5f0c77c486b96781d"

BBCLASSEXTEND = "native"
