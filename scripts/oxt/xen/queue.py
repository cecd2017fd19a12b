"""A track's XSA queue: queue an advisory's patch files, and see where the queue stands.

:func:`plan_queue` is the one way an advisory enters a queue, for ``oxt xsa
add`` and ``oxt xsa sync`` alike: the entries (:class:`Queued`) put on their
tracks in number order (the SRC_URI order, :func:`queued_track`), an entry of
the same number replaced with its old files removed, the files copied under
``files/xsa/`` — as a :class:`~oxt.changeset.ChangeSet`, written by
:func:`oxt.changeset.write` (all or nothing).

``oxt xsa add`` is :func:`add`: the files checked (:func:`patch_names`), the
edit planned (:func:`plan_add`), the advisory pushed with the series engine on
top of the patches the recipe applies before it — the XSAs queued before it,
in number order (:func:`oxt.xen.series_check.check_new`; ``--refresh``
rewrites a patch that only needs fuzz) — then :func:`oxt.changeset.write`.
``oxt xsa status`` is :func:`status`, a dry-run bump of every chosen track
against its own pin (or a target)::

    request = AddRequest(number=466, files=(Path("xsa466-4.19.patch"),))
    track, added = add(checkout, request, Options(track="stable-4.19"), check=True, refresh=False)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from pathlib import Path

from oxt.changeset import ChangeSet, plan_changes, write
from oxt.errors import OxtUserError
from oxt.manifest import GIT, Manifest, XenTrack, Xsa
from oxt.manifest_edit import ManifestDocument
from oxt.repo import Checkout
from oxt.xen.context import UpstreamContext
from oxt.xen.patches import queue_name, xsa_number_in_name
from oxt.xen.patchfile import lint
from oxt.xen.plan import BumpOptions, TrackPlan, plan_track
from oxt.xen.refs import pin_text
from oxt.xen.series_check import Hints, NewPatch, Options, check_new, fetched, series_upto
from oxt.xen.tracks import pick_one


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
        lint(f)  # PatchFileError naming the file: not a patch, empty, binary, CRLF, -p0, outside the tree
        n = xsa_number_in_name(f)
        if n is not None and n != request.number:
            raise OxtUserError(f"{f}: the file name says XSA-{n}, not XSA-{request.number}; check the number")
        names.append(queue_name(f))
    if len(set(names)) != len(names):
        raise OxtUserError(f"two files would get the same name under files/xsa/: {names}")
    return names


@dataclass(frozen=True)
class Queued:
    """One advisory to put on one track: its manifest entry and each file's bytes (by queue name)."""

    track: str
    entry: Xsa
    files: dict[str, bytes]


def queued_track(track: XenTrack, entries: list[Xsa]) -> XenTrack:
    """*track* with *entries* in its XSA queue (replacing those of the same number), in number order."""
    numbers = {e.number for e in entries}
    xsas = sorted([x for x in track.xsa if x.number not in numbers] + list(entries), key=lambda x: x.number)
    return replace(track, xsa=tuple(xsas))


def plan_queue(checkout: Checkout, doc: ManifestDocument, manifest: Manifest, additions: list[Queued]) -> ChangeSet:
    """The manifest with every addition queued on its track and its files copied; nothing written yet."""
    xdir = manifest.xsa_dir
    add: dict[Path, bytes] = {}
    remove: list[Path] = []
    for branch in dict.fromkeys(q.track for q in additions):
        track = manifest.xen.track(branch)
        mine = [q for q in additions if q.track == branch]
        doc.put_track(queued_track(track, [q.entry for q in mine]))
        numbers = {q.entry.number for q in mine}
        remove += [xdir / p for x in track.xsa if x.number in numbers for p in x.patches]
        for q in mine:
            add.update({xdir / name: data for name, data in q.files.items()})
    return plan_changes(checkout, doc, add=add, remove=[p for p in remove if p not in add])


def plan_add(checkout: Checkout, doc: ManifestDocument, manifest: Manifest, track: XenTrack,
             request: AddRequest, names: list[str]) -> ChangeSet:
    """The manifest with the XSA queued (in number order) and its files copied; nothing written yet."""
    entry = Xsa(number=request.number, patches=tuple(names), origin=request.origin_url)
    files = {n: f.read_bytes() for n, f in zip(names, request.files)}
    return plan_queue(checkout, doc, manifest, [Queued(track.branch, entry, files)])


def add(checkout: Checkout, request: AddRequest, opts: Options, *, check: bool = True,
        refresh: bool = False) -> tuple[XenTrack, list[NewPatch]]:
    """``oxt xsa add``: check, plan, check on the series (unless not *check*), write."""
    doc = ManifestDocument.load(checkout)
    manifest = doc.validate()
    track = pick_one(manifest, opts.track)
    names = patch_names(track, request)
    new = [NewPatch(f"xsa/{n}", f, f.read_bytes()) for n, f in zip(names, request.files)]
    changes = plan_add(checkout, doc, manifest, track, request, names)
    if check:
        # the advisory's patches and the XSAs before it: meta-virtualization's come later, never read here
        series = series_upto(changes.manifest, track, {n.name for n in new}, files=changes.add, meta_virt=None)
        with fetched(opts.remote or manifest.xen.remote, track, opts, [("pin", pin_text(track))]) as span:
            check_new(span, span.commits[pin_text(track)], series, new, refresh=refresh, hints=_hints(request))
        changes = dataclasses.replace(changes, add={manifest.xsa_dir / n: p.data for n, p in zip(names, new)})
    write(changes)
    return track, new


def _hints(request: AddRequest) -> Hints:
    return Hints(fails=f"take the advisory's patch for this branch (XSA-{request.number} ships one per stable "
                       "branch), or pass --no-check",
                 fuzz="pass --refresh to queue it rewritten to apply exactly (instead of --no-check)")


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
