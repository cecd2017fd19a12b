SUMMARY = "X session of the OpenXT uivm"
DESCRIPTION = "System-wide mini-x-session session for the user-interface VM: \
starts the matchbox window manager and keeps the surf browser open on the \
OpenXT user interface page."
HOMEPAGE = "https://openxt.org/"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

SRC_URI = " \
    file://session \
    file://openxt-uivm.default \
"

S = "${WORKDIR}"

inherit allarch features_check

REQUIRED_DISTRO_FEATURES = "x11"

do_install() {
    install -d ${D}${sysconfdir}/mini_x ${D}${sysconfdir}/default
    install -m 0755 ${S}/session ${D}${sysconfdir}/mini_x/session
    install -m 0644 ${S}/openxt-uivm.default ${D}${sysconfdir}/default/openxt-uivm
}

FILES:${PN} = "${sysconfdir}/mini_x/session ${sysconfdir}/default/openxt-uivm"
CONFFILES:${PN} = "${sysconfdir}/default/openxt-uivm"

RDEPENDS:${PN} = "matchbox-wm mini-x-session surf"
