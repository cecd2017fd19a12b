"""One patch file as GNU patch and OE's patch QA see it: which files it
touches, its header, its Upstream-Status, and whether it is fit to queue.

:func:`parse` reads the file sections the way ``patch -p1`` finds them
(``diff --git``, ``Index:``, ``--- / +++`` pairs, ``rename``/``copy``
lines) and keeps, per section, every name patch may pick the file from, with
the strip level applied. The series engine (:mod:`.series`) materialises
exactly those paths from a commit's tree, so a patch run in that small tree
behaves as in the full source tree.

:func:`lint` turns every way a file is unfit to queue into a
:class:`PatchFileError` (exit 2) naming the file and what to do: not a patch,
empty, binary, CRLF line endings, a path outside the tree, a ``-p0`` patch.

:func:`upstream_status` applies oe-core's own rule (scarthgap
``meta/lib/oe/qa.py`` ``check_upstream_status``, the ``patch-status`` QA
check, an error for layers in ``ERROR_QA``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from oxt.errors import OxtUserError

# oe-core scarthgap meta/lib/oe/qa.py: the values and shape do_qa_patch accepts.
UPSTREAM_STATUS_VALUES = ("Pending", "Submitted", "Denied", "Inappropriate", "Backport", "Inactive-Upstream")
_STRICT_STATUS = re.compile(
    r"^Upstream-Status: (" + "|".join(UPSTREAM_STATUS_VALUES) + r")( .+)?$", re.MULTILINE)
_KINDA_STATUS = re.compile(r"^.*upstream.*status.*$", re.IGNORECASE | re.MULTILINE)

_GIT_HEADER = re.compile(rb"^diff --git (\S+|\"[^\"]*\") (\S+|\"[^\"]*\")\s*$")
_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")
_SUBJECT_PREFIX = re.compile(r"^(\[[^\]]*\]\s*)+")
DEV_NULL = "/dev/null"


class PatchFileError(OxtUserError):
    """A file that cannot be queued as a patch (exit 2)."""


@dataclass(frozen=True)
class FileSection:
    """One file a patch changes: the names patch may use for it, after stripping."""

    old: str | None  # stripped name on the --- side (None: /dev/null, a new file)
    new: str | None  # stripped name on the +++ side (None: /dev/null, a deleted file)
    candidates: tuple[str, ...]  # every stripped name of the section, in header order
    hunks: int
    raw_old: str | None = None  # the unstripped names, for -p0 detection and messages
    raw_new: str | None = None

    @property
    def creates(self) -> bool:
        return self.old is None and self.new is not None

    @property
    def path(self) -> str:
        return self.new or self.old or (self.candidates[0] if self.candidates else "?")


@dataclass(frozen=True)
class ParsedPatch:
    data: bytes
    strip: int
    header: bytes  # everything before the first file section
    sections: tuple[FileSection, ...]
    binary: bool = False
    crlf: bool = False

    @property
    def paths(self) -> tuple[str, ...]:
        """Every tree path the patch may read or write (candidates of all sections), once each."""
        return tuple(dict.fromkeys(c for s in self.sections for c in s.candidates))

    @property
    def subject(self) -> str:
        return patch_subject(self.header)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _unquote(name: bytes) -> str:
    text = name.decode("utf-8", "surrogateescape")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        # git C-quotes names with unusual characters
        text = text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape").encode(
            "latin-1").decode("utf-8", "surrogateescape")
    return text


def _name(field_: bytes) -> str:
    """The file name of a ---/+++/Index: value: up to a tab (timestamps), trimmed."""
    raw = field_.split(b"\t", 1)[0].rstrip(b"\r\n")
    if not raw.startswith(b'"'):
        raw = raw.rstrip()
    return _unquote(raw)


def strip_path(name: str, strip: int) -> str | None:
    """Drop *strip* leading components as ``patch -pN`` does; None for /dev/null or too short."""
    if name == DEV_NULL:
        return None
    parts = [p for p in name.split("/") if p]
    if len(parts) <= strip:
        return None
    return "/".join(parts[strip:])


@dataclass
class _Open:
    """A file section being read."""

    git: bool = False
    old: str | None = None  # unstripped ---/+++ names
    new: str | None = None
    names: list[tuple[str, int]] = field(default_factory=list)  # (name, strip level) patch may pick from
    git_old: str | None = None
    git_new: str | None = None
    created: bool = False
    deleted: bool = False
    hunks: int = 0

    def section(self, strip: int) -> FileSection | None:
        if self.old is None and self.new is None and not self.names:
            return None
        cands = dict.fromkeys(s for s in (strip_path(n, level) for n, level in self.names) if s)
        old = strip_path(self.old, strip) if self.old is not None else None
        new = strip_path(self.new, strip) if self.new is not None else None
        if self.git and self.old is None and self.new is None:
            # a git section without ---/+++ (mode change, pure rename): names from the git line
            old = None if self.created else self.git_old
            new = None if self.deleted else self.git_new
        return FileSection(old=old, new=new, candidates=tuple(cands), hunks=self.hunks, raw_old=self.old,
                           raw_new=self.new)


class _Reader:
    """Walks a patch's lines as GNU patch finds file sections in them."""

    def __init__(self, data: bytes, strip: int):
        self.lines = data.splitlines(keepends=True)
        self.strip = strip
        self.sections: list[FileSection] = []
        self.header_end: int | None = None
        self.crlf = False
        self.binary = b"\0" in data
        self.cur: _Open | None = None

    def start(self, index: int, git: bool = False) -> _Open:
        self.close()
        if self.header_end is None:
            self.header_end = index
        self.cur = _Open(git=git)
        return self.cur

    def close(self) -> None:
        section = self.cur.section(self.strip) if self.cur else None
        if section:
            self.sections.append(section)
        self.cur = None

    def step(self, i: int) -> int:
        """Read the line at *i*; the index of the next line to read."""
        line, cur = self.lines[i], self.cur
        m = _GIT_HEADER.match(line.rstrip(b"\r\n"))
        if m:
            cur = self.start(i, git=True)
            a, b = _unquote(m.group(1)), _unquote(m.group(2))
            cur.names += [(a, self.strip), (b, self.strip)]
            cur.git_old, cur.git_new = strip_path(a, self.strip), strip_path(b, self.strip)
            return i + 1
        if line.startswith(b"Index: ") and (cur is None or cur.hunks or not cur.git):
            if cur is None or cur.hunks or cur.old is not None:
                cur = self.start(i)
            cur.names.append((_name(line[7:]), self.strip))
            return i + 1
        if cur is not None and cur.git and not cur.hunks:
            self.git_extended(cur, line)
        if line.startswith(b"--- ") and i + 1 < len(self.lines) and self.lines[i + 1].startswith(b"+++ "):
            if cur is None or cur.hunks or cur.old is not None or cur.new is not None:
                cur = self.start(i)
            self.crlf = self.crlf or line.endswith(b"\r\n") or self.lines[i + 1].endswith(b"\r\n")
            cur.old, cur.new = _name(line[4:]), _name(self.lines[i + 1][4:])
            cur.names += [(cur.old, self.strip), (cur.new, self.strip)]
            return i + 2
        if cur is not None and _HUNK.match(line):
            self.crlf = self.crlf or line.endswith(b"\r\n")
            cur.hunks += 1
        return i + 1

    def git_extended(self, cur: _Open, line: bytes) -> None:
        """git's extended header lines: renames and copies (tree paths), modes, binary diffs."""
        for prefix in (b"rename from ", b"rename to ", b"copy from ", b"copy to "):
            if line.startswith(prefix):
                cur.names.append((_name(line[len(prefix):]), 0))  # relative to the tree root: no strip
        if line.startswith(b"new file mode"):
            cur.created = True
        elif line.startswith(b"deleted file mode"):
            cur.deleted = True
        elif line.startswith(b"GIT binary patch") or (line.startswith(b"Binary files ") and b" differ" in line):
            self.binary = True


