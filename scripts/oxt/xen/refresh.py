"""Refresh patches that apply only with an offset or fuzz so they apply exactly.

What ``quilt refresh`` / ``devtool finish --force-patch-refresh`` do, without
a work tree: the engine gives the files a patch sees at the pin (after the
patches before it) and the same files after GNU patch applied it; the new
diff is made between those two states. The header — everything before the
first file section (From, Date, Subject, the message, Signed-off-by,
``Upstream-Status``, a diffstat) — and a ``git format-patch`` signature
trailer are kept byte for byte; only the diff is regenerated (git style,
``a/`` ``b/`` prefixes, 3 lines of context). The change the patch makes is
the same by construction; the new file is then checked to apply *clean*.

A failing patch is never rewritten: there is no "after" to diff against.
"""

from __future__ import annotations

import difflib
import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from oxt import changeset
from oxt.errors import OxtUserError
from oxt.manifest_edit import ManifestDocument
from oxt.repo import Checkout
from oxt.xen.patchfile import parse
from oxt.xen.series import CLEAN, FUZZ, OFFSET, PatchResult, SeriesEngine, SeriesPatch

_LINE = re.compile(rb"[^\n]*\n|[^\n]+\Z")
_HUNK_HEAD = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@$")
_FUNCNAME = re.compile(r"^[A-Za-z_$]")  # git's default hunk-header function line
_TRAILER = re.compile(rb"\n-- \n[^\n]*\n*\Z")  # git format-patch's "-- \n2.39.5\n"


@dataclass
class Refreshed:
    patch: SeriesPatch
    before: PatchResult
    new_data: bytes

    def diff(self, label: str | None = None) -> str:
        """Unified diff of the patch file itself, old -> new (*label*: the path shown)."""
        old = self.patch.data.decode("utf-8", "surrogateescape").splitlines(keepends=True)
        new = self.new_data.decode("utf-8", "surrogateescape").splitlines(keepends=True)
        name = label or self.patch.name
        return "".join(difflib.unified_diff(old, new, f"a/{name}", f"b/{name}"))


@dataclass
class RefreshPlan:
    refreshed: list[Refreshed] = field(default_factory=list)
    failing: list[PatchResult] = field(default_factory=list)  # fails or carried: listed, never rewritten
    not_ours: list[PatchResult] = field(default_factory=list)  # meta-virtualization's: fix upstream
    conflicts: list[str] = field(default_factory=list)  # applies differently in two recipes

    @property
    def changed(self) -> bool:
        return bool(self.refreshed)


def _lines(data: bytes) -> list[str]:
    return [m.group(0).decode("utf-8", "surrogateescape") for m in _LINE.finditer(data)]


def file_diff(path: str, old: bytes | None, new: bytes | None, *, new_mode: str = "100644") -> str:
    """One file's git-style diff between two contents (None: absent)."""
    if old == new:
        return ""
    a = f"a/{path}" if old is not None else "/dev/null"
    b = f"b/{path}" if new is not None else "/dev/null"
    head = [f"diff --git a/{path} b/{path}\n"]
    if old is None:
        head.append(f"new file mode {new_mode}\n")
    elif new is None:
        head.append(f"deleted file mode {new_mode}\n")
    body = []
    old_lines = _lines(old or b"")
    for line in difflib.unified_diff(old_lines, _lines(new or b""), a, b, n=3):
        if line.startswith(("--- ", "+++ ")):
            body.append(line.rstrip("\n") + "\n")
        elif _HUNK_HEAD.match(line.rstrip("\n")):
            body.append(line.rstrip("\n") + _function_context(old_lines, int(_HUNK_HEAD.match(line).group(1))) + "\n")
        elif line.endswith("\n"):
            body.append(line)
        else:
            body.append(line + "\n\\ No newline at end of file\n")
    return "".join(head + body)


def _function_context(old_lines: list[str], start: int) -> str:
    """" <function line>" before line *start* (1-based), as git and diff -p print it."""
    for line in reversed(old_lines[:max(start - 1, 0)]):
        if _FUNCNAME.match(line):
            return " " + line.rstrip()[:80].rstrip()
    return ""


