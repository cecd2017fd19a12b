"""`oxt xen patch add|remove`: the OpenXT patch queue of a Xen track.

A patch is queued with its one-line purpose (the manifest's ``purpose``,
given as ``--why``) under ``meta-openxt/recipes-extended/xen/files/openxt/``,
after the track's XSA queue and meta-virtualization's patches (the
renderer's SRC_URI order). Before anything is written, every file is
checked: a patch (not empty, not binary, no CRLF, paths inside the tree,
-p1), with an ``Upstream-Status:`` OE's patch QA accepts, not queued already
— and, unless ``--no-check``, pushed on top of the track's whole series at
the pinned commit (:func:`oxt.xen.series_check.check_new`): it must apply
clean or with an offset (``--refresh`` rewrites one needing fuzz), must not
create a file that exists, and must not be carried upstream already.

Every refusal is an :class:`~oxt.errors.OxtUserError` (exit 2) raised before
the first write; the write (manifest, patch files, re-rendered recipes) is
:func:`oxt.changeset.write`: all or nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from oxt import changeset
from oxt.errors import OxtUserError
from oxt.manifest import Manifest, Patch, XenTrack
from oxt.manifest_edit import ManifestDocument
from oxt.repo import Checkout
from oxt.xen.metavirt import meta_virt_reader
from oxt.xen.patchfile import lint
from oxt.xen.refs import pin_text
from oxt.xen.series_check import Hints, NewPatch, Options, check_new, fetched, series_upto
from oxt.xen.track_series import needs_meta_virt
from oxt.xen.tracks import pick_one

HINTS = Hints(fails="rebase it on the pinned commit with the queue before it applied")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _why(text: str | None) -> str:
    if "\n" in (text or "").strip():
        raise OxtUserError("--why must be one line; details belong in the patch header")
    why = " ".join((text or "").split())
    if not why:
        raise OxtUserError('--why "…" is required: say in one line why OpenXT carries the patch '
                           "(it goes into the manifest and the recipe)")
    return why


def _track(manifest: Manifest, opts: Options) -> XenTrack:
    if opts.series_file is not None:
        raise OxtUserError("patch add|remove edits the manifest's queue; --series is for series and survey")
    return pick_one(manifest, opts.track) if opts.track else manifest.xen.preferred_track


def _queued(manifest: Manifest, track: XenTrack) -> dict[str, str]:
    """sha256 -> SRC_URI name of every patch file the track already applies."""
    paths = [(f"xsa/{f}", manifest.xsa_patch_path(f)) for x in track.xsa for f in x.patches]
    paths += [(f"openxt/{q.file}", manifest.xen_patch_path(q.file)) for q in track.patches]
    return {_sha(p.read_bytes()): name for name, p in paths if p.is_file()}


def _validated(checkout: Checkout, manifest: Manifest, track: XenTrack, files: list[Path]) -> list[NewPatch]:
    """Every file linted and compared with the queue and with each other (OxtUserError naming it)."""
    queued, names = _queued(manifest, track), {q.file for q in track.patches}
    new: list[NewPatch] = []
    for f in map(Path, files):
        digest = lint(f, require_status=True).digest
        if f.name in names:
            raise OxtUserError(f"{f}: {f.name} is already in {track.branch}'s OpenXT queue; remove it first "
                               f"(oxt xen patch remove {f.name}) or rename the new one")
        if digest in queued:
            raise OxtUserError(f"{f}: the same patch is already queued for {track.branch} as {queued[digest]}; "
                               "nothing to add")
        for n in new:
            if n.name == f"openxt/{f.name}" or _sha(n.data) == digest:
                raise OxtUserError(f"{f}: given twice (or the same as {n.source}); queue each patch once")
        dest = manifest.xen_patch_path(f.name)
        if dest.exists() and _sha(dest.read_bytes()) != digest:
            raise OxtUserError(f"{f}: {dest.relative_to(checkout.root)} already exists with other content "
                               "(another track's patch or a leftover); rename yours or remove that file")
        new.append(NewPatch(f"openxt/{f.name}", f, f.read_bytes()))
    return new


def add(checkout: Checkout, opts: Options, files: list[Path], why: str | None, *, check: bool = True,
        refresh: bool = False) -> tuple[XenTrack, list[NewPatch]]:
    """Queue *files* (checked on the series unless not *check*), write manifest, files and recipes."""
    purpose = _why(why)
    doc = ManifestDocument.load(checkout)
    manifest = doc.validate()
    track = _track(manifest, opts)
    new = _validated(checkout, manifest, track, files)
    queue = (*track.patches, *(Patch(n.name.removeprefix("openxt/"), purpose) for n in new))
    doc.put_track(replace(track, patches=queue))
    dest = {n.name: manifest.xen_patch_path(n.name.removeprefix("openxt/")) for n in new}
    changes = changeset.plan_changes(checkout, doc, add={dest[n.name]: n.data for n in new})
    if check:
        reader = meta_virt_reader(checkout, opts.meta_virt, progress=opts.say) if needs_meta_virt(track) else None
        series = series_upto(changes.manifest, track, set(dest), files=changes.add, meta_virt=reader)
        with fetched(opts.remote or manifest.xen.remote, track, opts, [("pin", pin_text(track))]) as span:
            check_new(span, span.commits[pin_text(track)], series, new, refresh=refresh, hints=HINTS)
        changes = replace(changes, add={dest[n.name]: n.data for n in new})
    changeset.write(changes)
    return track, new


def remove(checkout: Checkout, opts: Options, names: list[str]) -> tuple[XenTrack, list[str]]:
    """Drop *names* from the track's OpenXT queue (and their files, unless another track uses them)."""
    doc = ManifestDocument.load(checkout)
    manifest = doc.validate()
    track = _track(manifest, opts)
    queued = [q.file for q in track.patches]
    drop: list[str] = []
    for n in names:
        key = Path(n).name if Path(n).name in queued else n.removeprefix("openxt/")
        if key not in queued:
            raise OxtUserError(f"{n}: not in {track.branch}'s OpenXT queue (queued: {', '.join(queued) or 'none'})")
        if key in drop:
            raise OxtUserError(f"{n}: given twice")
        drop.append(key)
    doc.put_track(replace(track, patches=tuple(q for q in track.patches if q.file not in drop)))
    used_elsewhere = {q.file for t in manifest.xen.tracks if t.branch != track.branch for q in t.patches}
    files = [manifest.xen_patch_path(f) for f in drop if f not in used_elsewhere]
    changeset.write(changeset.plan_changes(checkout, doc, remove=files))
    return track, drop
