# The EFI system partition of OpenXT's dom0 holds only the standalone grub
# image (no module directory), so everything its menu needs must be built in:
# multiboot2 loads Xen, gzio decompresses xen.gz.
GRUB_BUILDIN:append:openxt = " multiboot2 gzio"
