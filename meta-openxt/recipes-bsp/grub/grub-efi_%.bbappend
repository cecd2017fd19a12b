# The EFI system partition holds only the standalone grub image (no module
# directory), so everything the OpenXT menu needs must be built in:
# multiboot2 loads Xen, gzio decompresses xen.gz.
GRUB_BUILDIN:append = " multiboot2 gzio"
