SUMMARY = "Singleton Tuple"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=f88889c89aa512dca1603380237b6358"

DEPENDS = "haskell-base-orphans haskell-hashable"

HASKELL_PACKAGE = "OneTuple"
HACKAGE_REVISION = "3"

inherit hackage

SRC_URI[tarball.sha256sum] = "98853682d52fb4cc37a45cd186fbd77cf2565d3df5171acc4cf026427e103eef"
SRC_URI[cabal.sha256sum] = "fc32cb744477befa450a538ea4975cc523f0a2f1585cb5a36e9936a3d18e9a3c"

BBCLASSEXTEND = "native"
