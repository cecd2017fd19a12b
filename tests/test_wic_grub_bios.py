"""The wic source plugin openxt-grub-bios (meta-openxt-bsp/scripts/lib/wic): GRUB's
core.img in the BIOS boot partition and boot.img in the MBR of dom0's disk
image, linked the way grub-bios-setup links them. wic itself is oe-core's and
not installed here: the plugin is loaded with minimal stand-ins for the three
wic names it imports, and run on disk image files made by the tests."""

from __future__ import annotations

import importlib.util
import struct
import sys
import types
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PLUGIN = REPO_ROOT / "meta-openxt-bsp/scripts/lib/wic/plugins/source/openxt-grub-bios.py"
WKS = REPO_ROOT / "meta-openxt-bsp/wic/openxt-dom0.wks.in"
BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649"
SECTOR = 512


class WicError(Exception):
    pass


@pytest.fixture
def wic(monkeypatch, tmp_path):
    """The plugin module, with DEPLOY_DIR_IMAGE = tmp_path/deploy."""
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    pkg = types.ModuleType("wic")
    pkg.WicError = WicError
    misc = types.ModuleType("wic.misc")
    misc.get_bitbake_var = lambda name, image=None: str(deploy) if name == "DEPLOY_DIR_IMAGE" else None
    pluginbase = types.ModuleType("wic.pluginbase")
    pluginbase.SourcePlugin = type("SourcePlugin", (), {})
    for name, module in (("wic", pkg), ("wic.misc", misc), ("wic.pluginbase", pluginbase)):
        monkeypatch.setitem(sys.modules, name, module)
    spec = importlib.util.spec_from_file_location("openxt_grub_bios", PLUGIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.deploy = deploy
    return module


def boot_img() -> bytes:
    """A stand-in for GRUB's boot.img: recognisable code bytes and the boot signature."""
    code = bytes((i * 7 + 3) % 251 for i in range(510))
    return code + b"\x55\xaa"


def core_img(size: int = 3 * SECTOR + 100) -> bytes:
    """A stand-in for grub-mkimage's i386-pc core.img: diskboot.img's sector ends
    with an empty blocklist (start, len, segment all zero) and a terminator."""
    data = bytearray((i * 13 + 5) % 253 or 1 for i in range(size))
    data[SECTOR - 24:SECTOR] = bytes(24)
    return bytes(data)


def protective_mbr() -> bytes:
    mbr = bytearray(SECTOR)
    mbr[0x1b8:0x1bc] = b"\x12\x34\x56\x78"                                   # disk signature
    mbr[0x1be:0x1ce] = bytes([0, 0, 2, 0, 0xEE, 0xff, 0xff, 0xff]) + struct.pack("<II", 1, 0xFFFFFFFF)
    mbr[510:512] = b"\x55\xaa"
    return bytes(mbr)


def disk_image(path: Path, sectors: int = 8192) -> Path:
    with open(path, "wb") as f:
        f.write(protective_mbr())
        f.truncate(sectors * SECTOR)
    return path


class Part:
    def __init__(self, start=4096, source="openxt-grub-bios", part_type=BIOS_BOOT, size=1024, sourceparams=None):
        self.start, self.source, self.part_type = start, source, part_type
        self.size, self.sourceparams, self.lineno, self.source_file = size, sourceparams, 3, ""


class Disk:
    def __init__(self, path, *parts):
        self.path, self.partitions = str(path), list(parts)


def deploy_images(wic, core=None, boot=None):
    (wic.deploy / "grub-bios-core.img").write_bytes(core or core_img())
    (wic.deploy / "grub-bios-boot.img").write_bytes(boot or boot_img())


def test_boot_img_and_core_img_point_at_each_other(wic, tmp_path):
    deploy_images(wic)
    disk = disk_image(tmp_path / "disk.direct")
    others = [Part(start=2048, source="bootimg-partition", part_type=None), Part(start=264192, source="rootfs")]
    wic.OpenxtGrubBiosPlugin.do_install_disk(Disk(disk, others[0], Part(start=4096), others[1]), "sda", None,
                                             str(tmp_path), None, None, None, None)
    data = disk.read_bytes()
    mbr, boot = data[:SECTOR], boot_img()
    # boot.img's code, the disk's own signature and partition table
    assert mbr[:0x5c] == boot[:0x5c]
    assert mbr[0x1b8:0x1fe] == protective_mbr()[0x1b8:0x1fe]
    assert mbr[0x1fe:] == b"\x55\xaa"
    # kernel sector = first sector of core.img, boot drive from the BIOS, drive check nop'd
    assert struct.unpack_from("<Q", mbr, 0x5c) == (4096,)
    assert mbr[0x64] == 0xff
    assert mbr[0x66:0x68] == b"\x90\x90"
    assert mbr[0x68:0x1b8] == boot[0x68:0x1b8]
    # core.img at sector 4096, its first blocklist loading the 3 sectors after it to 0x820:0
    core = core_img()
    placed = data[4096 * SECTOR:4096 * SECTOR + 4 * SECTOR]
    start, length, segment = struct.unpack_from("<QHH", placed, SECTOR - 12)
    assert (start, length, segment) == (4097, 3, 0x820)
    assert placed[SECTOR - 24:SECTOR - 12] == bytes(12)     # terminator
    assert placed[:SECTOR - 24] == core[:SECTOR - 24]
    assert placed[SECTOR:len(core)] == core[SECTOR:]
    assert placed[len(core):] == bytes(4 * SECTOR - len(core))   # padded to whole sectors
    assert data[SECTOR:4096 * SECTOR].count(0) == 4095 * SECTOR   # nothing else written


def test_prepare_partition_holds_core_img(wic, tmp_path):
    deploy_images(wic, core=core_img(300 * SECTOR))
    part = Part(size=100)   # KiB: smaller than core.img, so it grows
    wic.OpenxtGrubBiosPlugin.do_prepare_partition(part, {}, None, str(tmp_path), None, None, None, None, None)
    assert Path(part.source_file).read_bytes() == core_img(300 * SECTOR)
    assert part.size == 150
    with pytest.raises(WicError, match="must have --part-type 21686148-6449-6E6F-744E-656564454649"):
        wic.OpenxtGrubBiosPlugin.do_prepare_partition(Part(part_type="C12A7328-F81F-11D2-BA4B-00A0C93EC93B"), {},
                                                      None, str(tmp_path), None, None, None, None, None)


def test_sourceparams_name_other_images(wic, tmp_path):
    (wic.deploy / "my-core.img").write_bytes(core_img())
    (wic.deploy / "grub-bios-boot.img").write_bytes(boot_img())
    disk = disk_image(tmp_path / "disk.direct")
    wic.OpenxtGrubBiosPlugin.do_install_disk(Disk(disk, Part(sourceparams="core=my-core.img")), "sda", None,
                                             str(tmp_path), None, None, None, None)
    assert struct.unpack_from("<Q", disk.read_bytes(), 0x5c) == (4096,)


@pytest.mark.parametrize("setup, says", [
    (lambda w, d: None, "grub-bios-core.img is missing: build openxt-grub-bios"),
    (lambda w, d: deploy_images(w, boot=b"\x00" * SECTOR), "GRUB boot.img is not a 512-byte boot sector"),
    (lambda w, d: deploy_images(w, core=b"\x01" * 600), "too small to be an i386-pc core image"),
    (lambda w, d: deploy_images(w, core=bytes(SECTOR - 24) + b"\x01" * 24 + bytes(SECTOR)),
     "its second blocklist entry is not empty"),
    (lambda w, d: (deploy_images(w), d.write_bytes(bytes(8192 * SECTOR))), "the disk has no MBR"),
], ids=["no-core-img", "bad-boot-img", "tiny-core-img", "used-blocklist", "no-mbr"])
def test_bad_inputs_stop_wic_and_leave_the_disk(wic, tmp_path, setup, says):
    disk = disk_image(tmp_path / "disk.direct")
    setup(wic, disk)
    before = disk.read_bytes()
    with pytest.raises(WicError, match=says):
        wic.OpenxtGrubBiosPlugin.do_install_disk(Disk(disk, Part()), "sda", None, str(tmp_path), None, None,
                                                 None, None)
    assert disk.read_bytes() == before


def test_exactly_one_bios_boot_partition(wic, tmp_path):
    deploy_images(wic)
    disk = disk_image(tmp_path / "disk.direct")
    for parts in ((), (Part(), Part(start=6144))):
        with pytest.raises(WicError, match="exactly one partition with --source openxt-grub-bios"):
            wic.OpenxtGrubBiosPlugin.do_install_disk(Disk(disk, *parts), "sda", None, str(tmp_path), None, None,
                                                     None, None)


def test_dom0_layout_uses_the_plugin_and_keeps_the_esp_first():
    lines = [ln for ln in WKS.read_text().splitlines() if ln and not ln.startswith("#")]
    parts = [ln for ln in lines if ln.startswith("part ")]
    assert "--label esp" in parts[0]   # core.img's prefix is (,gpt1)/EFI/BOOT
    assert parts[-1].startswith("part --source openxt-grub-bios ") and f"--part-type {BIOS_BOOT}" in parts[-1]
    assert lines[-1] == "bootloader --ptable gpt --source openxt-grub-bios"
    recipe = (REPO_ROOT / "meta-openxt-bsp/recipes-bsp/openxt-grub-bios/openxt-grub-bios_1.0.bb").read_text()
    assert 'OPENXT_GRUB_BIOS_PREFIX ?= "(,gpt1)/EFI/BOOT"' in recipe
