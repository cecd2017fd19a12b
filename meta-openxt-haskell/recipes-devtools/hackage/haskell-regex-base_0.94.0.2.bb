SUMMARY = "Common 'Text.Regex.*' API for Regex matching"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=a583c2fab876948127b9e9a2ca06634c"

HACKAGE_REVISION = "4"

inherit hackage

SRC_URI[tarball.sha256sum] = "7b99408f580f5bb67a1c413e0bc735886608251331ad36322020f2169aea2ef1"
SRC_URI[cabal.sha256sum] = "0322b2fcd1358f3355e0c8608efa60d27b14d1c9d476451dbcb9181363bd8b27"

BBCLASSEXTEND = "native"
