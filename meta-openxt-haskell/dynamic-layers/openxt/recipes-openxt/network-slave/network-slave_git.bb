SUMMARY = "OpenXT network slave: runs the network driver domain for dom0"
DESCRIPTION = "Service of OpenXT's network driver domain (ndvm): applies the \
               network configuration that dom0's network daemon sends over \
               DBus/Argo, by driving NetworkManager, bridges, iptables and \
               dnsmasq. Written in Haskell; OpenXT ships it as a 32-bit \
               program (lib32-network-slave) in a 64-bit ndvm."
HOMEPAGE = "https://github.com/OpenXT/network"
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://../COPYING;md5=4641e94ec96f98fabc56ff9cc48be14b"

DEPENDS = "haskell-hsyslog \
           haskell-network \
           haskell-regex-posix \
           haskell-utf8-string \
           haskell-xch-rpc \
           haskell-xchutils \
           haskell-xchxenstore"

# master after the GHC 8.10 port (2023-12).
PV = "0.1+git"
SRC_URI = "git://github.com/OpenXT/network.git;protocol=https;branch=master \
           file://network-slave.service"
SRCREV = "23aa61382a71a98b9948628365742c79ee682ec7"

S = "${WORKDIR}/git/nws"

inherit haskell xc_rpcgen systemd update-rc.d update-alternatives

HASKELL_PACKAGE = "network-slave"
HASKELL_VERSION = "0.1"
# Its Setup.hs runs hsc2hs with a separately configured linker.
EXTRA_CABAL_CONF = "--with-hsc2hs-ld=${HASKELL_BIN}/cc"

# The DBus objects it serves and the NetworkManager objects it drives: the
# client modules its sources import (NetworkManager.hs, NetworkInterface.hs),
# from our XML in networkmanager-introspection (OpenXT also generated
# NmDeviceEthernet and NmDeviceModem, which nothing imports).
XC_RPCGEN_SERVERS = "network_slave network network_nm"
XC_RPCGEN_NM_CLIENTS = "org.freedesktop.NetworkManager:NmManager \
                        org.freedesktop.NetworkManager.Device:NmDevice \
                        org.freedesktop.NetworkManager.Device.Wireless:NmDeviceWifi \
                        org.freedesktop.NetworkManager.AccessPoint:NmAccessPoint \
                        org.freedesktop.NetworkManager.Connection.Active:NmActiveConnection"
XC_RPCGEN_PLAIN = "dbus"

do_install:append() {
    install -d ${D}${sysconfdir}/network-daemon/scripts ${D}${sysconfdir}/dnsmasq-config
    for f in dnsmasq-template dnsmasq-script-template bridge-connection slave-connection; do
        install -m 0755 ${S}/$f ${D}${sysconfdir}/network-daemon/$f
    done
    install -m 0755 ${S}/nw_notify ${D}${sysconfdir}/network-daemon/scripts/nw_notify
    install -D -m 0644 ${S}/nws-notify.rules ${D}${sysconfdir}/udev/rules.d/81-nws-notify.rules
    install -D -m 0755 ${S}/nws.initscript ${D}${sysconfdir}/init.d/network-slave
    install -D -m 0644 ${WORKDIR}/network-slave.service ${D}${systemd_system_unitdir}/network-slave.service
}

SYSTEMD_SERVICE:${PN} = "network-slave.service"
INITSCRIPT_NAME = "network-slave"
INITSCRIPT_PARAMS = "defaults 29 15"

# A 64-bit network-slave and its lib32 twin both install /usr/bin/network-slave.
# As an alternative, each ships its binary as /usr/bin/network-slave.${PN}
# and the link goes to the highest priority (multilib.bbclass lowers the
# lib32 one): the two can coexist, the 64-bit one wins.
ALTERNATIVE:${PN} = "network-slave"
ALTERNATIVE_LINK_NAME[network-slave] = "${bindir}/network-slave"
ALTERNATIVE_PRIORITY = "100"

# Programs it runs (ifconfig, ip, iptables, brctl, ethtool, dnsmasq) and the
# NetworkManager it drives over DBus: none is linked into it, so their
# architecture does not matter and a lib32 network-slave uses the image's
# 64-bit ones. Only the default variant pulls them in: in the lib32 variant
# the plain names would be mapped to lib32-* twins (32-bit copies of
# NetworkManager, iptables, ... clashing in /usr/bin). Images installing
# lib32-network-slave install packagegroup-network-slave-runtime themselves.
NETWORK_SLAVE_RUNTIME = "${@'' if d.getVar('MLPREFIX') else 'packagegroup-network-slave-runtime'}"
RDEPENDS:${PN} = "${NETWORK_SLAVE_RUNTIME} glibc-gconv-utf-32"
