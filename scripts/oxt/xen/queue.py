"""A track's XSA queue: queue an advisory's patch files, and see where the queue stands.

``oxt xsa add`` is :func:`plan_add` then :func:`oxt.changeset.write`;
``oxt xsa status`` is :func:`status`, a dry-run bump of every chosen track
against its own pin (or a target)::

    request = AddRequest(number=466, files=(Path("xsa466-4.19.patch"),))
    names = patch_names(track, request)                   # PatchError / OxtUserError on bad input
    with UpstreamContext(remote, cache_dir) as up:        # skipped with --no-check
        check_applies(up, track, request)
    changes = plan_add(checkout, doc, track, request, names)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from oxt.changeset import ChangeSet, plan_changes
from oxt.errors import OxtUserError
from oxt.manifest import GIT, Manifest, XenTrack, Xsa
from oxt.manifest_edit import ManifestDocument
from oxt.repo import Checkout
from oxt.xen.context import UpstreamContext
from oxt.xen.patches import changed_files, queue_name, xsa_number_in_name
from oxt.xen.plan import BumpOptions, TrackPlan, plan_track
from oxt.xen.series import SeriesPatch, check_series


@dataclass(frozen=True)
class AddRequest:
    """``oxt xsa add N FILE…``: an advisory's patch files, in apply order."""

    number: int
    files: tuple[Path, ...]
    origin: str = ""  # default: the advisory's page on xenbits
    replace: bool = False

    @property
    def origin_url(self) -> str:
        return self.origin or f"https://xenbits.xen.org/xsa/advisory-{self.number}.html"


def patch_names(track: XenTrack, request: AddRequest) -> list[str]:
    """The names the files get under files/xsa/, after checking each is a patch of this XSA."""
    queued = next((x for x in track.xsa if x.number == request.number), None)
    if queued and not request.replace:
        raise OxtUserError(f"XSA-{request.number} is already queued for {track.branch} "
                           f"({', '.join(queued.patches)}); pass --replace to replace it")
    names = []
    for f in request.files:
        changed_files(f)  # raises PatchError naming the file
        n = xsa_number_in_name(f)
        if n is not None and n != request.number:
            raise OxtUserError(f"{f}: the file name says XSA-{n}, not XSA-{request.number}; check the number")
        names.append(queue_name(f))
    if len(set(names)) != len(names):
        raise OxtUserError(f"two files would get the same name under files/xsa/: {names}")
    return names


def check_applies(upstream: UpstreamContext, track: XenTrack, request: AddRequest) -> None:
    """The patches must apply, in order, on the commit the track pins."""
    pin = upstream.pinned_commit(track)
    upstream.fetch(track, upstream.base_release(track), need=[pin])
    series = [SeriesPatch.from_file(f, kind="xsa") for f in request.files]
    failing = next((r for r in check_series(upstream.cache.path, pin, series).results if not r.ok), None)
    if failing:
        raise OxtUserError(f"XSA-{request.number}: {failing.name} does not apply ({failing.label}: {failing.detail}) "
                           f"(on {track.branch} at {pin[:12]}); take the advisory's patch for this branch, "
                           "or pass --no-check")


def plan_add(checkout: Checkout, doc: ManifestDocument, manifest: Manifest, track: XenTrack,
             request: AddRequest, names: list[str]) -> ChangeSet:
    """The manifest with the XSA queued (in number order) and its files copied; nothing written yet."""
    xdir = manifest.xsa_dir
    queued = next((x for x in track.xsa if x.number == request.number), None)
    entry = Xsa(number=request.number, patches=tuple(names), origin=request.origin_url)
    xsas = sorted([x for x in track.xsa if x.number != request.number] + [entry], key=lambda x: x.number)
    doc.put_track(replace(track, xsa=tuple(xsas)))
    add = {xdir / n: f.read_bytes() for n, f in zip(names, request.files)}
    remove = [xdir / p for p in (queued.patches if queued else ()) if xdir / p not in add]
    return plan_changes(checkout, doc, add=add, remove=remove)


def status(manifest: Manifest, tracks: list[XenTrack], upstream: UpstreamContext, *, to: str | None,
           progress: bool) -> list[TrackPlan]:
    """Per track, the decision a bump would take about each queued XSA -- against the pin
    itself (the queue's own base) unless *to* names a target."""
    plans = []
    for t in tracks:
        target = to or (t.srcrev if t.mode == GIT else (t.version or "tip"))
        opts = BumpOptions(to=target, progress=progress, allow_downgrade=True, index_since_base=True)
        plans.append(plan_track(t, new_track=False, upstream=upstream, xsa_dir=manifest.xsa_dir, options=opts))
    return plans
