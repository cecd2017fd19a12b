SUMMARY = "OpenXT dom0 TPM glue: TPM stack selection, measured-launch status, sealing"
DESCRIPTION = "Services and tools of dom0 for both TPM families: \
               openxt-tpm-select starts tcsd (TPM 1.2) or tpm2-abrmd \
               (TPM 2.0) for the machine's TPM at boot, \
               openxt-measured-launch records in the journal whether the boot \
               was a measured launch (txt-stat, PCR 17), and openxt-tpm-seal \
               seals and unseals a secret to the launch PCRs listed in \
               /etc/openxt/tpm-seal.conf."
HOMEPAGE = "https://openxt.org/"
SECTION = "security"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://openxt-tpm-select;beginline=2;endline=2;md5=b2dccaa94b3629a08bfb4f983cad6f89"

SRC_URI = "\
    file://openxt-measured-launch \
    file://openxt-measured-launch.service \
    file://openxt-tpm-seal \
    file://openxt-tpm-select \
    file://openxt-tpm-select.service \
    file://tcsd-openxt-tpm-select.conf \
    file://tpm-seal.conf \
    file://tpm2-abrmd-openxt-tpm-select.conf \
"

S = "${WORKDIR}"

inherit allarch systemd

do_install() {
    install -d ${D}${sbindir}
    for tool in openxt-measured-launch openxt-tpm-seal openxt-tpm-select; do
        install -m 0755 ${S}/$tool ${D}${sbindir}/$tool
    done
    install -D -m 0644 ${S}/tpm-seal.conf ${D}${sysconfdir}/openxt/tpm-seal.conf
    install -d ${D}${systemd_system_unitdir}/tcsd.service.d ${D}${systemd_system_unitdir}/tpm2-abrmd.service.d
    install -m 0644 ${S}/openxt-tpm-select.service ${S}/openxt-measured-launch.service ${D}${systemd_system_unitdir}/
    install -m 0644 ${S}/tcsd-openxt-tpm-select.conf ${D}${systemd_system_unitdir}/tcsd.service.d/openxt-tpm-select.conf
    install -m 0644 ${S}/tpm2-abrmd-openxt-tpm-select.conf ${D}${systemd_system_unitdir}/tpm2-abrmd.service.d/openxt-tpm-select.conf
}

SYSTEMD_SERVICE:${PN} = "openxt-tpm-select.service openxt-measured-launch.service"

FILES:${PN} += "${systemd_system_unitdir}"
CONFFILES:${PN} = "${sysconfdir}/openxt/tpm-seal.conf"

# Both stacks are installed; the select service starts one of them. The TPM
# 2.0 tools reach the TPM through tpm2-abrmd (its TCTI) or /dev/tpm0.
RDEPENDS:${PN} = "\
    bash \
    libtss2-tcti-device \
    tboot-utils \
    tpm-tools \
    tpm2-abrmd \
    tpm2-tools \
    trousers \
"
