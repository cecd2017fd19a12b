SUMMARY = "Utilities for manipulating XML documents"
LICENSE = "LGPL-2.1-only"
LIC_FILES_CHKSUM = "file://COPYRIGHT;md5=fe41c6f999f87439d72ea3f6f16d7167"

DEPENDS = "haskell-polyparse haskell-random"

HASKELL_PACKAGE = "HaXml"
HACKAGE_REVISION = "2"

inherit hackage

SRC_URI[tarball.sha256sum] = "ec61ac2b33cf5032082ebaa109daea1ffa03baae090c0cc04624f19642b958f5"
SRC_URI[cabal.sha256sum] = "09a1a57f290cea76a5696ae97a02627987ac93570b5b8ef6f7785be4b009fa92"

BBCLASSEXTEND = "native"
