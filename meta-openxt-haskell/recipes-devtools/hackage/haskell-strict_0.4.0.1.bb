SUMMARY = "Strict data types and String IO"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=9fa0ccb0991fbfe8846c027a053d8cd8"

DEPENDS = "haskell-assoc \
           haskell-hashable \
           haskell-these"

HACKAGE_REVISION = "4"

inherit hackage

SRC_URI[tarball.sha256sum] = "dff6abc08ad637e51891bb8b475778c40926c51219eda60fd64f0d9680226241"
SRC_URI[cabal.sha256sum] = "d6205a748eb8db4cd17a7179be970c94598809709294ccfa43159c7f3cc4bf5d"

BBCLASSEXTEND = "native"
