SUMMARY = "NetworkManager's DBus interfaces as OpenXT's stub generator needs them"
DESCRIPTION = "Introspection XML of the NetworkManager objects network-slave \
               drives, for xc-rpcgen at build time \
               (networkmanager-introspection-native, used by xc_rpcgen.bbclass): \
               our own files, checked against the XML and constants of the \
               NetworkManager release meta-networking (scarthgap) builds. Only \
               the XML: NetworkManager itself is not built for the build host."
HOMEPAGE = "https://networkmanager.dev/"
SECTION = "devel"
LICENSE = "GPL-2.0-or-later"
LIC_FILES_CHKSUM = "file://COPYING;md5=b234ee4d69f5fce4486a80fdaf4a4263"

# Same tarball and checksum as meta-networking's networkmanager_1.46.6.bb.
# Upstream's release: the reference our XML is checked against.
SRC_URI = "https://gitlab.freedesktop.org/NetworkManager/NetworkManager/-/releases/${PV}/downloads/NetworkManager-${PV}.tar.xz"
# Our XML (files/): upstream's introspection/*.xml cannot be fed to xc-rpcgen
# as it is. The generator emits constants only from <tp:enum> blocks, which
# upstream lacks (network-slave needs eNM_DEVICE_STATE_*, eNM_DEVICE_TYPE_*,
# eNM_ACTIVE_CONNECTION_STATE_*), and names the getter of property P like a
# method GetP (Devices/GetDevices, AllDevices/GetAllDevices,
# AccessPoints/GetAccessPoints collide). Each file holds what network-slave
# uses; `oxt check` applies the generator's rules to them.
NM_RPCGEN_IDL = "\
    org.freedesktop.NetworkManager \
    org.freedesktop.NetworkManager.Device \
    org.freedesktop.NetworkManager.Device.Wireless \
    org.freedesktop.NetworkManager.AccessPoint \
    org.freedesktop.NetworkManager.Connection.Active \
"
SRC_URI += "${@' '.join('file://%s.xml' % name for name in d.getVar('NM_RPCGEN_IDL').split())}"
SRC_URI[sha256sum] = "1076c5ee2d60fa09e4af21f2d1bfe638973647c28c9b228d6d44a7044b735eaf"

S = "${WORKDIR}/NetworkManager-${PV}"

# Pure data, see xenclient-idl for why consumers use the -native variant.
inherit allarch

do_configure[noexec] = "1"
do_compile[noexec] = "1"

# Every interface, method (with its arguments), property (type and access)
# and tp:enum value of our XML must be NetworkManager's own, as this release
# defines it: a NetworkManager upgrade that changes one stops here instead of
# producing stubs that fail at run time.
python do_verify_nm_idl() {
    import re
    import xml.etree.ElementTree as ET

    def members(root):
        found = {}
        for iface in root.iter('interface'):
            name = iface.get('name')
            found[(name, 'interface', name)] = None
            for m in iface.findall('method'):
                args = tuple((a.get('direction', 'in'), a.get('type')) for a in m.findall('arg'))
                found[(name, 'method', m.get('name'))] = args
            for p in iface.findall('property'):
                found[(name, 'property', p.get('name'))] = (p.get('type'), p.get('access'))
        return found

    header = open(os.path.join(d.getVar('S'), 'src/libnm-core-public/nm-dbus-interface.h')).read()
    constants = dict(re.findall(r'^\s*(NM_[A-Z0-9_]+)\s*=\s*(\d+)\s*,', header, re.M))
    problems = []
    for name in d.getVar('NM_RPCGEN_IDL').split():
        ours = ET.parse(os.path.join(d.getVar('WORKDIR'), name + '.xml')).getroot()
        theirs = members(ET.parse(os.path.join(d.getVar('S'), 'introspection', name + '.xml')).getroot())
        for key, value in members(ours).items():
            if key not in theirs:
                problems.append('%s.xml: %s %s is not in NetworkManager %s' % (name, key[1], key[2], d.getVar('PV')))
            elif theirs[key] != value:
                problems.append('%s.xml: %s %s is %s upstream, %s here' % (name, key[1], key[2], theirs[key], value))
        for enum in ours.iter('{http://telepathy.freedesktop.org/wiki/DbusSpec#extensions-v0}enum'):
            for value in enum.findall('{http://telepathy.freedesktop.org/wiki/DbusSpec#extensions-v0}enumvalue'):
                constant = '%s_%s' % (enum.get('name'), value.get('suffix'))
                if constants.get(constant) != value.get('value'):
                    problems.append('%s.xml: %s = %s, nm-dbus-interface.h says %s' % (name, constant, value.get('value'), constants.get(constant)))
    if problems:
        bb.fatal('Our NetworkManager XML does not match NetworkManager %s:\n%s' % (d.getVar('PV'), '\n'.join(problems)))
}
addtask verify_nm_idl after do_unpack before do_install
do_verify_nm_idl[doc] = "Checks our NetworkManager XML against the upstream release"

do_install() {
    install -d ${D}${datadir}/nm-idl
    for name in ${NM_RPCGEN_IDL}; do
        install -m 0644 ${WORKDIR}/$name.xml ${D}${datadir}/nm-idl/
    done
}

FILES:${PN} += "${datadir}/nm-idl"

BBCLASSEXTEND = "native"
