SUMMARY = "OpenXT RPC library"
DESCRIPTION = "DBus services and clients for OpenXT's Haskell programs, \
               between domains over Argo."
LICENSE = "LGPL-2.1-only"
LIC_FILES_CHKSUM = "file://../COPYING;md5=321bf41f280cf805086dd5a720b37785"

DEPENDS = "haskell-hsyslog \
           haskell-network \
           haskell-udbus \
           haskell-utf8-string \
           haskell-xchargo \
           haskell-xchutils \
           libargo"

HASKELL_VERSION = "0.1"
# DBus to dom0 goes over Argo (the package's "argo" flag, on by default).
HASKELL_FLAGS = "argo"

require xclibs.inc