def parse(data: bytes, strip: int = 1) -> ParsedPatch:
    """The file sections of patch *data* as ``patch -p<strip>`` would find them."""
    reader = _Reader(data, strip)
    i = 0
    while i < len(reader.lines):
        i = reader.step(i)
    reader.close()
    header = data if reader.header_end is None else b"".join(reader.lines[:reader.header_end])
    return ParsedPatch(data=data, strip=strip, header=header, sections=tuple(reader.sections),
                       binary=reader.binary, crlf=reader.crlf)


def patch_subject(header: bytes | str) -> str:
    """The ``Subject:`` of a mail-style header (folded lines joined), without ``[PATCH …]``."""
    text = header.decode("utf-8", "replace") if isinstance(header, bytes) else header
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Subject:"):
            value = line[len("Subject:"):].strip()
            for more in lines[i + 1:]:
                if more.startswith((" ", "\t")) and more.strip():
                    value += " " + more.strip()
                else:
                    break
            return _SUBJECT_PREFIX.sub("", value).strip()
    return ""


def normalize_subject(subject: str) -> str:
    """Subjects compared case- and whitespace-insensitively, ``[PATCH n/m]`` dropped."""
    return " ".join(_SUBJECT_PREFIX.sub("", subject).split()).lower().rstrip(".")


