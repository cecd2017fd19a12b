"""The series checks of the commands that change a queue or a pin, on the engine,
and what they share with `oxt xen`: the options, the fetched range, "carried upstream".

``xsa add`` and ``xen patch add`` push their new patches on top of what the
recipe applies before them (:func:`check_new`); ``bump xen`` applies each
track's whole series at the target and, when the OpenXT queue breaks there,
bisects the range old pin..target for the upstream commit that broke each
patch (:func:`at_target`). Both read the series the *edited* manifest will
render (:func:`oxt.xen.track_series.series_entries` over a change set not
written yet), so the check is of exactly what bitbake's do_patch will push.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator, Mapping

from oxt.errors import OxtUserError
from oxt.manifest import Manifest, XenTrack
from oxt.xen.context import FetchedRange, UpstreamContext
from oxt.xen.patchfile import DEV_NULL, normalize_subject
from oxt.xen.refs import parse_ref
from oxt.xen.series import CARRIED, FAILS, FUZZ, OFFSET, PatchResult, SeriesEngine, SeriesResult, check_series
from oxt.xen.survey import Commit, first_parent_range, run_survey
from oxt.xen.track_series import RecipeSeries, load, series_entries


@dataclass
class Options:
    """The options of the commands that check a series upstream (`oxt xen …`, `xsa add`, `bump xen`)."""

    track: str | None = None
    remote: str | None = None
    cache_dir: Path | None = None
    meta_virt: str | None = None
    series_file: Path | None = None  # a quilt series instead of the manifest's queue
    recipes: tuple[str, ...] = ("xen", "xen-tools")
    quiet: bool = False
    jobs: int = 2

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr)


@contextmanager
def fetched(remote: str, track: XenTrack, opts: Options, wanted: list[tuple[str, str]]) -> Iterator[FetchedRange]:
    """*track*'s branch in the cache (lock held) with each (option, ref text) of *wanted* resolved."""
    refs = [parse_ref(text, track.branch, option=option) for option, text in wanted]
    with UpstreamContext(remote, opts.cache_dir, progress=not opts.quiet) as up:
        yield up.fetch_refs(track, refs)


def subject_carrier(repo: Path, start: str, end: str):
    """carried_by for the engine: a failing patch whose Subject an upstream commit of start..end has."""
    index = {}
    for c in first_parent_range(repo, start, end)[1:]:
        index.setdefault(normalize_subject(c.subject), c)

    def carried_by(engine: SeriesEngine):
        subjects = [normalize_subject(p.subject) for p in engine.parsed]

        def check(i: int, _r: PatchResult) -> str:
            hit = index.get(subjects[i]) if subjects[i] else None
            return f"{hit.sha[:12]} {hit.subject}" if hit else ""
        return check
    return carried_by


def evaluate_at(span: FetchedRange, commit: str, series: list[RecipeSeries]) -> list[tuple[str, SeriesResult]]:
    """Each recipe's series on *commit*, with "carried upstream" looked for since the range's base release."""
    start = span.base_commit_before(commit)
    carrier = subject_carrier(span.repo, start, commit) if start else None
    results = []
    for rec in series:
        with SeriesEngine(span.repo, rec.patches) as engine:
            results.append((rec.recipe, engine.evaluate(commit, carried_by=carrier(engine) if carrier else None)))
    return results

# -- new patches on top of the series before them -------------------------------------------------


@dataclass
class NewPatch:
    """A patch being queued: its SRC_URI name, the file it came from, what it became."""

    name: str  # xsa/<file> or openxt/<file>
    source: Path
    data: bytes
    status: str = "unchecked"  # clean / offset N / refreshed (was fuzz N)
    refused: str = ""  # why it cannot be queued as it is (FAILS, FUZZ, CARRIED or QUEUED_BEFORE)
    problem: str = ""  # the message saying so, naming the source and what to do

    @property
    def ok(self) -> bool:
        return not self.refused


QUEUED_BEFORE = "queued-before"  # a patch queued before it already makes this change


@dataclass(frozen=True)
class Hints:
    """What the refusals tell the user to do (they differ between xsa add and xen patch add)."""

    fails: str  # e.g. "take the advisory's patch for this branch, or pass --no-check"
    fuzz: str = "pass --refresh to queue it rewritten to apply exactly, or rebase it"


