SUMMARY = "OpenXT package sets of dom0 and the service VMs"
SUMMARY:${PN}-dom0 = "Xen control domain: hypervisor, toolstack, device models"
SUMMARY:${PN}-guest = "What every OpenXT service VM needs as a Xen guest"
SUMMARY:${PN}-ndvm = "Network driver domain: NICs, netback, NetworkManager"
SUMMARY:${PN}-syncvm = "Synchronizer VM: fetches VM images and policy over TLS"
SUMMARY:${PN}-uivm = "User interface VM: X11 session with the surf browser"
DESCRIPTION = "What each OpenXT VM runs on top of packagegroup-core-boot. \
               Free of machine settings, so it is built once for all VMs."
HOMEPAGE = "https://openxt.org/"
SECTION = "base"
LICENSE = "MIT"

inherit packagegroup features_check

# What the packages need of the distro: Xen (dom0, the guests' xenstore
# clients) and the uivm's surf (x11 and opengl, as its recipe requires).
# Elsewhere (oe-core's defaults have no opengl, no xen) the packagegroup is
# skipped instead of leaving a world build with nothing providing surf.
REQUIRED_DISTRO_FEATURES = "xen x11 opengl"

PACKAGES = "\
    ${PN}-dom0 \
    ${PN}-guest \
    ${PN}-ndvm \
    ${PN}-syncvm \
    ${PN}-uivm \
"

RDEPENDS:${PN}-dom0 = "\
    bridge-utils \
    dosfstools \
    e2fsprogs \
    efibootmgr \
    iproute2 \
    pciutils \
    qemu-system-i386 \
    seabios \
    usbutils \
    xen \
    xen-tools \
    xen-tools-hvmloader \
    xen-tools-xenstat \
"
RDEPENDS:${PN}-guest = "\
    xen-tools-xenstore \
"
RDEPENDS:${PN}-ndvm = "\
    ${PN}-guest \
    bridge-utils \
    dnsmasq \
    ethtool \
    iproute2 \
    iptables \
    iw \
    networkmanager \
    networkmanager-nmcli \
    nftables \
    xen-tools-devd \
    xen-tools-scripts-network \
"
RDEPENDS:${PN}-syncvm = "\
    ${PN}-guest \
    ca-certificates \
    curl \
    e2fsprogs \
    openssl \
    rsync \
"
RDEPENDS:${PN}-uivm = "\
    ${PN}-guest \
    ca-certificates \
    openxt-uivm-session \
    surf \
"

# Kernel modules are recommended, not required: a kernel may build them in.
# dom0: backends for guests' disks and NICs, PCI passthrough, grant devices,
# qemu's taps. xen.efi exists only when the toolchain can link PE images;
# grub boots xen.gz anyway.
RRECOMMENDS:${PN}-dom0 = "\
    kernel-module-tun \
    kernel-module-xen-acpi-processor \
    kernel-module-xen-blkback \
    kernel-module-xen-gntalloc \
    kernel-module-xen-gntdev \
    kernel-module-xen-netback \
    kernel-module-xen-pciback \
    xen-efi \
"
RRECOMMENDS:${PN}-guest = "\
    kernel-module-xen-blkfront \
    kernel-module-xen-netfront \
"
RRECOMMENDS:${PN}-ndvm = "\
    kernel-module-xen-netback \
    kernel-module-xen-pcifront \
"
RRECOMMENDS:${PN}-uivm = "\
    kernel-module-xen-fbfront \
    kernel-module-xen-kbdfront \
"
