SUMMARY = "X session of the OpenXT uivm"
DESCRIPTION = "System-wide mini-x-session session for the user-interface VM: \
               starts the matchbox window manager and keeps the surf browser \
               open on the OpenXT user interface page."
HOMEPAGE = "https://openxt.org/"
SECTION = "x11"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://session;beginline=2;endline=2;md5=b2dccaa94b3629a08bfb4f983cad6f89"

SRC_URI = "\
    file://session \
    file://openxt-uivm.default \
"

S = "${WORKDIR}"

inherit allarch features_check

# surf, which the session runs, requires both (meta-oe's surf_2.1.bb): without
# opengl (oe-core's default features, for one) the session would have nothing
# to run and a world build nothing providing surf.
REQUIRED_DISTRO_FEATURES = "x11 opengl"

do_install() {
    install -d ${D}${sysconfdir}/mini_x ${D}${sysconfdir}/default
    install -m 0755 ${S}/session ${D}${sysconfdir}/mini_x/session
    install -m 0644 ${S}/openxt-uivm.default ${D}${sysconfdir}/default/openxt-uivm
}

CONFFILES:${PN} = "${sysconfdir}/default/openxt-uivm"

RDEPENDS:${PN} = "matchbox-wm mini-x-session surf"
