# A Haskell library or program released on Hackage.
#
# Recipes are named haskell-<name in lower case>; set HASKELL_PACKAGE when
# Hackage spells the name differently (HaXml, StateVar, ...).
#
# Hackage lets maintainers revise a release's .cabal file after the upload
# (mostly to fix dependency bounds); cabal-install always builds with the
# latest revision. So do we: HACKAGE_REVISION names it, and it replaces the
# .cabal file of the tarball before the build. Checksums: SRC_URI[tarball.*]
# for the release tarball, SRC_URI[cabal.*] for the revised .cabal file.

HACKAGE_REVISION ?= ""

DESCRIPTION ?= "The Haskell package ${HASKELL_PACKAGE} ${PV} from Hackage: ${SUMMARY}."
HOMEPAGE ?= "https://hackage.haskell.org/package/${HASKELL_PACKAGE}"

HACKAGE_URI = "https://hackage.haskell.org/package/${HASKELL_PACKAGE}-${PV}"
HACKAGE_CABAL_FILE = "${HASKELL_PACKAGE}-${PV}-r${HACKAGE_REVISION}.cabal"
SRC_URI = "${HACKAGE_URI}/${HASKELL_PACKAGE}-${PV}.tar.gz;name=tarball \
           ${@'${HACKAGE_URI}/revision/${HACKAGE_REVISION}.cabal;name=cabal;downloadfilename=${HACKAGE_CABAL_FILE}' if d.getVar('HACKAGE_REVISION') else ''}"

S = "${WORKDIR}/${HASKELL_PACKAGE}-${PV}"

UPSTREAM_CHECK_URI = "https://hackage.haskell.org/package/${HASKELL_PACKAGE}"
UPSTREAM_CHECK_REGEX = "${HASKELL_PACKAGE}-(?P<pver>\d+(\.\d+)+)\.tar\.gz"

inherit haskell

hackage_apply_revision() {
    if [ -n "${HACKAGE_REVISION}" ]; then
        cp ${WORKDIR}/${HACKAGE_CABAL_FILE} ${S}/${HASKELL_PACKAGE}.cabal
    fi
}
hackage_apply_revision[doc] = "Replaces the tarball's .cabal file by Hackage's latest revision of it"
do_unpack[postfuncs] += "hackage_apply_revision"
