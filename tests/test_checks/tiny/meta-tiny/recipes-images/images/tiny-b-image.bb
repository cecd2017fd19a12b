SUMMARY = "VM b"
LICENSE = "MIT"
inherit core-image
IMAGE_INSTALL = "packagegroup-core-boot"