def series_upto(manifest: Manifest, track: XenTrack, last: set[str], *, files: Mapping[Path, bytes],
                meta_virt: Callable[[str], bytes] | None) -> list[RecipeSeries]:
    """Each recipe's series as *manifest* renders it, up to the last patch named in *last*."""
    out = []
    for recipe, entries in series_entries(manifest, track):
        end = max((i for i, e in enumerate(entries) if e.name in last), default=-1)
        if end >= 0:
            out.append(RecipeSeries(recipe, load(entries[:end + 1], files=files, meta_virt=meta_virt, recipe=recipe)))
    return out


def check_new(span: FetchedRange, commit: str, series: list[RecipeSeries], new: list[NewPatch], *,
              refresh: bool, hints: Hints) -> list[NewPatch]:
    """Each new patch must apply clean or with an offset on top of what precedes it in every recipe;
    one that needs fuzz is rewritten with *refresh*. OxtUserError (nothing written) otherwise."""
    judge_new(span, commit, series, new, refresh=refresh, hints=hints)
    refused = next((n for n in new if not n.ok), None)
    if refused is not None:
        raise OxtUserError(refused.problem)
    return new


def judge_new(span: FetchedRange, commit: str, series: list[RecipeSeries], new: list[NewPatch], *,
              refresh: bool, hints: Hints) -> list[tuple[str, SeriesResult]]:
    """Each recipe's *series* on *commit* with the *new* patches in it; each new patch's verdict set on it
    (``status``, or ``refused`` and ``problem``; the first refusal of a patch counts). The results."""
    where = f"{span.track.branch} at {span.describe(commit) or commit[:12]}"
    start = span.base_commit_before(commit)
    carrier = subject_carrier(span.repo, start, commit) if start else None
    by_name = {n.name: n for n in new}
    results, seen = [], {}
    for rec in series:
        patches = [replace(p, data=by_name[p.name].data) if p.name in by_name else p for p in rec.patches]
        key = tuple((p.name, p.data, p.strip) for p in patches)
        if key in seen:  # the other recipe applies the very same series (no meta-virtualization patches)
            results.append((rec.recipe, seen[key]))
            continue
        with SeriesEngine(span.repo, patches) as engine:
            result = engine.evaluate(commit, carried_by=carrier(engine) if carrier else None)
            for i, r in enumerate(result.results):
                patch = by_name.get(r.name)
                if patch is not None and patch.ok:
                    _judge(engine, commit, i, r, patch, where=where, refresh=refresh, hints=hints)
        results.append((rec.recipe, result))
        seen[key] = result
    return results


def _judge(engine: SeriesEngine, commit: str, i: int, r: PatchResult, patch: NewPatch, *, where: str,
           refresh: bool, hints: Hints) -> None:
    src = patch.source

    def refuse(kind: str, problem: str) -> None:
        patch.refused, patch.problem = kind, problem

    if r.status == FAILS:
        raw = _unstripped_path(engine, commit, i)
        created = [h for h in r.rejects if "already exists" in h.reason]
        if raw:
            refuse(FAILS, f"{src}: a -p0 patch: {raw} exists in the tree but do_patch strips one directory "
                          "(-p1); regenerate it with a/ b/ prefixes")
        elif created:
            refuse(FAILS, f"{src}: creates {created[0].file}, which already exists on {where} (after the "
                          "patches before it); drop that part or make it modify the file")
        else:
            refuse(FAILS, f"{src}: does not apply on top of the series before it on {where}: {r.detail}; "
                          f"{hints.fails}")
    elif r.status == CARRIED:
        undone = check_series(engine.repo, commit, [engine.patches[i]], reverse=True)
        if r.carried_by == "reverse-applies" and not undone.ok:
            refuse(QUEUED_BEFORE, f"{src}: a patch queued before it already makes this change (it reverse-applies "
                                  f"on top of them on {where}); nothing to queue")
        else:
            refuse(CARRIED, f"{src}: upstream already carries it on {where} ({r.carried_by}); nothing to queue")
    elif r.status == FUZZ and not refresh:
        refuse(FUZZ, f"{src}: applies only with fuzz {r.fuzz} on top of the series before it on {where} "
                     f"({r.detail}); OE's patch QA rejects fuzz (patch-fuzz is in ERROR_QA) — {hints.fuzz}")
    elif r.status == FUZZ:
        from oxt.xen.refresh import rebuild

        before, after = engine.contents_around(commit, i)
        patch.data = rebuild(engine.patches[i], before, after)
        patch.status = f"refreshed (was fuzz {r.fuzz})"
    elif not patch.status.startswith("refreshed"):
        patch.status = r.label if r.status == OFFSET else "clean"


