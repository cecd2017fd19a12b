SUMMARY = "POSIX Backend for 'Text.Regex' (regex-base)"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=5a9760d05990120048023e30741b4d71"

DEPENDS = "haskell-regex-base"

HACKAGE_REVISION = "3"

inherit hackage

SRC_URI[tarball.sha256sum] = "c7827c391919227711e1cff0a762b1678fd8739f9c902fc183041ff34f59259c"
SRC_URI[cabal.sha256sum] = "816d6acc560cb86672f347a7bef8129578dde26ed760f9e79b4976ed9bd7b9fd"

BBCLASSEXTEND = "native"
