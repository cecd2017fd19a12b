SUMMARY = "Basic types for representing XML"
LICENSE = "MIT"
# Common MIT text, as in OpenXT's recipe for the same release (the sdist
# was not available offline to locate its own licence file).
# nooelint: oelint.var.licenseremotefile
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

inherit hackage

SRC_URI[tarball.sha256sum] = "dad5e4ce602b7d1f4be37c0cfd99a261a4573746bfd80d917dc955b72da84c80"

BBCLASSEXTEND = "native"