def _unstripped_path(engine: SeriesEngine, commit: str, i: int) -> str | None:
    """A -p0 patch: a path that is missing when stripped but exists as written."""
    for s in engine.parsed[i].sections:
        if s.creates or any(engine.exists(commit, c) for c in (s.old, s.new) if c):
            continue
        for raw in (s.raw_old, s.raw_new):
            if raw and raw != DEV_NULL and engine.exists(commit, raw):
                return raw
    return None


# -- a whole series at a bump's target ------------------------------------------------------------


@dataclass
class SeriesVerdict:
    """A track's series at the commit a bump pins, and who broke what."""

    commit: str
    describe: str | None
    results: list[tuple[str, SeriesResult]]
    broken_by: dict[str, Commit] = field(default_factory=dict)  # patch -> first upstream commit breaking it
    broken_before: set[str] = field(default_factory=set)  # already broken at the old pin
    allowed: bool = False  # written anyway (--allow-broken-series)

    def failing(self, kinds: tuple[str, ...]) -> list[PatchResult]:
        """Patches of *kinds* that do not apply as do_patch needs, once each (both recipes)."""
        seen: dict[str, PatchResult] = {}
        for _recipe, result in self.results:
            for r in result.results:
                if r.kind in kinds and not r.ok:
                    seen.setdefault(r.name, r)
        return list(seen.values())

    @property
    def broken(self) -> list[PatchResult]:
        """The OpenXT queue's failures: what stops a bump."""
        return self.failing(("openxt",))

    def blame(self, r: PatchResult) -> str:
        """Which upstream commit broke *r*, as far as the bisection of old pin..target says."""
        c = self.broken_by.get(r.name)
        if c is not None:
            return f"broken by upstream {c.sha[:12]} \"{c.subject}\""
        return "already broken at the old pin" if r.name in self.broken_before else "no bisection (no older pin)"

    def stop_lines(self, branch: str) -> list[str]:
        """One line per broken OpenXT patch: the patch, the hunk, the upstream commit that broke it."""
        at = self.describe or self.commit[:12]
        return [f"{branch}: {r.name} {r.label} at {at} ({r.detail}), {self.blame(r)}" for r in self.broken]

    def to_data(self) -> dict:
        rows: dict[str, dict] = {}
        for recipe, result in self.results:
            for r in result.results:
                row = rows.setdefault(r.name, {"patch": r.name, "kind": r.kind, "results": {}, "detail": "",
                                               "broken_by": None})
                row["results"][recipe] = r.label
                if not r.ok and not row["detail"]:
                    row["detail"] = r.detail
                if r.name in self.broken_by:
                    c = self.broken_by[r.name]
                    row["broken_by"] = {"commit": c.sha, "subject": c.subject}
        broken = [{"patch": r.name, "status": r.label, "detail": r.detail, "blame": self.blame(r)}
                  for r in self.broken]
        return {"commit": self.commit, "describe": self.describe, "recipes": [rec for rec, _ in self.results],
                "ok": not broken, "broken": broken, "allowed_broken": self.allowed and bool(broken),
                "others_failing": len(self.failing(("xsa", "upstream"))),
                "patches": list(rows.values())}


def at_target(span: FetchedRange, series: list[RecipeSeries], target: str, old: str | None, *,
              jobs: int = 2) -> SeriesVerdict:
    """*series* at *target*; for a broken OpenXT queue, the commit of old..target that broke each patch."""
    verdict = SeriesVerdict(target, span.describe(target), evaluate_at(span, target, series))
    names = {r.name for r in verdict.broken}
    if not names or not old or old == target or not span.upstream.cache.is_ancestor(old, target):
        return verdict
    for rec in series:
        todo = (names - set(verdict.broken_by) - verdict.broken_before) & {p.name for p in rec.patches}
        if not todo:
            continue  # the other recipe's bisection answered already
        with SeriesEngine(span.repo, rec.patches) as engine:
            survey = run_survey(engine, start=old, end=target, jobs=jobs)
        for name in todo:
            if not survey.at_start[name].ok:
                verdict.broken_before.add(name)
            elif (t := survey.first_break(name)) is not None:
                verdict.broken_by[name] = t.commit
    return verdict


