"""The upstream a command works against: refs, the shallow cache, and what a track pins.

One ``git ls-remote`` gives the branches and tags; the cache holds the commits.
``oxt bump xen``, ``oxt xsa add|status`` and ``oxt xen series|survey|refresh|patch``
all go through this object, so "the commit a track pins", "the release its
range starts from" and "the commit ``--at 4.19.2`` names" mean the same in each::

    with UpstreamContext(remote, cache_dir, progress=True) as up:
        pin = up.pinned_commit(track)            # srcrev, or the commit of a tarball's RELEASE tag
        base = up.base_release(track)            # the RELEASE-X.Y.Z the range starts after
        up.fetch(track, base, need=[pin])        # shallow range fetch into the cache
        result = check_series(up.cache.path, pin, patches)   # oxt.xen.series: the series engine

        span = up.fetch_refs(track, [parse_ref("4.19.2", track.branch, option="--at")])
        span.commits["4.19.2"], span.release_commits()      # the ref's commit; RELEASE tags in the range
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oxt.manifest import TARBALL, XenTrack
from oxt.xen.cache import UpstreamCache
from oxt.xen.refs import Ref
from oxt.xen.upstream import RemoteRefs, UnknownRefError, ls_remote
from oxt.xen.versions import Version


@dataclass
class FetchedRange:
    """A track's branch in the cache from *base* on, and the commits the named refs resolved to."""

    upstream: "UpstreamContext"
    track: XenTrack
    base: Version | None
    commits: dict[str, str] = field(default_factory=dict)  # ref text -> full commit

    @property
    def repo(self) -> Path:
        return self.upstream.cache.path

    def release_commits(self) -> dict[str, str]:
        """RELEASE-X.Y.Z -> commit, for the track's releases from the base on (the survey's checkpoints)."""
        refs, cache = self.upstream.refs, self.upstream.cache
        return {v.tag: refs.tags[v.tag] for v in refs.releases(self.track.series)
                if (self.base is None or v >= self.base) and cache.has(refs.tags[v.tag])}

    def base_commit_before(self, commit: str) -> str | None:
        """The base release's commit when it precedes *commit* (where "carried upstream" looks from)."""
        base = self.upstream.refs.tags.get(self.base.tag) if self.base else None
        return base if base and self.upstream.cache.is_ancestor(base, commit) else None

    def describe(self, sha: str) -> str | None:
        return self.upstream.cache.describe(sha)


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

    def fetch_refs(self, track: XenTrack, wanted: list[Ref]) -> FetchedRange:
        """Fetch *track*'s branch from the oldest release *wanted* names (or the track's own base
        release) with every release tag from there on; then resolve each ref on the branch."""
        self.refs.branch(track.branch)  # an unknown branch fails before any fetch
        versions = [r.version for r in wanted if r.version]
        for v in versions:
            self.refs.release(v)  # an unknown release names the nearest existing tags
        own = self.base_release(track)
        base = min([*versions, *([own] if own else [])], default=None)
        tags = [v.tag for v in self.refs.releases(track.series) if base is None or v >= base]
        self.fetch(track, base, tags=tags, need=[self.pinned_commit(track), *(self.refs.tags[v.tag] for v in versions)])
        span = FetchedRange(self, track, base)
        for ref in wanted:
            span.commits[ref.text] = self.commit_of(track, ref, base=base)
        return span

    def commit_of(self, track: XenTrack, ref: Ref, *, base: Version | None) -> str:
        """The full commit *ref* names on *track*'s branch (its range fetched from *base*)."""
        if ref.tip:
            return self.refs.branch(track.branch)
        if ref.version:
            return self.refs.release(ref.version)
        return self.on_branch(track, ref.full or ref.commit, what=ref.label, base=base)

    def on_branch(self, track: XenTrack, commit: str, *, what: str, base: Version | None) -> str:
        """*commit* (full or abbreviated) as a full id, once it is known to be on *track*'s branch."""
        sha = self.cache.resolve(commit)
        if sha is None:
            since = base.tag if base else "the fetched range"
            raise UnknownRefError(f"{what}: no such commit on {track.branch} since {since} (fetched from "
                                  f"{self.url}); check the id, or name a release (X.Y.Z) instead")
        if not self.cache.is_ancestor(sha, f"refs/oxt/heads/{track.branch}"):
            raise UnknownRefError(f"{what}: commit {sha[:12]} is not on branch {track.branch} of {self.url}; "
                                  "pick a commit of that branch")
        return sha
