"""Which Xen tracks of the manifest a command works on (``--track`` / ``--new-track``)."""

from __future__ import annotations

from oxt.errors import OxtUserError
from oxt.manifest import GIT, Manifest, XenTrack
from oxt.xen.versions import branch_series


def pick_one(manifest: Manifest, name: str | None) -> XenTrack:
    """The track ``--track`` names; without it, the only track (``oxt xsa``)."""
    branches = manifest.xen.branches
    if name:
        track = manifest.xen.find(name)
        if track is None:
            raise OxtUserError(f"--track {name}: no such track (tracks: {', '.join(branches)})")
        return track
    if len(branches) > 1:
        raise OxtUserError(f"the manifest has {len(branches)} tracks ({', '.join(branches)}); pass --track")
    return manifest.xen.tracks[0]


def for_bump(manifest: Manifest, *, track: str | None, new_track: str | None, to: str,
             mode: str | None) -> list[tuple[XenTrack, bool]]:
    """(track, is new) pairs ``oxt bump xen`` works on: a new track, the one named, or all."""
    xen, path = manifest.xen, manifest.path
    if new_track:
        if track:
            raise OxtUserError("--new-track and --track cannot be combined; add the track first, then bump it")
        if not branch_series(new_track):
            raise OxtUserError(f"--new-track {new_track}: expected stable-X.Y")
        if xen.find(new_track):
            raise OxtUserError(f"--new-track {new_track}: {path} already has that track; use --track {new_track}")
        return [(XenTrack(branch=new_track, mode=mode or GIT, license_md5=""), True)]
    if track:
        found = xen.find(track)
        if found is None:
            raise OxtUserError(f"--track {track}: {path} has no such track (tracks: {', '.join(xen.branches)})")
        return [(found, False)]
    if to != "tip" and len(xen.tracks) > 1:
        raise OxtUserError(f"--to {to} needs --track (the manifest has {len(xen.tracks)} tracks)")
    return [(t, False) for t in xen.tracks]
