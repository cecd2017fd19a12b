SUMMARY = "Deterministic allocation and freeing of scarce resources"
LICENSE = "BSD-3-Clause"
LIC_FILES_CHKSUM = "file://LICENSE;md5=63b20997a2f725bfb516803d87db724d"

DEPENDS = "haskell-primitive haskell-unliftio-core"

inherit hackage

SRC_URI[tarball.sha256sum] = "ec601785ee42a201f32adb205b8685c983f18757b1bd33d2e806d571e0f9996b"

BBCLASSEXTEND = "native"
