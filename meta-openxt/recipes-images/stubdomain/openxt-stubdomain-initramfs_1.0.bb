# nooelint: oelint.var.mandatoryvar.SRC_URI - installs another multiconfig's deployed files, has no sources
SUMMARY = "OpenXT qemu stubdomain (kernel and initramfs) for dom0"
DESCRIPTION = "Installs the stubdomain kernel and initramfs built by the \
               stubdomain multiconfig where libxl looks for them \
               (qemu-stubdom-linux-kernel and qemu-stubdom-linux-rootfs in \
               Xen's firmware directory), so that HVM guests can run their \
               device model in a stubdomain."
HOMEPAGE = "https://openxt.org/"
SECTION = "base"
LICENSE = "MIT"
# nooelint: oelint.var.licenseremotefile - no sources to carry a licence header
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

# The stubdomain is its own VM with its own machine and multiconfig; this
# recipe is built in dom0's multiconfig and takes the stubdomain's deployed
# artifacts. The mcdepends makes bitbake build the stubdomain first, in the
# same run, and puts its task hash into ours (a changed stubdomain rebuilds
# this package). No build-order rules anywhere else.
STUBDOMAIN_MC = "stubdomain"
STUBDOMAIN_IMAGE = "openxt-stubdomain-image"
STUBDOMAIN_MACHINE = "openxt-stubdomain"
STUBDOMAIN_DEPLOY_DIR = "${OPENXT_TMPDIR_BASE}-${STUBDOMAIN_MC}/deploy/images/${STUBDOMAIN_MACHINE}"
do_install[mcdepends] = "mc:${BB_CURRENT_MC}:${STUBDOMAIN_MC}:${STUBDOMAIN_IMAGE}:do_image_complete"

# Without the stubdomain multiconfig (any build but the openxt one, e.g. a
# world build of another distro) the mcdepends cannot resolve: bitbake stops
# with "depends on nonexistent multiconfig". Such a build cannot use this
# recipe anyway, so it skips it (base.bbclass skips a recipe whose
# SKIP_RECIPE[PN] is not empty).
SKIP_RECIPE[openxt-stubdomain-initramfs] = "${@'' if d.getVar('STUBDOMAIN_MC') in (d.getVar('BBMULTICONFIG') or '').split() else 'needs the %s multiconfig (BBMULTICONFIG) that builds %s' % (d.getVar('STUBDOMAIN_MC'), d.getVar('STUBDOMAIN_IMAGE'))}"

# The files come from another configuration, not from a source tree.
INHIBIT_DEFAULT_DEPS = "1"
do_fetch[noexec] = "1"
do_unpack[noexec] = "1"
do_patch[noexec] = "1"
do_configure[noexec] = "1"
do_compile[noexec] = "1"

# libxl's default stubdomain paths: XENFIRMWAREDIR = ${libdir}/xen/boot.
XEN_FIRMWARE_DIR = "${libdir}/xen/boot"

do_install() {
    install -d ${D}${XEN_FIRMWARE_DIR}
    install -m 0644 ${STUBDOMAIN_DEPLOY_DIR}/bzImage \
        ${D}${XEN_FIRMWARE_DIR}/qemu-stubdom-linux-kernel
    install -m 0644 ${STUBDOMAIN_DEPLOY_DIR}/${STUBDOMAIN_IMAGE}-${STUBDOMAIN_MACHINE}.cpio.gz \
        ${D}${XEN_FIRMWARE_DIR}/qemu-stubdom-linux-rootfs
}

# Content depends on the stubdomain machine's kernel, i.e. on the machine
# configuration: never share it between machines.
PACKAGE_ARCH = "${MACHINE_ARCH}"

FILES:${PN} += "${XEN_FIRMWARE_DIR}"
