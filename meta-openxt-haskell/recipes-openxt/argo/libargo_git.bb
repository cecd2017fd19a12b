SUMMARY = "Argo sockets library"
DESCRIPTION = "User-space library of Xen's Argo inter-domain transport, with \
               and without the interposer that redirects BSD sockets."
SECTION = "libs"
LICENSE = "LGPL-2.1-only"
LIC_FILES_CHKSUM = "file://COPYING;md5=321bf41f280cf805086dd5a720b37785"

DEPENDS = "argo-headers"

require argo.inc

S = "${WORKDIR}/git/libargo"

# lib_package puts the tools (argo-proxy, ttcp-argo, viptables) in ${PN}-bin,
# so an image needing only the lib32 library gets no /usr/bin twins.
inherit autotools-brokensep pkgconfig lib_package

EXTRA_OECONF = "--with-pic"
