"""dom0's grub menu with and without the integrator's SINIT ACMs.

The menu is what openxt-grub-bootconf builds: its do_compile (the plain Xen
entry from grub.cfg.in) then do_compile:append of openxt-grub-bootconf-tboot.inc
(the measured-launch entry from openxt-tboot-grub-entry.py). The tests run
those two shell functions as bitbake would, with the recipe's variables, and
read the resulting grub.cfg."""

from __future__ import annotations

import importlib.util
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
BOOTCONF = REPO_ROOT / "meta-openxt-bsp/recipes-bsp/openxt-grub-bootconf"
RECIPE = BOOTCONF / "openxt-grub-bootconf_1.0.bb"
INC = BOOTCONF / "openxt-grub-bootconf-tboot.inc"
SCRIPT = BOOTCONF / "files/openxt-tboot-grub-entry.py"

# Values as the dom0 multiconfig would give them (the cmdlines as the recipe
# defaults them; tests only check they are passed through).
VARS = {
    "OPENXT_GRUB_TIMEOUT": "5",
    "OPENXT_XEN_IMAGE": "xen.gz",
    "OPENXT_XEN_CMDLINE": "dom0_mem=2048M,max:2048M console=vga,com1",
    "OPENXT_DOM0_KERNEL": "bzImage",
    "OPENXT_DOM0_CMDLINE": "root=PARTLABEL=openxt-dom0 rootwait ro console=hvc0",
    "OPENXT_TBOOT_IMAGE": "tboot.gz",
    "OPENXT_TBOOT_CMDLINE": "logging=serial,memory serial=115200,8n1,0x3f8 loglvl=all",
    "PYTHON": sys.executable,
}


def acm(size: int = 0x8000, *, module_type: int = 2, vendor: int = 0x8086, dwords: int | None = None,
        tail: int = 0) -> bytes:
    """An Intel chipset ACM header (tboot's acm_hdr_t fields it checks) padded to *size* (+ *tail*)."""
    head = struct.pack("<HHIIHHIII", module_type, 0, 0xE0, 0, 0xB001, 0, vendor, 0x20240101,
                       (size if dwords is None else dwords * 4) // 4)
    return head + bytes(size - len(head) + tail)


def shell_function(text: str, name: str) -> str:
    match = re.search(rf"^{re.escape(name)}\(\) \{{\n(.*?)^\}}", text, re.M | re.S)
    assert match, f"no {name} in the recipe"
    return match.group(1)


def expand(body: str, values: dict[str, str]) -> str:
    """bitbake's ${VAR} expansion of a shell task (only the variables it uses)."""
    def sub(m: re.Match) -> str:
        assert m.group(1) in values, f"the task uses ${{{m.group(1)}}}: give the test a value"
        return values[m.group(1)]
    return re.sub(r"\$\{([A-Za-z0-9_]+)\}", sub, body)


def run_do_compile(tmp_path: Path, acm_dir: str) -> tuple[subprocess.CompletedProcess, Path]:
    """openxt-grub-bootconf's do_compile and do_compile:append in ${B}; returns (result, B)."""
    work = tmp_path / "work"
    work.mkdir()
    for f in (BOOTCONF / "files").iterdir():
        (work / f.name).write_bytes(f.read_bytes())
    values = {**VARS, "S": str(work), "B": str(work), "OPENXT_TXT_ACM_DIR": acm_dir}
    script = "\n".join([
        'bbwarn() { echo "WARNING: $*" >&2; }',
        'bbfatal() { echo "ERROR: $*" >&2; exit 1; }',
        "set -e",
        expand(shell_function(RECIPE.read_text(), "do_compile"), values),
        expand(shell_function(INC.read_text(), "do_compile:append"), values),
    ])
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=work), work


def menu(grub_cfg: str) -> dict[str, list[str]]:
    """menuentry title -> its commands (grub.cfg as the recipe writes it)."""
    entries, current = {}, None
    for line in grub_cfg.splitlines():
        s = line.strip()
        if s.startswith("menuentry "):
            current = s.split('"')[1]
            entries[current] = []
        elif s == "}":
            current = None
        elif current is not None and s:
            entries[current].append(s)
    return entries


def test_without_acm_the_plain_entry_stays_default_and_the_build_says_why(tmp_path):
    r, b = run_do_compile(tmp_path, "")
    assert r.returncode == 0, r.stderr
    assert "WARNING: OPENXT_TXT_ACM_DIR is not set: dom0's measured-launch (tboot) boot entry loads no SINIT ACM" \
        in r.stderr
    cfg = (b / "grub.cfg").read_text()
    entries = menu(cfg)
    assert list(entries) == ["OpenXT", "OpenXT (measured launch)"]
    assert entries["OpenXT (measured launch)"] == [
        "multiboot2 /tboot.gz " + VARS["OPENXT_TBOOT_CMDLINE"],
        "module2 /xen.gz " + VARS["OPENXT_XEN_CMDLINE"],
        "module2 /bzImage " + VARS["OPENXT_DOM0_CMDLINE"],
    ]
    # same Xen and dom0 as the plain entry, with tboot in front
    assert entries["OpenXT"] == [entries["OpenXT (measured launch)"][1].replace("module2", "multiboot2"),
                                 entries["OpenXT (measured launch)"][2]]
    assert re.findall(r"^\s*set default=.*$", cfg, re.M) == ["set default=0"]
    assert "BIOS provides, if any, or starts Xen without a measured launch" in cfg
    assert not (b / "acm").exists()


