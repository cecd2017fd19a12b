SUMMARY = "More instances of FunctorWithIndex, FoldableWithIndex, TraversableWithIndex"
LICENSE = "BSD-2-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=d17cf045ce59697fc2ae811b58fb5f5f"

DEPENDS = "haskell-indexed-traversable \
           haskell-onetuple \
           haskell-tagged \
           haskell-unordered-containers \
           haskell-vector"

inherit hackage

SRC_URI[tarball.sha256sum] = "895ee5063d59e2b58930ca6fa54885bb11f19c8b7c7ba6c7b014f9431cdcc0b0"

BBCLASSEXTEND = "native"
