SUMMARY = "VM a: waits for VM b's image"
LICENSE = "MIT"
inherit core-image
IMAGE_INSTALL = "packagegroup-core-boot hello"
do_image[mcdepends] = "mc:${BB_CURRENT_MC}:b:tiny-b-image:do_image_complete"
