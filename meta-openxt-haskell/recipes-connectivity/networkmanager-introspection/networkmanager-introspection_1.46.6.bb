SUMMARY = "NetworkManager's DBus interface descriptions"
DESCRIPTION = "The introspection XML of the NetworkManager release that \
               meta-networking (scarthgap) builds, for stub generators at \
               build time (networkmanager-introspection-native, used by \
               xc_rpcgen.bbclass). Only the XML: NetworkManager itself is not \
               built for the build host."
HOMEPAGE = "https://networkmanager.dev/"
SECTION = "devel"
LICENSE = "GPL-2.0-or-later"
LIC_FILES_CHKSUM = "file://COPYING;md5=b234ee4d69f5fce4486a80fdaf4a4263"

# Same tarball and checksum as meta-networking's networkmanager_1.46.6.bb.
SRC_URI = "https://gitlab.freedesktop.org/NetworkManager/NetworkManager/-/releases/${PV}/downloads/NetworkManager-${PV}.tar.xz"
SRC_URI[sha256sum] = "1076c5ee2d60fa09e4af21f2d1bfe638973647c28c9b228d6d44a7044b735eaf"

S = "${WORKDIR}/NetworkManager-${PV}"

# Pure data, see xenclient-idl for why consumers use the -native variant.
inherit allarch

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    install -d ${D}${datadir}/nm-idl
    install -m 0644 ${S}/introspection/*.xml ${D}${datadir}/nm-idl/
}

FILES:${PN} += "${datadir}/nm-idl"

BBCLASSEXTEND = "native"
