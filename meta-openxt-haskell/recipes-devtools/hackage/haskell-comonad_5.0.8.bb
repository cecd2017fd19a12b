SUMMARY = "Comonads"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=21de4606c146e14c8ca6e65ae2ef3ccf"

DEPENDS = "haskell-distributive \
           haskell-indexed-traversable \
           haskell-semigroups \
           haskell-tagged \
           haskell-transformers-compat"

HACKAGE_REVISION = "2"

inherit hackage

SRC_URI[tarball.sha256sum] = "ef6cdf2cc292cc43ee6aa96c581b235fdea8ab44a0bffb24dc79ae2b2ef33d13"
SRC_URI[cabal.sha256sum] = "4a4dbfbd03fb4963987710fca994e8b5624bd05a33e5f95b7581b26f8229c5e3"

BBCLASSEXTEND = "native"
