SUMMARY = "Haskell 98 phantom types to avoid unsafely passing dummy arguments"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=6642f8d529de7903fd72440c2a7d230f"

HACKAGE_REVISION = "3"

inherit hackage

SRC_URI[tarball.sha256sum] = "f5e0fcf95f0bb4aa63f428f2c01955a41ea1a42cfcf39145ed631f59a9616c02"
SRC_URI[cabal.sha256sum] = "8a24aef29b8e35447ccc56658ea07c2aded30bfa8130ea057e382936e17c74a6"

BBCLASSEXTEND = "native"
