SUMMARY = "A small compatibility shim for the transformers library"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=d554ded64d0703b2a5e00cefaac75525"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "7e2e0251e5e6d28142615a4b950a3fabac9c0b7804b1ec4a4ae985f19519a9f9"
SRC_URI[cabal.sha256sum] = "e2686c31df27a39ff058371acb46e78639ea47c8f35adee926db7e6aa70a6a19"

BBCLASSEXTEND = "native"
