SUMMARY = "xc-rpcgen: RPC stub generator for OpenXT's IDL"
DESCRIPTION = "Generates Haskell, C, OCaml and JavaScript DBus stubs from \
               OpenXT's XML interface definitions. Used at build time \
               (xenclient-rpcgen-native) through xc_rpcgen.bbclass."
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://../COPYING;md5=4641e94ec96f98fabc56ff9cc48be14b"

DEPENDS = "haskell-dbus haskell-haxml"

HASKELL_PACKAGE = "xc-rpcgen"
HASKELL_VERSION = "1.0"

require idl.inc

PV = "${HASKELL_VERSION}+git"
S = "${WORKDIR}/git/rpcgen"

inherit haskell

# Templates (Cabal data-files) at a fixed place, see xc_rpcgen.bbclass.
EXTRA_CABAL_CONF = "--datasubdir=xc-rpcgen"

BBCLASSEXTEND = "native"
