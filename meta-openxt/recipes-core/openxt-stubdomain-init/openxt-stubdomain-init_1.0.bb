SUMMARY = "/init of the OpenXT qemu stubdomain"
DESCRIPTION = "Init script of the Linux stubdomain initramfs: reads the device \
               model command line from xenstore, starts qemu for the target \
               HVM guest and proxies its QMP socket to the toolstack over \
               vchan (Xen's Linux stubdomain protocol)."
HOMEPAGE = "https://openxt.org/"
SECTION = "base"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://init;beginline=2;endline=2;md5=b2dccaa94b3629a08bfb4f983cad6f89"

SRC_URI = "\
    file://init \
    file://qemu-ifup \
"

S = "${WORKDIR}"

inherit allarch

do_install() {
    install -m 0755 ${S}/init ${D}/init
    install -d ${D}${sysconfdir}
    install -m 0755 ${S}/qemu-ifup ${D}${sysconfdir}/qemu-ifup
}

FILES:${PN} += "/init"

# qemu with Xen support, xenstore clients, the QMP vchan proxy, a bridge for
# the guest NIC; busybox provides sh, mount, modprobe, ip, sed, sort.
RDEPENDS:${PN} = "\
    bridge-utils \
    busybox \
    qemu-system-i386 \
    xen-tools-vchan \
    xen-tools-xenstore \
"
# Xen frontends and device interfaces, in case they are modules.
RRECOMMENDS:${PN} = "\
    kernel-module-xen-blkfront \
    kernel-module-xen-evtchn \
    kernel-module-xen-gntalloc \
    kernel-module-xen-gntdev \
    kernel-module-xen-netfront \
    kernel-module-xen-privcmd \
"
