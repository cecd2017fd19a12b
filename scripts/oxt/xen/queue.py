"""Queue XSA patch files on Xen tracks: the one write path of `oxt xsa add`
and `oxt xsa sync`.

:func:`pin_of` finds the commit a track's queue applies on (and makes it
present in the shallow cache); :func:`write_queue` copies the files under
``meta-openxt/recipes-extended/xen/files/xsa/``, records the entries (sorted
by XSA number: the SRC_URI order) in the manifest and re-renders — all or
nothing (:func:`oxt.xen.apply.write`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from oxt.errors import OxtUserError
from oxt.repo import Checkout
from oxt.xen import apply as xen_apply
from oxt.xen import manifest_io
from oxt.xen.model import Track, XsaEntry
from oxt.xen.versions import describe_parts


@dataclass(frozen=True)
class Queued:
    """One advisory to put on one track: its entry and the bytes of each file (by queue name)."""

    track: str
    entry: XsaEntry
    files: dict[str, bytes]


def pin_of(track: Track, refs, cache) -> tuple[str, str | None]:
    """(the commit the track's patches apply on, the release tag commit it describes from),
    both fetched into *cache* (an open :class:`oxt.xen.cache.UpstreamCache`)."""
    pin = track.srcrev or refs.tags.get(f"RELEASE-{track.version}")
    if not pin:
        raise OxtUserError(f"track {track.branch}: the remote has no RELEASE-{track.version} tag to apply on")
    base = describe_parts(track.tag or "")[0]
    base = base if base in refs.tags else None
    base_commit = refs.tags.get(base) if base else None
    cache.ensure_range(track.branch, refs.branch(track.branch), base_tag=base, base_commit=base_commit,
                       tags=[], need=[pin])
    return pin, base_commit


def write_queue(checkout: Checkout, manifest, tracks: list[Track], additions: list[Queued],
                *, replace: bool = False) -> tuple[list[str], list[Path]]:
    """Add *additions* to their tracks' XSA queues and re-render; (warnings, files written)."""
    xdir = manifest_io.xsa_dir(checkout)
    by_track: dict[str, list[Queued]] = {}
    for q in additions:
        by_track.setdefault(q.track, []).append(q)
    add: dict[Path, bytes] = {}
    remove: list[Path] = []
    new_tracks = []
    for t in tracks:
        mine = by_track.get(t.branch, [])
        numbers = {q.entry.number for q in mine}
        clash = [x.number for x in t.xsas if x.number in numbers]
        if clash and not replace:
            raise OxtUserError(f"XSA-{clash[0]} is already queued for {t.branch}; pass --replace to replace it")
        for x in t.xsas:
            if x.number in numbers:
                remove += [xdir / p for p in x.patches]
        xsas = sorted([x for x in t.xsas if x.number not in numbers] + [q.entry for q in mine],
                      key=lambda x: x.number)
        new_tracks.append(t.with_(xsas=tuple(xsas)) if mine else t)
        for q in mine:
            add.update({xdir / name: data for name, data in q.files.items()})
    remove = [f for f in remove if f not in add]
    text = manifest_io.updated_text(manifest, new_tracks, added=set(add), removed=set(remove))
    warnings, rendered = xen_apply.write(checkout, text, remove, add=add)
    return warnings, [manifest_io.manifest_path(checkout), *add, *remove, *rendered]
