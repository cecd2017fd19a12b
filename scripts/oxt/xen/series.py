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

import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from oxt.xen import gnupatch
from oxt.xen.gitobjects import EngineError, ObjectReader, blob_oid
from oxt.xen.gnupatch import Hunk
from oxt.xen.patchfile import ParsedPatch, parse

CLEAN, OFFSET, FUZZ, FAILS, CARRIED = "clean", "offset", "fuzz", "fails", "carried"
STATUSES = (CLEAN, OFFSET, FUZZ, FAILS, CARRIED)
OK_STATUSES = (CLEAN, OFFSET)  # what OE's do_patch + patch QA accept
KINDS = ("upstream", "xsa", "openxt")  # meta-virtualization's, the XSA queue, OpenXT's own


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


# A file's state in the series: (blob id, bytes or None when still only in git's database)
_State = dict[str, tuple[str, bytes | None] | None]


@dataclass
class _Run:
    """One patch applied to one exact set of inputs (memoised)."""

    result: PatchResult
    outputs: dict[str, tuple[str, bytes] | None]  # path -> new content (None: deleted/absent)


class SeriesEngine:
    """Apply a fixed series to commits of one repository; use as a context manager.

    ``reverse=True`` undoes the series instead: its patches are given in apply
    order and pushed last first with ``-R`` (is an advisory already in the tree?).
    """

    def __init__(self, repo: Path, patches: list[SeriesPatch], *, memo: bool = True,
                 patch_cmd: str = "patch", reverse: bool = False):
        gnupatch.require(patch_cmd)
        self.repo = Path(repo)
        self.reverse = reverse
        self.patches = list(reversed(patches)) if reverse else list(patches)
        self.parsed = [p.parsed() for p in self.patches]
        self.memo_enabled = memo
        self.patch_cmd = patch_cmd
        self._memo: dict[tuple, _Run] = {}
        self._memo_lock = threading.Lock()
        self._objects: ObjectReader | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._patch_files: list[Path] = []
        self.runs = 0  # patch invocations (for benchmarks)
        self.evaluations = 0

    # -- lifecycle ----------------------------------------------------------------
    def __enter__(self) -> "SeriesEngine":
        if not (self.repo / "HEAD").exists() and not (self.repo / ".git").exists():
            raise EngineError(f"{self.repo}: not a git repository")
        self._objects = ObjectReader(self.repo)
        self._tmp = tempfile.TemporaryDirectory(prefix="oxt-series-", dir=gnupatch.scratch_root())
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
        """Every tree path the series may read or write, once each."""
        return tuple(dict.fromkeys(p for parsed in self.parsed for p in parsed.paths))

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
            offsets, fuzzed, rejects, garbage = gnupatch.parse_report(output, p.strip)
            fuzz = max((h.fuzz for h in fuzzed), default=0)
            if rc == 0 and not rejects:
                status = FUZZ if fuzzed else OFFSET if offsets else CLEAN
                outputs = {path: self._read_back(root / path) for path in parsed.paths}
                # upstream may carry it and the forward push only "succeeds" with fuzz
                reverse = status == FUZZ and self._reverse_applies(root, i, inputs)
                return _Run(PatchResult(p.name, p.kind, status, fuzz, tuple(offsets), tuple(fuzzed), (),
                                        reverse_applies=reverse, output=output), outputs)
            if not rejects:
                last = output.strip().splitlines()[-1] if output.strip() else f"patch exited with status {rc}"
                rejects = [Hunk("?", 0, None, reason=last)]
            # quilt rolls the failed push back, then tries the patch reversed
            reverse = not garbage and self._reverse_applies(root, i, inputs)
        return _Run(PatchResult(p.name, p.kind, FAILS, fuzz, tuple(offsets), tuple(fuzzed), tuple(rejects),
                                reverse_applies=reverse, output=output), {})

    @staticmethod
    def _read_back(f: Path) -> tuple[str, bytes] | None:
        if f.is_file() and not f.is_symlink():
            data = f.read_bytes()
            return blob_oid(data), data
        return None

    def _reverse_applies(self, root: Path, i: int, inputs: dict[str, bytes | None]) -> bool:
        if self.reverse:
            return False  # undoing a series: "carried" has no meaning
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
        cmd = gnupatch.command(self.patch_cmd, self._patch_files[i], strip=self.patches[i].strip,
                               reverse=reverse != self.reverse, dry_run=dry_run)
        return gnupatch.run(cmd, root)


def check_series(repo: Path, commit: str, patches: list[SeriesPatch], *, reverse: bool = False) -> SeriesResult:
    """*patches* applied in order on *commit* (``reverse``: undone, last first) — the
    one-off check ``bump xen`` makes per queued advisory; results in the given order."""
    with SeriesEngine(repo, patches, reverse=reverse) as engine:
        result = engine.evaluate(commit)
    if reverse:
        result.results.reverse()
    return result
