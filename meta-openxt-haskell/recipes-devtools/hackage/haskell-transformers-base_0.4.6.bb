SUMMARY = "Lift computations from the bottom of a transformer stack"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=93e7d84c230d8f835ebffaa82a621e39"

DEPENDS = "haskell-base-orphans haskell-transformers-compat"

inherit hackage

SRC_URI[tarball.sha256sum] = "323bf8689eb691b122661cffa41a25e00fea7a768433fe2dde35d3da7d32cf90"

BBCLASSEXTEND = "native"