def upstream_status(data: bytes) -> tuple[str | None, str]:
    """(status value, problem) by oe-core's rule: a strict ``Upstream-Status: <Value>[ …]`` line.

    Problem is "" when the header is valid, else what the patch-status QA check would say.
    """
    text = data.decode("utf-8", "ignore")
    strict = _STRICT_STATUS.search(text)
    if strict:
        return strict.group(1), ""
    kinda = _KINDA_STATUS.search(text)
    values = "|".join(UPSTREAM_STATUS_VALUES)
    if kinda:
        return None, (f"malformed Upstream-Status line {kinda.group(0).strip()!r}; OE's patch QA accepts "
                      f"'Upstream-Status: <{values}> [detail]' exactly (case and spacing matter)")
    return None, (f"no Upstream-Status header; add a line 'Upstream-Status: <{values}> [detail]' to the patch "
                  "header (OE's patch-status QA check refuses patches without it)")


def lint(path: Path, *, strip: int = 1, require_status: bool = False) -> ParsedPatch:
    """Read and parse *path*; PatchFileError for every reason it cannot be queued.

    The checks that need the tree (a ``-p0`` patch whose paths only exist
    unstripped, a new file that already exists) are done by the series
    engine against the pinned commit.
    """
    path = Path(path)
    if not path.is_file():
        raise PatchFileError(f"{path}: no such file; give the path of a patch file")
    data = path.read_bytes()
    if not data.strip():
        raise PatchFileError(f"{path}: the file is empty; give a patch with at least one change")
    parsed = parse(data, strip)
    if parsed.binary:
        raise PatchFileError(f"{path}: binary content (NUL bytes or a GIT binary patch); do_patch applies "
                             "text patches with GNU patch, which cannot apply binary diffs — ship the file "
                             "in SRC_URI instead")
    if not parsed.sections:
        raise PatchFileError(f"{path}: not a patch (no 'diff --git', 'Index:' or '---/+++' file header); "
                             "give a unified diff, e.g. from git format-patch")
    if parsed.crlf:
        raise PatchFileError(f"{path}: CRLF line endings in the diff headers; the file was converted to DOS "
                             "line endings — convert it back (dos2unix) before queueing it")
    if not any(s.hunks for s in parsed.sections) and not any(s.old != s.new for s in parsed.sections):
        raise PatchFileError(f"{path}: contains no hunks (no '@@' lines); give a patch with at least one change")
    for s in parsed.sections:
        for raw in (s.raw_old, s.raw_new):
            if raw is None or raw == DEV_NULL:
                continue
            parts = raw.split("/")
            if raw.startswith("/") or ".." in parts:
                raise PatchFileError(f"{path}: touches {raw!r}, a path outside the source tree; patches must "
                                     "name files inside the Xen tree (a/xen/..., b/tools/...)")
        if s.raw_old and s.raw_new and s.raw_old == s.raw_new and s.raw_old != DEV_NULL:
            raise PatchFileError(f"{path}: a -p0 patch ('--- {s.raw_old}' and '+++ {s.raw_new}' carry no "
                                 "a/ b/ prefix); do_patch strips one directory (-p1): regenerate it with "
                                 "git diff / git format-patch, or add the a/ and b/ prefixes")
        if (s.raw_old or s.raw_new) and not s.candidates:
            raise PatchFileError(f"{path}: {s.raw_new or s.raw_old!r} has no directory to strip; do_patch "
                                 "applies with -p1, so name files as a/<path> and b/<path>")
    if require_status:
        _status, problem = upstream_status(data)
        if problem:
            raise PatchFileError(f"{path}: {problem}")
    return parsed
