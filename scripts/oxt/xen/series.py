"""The series engine: apply a whole patch series to an upstream commit as
OE's ``do_patch`` does, and say per patch whether it applies *clean*, with an
*offset*, with *fuzz* (OE refuses it) or *fails* — or is *carried* upstream.

What ``do_patch`` does (oe-core scarthgap): ``PATCHTOOL = "quilt"``
(meta/conf/bitbake.conf), so each ``file://`` patch of ``SRC_URI`` is, in
``SRC_URI`` order, imported into a quilt series and pushed
(meta/lib/oe/patch.py ``QuiltTree``); quilt 0.67 runs
``patch -p1 --backup --prefix=… -f -r <tmp> -i FILE`` (``apply_patch`` in
quilt's ``push``), with an empty quiltrc, hence GNU patch's default maximum
fuzz of 2. A failing hunk stops the task; a hunk applied *with fuzz* is
logged (``runcmd`` in patch.py wraps patch's output in "Patch fuzz
start/end" markers) and ``do_qa_patch`` in insane.bbclass turns it into the
``patch-fuzz`` QA issue, which is in ``ERROR_QA``: the build fails too.
Offsets are harmless.

How it is checked here, fast: no checkout and no clone. Only the files the
series touches matter, so for a commit the engine reads just those blobs from
git's object database (one long-lived ``git cat-file --batch``), writes the
few files one patch touches into a scratch directory, runs GNU patch there
with quilt's options and reads patch's report. Results are memoised per
patch on the exact input blobs it saw, so evaluating a commit where upstream
changed none of a patch's files costs a dictionary lookup — the survey
(:mod:`.survey`) relies on that.

After a failing patch, later patches are checked as if it had been dropped
(quilt rolls a failed push back; do_patch would stop there): one broken
patch does not hide the state of the rest. A patch that applies with fuzz
stays applied, as quilt leaves it.

A patch that fails or needs fuzz is *carried upstream* when it reverse-applies
on the tree it was pushed on (quilt's own "Patch … can be reverse-applied"
check after a failed push), or when the caller's ``carried_by`` finds its
Subject among the upstream commits; later patches then see the tree without
it (dropping it is the fix).

API::

    from oxt.xen.series import SeriesEngine, SeriesPatch

    patches = [SeriesPatch.from_file(path, kind="openxt"), ...]   # in SRC_URI order
    with SeriesEngine(repo_dir, patches) as engine:
        result = engine.evaluate(commit)      # -> SeriesResult
        result.ok                             # every patch clean or offset-only
        for r in result.results:              # PatchResult per patch, in order
            r.status, r.fuzz, r.rejects       # "clean"|"offset"|"fuzz"|"fails"|"carried"
        engine.contents_around(commit, i)     # the files patch i sees, and after it (refresh)
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from oxt.errors import GitError
from oxt.xen.patchfile import ParsedPatch, parse, strip_path

CLEAN, OFFSET, FUZZ, FAILS, CARRIED = "clean", "offset", "fuzz", "fails", "carried"
STATUSES = (CLEAN, OFFSET, FUZZ, FAILS, CARRIED)
OK_STATUSES = (CLEAN, OFFSET)  # what OE's do_patch + patch QA accept
KINDS = ("upstream", "xsa", "openxt")  # meta-virtualization's, the XSA queue, OpenXT's own

# GNU patch's report lines (LC_ALL=C)
_PATCHING = re.compile(r"^(?:patching|checking) file (.+?)(?: \((?:read from|renamed from|copied from) .+\))?$")
_HUNK_OK = re.compile(r"^Hunk #(\d+) succeeded at (\d+)(?: with fuzz (\d+))?(?: \(offset (-?\d+) lines?\))?\.$")
_HUNK_FAILED = re.compile(r"^Hunk #(\d+) FAILED at (\d+)(?: \(different line endings\))?\.$")
_NO_FILE = re.compile(r"^can't find file to patch at input line (\d+)$")
_EXISTS = re.compile(r"^The next patch would (create|empty out) the file (.+),$")
_MALFORMED = re.compile(r"^patch: \*\*\*\* (.+)$")
_NOT_REGULAR = re.compile(r"^File (.+) is not a regular file")


class EngineError(GitError):
    """The repository or commit cannot be read (exit 2)."""


@dataclass(frozen=True)
class SeriesPatch:
    """One patch of a series: its bytes, a display name, and which queue it belongs to."""

    name: str
    data: bytes
    kind: str = "openxt"
    strip: int = 1
    path: Path | None = None  # the file on disk, when there is one (refresh rewrites it)

    @classmethod
    def from_file(cls, path: Path, *, kind: str = "openxt", name: str | None = None, strip: int = 1) -> "SeriesPatch":
        path = Path(path)
        return cls(name=name or path.name, data=path.read_bytes(), kind=kind, strip=strip, path=path)

    def parsed(self) -> ParsedPatch:
        return parse(self.data, self.strip)


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


@dataclass(frozen=True)
class PatchResult:
    name: str
    kind: str
    status: str
    fuzz: int = 0  # the largest fuzz factor any hunk needed
    offsets: tuple[Hunk, ...] = ()
    fuzzed: tuple[Hunk, ...] = ()
    rejects: tuple[Hunk, ...] = ()
    reverse_applies: bool = False
    carried_by: str = ""  # "reverse-applies" or "<sha> <subject>" (Subject match)
    output: str = ""

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES

    @property
    def label(self) -> str:
        if self.status == FUZZ:
            return f"fuzz {self.fuzz}"
        if self.status == OFFSET:
            worst = max((abs(h.offset) for h in self.offsets), default=0)
            return f"offset {worst}"
        if self.status == CARRIED:
            return "carried upstream"
        return self.status

    @property
    def detail(self) -> str:
        if self.status == FAILS:
            return "; ".join(h.describe() for h in self.rejects) or self.output.strip().splitlines()[-1:][0]
        if self.status == CARRIED:
            return self.carried_by
        if self.status == FUZZ:
            return "; ".join(f"{h.file}:{h.line} hunk #{h.number} fuzz {h.fuzz}" for h in self.fuzzed)
        if self.status == OFFSET:
            return "; ".join(f"{h.file} hunk #{h.number} {h.offset:+d}" for h in self.offsets)
        return ""

    def to_dict(self) -> dict:
        return {"patch": self.name, "kind": self.kind, "status": self.status, "fuzz": self.fuzz,
                "offsets": [h.to_dict() for h in self.offsets], "fuzzed": [h.to_dict() for h in self.fuzzed],
                "rejects": [h.to_dict() for h in self.rejects], "carried_by": self.carried_by,
                "detail": self.detail}


@dataclass
class SeriesResult:
    commit: str
    results: list[PatchResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def counts(self, kinds: Iterable[str] | None = None) -> dict[str, int]:
        kinds = set(kinds) if kinds is not None else None
        out = dict.fromkeys(STATUSES, 0)
        for r in self.results:
            if kinds is None or r.kind in kinds:
                out[r.status] += 1
        return out

    def to_dict(self) -> dict:
        return {"commit": self.commit, "ok": self.ok, "counts": self.counts(),
                "patches": [r.to_dict() for r in self.results]}


def parse_report(output: str, strip: int = 1) -> tuple[list[Hunk], list[Hunk], list[Hunk], bool]:
    """GNU patch's stdout -> (offset hunks, fuzzed hunks, rejected hunks, garbage).

    *strip* (the -p level) turns the unstripped names patch quotes for a missing file into tree paths.
    """
    offsets, fuzzed, rejects = [], [], []
    current = "?"
    garbage = False
    lines = output.splitlines()
    for i, line in enumerate(lines):
        line = line.rstrip()
        m = _PATCHING.match(line)
        if m:
            current = m.group(1).strip("'\"")
            continue
        m = _HUNK_OK.match(line)
        if m:
            number, at, fz, off = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), int(m.group(4) or 0)
            h = Hunk(current, number, at, off, fz)
            if fz:
                fuzzed.append(h)
            elif off:
                offsets.append(h)
            continue
        m = _HUNK_FAILED.match(line)
        if m:
            rejects.append(Hunk(current, int(m.group(1)), int(m.group(2)), reason="FAILED"))
            continue
        m = _NO_FILE.match(line)
        if m:
            # the file's header lines end the "text leading up to this" block patch quotes ("|…")
            name = "?"
            for follow in lines[i + 1:]:
                if follow.startswith("|+++ ") or (follow.startswith("|--- ") and name == "?"):
                    raw = follow[5:].split("\t")[0].strip()
                    name = (strip_path(raw, strip) or raw) if raw != "/dev/null" else name
                elif not follow.startswith(("|", "Perhaps", "The text leading", "-----")):
                    break
            rejects.append(Hunk(name, 0, None, reason="file to patch not found"))
            continue
        m = _EXISTS.match(line)
        if m:
            what = ("creates a file that already exists" if m.group(1) == "create"
                    else "empties a file that is already empty")
            rejects.append(Hunk(m.group(2), 0, None, reason=what))
            continue
        m = _NOT_REGULAR.match(line)
        if m:
            rejects.append(Hunk(m.group(1), 0, None, reason="not a regular file"))
            continue
        m = _MALFORMED.match(line)
        if m:
            garbage = True
            rejects.append(Hunk("?", 0, None, reason=m.group(1)))
    return offsets, fuzzed, rejects, garbage


def blob_oid(data: bytes) -> str:
    """git's blob id of *data* (so files read from git and produced by patch share one key space)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's object id


