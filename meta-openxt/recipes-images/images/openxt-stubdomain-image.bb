SUMMARY = "OpenXT stubdomain: qemu device-model initramfs"
DESCRIPTION = "Tiny initramfs of the Linux stubdomain that runs qemu for one \
               HVM guest. dom0 installs it (with the stubdomain kernel) through \
               openxt-stubdomain-initramfs."
HOMEPAGE = "https://openxt.org/"
SECTION = "images"
LICENSE = "MIT"

# No init system, no package manager: /init is openxt-stubdomain-init.
PACKAGE_INSTALL = "openxt-stubdomain-init ${ROOTFS_BOOTSTRAP_INSTALL}"
PACKAGE_EXCLUDE = "kernel-image-*"
IMAGE_FEATURES = ""
IMAGE_LINGUAS = ""

# dom0 picks the archive up by its link name, without ".rootfs".
IMAGE_NAME_SUFFIX = ""

inherit core-image features_check

REQUIRED_DISTRO_FEATURES = "xen"

IMAGE_ROOTFS_SIZE = "8192"
IMAGE_ROOTFS_EXTRA_SPACE = "0"

# A stubdomain is a kernel plus this initramfs: it is complete (for dom0's
# mcdepends) only when the kernel is deployed as well.
do_image_complete[depends] += "virtual/kernel:do_deploy"
