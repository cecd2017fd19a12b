# Build a Cabal package (library and/or executables) with GHC.
#
# Native recipes use ghc-native directly. Target recipes use the "ghc" recipe:
# GHC's own binary distribution for the target's architecture (x86_64, or
# i386 for a lib32 multilib), staged into the recipe sysroot next to the
# glibc, gmp and ncurses it runs with. x86_64 CPUs execute i686 code
# natively, so that compiler runs on the build host through the sysroot's
# dynamic loader, the way OE runs target binaries under qemu-user
# (qemu.bbclass, gobject-introspection) minus the emulator.
# Setup.hs is always compiled by ghc-native (same GHC and Cabal release as the
# target compiler), as Cabal does for any cross build.
#
# Interface for recipes:
#   HASKELL_PACKAGE      Cabal package name (default: BPN without "haskell-")
#   HASKELL_VERSION      Cabal package version (default: PV)
#   HASKELL_FLAGS        Cabal flags, e.g. "-generic argo"
#   HASKELL_SIMPLE_SETUP "1": build with the stock Simple Setup even if the
#                        package ships a custom Setup.hs (doctest hooks, ...)
#   EXTRA_CABAL_CONF     extra "Setup configure" arguments
#   HASKELL_GHC_OPTIONS  extra options for every GHC invocation

inherit ghc_bindist

HASKELL_PACKAGE ?= "${@d.getVar('BPN').removeprefix('haskell-')}"
HASKELL_VERSION ?= "${PV}"
HASKELL_FLAGS ?= ""
HASKELL_SIMPLE_SETUP ?= "0"
EXTRA_CABAL_CONF ?= ""
HASKELL_GHC_OPTIONS ?= ""

SECTION ?= "devel/haskell"

# ghc-native builds Setup.hs (and native packages); target packages are
# compiled by the target-arch GHC of the "ghc" recipe. patchelf-native fixes
# run paths of the target binaries.
DEPENDS:append = " ghc-native"
DEPENDS:append:class-target = " ghc patchelf-native"

COMPATIBLE_HOST:class-target = "${@ghc_compatible_host(d)}"

# GHC installation (global package database under package.conf.d) in the
# recipe's sysroot.
GHC_LIBDIR = "${STAGING_LIBDIR}/${GHC_DIRNAME}"
GHC_LIBDIR:class-native = "${STAGING_LIBDIR_NATIVE}/${GHC_DIRNAME}"

# Run a target-arch GHC binary through the sysroot's loader and libraries.
# An explicit loader call does not leak into child processes (gcc, ar), which
# keep running against the build host's libc.
GHC_LDSO = "${@ghc_glibc_ldso(d.getVar('TARGET_ARCH'))}"
GHC_RUN = "${STAGING_DIR_TARGET}${base_libdir}/${GHC_LDSO} --library-path ${STAGING_DIR_TARGET}${base_libdir}:${STAGING_LIBDIR}"
GHC_RUN:class-native = ""

# Wrapper scripts for this recipe's compiler, package tool, preprocessors and
# C toolchain; Cabal is pointed at them. Written by haskell_write_wrappers.
HASKELL_BIN = "${WORKDIR}/haskell-bin"
HASKELL_SETUP = "${B}/oe-setup/Setup"
HASKELL_BUILDDIR = "${B}/dist"

# Install location inside the GHC tree, like GHC's own boot libraries.
HASKELL_LIBSUBDIR = "${GHC_DIRNAME}/${HASKELL_PACKAGE}-${HASKELL_VERSION}"

B = "${WORKDIR}/build"

# haskell_wrapper NAME COMMAND: ${HASKELL_BIN}/NAME runs COMMAND "$@".
haskell_wrapper() {
    printf '#!/bin/sh\nexec %s "$@"\n' "$2" > ${HASKELL_BIN}/$1
    chmod +x ${HASKELL_BIN}/$1
}
haskell_wrapper[doc] = "Writes a wrapper script to ${HASKELL_BIN}"

haskell_write_wrappers() {
    rm -rf ${HASKELL_BIN}
    mkdir -p ${HASKELL_BIN}
    # This recipe's C compiler, flags and sysroot. GHC adds -no-pie itself
    # when linking (its settings record that gcc supports it).
    haskell_wrapper cc "${CC} ${CFLAGS} ${LDFLAGS}"
    haskell_wrapper ld "${LD}"
    haskell_wrapper ghc "${GHC_RUN} ${GHC_LIBDIR}/bin/ghc -B${GHC_LIBDIR} \
        -pgmc ${HASKELL_BIN}/cc -pgma ${HASKELL_BIN}/cc -pgml ${HASKELL_BIN}/cc \
        -pgmP '${HASKELL_BIN}/cc -E -undef -traditional' -pgmL ${HASKELL_BIN}/unlit \
        ${HASKELL_GHC_OPTIONS}"
    haskell_wrapper ghc-pkg "${GHC_RUN} ${GHC_LIBDIR}/bin/ghc-pkg \
        --global-package-db ${GHC_LIBDIR}/package.conf.d"
    haskell_wrapper unlit "${GHC_RUN} ${GHC_LIBDIR}/bin/unlit"
    # Target code cannot run here, so hsc2hs works out struct layouts by
    # compiling only (--cross-compile); native builds too: one code path.
    haskell_wrapper hsc2hs "${GHC_RUN} ${GHC_LIBDIR}/bin/hsc2hs --cross-compile \
        --template=${GHC_LIBDIR}/template-hsc.h -I${GHC_LIBDIR}/include \
        --cc=${HASKELL_BIN}/cc --ld=${HASKELL_BIN}/cc"
}
haskell_write_wrappers[doc] = "Writes the ghc, ghc-pkg, hsc2hs, unlit, cc and ld wrappers Cabal uses"

