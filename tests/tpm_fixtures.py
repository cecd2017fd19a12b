"""Fixtures for dom0's TPM scripts (meta-openxt/recipes-security/openxt-tpm/files):
a fake /sys for each kind of TPM, fake TPM tools that record how they were
called, and a PATH holding only those plus the few host tools the scripts use
(so a tool installed on the test machine cannot leak in). No TPM involved."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TPM_FILES = REPO_ROOT / "meta-openxt/recipes-security/openxt-tpm/files"
SELECT = TPM_FILES / "openxt-tpm-select"
STATUS = TPM_FILES / "openxt-measured-launch"
SEAL = TPM_FILES / "openxt-tpm-seal"
SEAL_CONF = TPM_FILES / "tpm-seal.conf"

# What the scripts run besides bash builtins and the TPM tools.
HOST_TOOLS = ("bash", "cat", "sed", "awk", "head", "tail", "mkdir", "mv", "rm", "touch", "dirname", "mktemp")

# The caps attribute of a TPM 1.2 as Linux 4.9 prints it (tpm-sysfs.c caps_show).
CAPS_12 = "Manufacturer: 0x49465800\nTCG version: 1.2\nFirmware version: 6.40\n"

# A fake TPM tool: logs "<name> <args>" (one line, fields separated by \x1f),
# creates the files its -u/-r/-o/-c options name, fails when FAKE_FAIL names it.
FAKE_TOOL = r"""#!/bin/bash
name=${0##*/}
(IFS=$'\x1f'; echo "$name"$'\x1f'"$*") >> "$FAKE_LOG"
[ "${FAKE_FAIL:-}" = "$name" ] && { echo "$name: simulated TPM failure" >&2; exit 1; }
while [ $# -gt 0 ]; do
    case $1 in
        -u|-r|-c|-o|-L) [ "$2" = /dev/stdout ] && echo "unsealed-by-$name" || echo "$name output" > "$2"; shift 2 ;;
        *) shift ;;
    esac
done
[ -n "${FAKE_STDOUT:-}" ] && [ "${FAKE_STDOUT_TOOL:-$name}" = "$name" ] && printf '%s' "$FAKE_STDOUT"
exit 0
"""


@dataclass
class Result:
    rc: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


class Env:
    """A fake machine: sysfs, run directory, PATH of fakes; runs the scripts in it."""

    def __init__(self, root: Path):
        self.root = root
        self.sysfs = root / "sys"
        self.rundir = root / "run" / "openxt" / "tpm"
        self.bin = root / "bin"
        self.log = root / "tools.log"
        self.bin.mkdir(parents=True)
        for tool in HOST_TOOLS:
            found = shutil.which(tool)
            assert found, f"host tool {tool} is needed by the tests"
            (self.bin / tool).symlink_to(found)
        # openxt-tpm-seal asks openxt-tpm-select when no family was recorded.
        (self.bin / "openxt-tpm-select").symlink_to(SELECT)
        self.extra: dict[str, str] = {}

    # -- the machine ---------------------------------------------------------
    def tpm(self, **attrs: str) -> Path:
        """/sys/class/tpm/tpm0 with the given attribute files (``device_caps`` -> device/caps)."""
        dev = self.sysfs / "class" / "tpm" / "tpm0"
        (dev / "device").mkdir(parents=True, exist_ok=True)
        (dev / "dev").write_text("10:224\n")
        for name, text in attrs.items():
            path = dev / name.replace("device_", "device/")
            path.write_text(text)
        return dev

    def fake(self, *names: str, script: str = FAKE_TOOL) -> None:
        for name in names:
            path = self.bin / name
            path.write_text(script)
            path.chmod(0o755)

    def calls(self) -> list[list[str]]:
        """Each fake tool call as [name, arg, ...], in order."""
        if not self.log.exists():
            return []
        return [line.split("\x1f") for line in self.log.read_text().splitlines()]

    # -- running ---------------------------------------------------------------
    def run(self, script: Path, *args: str, stdin: str | None = None, **env: str) -> Result:
        full = {
            "PATH": str(self.bin),
            "HOME": str(self.root),
            "TMPDIR": str(self.root / "tmp"),
            "OPENXT_SYSFS": str(self.sysfs),
            "OPENXT_TPM_RUNDIR": str(self.rundir),
            "FAKE_LOG": str(self.log),
            **self.extra,
            **env,
        }
        (self.root / "tmp").mkdir(exist_ok=True)
        proc = subprocess.run([str(self.bin / "bash"), str(script), *args], input=stdin, capture_output=True,
                              text=True, env=full, cwd=self.root, timeout=60)
        return Result(proc.returncode, proc.stdout, proc.stderr)


def leftovers(directory: Path) -> list[str]:
    """Names in *directory* (to prove a failed run left nothing behind)."""
    return sorted(os.listdir(directory)) if directory.exists() else []
