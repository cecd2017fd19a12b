# libicbinn-resolved links libtirpc statically into its self-contained object
# (-Wl,-Bstatic -ltirpc), so the openxt distro keeps libtirpc's static archive
# although it disables static libraries (no-static-libs.inc). It lands in
# libtirpc-staticdev, which no image installs.
DISABLE_STATIC:openxt = ""
