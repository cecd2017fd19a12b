"""``oxt bump xen`` from start to end: select tracks, plan each, then write and commit.

The plan (:mod:`.plan`) reads upstream and the checkout only; :func:`bump`
then turns the changed tracks into one manifest edit, writes it with the
dropped XSA files and the re-rendered recipes (:mod:`oxt.changeset`, all or
nothing) and, when asked, makes the one commit (:mod:`.commit`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from oxt import changeset
from oxt.manifest_edit import ManifestDocument
from oxt.repo import Checkout
from oxt.xen import summary, tracks
from oxt.xen.commit import ensure_clean, message_for
from oxt.xen.context import UpstreamContext
from oxt.xen.plan import BumpOptions, plan_track


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


def bump(checkout: Checkout, request: BumpRequest) -> dict:
    """Plan every selected track and, unless a dry run, write (and commit) the result; the summary data."""
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
    commit = None
    changed = [p for p in plans if p.changed]
    if changed and not request.dry_run:
        for plan in changed:
            doc.put_track(plan.new_track)
        removed = [manifest.xsa_dir / f for p in changed for f in p.dropped_files]
        message = message_for(plans) if repo is not None else None
        changeset.write(changeset.plan_changes(checkout, doc, remove=removed), commit_message=message)
        if repo is not None:
            commit = repo.head.commit.hexsha
    return summary.to_data(plans, dry_run=request.dry_run, commit=commit)
