"""GNU patch as quilt runs it for OE's ``do_patch``, and its report read back.

quilt 0.67's ``push`` runs ``patch -p1 --backup --prefix=… -f -r <tmp> -i
FILE`` with an empty quiltrc, so GNU patch's default maximum fuzz of 2
applies; :func:`command` builds that command (backups are irrelevant in a
scratch tree), :func:`parse_report` turns patch's ``LC_ALL=C`` output into
the hunks that landed with an offset or fuzz and the ones rejected.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from oxt.errors import GitError
from oxt.xen.patchfile import strip_path

class PatchToolError(GitError):
    """GNU patch is missing (exit 2: the user installs it)."""


@dataclass(frozen=True)
class Hunk:
    """A hunk patch reported on: where it landed or where it was rejected."""

    file: str
    number: int
    line: int | None = None  # the line of the target file (the original for FAILED)
    offset: int = 0
    fuzz: int = 0
    reason: str = ""  # for rejects: "FAILED", "file not found", "file exists", …

    def to_dict(self) -> dict:
        return {"file": self.file, "hunk": self.number, "line": self.line, "offset": self.offset,
                "fuzz": self.fuzz, "reason": self.reason}

    def describe(self) -> str:
        where = f"{self.file}" + (f":{self.line}" if self.line else "")
        if self.reason and self.reason != "FAILED":
            return f"{where} ({self.reason})"
        return f"{where} hunk #{self.number}" if self.number else where



class _Report:
    """GNU patch's stdout (LC_ALL=C), read line by line: one method per kind of line."""

    def __init__(self, output: str, strip: int):
        self.lines = [line.rstrip() for line in output.splitlines()]
        self.strip = strip
        self.current = "?"  # the file the lines being read are about
        self.offsets: list[Hunk] = []
        self.fuzzed: list[Hunk] = []
        self.rejects: list[Hunk] = []
        self.garbage = False

    def patching(self, m: re.Match, _i: int) -> None:
        self.current = m.group(1).strip("'\"")

    def hunk_ok(self, m: re.Match, _i: int) -> None:
        fuzz, offset = int(m.group(3) or 0), int(m.group(4) or 0)
        h = Hunk(self.current, int(m.group(1)), int(m.group(2)), offset, fuzz)
        if fuzz:
            self.fuzzed.append(h)
        elif offset:
            self.offsets.append(h)

    def hunk_failed(self, m: re.Match, _i: int) -> None:
        self.rejects.append(Hunk(self.current, int(m.group(1)), int(m.group(2)), reason="FAILED"))

    def no_file(self, _m: re.Match, i: int) -> None:
        # the file's header lines end the "text leading up to this" block patch quotes ("|…")
        name = "?"
        for follow in self.lines[i + 1:]:
            if follow.startswith("|+++ ") or (follow.startswith("|--- ") and name == "?"):
                raw = follow[5:].split("\t")[0].strip()
                name = (strip_path(raw, self.strip) or raw) if raw != "/dev/null" else name
            elif not follow.startswith(("|", "Perhaps", "The text leading", "-----")):
                break
        self.rejects.append(Hunk(name, 0, None, reason="file to patch not found"))

    def exists(self, m: re.Match, _i: int) -> None:
        what = "creates a file that already exists" if m.group(1) == "create" else "empties a file that is already empty"
        self.rejects.append(Hunk(m.group(2), 0, None, reason=what))

    def not_regular(self, m: re.Match, _i: int) -> None:
        self.rejects.append(Hunk(m.group(1), 0, None, reason="not a regular file"))

    def malformed(self, m: re.Match, _i: int) -> None:
        self.garbage = True  # patch stops reading the file
        self.rejects.append(Hunk("?", 0, None, reason=m.group(1)))


_LINES = (  # (what the line looks like, who reads it)
    (r"^(?:patching|checking) file (.+?)(?: \((?:read from|renamed from|copied from) .+\))?$", _Report.patching),
    (r"^Hunk #(\d+) succeeded at (\d+)(?: with fuzz (\d+))?(?: \(offset (-?\d+) lines?\))?\.$", _Report.hunk_ok),
    (r"^Hunk #(\d+) FAILED at (\d+)(?: \(different line endings\))?\.$", _Report.hunk_failed),
    (r"^can't find file to patch at input line (\d+)$", _Report.no_file),
    (r"^The next patch would (create|empty out) the file (.+),$", _Report.exists),
    (r"^File (.+) is not a regular file", _Report.not_regular),
    (r"^patch: \*\*\*\* (.+)$", _Report.malformed),
)
_COMPILED = tuple((re.compile(pattern), read) for pattern, read in _LINES)


def parse_report(output: str, strip: int = 1) -> tuple[list[Hunk], list[Hunk], list[Hunk], bool]:
    """GNU patch's stdout -> (offset hunks, fuzzed hunks, rejected hunks, garbage).

    *strip* (the -p level) turns the unstripped names patch quotes for a missing file into tree paths.
    """
    report = _Report(output, strip)
    for i, line in enumerate(report.lines):
        for pattern, read in _COMPILED:
            m = pattern.match(line)
            if m:
                read(report, m, i)
                break
    return report.offsets, report.fuzzed, report.rejects, report.garbage


def require(patch_cmd: str = "patch") -> None:
    if shutil.which(patch_cmd) is None:
        raise PatchToolError(f"GNU patch ({patch_cmd!r}) is not installed; install it "
                             "(Debian/Ubuntu: apt-get install patch) — OE's do_patch uses it too")


def command(patch_cmd: str, patch_file: Path, *, strip: int, reverse: bool, dry_run: bool = False) -> list[str]:
    """quilt's push: patch -p1 --backup --prefix=… -f -r <tmp> -i FILE (no backups in a scratch tree)."""
    cmd = [patch_cmd, f"-p{strip}", "-f", "--no-backup-if-mismatch", "-r", "-", "-i", str(patch_file)]
    return cmd + (["-R"] if reverse else []) + (["--dry-run"] if dry_run else [])


def run(cmd: list[str], root: Path) -> tuple[int, str]:
    """Run patch in *root* (its temporary files beside it); (exit status, stdout+stderr)."""
    proc = subprocess.run(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env={**os.environ, "LC_ALL": "C", "TMPDIR": str(root.parent)}, check=False)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def scratch_root() -> str | None:
    """A RAM-backed directory for the per-patch scratch trees when there is one (/dev/shm):
    GNU patch writes each result to a temporary file and renames it over the target, and on
    a busy disk the many small create/rename/unlink cycles cost more than the patching."""
    env = os.environ.get("OXT_SCRATCH_DIR")
    if env:
        return env
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None

