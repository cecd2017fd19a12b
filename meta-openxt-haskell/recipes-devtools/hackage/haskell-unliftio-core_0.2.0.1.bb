SUMMARY = "The MonadUnliftIO typeclass for unlifting monads to IO"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=14a7e9bd37e696aeee45eb5031410691"

HACKAGE_REVISION = "2"

inherit hackage

SRC_URI[tarball.sha256sum] = "919f0d1297ea2f5373118553c1df2a9405d8b9e31a8307e829da67d4953c299a"
SRC_URI[cabal.sha256sum] = "f9abcdd3f3d28e4840563efb7b8760d2de9b5707bcd6f53a87f6a0d77bb5a9f7"

BBCLASSEXTEND = "native"
