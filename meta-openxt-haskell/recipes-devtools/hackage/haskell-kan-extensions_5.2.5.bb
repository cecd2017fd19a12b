SUMMARY = "Kan extensions, Kan lifts, the Yoneda lemma, and (co)density (co)monads"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=be052d1697f9a4e66303aa44f24294f3"

DEPENDS = "haskell-adjunctions \
           haskell-comonad \
           haskell-contravariant \
           haskell-distributive \
           haskell-free \
           haskell-invariant \
           haskell-profunctors \
           haskell-semigroupoids \
           haskell-tagged \
           haskell-transformers-compat"

HACKAGE_REVISION = "2"

inherit hackage

SRC_URI[tarball.sha256sum] = "b914dccc040caf1d8764b99df1028dad3e4fdf46c262192e54b59c9da66ead22"
SRC_URI[cabal.sha256sum] = "fbdba767565f40faf515b044a774cc3b371eb6ce8a082d9f659411cea88698cf"

BBCLASSEXTEND = "native"
