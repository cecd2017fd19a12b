"""The upstream a command works against: refs, the shallow cache, and what a track pins.

One ``git ls-remote`` gives the branches and tags; the cache holds the commits.
``oxt bump xen``, ``oxt xsa add`` and ``oxt xsa status`` all go through this
object, so "the commit a track pins" and "the release its range starts from"
mean the same in each::

    with UpstreamContext(remote, cache_dir, progress=True) as up:
        pin = up.pinned_commit(track)            # srcrev, or the commit of a tarball's RELEASE tag
        base = up.base_release(track)            # the RELEASE-X.Y.Z the range starts after
        up.fetch(track, base, need=[pin])        # shallow range fetch into the cache
        result = check_series(up.cache.path, pin, patches)   # oxt.xen.series: the series engine
"""

from __future__ import annotations

from pathlib import Path

from oxt.manifest import TARBALL, XenTrack
from oxt.xen.cache import UpstreamCache
from oxt.xen.upstream import RemoteRefs, ls_remote
from oxt.xen.versions import Version


class UpstreamContext:
    """Upstream xen.git for one command: use as a context manager (it holds the cache lock)."""

    def __init__(self, remote: str, cache_dir: Path | None = None, *, progress: bool = True):
        self.refs: RemoteRefs = ls_remote(remote)  # first: an unreachable remote fails before the cache lock
        self.cache = UpstreamCache(cache_dir, remote, progress=progress)

    def __enter__(self) -> "UpstreamContext":
        self.cache.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.cache.__exit__(*exc)

    @property
    def url(self) -> str:
        return self.refs.url

    def pinned_commit(self, track: XenTrack) -> str | None:
        """The commit *track* pins: its srcrev, or the commit of its tarball's RELEASE tag."""
        if track.mode == TARBALL and track.version:
            version = Version.parse(track.version)
            return self.refs.tags.get(version.tag) if version else None
        return track.srcrev

    def base_release(self, track: XenTrack, *, new_track: bool = False,
                     target: Version | None = None) -> Version | None:
        """The release a range fetch for *track* starts after: the release the pin describes
        from (or the *target* release when older); for a new track the newest release of its
        series. None when the remote has no such tag."""
        base = None if new_track else Version.from_tag(track.release_tag)
        if target and (base is None or target < base):
            base = target
        releases = self.refs.releases(track.series)
        if base is None and releases:
            base = releases[-1] if new_track else releases[0]
        return base if base and base.tag in self.refs.tags else None

    def fetch(self, track: XenTrack, base: Version | None, *, need: list[str | None],
              tags: list[str] = ()) -> None:
        """Bring *track*'s branch from *base* to its tip, *tags* and the *need* commits into the cache."""
        self.cache.ensure_range(track.branch, self.refs.branch(track.branch),
                                base_tag=base.tag if base else None,
                                base_commit=self.refs.tags[base.tag] if base else None,
                                tags=list(tags), need=[c for c in need if c])
