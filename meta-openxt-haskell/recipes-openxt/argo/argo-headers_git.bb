SUMMARY = "Argo user-space API headers"
DESCRIPTION = "linux/argo.h and linux/argo_dev.h, the interface of the Argo \
               Linux driver, for libargo and its users."
SECTION = "devel"
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://COPYING;md5=4641e94ec96f98fabc56ff9cc48be14b"

require argo.inc

S = "${WORKDIR}/git/argo-linux"

# Headers only: nothing to configure or compile, and no default toolchain.
INHIBIT_DEFAULT_DEPS = "1"
do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    oe_runmake INSTALL_HDR_PATH=${D}${prefix} headers_install
}

ALLOW_EMPTY:${PN} = "1"
