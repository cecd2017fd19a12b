SUMMARY = "OpenXT RPC interface definitions (DBus XML)"
DESCRIPTION = "The XML interface definitions of OpenXT's DBus services, \
               input of xc-rpcgen."
SECTION = "devel"
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://COPYING;md5=4641e94ec96f98fabc56ff9cc48be14b"

PV = "1.0+git"

require idl.inc

S = "${WORKDIR}/git"

# Pure data. Build-time users (xc_rpcgen.bbclass) depend on the -native
# variant: an allarch recipe is no longer "all" once multilib is on, and a
# lib32 recipe's DEPENDS on it would become lib32-xenclient-idl, a second copy
# of the same XML files.
inherit allarch

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    install -d ${D}${datadir}/idl
    install -m 0644 ${S}/interfaces/*.xml ${D}${datadir}/idl/
}

# ${datadir}/idl is in ${PN}'s default FILES (CORBA's IDL directory).

BBCLASSEXTEND = "native"
