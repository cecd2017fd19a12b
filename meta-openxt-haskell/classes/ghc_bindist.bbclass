# Facts about the GHC binary distributions this layer uses, shared by the
# compiler recipes (ghc-native, ghc) and by haskell.bbclass.
#
# GHC is not bootstrapped from source here: building it needs a working GHC
# anyway, takes hours, and GHC's own released binaries are what upstream tests.
# We use the Debian 9 bindists because they link libtinfo.so.5 and
# libgmp.so.10, exactly the sonames oe-core's ncurses (--with-abi-version=5)
# and gmp provide, so every library a GHC binary needs comes from an OE
# sysroot and nothing from the build host except the kernel.

# Release of every GHC in the layer (ghc-native, ghc), and the directory under
# ${libdir} that holds its libraries and package database (also the top
# directory of its bindist tarball).
GHC_RELEASE = "8.10.7"
# Used by haskell.bbclass and the ghc recipes, which oelint does not follow.
# nooelint: oelint.vars.mispell.unknown
GHC_DIRNAME = "ghc-${GHC_RELEASE}"

# OE arch (TARGET_ARCH or BUILD_ARCH) -> name of GHC's bindist for it.
def ghc_bindist_platform(arch):
    import re
    if arch == "x86_64":
        return "x86_64-deb9-linux"
    if re.match(r"i[3-6]86$", arch):
        return "i386-deb9-linux"
    return ""

# glibc's dynamic loader for the arch, in ${base_libdir}.
def ghc_glibc_ldso(arch):
    import re
    if arch == "x86_64":
        return "ld-linux-x86-64.so.2"
    if re.match(r"i[3-6]86$", arch):
        return "ld-linux.so.2"
    return ""

# The target GHC runs on the build host: only x86 code on an x86_64 build host
# can do that without an emulator. Used in COMPATIBLE_HOST, so other build
# hosts skip these recipes with a clear "incompatible host" instead of failing
# half-way through a build.
def ghc_compatible_host(d):
    if d.getVar('BUILD_ARCH') != 'x86_64':
        return 'needs-an-x86_64-build-host'
    return '(x86_64|i.86).*-linux'

# ghc_relink_elves DIR INTERPRETER RPATH: set the program interpreter ("" keeps
# it) and prepend RPATH to the run path of every dynamically linked ELF file
# under DIR, so that bindist programs run against an OE sysroot.
ghc_relink_elves() {
    find "$1" -type f | while read -r f; do
        # Only ELF objects with a dynamic section answer --print-rpath.
        rpath=$(patchelf --print-rpath "$f" 2>/dev/null) || continue
        if [ -n "$2" ] && patchelf --print-interpreter "$f" >/dev/null 2>&1; then
            patchelf --set-interpreter "$2" "$f"
        fi
        patchelf --set-rpath "$3${rpath:+:$rpath}" "$f"
    done
}
ghc_relink_elves[doc] = "Points the bindist's ELF files at an OE sysroot's loader and libraries"
