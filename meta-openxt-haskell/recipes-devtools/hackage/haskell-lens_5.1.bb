SUMMARY = "Lenses, Folds and Traversals"
LICENSE = "BSD-2-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=d17cf045ce59697fc2ae811b58fb5f5f"

DEPENDS = "haskell-assoc \
           haskell-base-orphans \
           haskell-bifunctors \
           haskell-call-stack \
           haskell-comonad \
           haskell-contravariant \
           haskell-distributive \
           haskell-free \
           haskell-hashable \
           haskell-indexed-traversable \
           haskell-indexed-traversable-instances \
           haskell-kan-extensions \
           haskell-parallel \
           haskell-profunctors \
           haskell-reflection \
           haskell-semigroupoids \
           haskell-strict \
           haskell-tagged \
           haskell-th-abstraction \
           haskell-these \
           haskell-transformers-compat \
           haskell-unordered-containers \
           haskell-vector"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "922021de1a995fe663b25b9821da4d83ce2ffe01b465e794c113e80db4e335bd"
SRC_URI[cabal.sha256sum] = "2cd46b613b9fb37e6eb64c518fd41cfdf55b15bd217d8780163b5c75974920bf"

BBCLASSEXTEND = "native"
