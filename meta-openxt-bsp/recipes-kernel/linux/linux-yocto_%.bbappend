# The OpenXT machines are x86-64 Xen domains: give them linux-yocto's generic
# 64-bit PC BSP (v6.6/standard/base, the default KBRANCH and SRCREV_machine);
# meta-virtualization adds the Xen fragments since DISTRO_FEATURES has xen.
COMPATIBLE_MACHINE:openxt-vm = "${MACHINE}"
KMACHINE:openxt-vm = "common-pc-64"