class _Objects:
    """Blob ids and contents at a commit through persistent ``git cat-file`` processes."""

    def __init__(self, repo: Path):
        self.repo = Path(repo)
        self._lock = threading.Lock()
        env = {**os.environ, "LC_ALL": "C"}
        try:
            self._check = subprocess.Popen(["git", "-C", str(self.repo), "cat-file", "--batch-check"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
            self._batch = subprocess.Popen(["git", "-C", str(self.repo), "cat-file", "--batch"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        except OSError as err:
            raise EngineError(f"cannot run git in {self.repo}: {err}") from None
        self._blobs: dict[str, bytes] = {}

    def close(self) -> None:
        for p in (self._check, self._batch):
            try:
                p.stdin.close()
                p.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                p.kill()

    def oids(self, commit: str, paths: Iterable[str]) -> dict[str, str | None]:
        """path -> blob id at *commit* (None: absent, or not a regular blob)."""
        paths = list(paths)
        out: dict[str, str | None] = {}
        with self._lock:
            # pipelined: write every query, then read every answer (a writer thread avoids pipe deadlock)
            queries = "".join(f"{commit}:{p}\n" for p in paths).encode()
            writer = threading.Thread(target=self._write, args=(self._check, queries))
            writer.start()
            for p in paths:
                line = self._check.stdout.readline().decode().rstrip("\n")
                parts = line.split()
                out[p] = parts[0] if len(parts) == 3 and parts[1] == "blob" else None
            writer.join()
        return out

    @staticmethod
    def _write(proc, data: bytes) -> None:
        proc.stdin.write(data)
        proc.stdin.flush()

    def read(self, oid: str) -> bytes:
        cached = self._blobs.get(oid)
        if cached is not None:
            return cached
        with self._lock:
            self._batch.stdin.write(f"{oid}\n".encode())
            self._batch.stdin.flush()
            header = self._batch.stdout.readline().decode().split()
            if len(header) != 3:
                raise EngineError(f"{self.repo}: cannot read object {oid}")
            size = int(header[2])
            data = self._batch.stdout.read(size)
            self._batch.stdout.read(1)  # the newline after the content
        self._blobs[oid] = data
        return data

    def commit(self, rev: str) -> str | None:
        with self._lock:
            self._check.stdin.write(f"{rev}^{{commit}}\n".encode())
            self._check.stdin.flush()
            parts = self._check.stdout.readline().decode().split()
        return parts[0] if len(parts) == 3 and parts[1] == "commit" else None


def _scratch_root() -> str | None:
    """A RAM-backed directory for the per-patch scratch trees when there is one (/dev/shm):
    GNU patch writes each result to a temporary file and renames it over the target, and on
    a busy disk the many small create/rename/unlink cycles cost more than the patching."""
    env = os.environ.get("OXT_SCRATCH_DIR")
    if env:
        return env
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


# A file's state in the series: (blob id, bytes or None when still only in git's database)
_State = dict[str, tuple[str, bytes | None] | None]


@dataclass
class _Run:
    """One patch applied to one exact set of inputs (memoised)."""

    result: PatchResult
    outputs: dict[str, tuple[str, bytes] | None]  # path -> new content (None: deleted/absent)


class SeriesEngine:
    """Apply a fixed series to commits of one repository; use as a context manager."""

    def __init__(self, repo: Path, patches: list[SeriesPatch], *, memo: bool = True,
                 patch_cmd: str = "patch"):
        self.repo = Path(repo)
        self.patches = list(patches)
        self.parsed = [p.parsed() for p in self.patches]
        self.memo_enabled = memo
        self.patch_cmd = patch_cmd
        self._memo: dict[tuple, _Run] = {}
        self._memo_lock = threading.Lock()
        self._objects: _Objects | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._patch_files: list[Path] = []
        self.runs = 0  # patch invocations (for benchmarks)
        self.evaluations = 0
        if shutil.which(patch_cmd) is None:
            raise EngineError(f"GNU patch ({patch_cmd!r}) is not installed; install it "
                              "(Debian/Ubuntu: apt-get install patch) — OE's do_patch uses it too")

    # -- lifecycle ----------------------------------------------------------------
    def __enter__(self) -> "SeriesEngine":
        if not (self.repo / "HEAD").exists() and not (self.repo / ".git").exists():
            raise EngineError(f"{self.repo}: not a git repository")
        self._objects = _Objects(self.repo)
        self._tmp = tempfile.TemporaryDirectory(prefix="oxt-series-", dir=_scratch_root())
        pdir = Path(self._tmp.name) / "patches"
        pdir.mkdir()
        for i, p in enumerate(self.patches):
            f = pdir / f"{i:04d}.patch"
            f.write_bytes(p.data)
            self._patch_files.append(f)
        return self

    def __exit__(self, *exc) -> None:
        if self._objects:
            self._objects.close()
        if self._tmp:
            self._tmp.cleanup()

    @property
    def paths(self) -> tuple[str, ...]:
        """Every tree path the series may read or write."""
        seen: dict[str, None] = {}
        for parsed in self.parsed:
            for p in parsed.paths:
                seen.setdefault(p, None)
        return tuple(seen)

    def resolve(self, rev: str) -> str:
        sha = self._objects.commit(rev)
        if sha is None:
            raise EngineError(f"{self.repo}: no commit {rev!r}; fetch it first or check the ref")
        return sha

    def exists(self, commit: str, path: str) -> bool:
        """Is *path* a file of *commit*'s tree?"""
        return self._objects.oids(self.resolve(commit), [path])[path] is not None

    # -- evaluation ---------------------------------------------------------------
    def evaluate(self, commit: str, *, carried_by: Callable[[int, PatchResult], str] | None = None,
                 upto: int | None = None) -> SeriesResult:
        """Apply the series (or its first *upto* patches) on *commit*'s tree.

        *carried_by(i, result)* may name the upstream commit that carries
        failing patch *i* (Subject match); reverse-apply is checked here.
        """
        return self._walk(commit, carried_by=carried_by, upto=upto)[0]

    def contents_around(self, commit: str, index: int) -> tuple[dict[str, bytes | None], dict[str, bytes | None]]:
        """(the files patch *index* sees on *commit*, the same files after it): for refresh."""
        _result, states = self._walk(commit, upto=index + 1, keep_states=True)
        before, after = states[index], states[index + 1]
        paths = self.parsed[index].paths
        return ({p: self._content(before.get(p)) for p in paths},
                {p: self._content(after.get(p)) for p in paths})

    def _walk(self, commit: str, *, carried_by=None, upto: int | None = None,
              keep_states: bool = False) -> tuple[SeriesResult, list[_State]]:
        with self._memo_lock:
            self.evaluations += 1
        commit = self.resolve(commit)
        oids = self._objects.oids(commit, self.paths)
        state: _State = {p: ((oid, None) if oid else None) for p, oid in oids.items()}
        result = SeriesResult(commit)
        states: list[_State] = []
        for i, parsed in enumerate(self.parsed[:upto]):
            if keep_states:
                states.append(dict(state))
            run = self._apply(i, parsed, state)
            r = run.result
            if r.status in (FUZZ, FAILS):
                how = "reverse-applies" if r.reverse_applies else ""
                if not how and carried_by is not None:
                    how = carried_by(i, r) or ""
                if how:
                    # carried upstream: the fix is to drop it, so later patches see the tree without it
                    r = PatchResult(**{**r.__dict__, "status": CARRIED, "carried_by": how})
            if r.status in (CLEAN, OFFSET, FUZZ):
                state.update(run.outputs)
            result.results.append(r)
        if keep_states:
            states.append(dict(state))
        return result, states

    def _content(self, entry) -> bytes | None:
        if entry is None:
            return None
        oid, data = entry
        return data if data is not None else self._objects.read(oid)

    def _apply(self, i: int, parsed: ParsedPatch, state: _State) -> _Run:
        paths = parsed.paths
        key = (i, tuple(state[p][0] if state.get(p) else None for p in paths))
        if self.memo_enabled:
            with self._memo_lock:
                hit = self._memo.get(key)
            if hit is not None:
                return hit
        inputs = {p: self._content(state.get(p)) for p in paths}
        run = self._run_patch(i, parsed, inputs)
        if self.memo_enabled:
            with self._memo_lock:
                self._memo[key] = run
        return run

    def _run_patch(self, i: int, parsed: ParsedPatch, inputs: dict[str, bytes | None]) -> _Run:
        p = self.patches[i]
        with tempfile.TemporaryDirectory(dir=self._tmp.name) as work:
            root = Path(work)
            self._materialise(root, inputs)
            rc, output = self._patch(root, i, reverse=False)
            with self._memo_lock:
                self.runs += 1
            offsets, fuzzed, rejects, garbage = parse_report(output, p.strip)
            if rc == 0 and not rejects:
                status = FUZZ if fuzzed else OFFSET if offsets else CLEAN
                outputs = {}
                for path in parsed.paths:
                    f = root / path
                    if f.is_file() and not f.is_symlink():
                        data = f.read_bytes()
                        outputs[path] = (blob_oid(data), data)
                    else:
                        outputs[path] = None
                reverse = False
                if status == FUZZ:
                    # upstream may carry it and the forward push only "succeeds" with fuzz
                    reverse = self._reverse_applies(root, i, inputs)
                result = PatchResult(p.name, p.kind, status, max((h.fuzz for h in fuzzed), default=0),
                                     tuple(offsets), tuple(fuzzed), (), reverse_applies=reverse, output=output)
                return _Run(result, outputs)
            if not rejects:
                last = output.strip().splitlines()[-1] if output.strip() else f"patch exited with status {rc}"
                rejects = [Hunk("?", 0, None, reason=last)]
            # quilt rolls the failed push back, then tries the patch reversed
            reverse = not garbage and self._reverse_applies(root, i, inputs)
        result = PatchResult(p.name, p.kind, FAILS, max((h.fuzz for h in fuzzed), default=0), tuple(offsets),
                             tuple(fuzzed), tuple(rejects), reverse_applies=reverse, output=output)
        return _Run(result, {})

    def _reverse_applies(self, root: Path, i: int, inputs: dict[str, bytes | None]) -> bool:
        shutil.rmtree(root)
        root.mkdir()
        self._materialise(root, inputs)
        # as quilt judges "can be reverse-applied": patch -R succeeds (fuzz allowed: the patch's
        # own added lines must be present for that, only context may differ)
        rc, _output = self._patch(root, i, reverse=True, dry_run=True)
        return rc == 0

    @staticmethod
    def _materialise(root: Path, inputs: dict[str, bytes | None]) -> None:
        for path, data in inputs.items():
            if data is None:
                continue
            f = root / path
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(data)

    def _patch(self, root: Path, i: int, *, reverse: bool, dry_run: bool = False) -> tuple[int, str]:
        # quilt's push: patch -p1 --backup --prefix=… -f -r <tmp> -i FILE (backups are irrelevant here)
        cmd = [self.patch_cmd, f"-p{self.patches[i].strip}", "-f", "--no-backup-if-mismatch", "-r", "-",
               "-i", str(self._patch_files[i])]
        if reverse:
            cmd.append("-R")
        if dry_run:
            cmd.append("--dry-run")
        proc = subprocess.run(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env={**os.environ, "LC_ALL": "C", "TMPDIR": str(root.parent)}, check=False)
        return proc.returncode, proc.stdout.decode("utf-8", "replace")
