# SPDX-License-Identifier: MIT
"""wic source plugin 'openxt-grub-bios': GRUB for legacy BIOS boot of a GPT disk.

Used twice in wic/openxt-dom0.wks.in:

    part --source openxt-grub-bios --part-type 21686148-6449-6E6F-744E-656564454649 ...
    bootloader --ptable gpt --source openxt-grub-bios

The partition (a BIOS boot partition) receives GRUB's core.img; once the disk
is assembled, GRUB's boot.img goes into the MBR. This is what
``grub-bios-setup`` does when it embeds core.img in a BIOS boot partition,
done on the image file (grub-bios-setup needs a block device):

- boot.img's code replaces the MBR's, keeping the disk signature and the
  (protective) partition table at 0x1b8-0x1fd; its kernel-sector field (0x5c)
  points at the partition's first sector, its boot-drive byte (0x64) is
  0xff (use the drive the BIOS booted from) and its drive check (0x66) is
  replaced by two nops, as for any hard disk;
- the first blocklist at the end of core.img's first sector (diskboot.img)
  loads the rest of core.img: the following sectors of the partition, to
  segment 0x820.

GRUB's Reed-Solomon redundancy is not added (grub-install --no-rs-codes):
core.img is written in one piece to a partition nothing else uses.
Offsets are GRUB's include/grub/i386/pc/boot.h and util/setup.c (stable
since GRUB 2.00; oe-core scarthgap builds 2.12).

The images come from DEPLOY_DIR_IMAGE (recipe openxt-grub-bios):
grub-bios-core.img and grub-bios-boot.img, or the files named by
--sourceparams="core=...,boot=...".
"""

import logging
import os
import shutil
import struct

from wic import WicError
from wic.misc import get_bitbake_var
from wic.pluginbase import SourcePlugin

logger = logging.getLogger('wic')

SECTOR = 512
BIOS_BOOT_TYPE = '21686148-6449-6E6F-744E-656564454649'
# include/grub/i386/pc/boot.h
KERNEL_SECTOR = 0x5c
BOOT_DRIVE = 0x64
DRIVE_CHECK = 0x66
WINDOWS_NT_MAGIC = 0x1b8
PART_END = 0x1fe
KERNEL_SEG = 0x800
# struct grub_pc_bios_boot_blocklist: u64 start, u16 len, u16 segment
BLOCKLIST = struct.Struct('<QHH')


def sectors(size):
    return (size + SECTOR - 1) // SECTOR


def patch_core(core, start):
    """core.img to write at sector ``start``, its first blocklist filled in."""
    if len(core) < 2 * SECTOR:
        raise WicError('GRUB core.img is %d bytes: too small to be an i386-pc core image' % len(core))
    count = sectors(len(core))
    if count - 1 > 0xffff:
        raise WicError('GRUB core.img has %d sectors, more than a blocklist can load' % count)
    image = bytearray(core) + bytes(count * SECTOR - len(core))
    first = SECTOR - BLOCKLIST.size
    # The list grows downwards from the end of the sector and ends with an
    # all-zero entry: entries already set mean this is not a fresh core.img.
    if image[first - BLOCKLIST.size:first] != bytes(BLOCKLIST.size):
        raise WicError('GRUB core.img: its second blocklist entry is not empty (not a grub-mkimage i386-pc image?)')
    BLOCKLIST.pack_into(image, first, start + 1, count - 1, KERNEL_SEG + (SECTOR >> 4))
    return bytes(image)


def patch_mbr(mbr, boot, start):
    """The MBR with boot.img's code, pointed at core.img in sector ``start``."""
    if len(boot) != SECTOR or boot[510:512] != b'\x55\xaa':
        raise WicError('GRUB boot.img is not a 512-byte boot sector')
    if len(mbr) != SECTOR or mbr[510:512] != b'\x55\xaa':
        raise WicError('the disk has no MBR (expected a GPT protective MBR)')
    sector = bytearray(boot)
    # Keep the disk signature and the partition table of the disk.
    sector[WINDOWS_NT_MAGIC:PART_END] = mbr[WINDOWS_NT_MAGIC:PART_END]
    struct.pack_into('<Q', sector, KERNEL_SECTOR, start)
    sector[BOOT_DRIVE] = 0xff
    sector[DRIVE_CHECK:DRIVE_CHECK + 2] = b'\x90\x90'
    return bytes(sector)


def source_params(text):
    """--sourceparams "k1=v1,k2=v2" as a dict, split the way wic splits it."""
    return dict((item.split('=', 1) + [None])[:2] for item in (text or '').split(',') if item)


def install(image_path, start, core, boot):
    """Write core.img at sector ``start`` of the disk image and boot.img into its MBR."""
    patched = patch_core(core, start)
    with open(image_path, 'r+b') as disk:
        mbr = disk.read(SECTOR)
        sector = patch_mbr(mbr, boot, start)
        disk.seek(start * SECTOR)
        disk.write(patched)
        disk.seek(0)
        disk.write(sector)


class OpenxtGrubBiosPlugin(SourcePlugin):
    """GRUB core.img in a BIOS boot partition and boot.img in the MBR."""

    name = 'openxt-grub-bios'

    @staticmethod
    def _images(source_params):
        deploy = get_bitbake_var('DEPLOY_DIR_IMAGE')
        if not deploy:
            raise WicError("Couldn't find DEPLOY_DIR_IMAGE, exiting")
        paths = {}
        for key, default in (('core', 'grub-bios-core.img'), ('boot', 'grub-bios-boot.img')):
            path = os.path.join(deploy, (source_params or {}).get(key, default))
            if not os.path.isfile(path):
                raise WicError('%s is missing: build openxt-grub-bios (do_deploy) first' % path)
            paths[key] = path
        return paths

    @classmethod
    def do_prepare_partition(cls, part, source_params, creator, cr_workdir,
                             oe_builddir, bootimg_dir, kernel_dir,
                             rootfs_dir, native_sysroot):
        """The partition's content is core.img, patched later (do_install_disk)."""
        if (part.part_type or '').upper() != BIOS_BOOT_TYPE:
            raise WicError('openxt-grub-bios: partition %d must have --part-type %s (BIOS boot)'
                           % (part.lineno, BIOS_BOOT_TYPE))
        core = cls._images(source_params)['core']
        dst = os.path.join(cr_workdir, 'grub-bios-core.%d' % part.lineno)
        shutil.copyfile(core, dst)
        size_kib = (sectors(os.path.getsize(dst)) * SECTOR + 1023) // 1024
        if size_kib > part.size:
            part.size = size_kib
        part.source_file = dst

    @classmethod
    def do_install_disk(cls, disk, disk_name, creator, workdir, oe_builddir,
                        bootimg_dir, kernel_dir, native_sysroot):
        """Point boot.img (MBR) and core.img (BIOS boot partition) at each other."""
        parts = [p for p in disk.partitions if p.source == cls.name]
        if len(parts) != 1:
            raise WicError('openxt-grub-bios: the disk needs exactly one partition with '
                           '--source %s, found %d' % (cls.name, len(parts)))
        part = parts[0]
        images = cls._images(source_params(part.sourceparams))
        with open(images['core'], 'rb') as f:
            core = f.read()
        with open(images['boot'], 'rb') as f:
            boot = f.read()
        logger.debug('Installing GRUB for BIOS boot: core.img at sector %d of %s', part.start, disk.path)
        install(disk.path, part.start, core, boot)
