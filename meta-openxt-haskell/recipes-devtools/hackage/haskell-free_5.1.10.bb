SUMMARY = "Monads for free"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=f058b31ee036b2c2174433412c9a7d65"

DEPENDS = "haskell-bifunctors \
           haskell-comonad \
           haskell-distributive \
           haskell-indexed-traversable \
           haskell-profunctors \
           haskell-semigroupoids \
           haskell-semigroups \
           haskell-th-abstraction \
           haskell-transformers-base \
           haskell-transformers-compat"

HACKAGE_REVISION = "2"

inherit hackage

SRC_URI[tarball.sha256sum] = "12dea4ff94dd475d4249e93abb385d9c0399c13e3cb3f4132d316e0b32700e72"
SRC_URI[cabal.sha256sum] = "58496bb68e5704be250ddc823622d50b5a3b8bdf0dc4f6539ecfde25bc4ef6e2"

BBCLASSEXTEND = "native"
