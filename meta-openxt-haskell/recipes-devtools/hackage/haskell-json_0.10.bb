SUMMARY = "Support for serialising Haskell to and from JSON"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=fc842e62515f35f232f237038e679cb2"

HASKELL_FLAGS = "-generic"
HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "0c046a3c03c9332816d3c9e50319b1d1eb3c2c1baba1123a7650d047b26856ba"
SRC_URI[cabal.sha256sum] = "d9fc6b07ce92b8894825a17d2cf14799856767eb30c8bf55962baa579207d799"

BBCLASSEXTEND = "native"