# Setup.hs runs on the build host: compile it with ghc-native.
haskell_build_setup() {
    rm -rf ${B}/oe-setup
    mkdir -p ${B}/oe-setup
    setup=
    if [ "${HASKELL_SIMPLE_SETUP}" != "1" ]; then
        for f in ${S}/Setup.hs ${S}/Setup.lhs; do
            if [ -e "$f" ]; then
                setup="$f"
                break
            fi
        done
    fi
    if [ -z "$setup" ]; then
        setup=${B}/oe-setup/Setup.hs
        printf 'import Distribution.Simple\nmain :: IO ()\nmain = defaultMain\n' > "$setup"
    fi
    ghc --make -O0 -outputdir ${B}/oe-setup -o ${HASKELL_SETUP} "$setup"
}
haskell_build_setup[doc] = "Compiles the package's Setup.hs (or a Simple one) with ghc-native"

haskell_do_configure[doc] = "Builds Setup and runs Setup configure against this recipe's GHC"
haskell_do_configure() {
    haskell_write_wrappers
    haskell_build_setup
    # Dependencies dropped their package descriptions into the global
    # database of this sysroot; index them. ghc-pkg replaces the cache file
    # by renaming, so the hard-linked files of other sysroots stay untouched.
    ${HASKELL_BIN}/ghc-pkg recache
    cd ${S}
    ${HASKELL_SETUP} configure --builddir=${HASKELL_BUILDDIR} \
        --prefix=${prefix} --bindir=${bindir} --libdir=${libdir} \
        --libexecdir=${libexecdir} --datadir=${datadir} \
        --docdir=${docdir}/${BPN} --sysconfdir=${sysconfdir} \
        --libsubdir=${HASKELL_LIBSUBDIR} \
        --dynlibdir=${libdir}/${HASKELL_LIBSUBDIR} \
        --with-compiler=${HASKELL_BIN}/ghc --with-hc-pkg=${HASKELL_BIN}/ghc-pkg \
        --with-hsc2hs=${HASKELL_BIN}/hsc2hs --with-gcc=${HASKELL_BIN}/cc \
        --with-ld=${HASKELL_BIN}/ld --with-ar=${AR} \
        --global --enable-shared --enable-executable-dynamic \
        --disable-library-for-ghci --disable-profiling \
        --disable-library-stripping --disable-executable-stripping \
        --disable-tests --disable-benchmarks \
        --flags="${HASKELL_FLAGS}" \
        ${EXTRA_CABAL_CONF}
}

haskell_do_compile[doc] = "Runs Setup build"
haskell_do_compile() {
    cd ${S}
    ${HASKELL_SETUP} build --builddir=${HASKELL_BUILDDIR} \
        -j${@oe.utils.parallel_make(d) or 1}
}

haskell_do_install[doc] = "Runs Setup copy and installs the package's GHC registration"
haskell_do_install() {
    cd ${S}
    ${HASKELL_SETUP} copy --builddir=${HASKELL_BUILDDIR} --destdir=${D}
    # A library registers with GHC through one description file in the
    # global database. Its paths are made relative to the database
    # (${pkgroot} = the GHC lib dir), so it is valid in every sysroot and on
    # the target alike.
    conf=${B}/${HASKELL_PACKAGE}-${HASKELL_VERSION}.conf
    rm -f "$conf"
    ${HASKELL_SETUP} register --builddir=${HASKELL_BUILDDIR} --gen-pkg-config="$conf"
    if [ -f "$conf" ]; then
        sed -i -e 's|${libdir}/${GHC_DIRNAME}|${pkgroot}|g' "$conf"
        install -d ${D}${libdir}/${GHC_DIRNAME}/package.conf.d
        install -m 0644 "$conf" ${D}${libdir}/${GHC_DIRNAME}/package.conf.d/
    fi
}

# GHC records the library directory of every dependency as a run path; on the
# target they are the same paths minus the build sysroot. (Native run paths
# are made relocatable by relocatable.bbclass.)
haskell_fix_rpaths() {
    find ${D} -type f | while read -r f; do
        rpath=$(patchelf --print-rpath "$f" 2>/dev/null) || continue
        fixed=$(echo "$rpath" | sed -e 's|${STAGING_DIR_TARGET}||g')
        if [ "$fixed" != "$rpath" ]; then
            patchelf --set-rpath "$fixed" "$f"
        fi
    done
}
haskell_fix_rpaths[doc] = "Strips the build sysroot from run paths GHC recorded"

do_install:append:class-target() {
    haskell_fix_rpaths
}

EXPORT_FUNCTIONS do_configure do_compile do_install

# Packaging: shared libraries at run time, interfaces and the database entry
# for building against the package, static archives apart. ${PN} comes before
# ${PN}-dev because both match files in the package's GHC lib directory.
PACKAGES = "${PN}-src ${PN}-dbg ${PN}-staticdev ${PN} ${PN}-dev ${PN}-doc"
FILES:${PN} += "${libdir}/${HASKELL_LIBSUBDIR}/libHS*.so"
FILES:${PN}-staticdev += "${libdir}/${HASKELL_LIBSUBDIR}/*.a"
FILES:${PN}-dev += "${libdir}/${HASKELL_LIBSUBDIR} ${libdir}/${GHC_DIRNAME}/package.conf.d"
FILES:${PN}-doc += "${datadir}/doc"
