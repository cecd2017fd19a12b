"""What `oxt xen series|survey|refresh` do, between the command line and the
engine: pick the track, fetch the branch range (:class:`.context.UpstreamContext`),
build each recipe's series (:mod:`.track_series`), run the engine, and hand
back results for :mod:`.series_report`. `bump xen`, `xsa add` and `xen patch
add` reach the engine through :mod:`.series_check`, as these commands do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oxt.errors import OxtUserError
from oxt.manifest import GIT, Manifest, XenTrack, load_manifest
from oxt.repo import Checkout
from oxt.xen import refresh as refresh_mod
from oxt.xen.metavirt import meta_virt_reader
from oxt.xen.context import FetchedRange
from oxt.xen.refs import pin_text
from oxt.xen.series import SeriesEngine, SeriesResult
from oxt.xen.series_check import Options, evaluate_at, fetched
from oxt.xen.survey import Survey, run_survey
from oxt.xen.track_series import RecipeSeries, needs_meta_virt, series_file, track_series
from oxt.xen.tracks import pick_one


@dataclass
class Target:
    """The track (or, with --series, a bare branch) being checked and each recipe's series."""

    manifest: Manifest
    track: XenTrack
    remote: str
    series: list[RecipeSeries] = field(default_factory=list)
    in_manifest: bool = True

    @property
    def branch(self) -> str:
        return self.track.branch

    @property
    def pin_ref(self) -> str | None:
        return pin_text(self.track) if self.in_manifest else None


def load_target(checkout: Checkout, opts: Options) -> Target:
    """The manifest's track (default: the preferred one) or, with --series, a bare branch."""
    manifest = load_manifest(checkout)
    remote = opts.remote or manifest.xen.remote
    if opts.series_file is not None:
        if not opts.track:
            raise OxtUserError("--series needs --track stable-X.Y: the upstream branch to check it on")
        bare = XenTrack(branch=opts.track, mode=GIT, license_md5="")
        return Target(manifest, bare, remote, [RecipeSeries("series", series_file(opts.series_file))], False)
    track = pick_one(manifest, opts.track) if opts.track else manifest.xen.preferred_track
    reader = meta_virt_reader(checkout, opts.meta_virt, progress=opts.say) if needs_meta_virt(track) else None
    return Target(manifest, track, remote, track_series(manifest, track, meta_virt=reader, recipes=opts.recipes))


def _fetched(target: Target, opts: Options, wanted: list[tuple[str, str]]):
    return fetched(target.remote, target.track, opts, wanted)


def at_info(span: FetchedRange, ref: str, commit: str) -> dict:
    return {"ref": ref, "commit": commit, "describe": span.describe(commit)}


def check_series(checkout: Checkout, opts: Options,
                 at: str | None) -> tuple[Target, dict, list[tuple[str, SeriesResult]]]:
    """`oxt xen series`: every recipe's series at *at* (default: the pin)."""
    target = load_target(checkout, opts)
    ref = at or target.pin_ref or "tip"
    with _fetched(target, opts, [("--at", ref)]) as span:
        commit = span.commits[ref]
        return target, at_info(span, ref, commit), evaluate_at(span, commit, target.series)


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
    from_ref = from_ref or (target.track.release_tag if target.in_manifest else None)
    if from_ref is None:
        raise OxtUserError("--series needs --from: the commit or release to start the survey at")
    with _fetched(target, opts, [("--from", from_ref), ("--to", to_ref)]) as span:
        start, end = span.commits[from_ref], span.commits[to_ref]
        if not span.upstream.cache.is_ancestor(start, end):
            raise OxtUserError(f"--from {from_ref} is not older than --to {to_ref} on {target.branch}; swap them")
        seen: dict[tuple, Survey] = {}
        runs = []
        for rec in target.series:
            series = rec.without("xsa") if without_xsa else rec
            if not series.patches:
                raise OxtUserError(f"{rec.recipe}: no patch left to survey"
                                   f"{' without the XSA queue' if without_xsa else ''}")
            key = tuple((p.name, p.data) for p in series.patches)
            if key not in seen:
                opts.say(f"survey {rec.recipe}: {len(series.patches)} patches, {from_ref}..{to_ref}")
                with SeriesEngine(span.repo, series.patches) as engine:
                    seen[key] = run_survey(engine, start=start, end=end, checkpoints=span.release_commits(),
                                           jobs=opts.jobs, progress=None if opts.quiet else opts.say,
                                           labels=(from_ref, to_ref))
            s = seen[key]
            shas = {p.commit.sha for p in s.points} | {t.commit.sha for t in s.transitions}
            runs.append(SurveyRun(target, rec.recipe, s, from_ref, to_ref, {sha: span.describe(sha) for sha in shas}))
    return runs


@dataclass
class RefreshRun:
    target: Target
    at: dict
    plan: refresh_mod.RefreshPlan
    written: list[Path] = field(default_factory=list)


def refresh(checkout: Checkout, opts: Options, *, dry_run: bool) -> RefreshRun:
    """`oxt xen refresh`: rewrite offset/fuzz patches of the track to apply exactly at the pin."""
    if opts.series_file is not None:
        raise OxtUserError("refresh works on the manifest's queues; --series is for series and survey")
    target = load_target(checkout, opts)
    ref = target.pin_ref
    with _fetched(target, opts, [("pin", ref)]) as span:
        commit = span.commits[ref]
        plan = refresh_mod.plan_for(span.repo, commit, [(rec.recipe, rec.patches) for rec in target.series])
        at = at_info(span, ref, commit)
    run = RefreshRun(target, at, plan)
    if not dry_run and plan.refreshed:
        run.written = refresh_mod.write(checkout, plan)
    return run
