SUMMARY = "Streaming data processing library"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=6c37089f81fabdd487821cbf6ddc5ef6"

DEPENDS = "haskell-mono-traversable \
           haskell-primitive \
           haskell-resourcet \
           haskell-unliftio-core \
           haskell-vector"

HACKAGE_REVISION = "1"

inherit hackage

SRC_URI[tarball.sha256sum] = "aca2a086a6ee065a5d1f1efc0632bccf52a8f961e4134a4fb60447765987907d"
SRC_URI[cabal.sha256sum] = "50f2eea690e053c77acc2e66ab403ace55282932f419078e432db5873ab55b3b"

BBCLASSEXTEND = "native"
