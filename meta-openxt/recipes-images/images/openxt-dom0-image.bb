SUMMARY = "OpenXT dom0: Xen, its toolstack, device models and the stubdomain"
DESCRIPTION = "Root filesystem and UEFI-bootable disk of the Xen control \
               domain: the Xen hypervisor and xl toolstack with xenstored, \
               qemu as device model and disk backend, the stubdomain for HVM \
               guests and a grub menu that boots Xen."
SECTION = "images"

require openxt-image.inc

IMAGE_INSTALL += "\
    grub-efi \
    openxt-grub-bootconf \
    openxt-stubdomain-initramfs \
    packagegroup-openxt-dom0 \
"
# dom0 serves files to the sync VM over icbinn (recipes-support/icbinn).
IMAGE_INSTALL += "libicbinn-server"

# EFI system partition of the disk image (wic/openxt-dom0.wks.in): grub with
# its Xen menu, Xen and the dom0 kernel, all taken from the deploy directory.
IMAGE_BOOT_FILES = "\
    grub-efi-bootx64.efi;EFI/BOOT/bootx64.efi \
    openxt-grub.cfg;EFI/BOOT/grub.cfg \
    xen-${MACHINE}.gz;xen.gz \
    ${KERNEL_IMAGETYPE} \
"
do_image_wic[depends] += " \
    grub-efi:do_deploy \
    openxt-grub-bootconf:do_deploy \
    xen:do_deploy \
"
# Only the tools this layout needs (not every bootloader wic knows about).
WKS_FILE_DEPENDS = "dosfstools-native e2fsprogs-native mtools-native"

# Measured launch: tboot, SINIT ACMs, legacy BIOS boot, TPM user space.
require openxt-dom0-measured-launch.inc
