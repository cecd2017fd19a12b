SUMMARY = "GRUB menu that boots Xen with the OpenXT dom0"
DESCRIPTION = "grub.cfg for the EFI system partition of dom0: loads the Xen \
               hypervisor with multiboot2 and the dom0 kernel as its first \
               module. Replaces oe-core's grub-bootconf, which boots a plain \
               kernel."
HOMEPAGE = "https://openxt.org/"
SECTION = "bootloaders"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://grub.cfg.in;beginline=1;endline=1;md5=b2dccaa94b3629a08bfb4f983cad6f89"

SRC_URI = "file://grub.cfg.in"

S = "${WORKDIR}"

inherit deploy

require conf/image-uefi.conf

# Xen and dom0 command lines; override them in local.conf or a kas fragment.
OPENXT_XEN_CMDLINE ?= "dom0_mem=2048M,max:2048M dom0_max_vcpus=2 console=vga,com1 com1=115200,8n1 loglvl=warning guest_loglvl=warning ucode=scan"
# root=PARTUUID: see OPENXT_DOM0_ROOT_PARTUUID in conf/machine/openxt-dom0.conf.
OPENXT_DOM0_CMDLINE ?= "root=PARTUUID=${OPENXT_DOM0_ROOT_PARTUUID} rootwait ro console=hvc0"
OPENXT_GRUB_TIMEOUT ?= "5"
# Files at the root of the EFI system partition (see wic/openxt-dom0.wks.in).
OPENXT_XEN_IMAGE ?= "xen.gz"
OPENXT_DOM0_KERNEL ?= "${KERNEL_IMAGETYPE}"

INHIBIT_DEFAULT_DEPS = "1"

do_configure[noexec] = "1"

do_compile() {
    sed -e 's|@TIMEOUT@|${OPENXT_GRUB_TIMEOUT}|' \
        -e 's|@XEN_IMAGE@|${OPENXT_XEN_IMAGE}|' \
        -e 's|@XEN_CMDLINE@|${OPENXT_XEN_CMDLINE}|' \
        -e 's|@DOM0_KERNEL@|${OPENXT_DOM0_KERNEL}|' \
        -e 's|@DOM0_CMDLINE@|${OPENXT_DOM0_CMDLINE}|' \
        ${S}/grub.cfg.in > ${B}/grub.cfg
}

do_install() {
    install -d ${D}${EFI_FILES_PATH}
    install -m 0644 ${B}/grub.cfg ${D}${EFI_FILES_PATH}/grub.cfg
}

do_deploy() {
    install -m 0644 ${B}/grub.cfg ${DEPLOYDIR}/openxt-grub.cfg
}
addtask deploy after do_compile before do_build

# KERNEL_IMAGETYPE is a machine setting.
PACKAGE_ARCH = "${MACHINE_ARCH}"
# dom0's boot menu: on any other machine it would be a second provider of
# virtual-grub-bootconf next to oe-core's grub-bootconf.
COMPATIBLE_MACHINE = "openxt-dom0"

FILES:${PN} += "${EFI_FILES_PATH}/grub.cfg"

RPROVIDES:${PN} += "virtual-grub-bootconf"

# The measured-launch entry (tboot + Intel TXT) and the SINIT ACMs.
require openxt-grub-bootconf-tboot.inc
