DESCRIPTION = "GHC for the build host. It compiles the Setup.hs of every \
               Haskell package and the native Haskell tools (xc-rpcgen)."

# The bindist links libgmp.so.10 and libtinfo.so.5: take both from the native
# sysroot rather than hoping the build host has them (Debian 12 ships no
# libtinfo.so.5).
DEPENDS = "gmp-native ncurses-native patchelf-native"

require ghc-bindist.inc

GHC_BINDIST = "${@ghc_bindist_platform(d.getVar('BUILD_ARCH'))}"
COMPATIBLE_HOST = "x86_64.*-linux"

do_configure() {
    ghc_relink_elves ${S} "" "${STAGING_LIBDIR_NATIVE}"
    # Plain tool names: the settings file must stay valid in every sysroot.
    ./configure --prefix=${prefix} --libdir=${libdir} CC=gcc LD=ld
}

do_install() {
    oe_runmake install DESTDIR=${D}
}

inherit_defer native
