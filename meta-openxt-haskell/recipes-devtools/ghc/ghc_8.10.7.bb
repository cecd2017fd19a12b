DESCRIPTION = "GHC for the target's architecture and its shared libraries. \
               haskell.bbclass runs this compiler on the build host from the \
               recipe sysroot, through the sysroot's dynamic loader; \
               ghc-runtime is what a dynamically linked Haskell program needs \
               on the target."

# The bindist links libgmp.so.10 and libtinfo.so.5 (ncurses ABI 5).
DEPENDS = "gmp ncurses patchelf-native"

require ghc-bindist.inc

GHC_BINDIST = "${@ghc_bindist_platform(d.getVar('TARGET_ARCH'))}"
COMPATIBLE_HOST = "${@ghc_compatible_host(d)}"

GHC_LDSO = "${@ghc_glibc_ldso(d.getVar('TARGET_ARCH'))}"
GHC_SYSROOT_LIBPATH = "${STAGING_DIR_TARGET}${base_libdir}:${STAGING_LIBDIR}"
GHC_TOOLS = "${WORKDIR}/ghc-configure-tools"

do_configure() {
    # Make the bindist's programs runnable here: this recipe's sysroot loader
    # and libraries instead of the target's /lib/ld-linux*.so.
    ghc_relink_elves ${S} ${STAGING_DIR_TARGET}${base_libdir}/${GHC_LDSO} ${GHC_SYSROOT_LIBPATH}

    # configure compiles and runs test programs: give it the target C
    # toolchain, linking those programs against the same sysroot loader.
    rm -rf ${GHC_TOOLS}
    mkdir -p ${GHC_TOOLS}
    printf '#!/bin/sh\nexec %s "$@"\n' \
        "${CC} -Wl,--dynamic-linker=${STAGING_DIR_TARGET}${base_libdir}/${GHC_LDSO} -Wl,-rpath,${GHC_SYSROOT_LIBPATH}" \
        > ${GHC_TOOLS}/gcc
    for tool in ld ar ranlib nm objdump; do
        printf '#!/bin/sh\nexec %s "$@"\n' "${TARGET_PREFIX}$tool" > ${GHC_TOOLS}/$tool
    done
    chmod +x ${GHC_TOOLS}/*

    ./configure --prefix=${prefix} --libdir=${libdir} \
        CC=${GHC_TOOLS}/gcc LD=${GHC_TOOLS}/ld AR=${GHC_TOOLS}/ar \
        RANLIB=${GHC_TOOLS}/ranlib NM=${GHC_TOOLS}/nm OBJDUMP=${GHC_TOOLS}/objdump
}

do_install() {
    oe_runmake install DESTDIR=${D}
    # Back to a target installation: the target's loader and run paths, and
    # plain target tool names in GHC's settings (found on PATH in every
    # recipe; haskell.bbclass passes the sysroot flags).
    ghc_restore_elves ${D} ${base_libdir}/${GHC_LDSO} ${GHC_SYSROOT_LIBPATH}
    sed -i -e 's|${GHC_TOOLS}/|${TARGET_PREFIX}|g' ${D}${GHC_TREE}/settings
}

# ghc_restore_elves DIR INTERPRETER RPATH: undo ghc_relink_elves.
ghc_restore_elves() {
    find "$1" -type f | while read -r f; do
        rpath=$(patchelf --print-rpath "$f" 2>/dev/null) || continue
        if patchelf --print-interpreter "$f" >/dev/null 2>&1; then
            patchelf --set-interpreter "$2" "$f"
        fi
        rpath=${rpath#"$3"}
        patchelf --set-rpath "${rpath#:}" "$f"
    done
}
ghc_restore_elves[doc] = "Points the installed ELF files back at the target's loader and run paths"

# The run-time libraries a dynamically linked Haskell program can need. The
# compiler itself (ghc, the GHC API, Cabal, haddock) stays in ${PN}, which is
# packaged for completeness but meant for sysroots, not images.
PACKAGES =+ "${PN}-runtime"
GHC_TREE = "${libdir}/${GHC_DIRNAME}"
FILES:${PN}-runtime += "${GHC_TREE}/array-[0-9]*/libHS*.so \
                        ${GHC_TREE}/base-[0-9]*/libHS*.so \
                        ${GHC_TREE}/binary-[0-9]*/libHS*.so \
                        ${GHC_TREE}/bytestring-[0-9]*/libHS*.so \
                        ${GHC_TREE}/containers-[0-9]*/libHS*.so \
                        ${GHC_TREE}/deepseq-[0-9]*/libHS*.so \
                        ${GHC_TREE}/directory-[0-9]*/libHS*.so \
                        ${GHC_TREE}/exceptions-[0-9]*/libHS*.so \
                        ${GHC_TREE}/filepath-[0-9]*/libHS*.so \
                        ${GHC_TREE}/ghc-prim-[0-9]*/libHS*.so \
                        ${GHC_TREE}/integer-gmp-[0-9]*/libHS*.so \
                        ${GHC_TREE}/mtl-[0-9]*/libHS*.so \
                        ${GHC_TREE}/parsec-[0-9]*/libHS*.so \
                        ${GHC_TREE}/pretty-[0-9]*/libHS*.so \
                        ${GHC_TREE}/process-[0-9]*/libHS*.so \
                        ${GHC_TREE}/stm-[0-9]*/libHS*.so \
                        ${GHC_TREE}/template-haskell-[0-9]*/libHS*.so \
                        ${GHC_TREE}/text-[0-9]*/libHS*.so \
                        ${GHC_TREE}/time-[0-9]*/libHS*.so \
                        ${GHC_TREE}/transformers-[0-9]*/libHS*.so \
                        ${GHC_TREE}/unix-[0-9]*/libHS*.so"
FILES:${PN}-runtime += "${GHC_TREE}/rts/libHSrts*.so ${GHC_TREE}/rts/libffi.so.*"
FILES:${PN}-staticdev += "${GHC_TREE}/*/*.a ${GHC_TREE}/rts/*.a"
FILES:${PN} += "${GHC_TREE}"
