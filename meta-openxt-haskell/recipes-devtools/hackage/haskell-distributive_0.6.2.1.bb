SUMMARY = "Distributive functors -- Dual to Traversable"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=d07e1e18c455f048ef0b3106ec3a8f3c"

DEPENDS = "haskell-base-orphans haskell-tagged"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "d7351392e078f58caa46630a4b9c643e1e2e9dddee45848c5c8358e7b1316b91"
SRC_URI[cabal.sha256sum] = "0f99f5541cca04acf89b64432b03422b6408e830a8dff30e6c4334ef1a48680c"

BBCLASSEXTEND = "native"
