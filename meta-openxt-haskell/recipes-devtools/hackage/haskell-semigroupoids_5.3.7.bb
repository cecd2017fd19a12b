SUMMARY = "Semigroupoids: Category sans id"
LICENSE = "BSD-2-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=a38bfee1357b68d214d9aab35f38aa98"

DEPENDS = "haskell-base-orphans \
           haskell-bifunctors \
           haskell-comonad \
           haskell-contravariant \
           haskell-distributive \
           haskell-hashable \
           haskell-semigroups \
           haskell-tagged \
           haskell-transformers-compat \
           haskell-unordered-containers"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "6d45cdb6c58c75ca588859b80b2c92b6f48590a03e065c24ce5d767a6a963799"
SRC_URI[cabal.sha256sum] = "ac093739682f0dc7a37698b423590dc0f1ca89fed908fbbc5a73a44beefa7d18"

BBCLASSEXTEND = "native"
