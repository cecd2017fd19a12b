SUMMARY = "Integer logarithms"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=d02c4347289a9326f8de6e031a6a171e"

HACKAGE_REVISION = "6"

inherit hackage

SRC_URI[tarball.sha256sum] = "9b0a9f9fab609b15cd015865721fb05f744a1bc77ae92fd133872de528bbea7f"
SRC_URI[cabal.sha256sum] = "0595a16d458c9c5caa425dc8ebbeb5d9adffb0c8daf4720c1d93dfcfc31dd690"

BBCLASSEXTEND = "native"
