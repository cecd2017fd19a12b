"""What `oxt xen series|survey|refresh` do, between the command line and the
engine: pick the track, fetch the branch range, build each recipe's series,
run the engine, hand back results for :mod:`.series_report`.

(Phase 2 of issue 12 calls the same pieces from `bump xen` and `xsa add`.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oxt.errors import OxtUserError
from oxt.repo import Checkout
from oxt.xen import refresh as refresh_mod
from oxt.xen.branch_range import BranchRange, open_range
from oxt.xen.patchfile import normalize_subject
from oxt.xen.series import PatchResult, SeriesEngine, SeriesResult
from oxt.xen.survey import Survey, first_parent_range, run_survey
from oxt.xen.track_series import RecipeSeries, meta_virt_reader, needs_meta_virt, series_file, track_series


@dataclass
class Options:
    """The options every `oxt xen` command shares."""

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
            import sys
            print(text, file=sys.stderr)


@dataclass
class Target:
    """The track (or bare branch) being checked and each recipe's series."""

    branch: str
    remote: str
    manifest: object | None
    track: object | None
    series: list[RecipeSeries] = field(default_factory=list)

    @property
    def pin_ref(self) -> str | None:
        t = self.track
        if t is None:
            return None
        return t.srcrev if t.mode == "git" else t.version

    @property
    def base_tag(self) -> str | None:
        return self.track.release_tag if self.track is not None else None


def load_target(checkout: Checkout, opts: Options) -> Target:
    """The manifest's track (default: the preferred one) or, with --series, a bare branch."""
    from oxt.manifest import load_manifest

    manifest = load_manifest(checkout)
    if opts.series_file is not None:
        if not opts.track:
            raise OxtUserError("--series needs --track stable-X.Y: the upstream branch to check it on")
        target = Target(opts.track, opts.remote or manifest.xen.remote, manifest, None)
        target.series = [RecipeSeries("series", series_file(opts.series_file))]
        return target
    track = manifest.xen.track(opts.track) if opts.track else manifest.xen.preferred_track
    target = Target(track.branch, opts.remote or manifest.xen.remote, manifest, track)
    reader = None
    if needs_meta_virt(track):
        reader = meta_virt_reader(checkout, opts.meta_virt, progress=opts.say)
    target.series = track_series(manifest, track, meta_virt=reader, recipes=opts.recipes)
    return target


def fetch(target: Target, opts: Options, refs: list[str]) -> BranchRange:
    """Open the cache with *refs* of the target's branch present (close ``.cache`` after use)."""
    return open_range(target.remote, target.branch, refs, cache_dir=opts.cache_dir, progress=not opts.quiet,
                      base_hint=target.base_tag)


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


def _start_of_range(r: BranchRange, at: str) -> str | None:
    """The release the series is compared from for Subject matches (the base tag, when it precedes *at*)."""
    if r.base is None:
        return None
    base = r.refs.tags.get(r.base.tag)
    return base if base and r.cache.is_ancestor(base, at) else None


def check_series(checkout: Checkout, opts: Options,
                 at: str | None) -> tuple[Target, dict, list[tuple[str, SeriesResult]]]:
    """`oxt xen series`: every recipe's series at *at* (default: the pin)."""
    target = load_target(checkout, opts)
    ref = at or target.pin_ref or "tip"
    r = fetch(target, opts, [ref])
    try:
        commit = r.resolved[ref]
        start = _start_of_range(r, commit)
        carrier = subject_carrier(r.repo, start, commit) if start else None
        results = []
        for rec in target.series:
            with SeriesEngine(r.repo, rec.patches) as engine:
                results.append((rec.recipe, engine.evaluate(commit, carried_by=carrier(engine) if carrier else None)))
        at_info = {"ref": ref, "commit": commit, "describe": r.describe(commit)}
    finally:
        r.cache.__exit__(None, None, None)
    return target, at_info, results


@dataclass
class SurveyRun:
    target: Target
    recipe: str
    survey: Survey
    from_ref: str
    to_ref: str
    describe: dict[str, str | None]


def survey(checkout: Checkout, opts: Options, from_ref: str | None, to_ref: str, *,
           without_xsa: bool) -> list[SurveyRun]:
    """`oxt xen survey`: each recipe's series from FROM to TO (release tags + bisection)."""
    target = load_target(checkout, opts)
    from_ref = from_ref or target.base_tag
    if from_ref is None:
        raise OxtUserError("--series needs --from: the commit or release to start the survey at")
    r = fetch(target, opts, [from_ref, to_ref])
    runs = []
    try:
        start, end = r.resolved[from_ref], r.resolved[to_ref]
        if not r.cache.is_ancestor(start, end):
            raise OxtUserError(f"--from {from_ref} is not older than --to {to_ref} on {target.branch}; swap them")
        seen: dict[tuple, Survey] = {}
        for rec in target.series:
            series = rec.without("xsa") if without_xsa else rec
            if not series.patches:
                raise OxtUserError(f"{rec.recipe}: no patch left to survey"
                                   f"{' without the XSA queue' if without_xsa else ''}")
            key = tuple((p.name, p.data) for p in series.patches)
            if key not in seen:
                opts.say(f"survey {rec.recipe}: {len(series.patches)} patches, {from_ref}..{to_ref}")
                with SeriesEngine(r.repo, series.patches) as engine:
                    seen[key] = run_survey(engine, start=start, end=end, checkpoints=r.release_commits(),
                                           jobs=opts.jobs, progress=None if opts.quiet else opts.say,
                                           labels=(from_ref, to_ref))
            s = seen[key]
            shas = {p.commit.sha for p in s.points} | {t.commit.sha for t in s.transitions}
            runs.append(SurveyRun(target, rec.recipe, s, from_ref, to_ref, {sha: r.describe(sha) for sha in shas}))
    finally:
        r.cache.__exit__(None, None, None)
    return runs


@dataclass
class RefreshRun:
    target: Target
    at: dict
    plan: refresh_mod.RefreshPlan
    written: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def refresh(checkout: Checkout, opts: Options, *, dry_run: bool) -> RefreshRun:
    """`oxt xen refresh`: rewrite offset/fuzz patches of the track to apply exactly at the pin."""
    if opts.series_file is not None:
        raise OxtUserError("refresh works on the manifest's queues; --series is for series and survey")
    target = load_target(checkout, opts)
    ref = target.pin_ref
    r = fetch(target, opts, [ref])
    try:
        commit = r.resolved[ref]
        engines = []
        try:
            for rec in target.series:
                engine = SeriesEngine(r.repo, rec.patches).__enter__()
                engines.append((rec.recipe, engine, commit))
            plan = refresh_mod.plan_refresh(engines)
            problems = refresh_mod.verify(plan, engines) if plan.refreshed else []
        finally:
            for _, engine, _ in engines:
                engine.__exit__(None, None, None)
        at = {"ref": ref, "commit": commit, "describe": r.describe(commit)}
    finally:
        r.cache.__exit__(None, None, None)
    run = RefreshRun(target, at, plan, problems=problems)
    if problems:
        raise OxtUserError("refresh would not make these apply exactly (nothing written):\n" + "\n".join(problems))
    if not dry_run and plan.refreshed:
        run.written = refresh_mod.write(plan)
    return run