def rebuild(patch: SeriesPatch, before: dict[str, bytes | None], after: dict[str, bytes | None]) -> bytes:
    """*patch* with its diff regenerated from the before/after file states, header kept."""
    parsed = parse(patch.data, patch.strip)
    modes = {}
    for m in re.finditer(rb"^(?:new|deleted) file mode (\d+)$", patch.data, re.MULTILINE):
        modes.setdefault("mode", m.group(1).decode())
    order: list[str] = []
    for s in parsed.sections:  # keep the original file order
        for p in (s.old, s.new):
            if p and p not in order and p in before:
                order.append(p)
    for p in before:
        if p not in order:
            order.append(p)
    diff = "".join(file_diff(p, before.get(p), after.get(p), new_mode=modes.get("mode", "100644")) for p in order)
    trailer = _TRAILER.search(patch.data)
    body = diff.encode("utf-8", "surrogateescape")
    header = parsed.header
    if header and not header.endswith(b"\n"):
        header += b"\n"
    return header + body + (trailer.group(0).lstrip(b"\n") if trailer else b"")


def plan_refresh(engines: list[tuple[str, SeriesEngine, str]]) -> RefreshPlan:
    """What refreshing would write. *engines*: (recipe, engine over its series, pinned commit)."""
    plan = RefreshPlan()
    seen_fail: set[str] = set()
    candidates: dict[str, list[tuple[SeriesEngine, str, int, PatchResult]]] = {}
    for _recipe, engine, commit in engines:
        result = engine.evaluate(commit)
        for i, r in enumerate(result.results):
            if r.status in (CLEAN,):
                continue
            patch = engine.patches[i]
            if r.status in (OFFSET, FUZZ) and patch.kind != "upstream" and patch.path and patch.strip == 1:
                candidates.setdefault(patch.name, []).append((engine, commit, i, r))
            elif r.status in (OFFSET, FUZZ):
                if r.name not in {x.name for x in plan.not_ours}:
                    plan.not_ours.append(r)
            elif r.name not in seen_fail:
                seen_fail.add(r.name)
                plan.failing.append(r)
    for name, where in candidates.items():
        if name in seen_fail:
            continue  # fails in another recipe's series: not refreshable
        states = [engine.contents_around(commit, i) for engine, commit, i, _ in where]
        if any(s != states[0] for s in states[1:]):
            plan.conflicts.append(name)
            continue
        engine, _commit, i, r = where[0]
        before, after = states[0]
        plan.refreshed.append(Refreshed(engine.patches[i], r, rebuild(engine.patches[i], before, after)))
    return plan


def verify(plan: RefreshPlan, engines: list[tuple[str, SeriesEngine, str]]) -> list[str]:
    """Problems if a refreshed patch would not apply clean in every recipe (should never happen)."""
    new = {r.patch.name: r.new_data for r in plan.refreshed}
    problems = []
    for recipe, engine, commit in engines:
        patches = [SeriesPatch(p.name, new.get(p.name, p.data), p.kind, p.strip, p.path) for p in engine.patches]
        with SeriesEngine(engine.repo, patches) as check:
            for r in check.evaluate(commit).results:
                if r.name in new and r.status != CLEAN:
                    problems.append(f"{recipe}: refreshed {r.name} is {r.label}: {r.detail}")
    return problems


def plan_for(repo: Path, commit: str, series: list[tuple[str, list[SeriesPatch]]]) -> RefreshPlan:
    """What refreshing each (recipe, patches) series at *commit* would write, checked to apply clean."""
    with ExitStack() as stack:
        engines = [(recipe, stack.enter_context(SeriesEngine(repo, patches)), commit) for recipe, patches in series]
        plan = plan_refresh(engines)
        problems = verify(plan, engines) if plan.refreshed else []
    if problems:
        raise OxtUserError("refresh would not make these apply exactly (nothing written):\n" + "\n".join(problems))
    return plan


def write(checkout: Checkout, plan: RefreshPlan) -> list[Path]:
    """Write every refreshed patch through :mod:`oxt.changeset` (all or nothing, recipes re-checked)."""
    add = {Path(r.patch.path): r.new_data for r in plan.refreshed}
    changeset.write(changeset.plan_changes(checkout, ManifestDocument.load(checkout), add=add))
    return list(add)
