SUMMARY = "swap and assoc: Symmetric and Semigroupy Bifunctors"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=7bd5b9bd1eb743b2fef83af75de60046"

DEPENDS = "haskell-bifunctors haskell-tagged"

HACKAGE_REVISION = "4"

inherit hackage

SRC_URI[tarball.sha256sum] = "d8988dc6e8718c7a3456515b769c9336aeeec730cf86fc5175247969ff8f144f"
SRC_URI[cabal.sha256sum] = "9decd0933cb6b903a40a8ace02d634bf90048ee2e5b0a514dccad7056c041881"

BBCLASSEXTEND = "native"
