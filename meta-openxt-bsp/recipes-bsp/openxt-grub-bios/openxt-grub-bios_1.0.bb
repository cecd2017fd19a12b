# nooelint: oelint.var.mandatoryvar.SRC_URI
SUMMARY = "GRUB that boots dom0's disk from a legacy BIOS"
DESCRIPTION = "GRUB's i386-pc boot sector (boot.img) and core image \
               (core.img) for dom0's GPT disk. The wic plugin \
               openxt-grub-bios writes core.img into the BIOS boot partition \
               and boot.img into the MBR; core.img reads the same grub.cfg as \
               grub-efi, on the EFI system partition. Legacy BIOS boot is \
               the path of the measured launch (tboot cannot start Xen \
               under UEFI)."
HOMEPAGE = "https://www.gnu.org/software/grub/"
SECTION = "bootloaders"
# The images are GRUB's (oe-core grub: GPL-3.0-only), assembled from what
# grub stages: no source or license file of this recipe's own.
LICENSE = "GPL-3.0-only"
# nooelint: oelint.var.licenseremotefile
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/GPL-3.0-only;md5=c79ff39f19dfec6d293b95dea7b07891"

# grub (target, platform pc) stages its i386-pc modules and boot.img;
# grub-native runs grub-mkimage, as grub-efi does for its EFI image.
DEPENDS = "grub grub-native"
INHIBIT_DEFAULT_DEPS = "1"

inherit deploy nopackages

# Nothing is fetched: work in WORKDIR.
S = "${WORKDIR}"

# Where core.img finds grub.cfg: partition 1 (the EFI system partition, see
# wic/openxt-dom0.wks.in) of the disk the BIOS booted from; grub fills in the
# drive. grub-efi reads the same file.
OPENXT_GRUB_BIOS_PREFIX ?= "(,gpt1)/EFI/BOOT"
# Built into core.img: disk access (biosdisk, part_gpt, fat), the menu
# (normal, configfile, test for grub_platform, serial/terminal for the
# console lines of grub.cfg) and the loaders of both entries (multiboot2 for
# tboot and Xen, gzio for the .gz images).
OPENXT_GRUB_BIOS_MODULES ?= "biosdisk part_gpt fat normal configfile test echo \
                             serial terminal boot multiboot2 gzio"

GRUB_PC_DIR = "${STAGING_LIBDIR}/grub/i386-pc"

do_configure[noexec] = "1"
do_install[noexec] = "1"

do_compile() {
    grub-mkimage -O i386-pc -d ${GRUB_PC_DIR} -p '${OPENXT_GRUB_BIOS_PREFIX}' \
                 -o ${B}/core.img ${OPENXT_GRUB_BIOS_MODULES}
    install -m 0644 ${GRUB_PC_DIR}/boot.img ${B}/boot.img
}

do_deploy() {
    install -m 0644 ${B}/core.img ${DEPLOYDIR}/grub-bios-core.img
    install -m 0644 ${B}/boot.img ${DEPLOYDIR}/grub-bios-boot.img
}
addtask deploy after do_compile before do_build

COMPATIBLE_HOST = "(i.86|x86_64).*-linux"
# Part of dom0's disk (wic/openxt-dom0.wks.in), no other machine's.
COMPATIBLE_MACHINE = "openxt-dom0"