def test_with_acms_they_are_loaded_last_and_the_entry_is_the_bios_default(tmp_path):
    acms = tmp_path / "integrator-acms"
    acms.mkdir()
    (acms / "8th_gen_i5_i7-SINIT_76.bin").write_bytes(acm())
    (acms / "ADL_SINIT_v1_18_16_20230214_REL_NT_O1_PW.BIN").write_bytes(acm(0x10000, tail=0x10000))  # padded
    (acms / "README.txt").write_text("Intel's readme, not an ACM")
    r, b = run_do_compile(tmp_path, str(acms))
    assert r.returncode == 0, r.stderr
    assert "WARNING" not in r.stderr
    cfg = (b / "grub.cfg").read_text()
    measured = menu(cfg)["OpenXT (measured launch)"]
    assert measured[3:] == ["module2 /acm/8th_gen_i5_i7-SINIT_76.bin",
                            "module2 /acm/ADL_SINIT_v1_18_16_20230214_REL_NT_O1_PW.BIN"]
    # grub takes the last default: the measured entry, but only on a BIOS boot
    tail = cfg[cfg.index('if [ "${grub_platform}" = "pc" ]; then'):]
    assert re.findall(r"^\s*set default=.*$", cfg, re.M) == ["set default=0", "    set default=openxt-measured"]
    assert "set default=openxt-measured\nfi\n" in tail
    assert 'menuentry "OpenXT (measured launch)" --id openxt-measured {' in tail
    # the ACMs to put on the EFI system partition, byte for byte, and nothing else
    assert sorted(p.name for p in (b / "acm").iterdir()) == [
        "8th_gen_i5_i7-SINIT_76.bin", "ADL_SINIT_v1_18_16_20230214_REL_NT_O1_PW.BIN"]
    assert (b / "acm/8th_gen_i5_i7-SINIT_76.bin").read_bytes() == (acms / "8th_gen_i5_i7-SINIT_76.bin").read_bytes()


@pytest.mark.parametrize("files, says", [
    (None, "ACM directory {dir} does not exist; set OPENXT_TXT_ACM_DIR"),
    ({}, "ACM directory {dir} has no *.bin or *.acm file"),
    ({"bios.bin": acm(vendor=0x1022)}, "{dir}/bios.bin: not an Intel chipset ACM (module type 0x2, vendor 0x1022"),
    ({"x.bin": acm(module_type=1)}, "{dir}/x.bin: not an Intel chipset ACM (module type 0x1"),
    ({"cut.bin": acm(0x8000)[:0x4000]}, "{dir}/cut.bin: header size 32768 bytes does not match the file (16384 bytes)"),
    ({"tiny.bin": b"\x02\x00"}, "{dir}/tiny.bin: 2 bytes, too short for an ACM header"),
], ids=["missing-dir", "no-acm", "wrong-vendor", "wrong-type", "truncated", "tiny"])
def test_a_bad_acm_directory_stops_the_build_naming_the_file(tmp_path, files, says):
    acms = tmp_path / "acms"
    if files is not None:
        acms.mkdir()
        for name, data in files.items():
            (acms / name).write_bytes(data)
    r, b = run_do_compile(tmp_path, str(acms))
    assert r.returncode == 2
    assert f"openxt-tboot-grub-entry: {says.format(dir=acms)}" in r.stderr
    assert not (b / "acm").exists()


def load_script():
    spec = importlib.util.spec_from_file_location("openxt_tboot_grub_entry", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_acm_output_is_replaced_whole_or_not_at_all(tmp_path, capsys):
    entry = load_script()
    acms, out = tmp_path / "acms", tmp_path / "deploy" / "acm"
    acms.mkdir()
    (acms / "new.bin").write_bytes(acm())
    out.mkdir(parents=True)
    (out / "stale.bin").write_bytes(acm())
    assert entry.main(["--kernel", "bzImage", "--acm-dir", str(acms), "--acm-out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["new.bin"]
    (acms / "bad.bin").write_bytes(b"not an acm" * 10)
    assert entry.main(["--kernel", "bzImage", "--acm-dir", str(acms), "--acm-out", str(out)]) == 2
    assert [p.name for p in out.iterdir()] == ["new.bin"]   # untouched
    assert sorted(p.name for p in out.parent.iterdir()) == ["acm"]   # no staging left
    assert entry.main(["--kernel", "bzImage", "--acm-out", str(out)]) == 2
    assert "--acm-out needs --acm-dir" in capsys.readouterr().err


def test_every_path_is_on_the_efi_system_partition():
    """The image puts exactly these files on the ESP (IMAGE_BOOT_FILES)."""
    image_inc = (REPO_ROOT / "meta-openxt/recipes-images/images/openxt-dom0-measured-launch.inc").read_text()
    assert "tboot.gz" in image_inc.split("IMAGE_BOOT_FILES", 1)[1].split('"')[1].split()
    assert "openxt-acm/*;acm" in image_inc
    inc = INC.read_text()
    assert 'OPENXT_TBOOT_IMAGE ?= "tboot.gz"' in inc
    assert "install -m 0644 ${B}/acm/* ${DEPLOYDIR}/openxt-acm/" in inc


def test_xen_is_built_with_tboot_support():
    """Without CONFIG_TBOOT, Xen ignores tboot's shared page; since Xen 4.17 it needs CONFIG_UNSUPPORTED."""
    patch = REPO_ROOT / "meta-openxt/recipes-extended/xen/files/openxt/0001-x86-defconfig-build-tboot-support.patch"
    added = [ln[1:] for ln in patch.read_text().splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    assert added == ["CONFIG_UNSUPPORTED=y", "CONFIG_TBOOT=y"]
    assert "+++ b/xen/arch/x86/configs/x86_64_defconfig" in patch.read_text()
    assert "Upstream-Status: Inappropriate" in patch.read_text()
    recipe = (REPO_ROOT / "meta-openxt/recipes-extended/xen/xen_4.19.bb").read_text()
    assert "file://openxt/0001-x86-defconfig-build-tboot-support.patch" in recipe
