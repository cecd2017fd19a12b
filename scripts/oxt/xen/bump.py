"""``oxt bump xen`` from start to end: select tracks, plan each, check the series, then write and commit.

The plan (:mod:`.plan`) reads upstream and the checkout only; :func:`bump`
then turns the changed tracks into one manifest edit (:mod:`oxt.changeset`,
planned, not written), applies each track's whole patch series — kept XSAs,
meta-virtualization's patches, the OpenXT queue — at the new pin with the
series engine (:func:`oxt.xen.series_check.at_target`, which bisects old
pin..target for the upstream commit that broke each patch), and only then
writes the edit with the dropped XSA files and the re-rendered recipes (all or
nothing) and, when asked, makes the one commit (:mod:`.commit`).

A broken OpenXT queue stops the bump before anything is written (the summary
still says why; exit 1) unless ``allow_broken_series``: then it is written,
warned about and marked in the summary and the commit message.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from oxt import changeset
from oxt.manifest_edit import ManifestDocument
from oxt.repo import Checkout
from oxt.xen import summary, tracks
from oxt.xen.commit import ensure_clean, message_for
from oxt.xen.context import FetchedRange, UpstreamContext
from oxt.xen.metavirt import meta_virt_reader
from oxt.xen.plan import BumpOptions, TrackPlan, plan_track
from oxt.xen.series_check import at_target
from oxt.xen.track_series import needs_meta_virt, track_series


@dataclass(frozen=True)
class BumpRequest:
    """What the command line asked for."""

    options: BumpOptions
    track: str | None = None
    new_track: str | None = None
    remote: str | None = None  # default: the manifest's xen.remote
    cache_dir: Path | None = None
    dry_run: bool = False
    commit: bool = False
    allow_broken_series: bool = False
    meta_virt: str | None = None  # where meta-virtualization's patches are (see oxt.xen.metavirt)


def bump(checkout: Checkout, request: BumpRequest) -> dict:
    """Plan every selected track, check its series and, unless a dry run or a broken OpenXT queue,
    write (and commit) the result; the summary data (``stopped``: why nothing was written)."""
    doc = ManifestDocument.load(checkout)
    manifest = doc.validate()
    selected = tracks.for_bump(manifest, track=request.track, new_track=request.new_track,
                               to=request.options.to, mode=request.options.mode)
    repo = None
    if request.commit and not request.dry_run:
        repo = ensure_clean(checkout.root, changeset.touched_paths(checkout))
    with UpstreamContext(request.remote or manifest.xen.remote, request.cache_dir,
                         progress=request.options.progress) as upstream:
        plans = [plan_track(track, new_track=is_new, upstream=upstream, xsa_dir=manifest.xsa_dir,
                            options=request.options) for track, is_new in selected]
        changed = [p for p in plans if p.changed]
        for plan in changed:
            doc.put_track(plan.new_track)
        removed = [manifest.xsa_dir / f for p in changed for f in p.dropped_files]
        changes = changeset.plan_changes(checkout, doc, remove=removed)
        _check_series(checkout, upstream, plans, changes, request)
    stopped = [line for p in changed if p.series and not p.series.allowed for line in p.series.stop_lines(p.branch)]
    commit = None
    if changed and not request.dry_run and not stopped:
        # with --commit, the commit is the last step of the same journaled operation
        changeset.write(changes, commit_message=message_for(plans) if repo is not None else None)
        if repo is not None:
            commit = repo.head.commit.hexsha
    return summary.to_data(plans, dry_run=request.dry_run, commit=commit, stopped=stopped)


def _check_series(checkout: Checkout, upstream: UpstreamContext, plans: list[TrackPlan],
                  changes: changeset.ChangeSet, request: BumpRequest) -> None:
    """Each track's series (as the edited manifest renders it) at its new pin."""
    say = (lambda text: print(text, file=sys.stderr)) if request.options.progress else None
    for plan in plans:
        track = changes.manifest.xen.track(plan.branch)
        reader = meta_virt_reader(checkout, request.meta_virt, progress=say) if needs_meta_virt(track) else None
        series = track_series(changes.manifest, track, meta_virt=reader, files=changes.add)
        if not any(rec.patches for rec in series):
            continue
        span = FetchedRange(upstream, track, plan.base)
        plan.series = at_target(span, series, plan.new.commit, plan.old.commit)
        plan.warnings += [f"meta-virtualization's {r.name.split('/', 1)[1]} is {r.label} at the new pin ({r.detail}): "
                          "drop it from the track's upstream_patches" for r in plan.series.failing(("upstream",))]
        if plan.series.broken and not plan.changed:  # nothing to stop: say so
            plan.warnings += [f"the OpenXT patch series does not apply at the current pin: {line.split(': ', 1)[1]}"
                              for line in plan.series.stop_lines(plan.branch)]
        plan.series.allowed = plan.changed and request.allow_broken_series  # else a broken one stops the bump
