"""The part of an upstream stable branch a series check needs, in the shallow cache.

`oxt xen series|survey|refresh|patch add` name commits as ``tip``, ``X.Y.Z``,
``RELEASE-X.Y.Z`` or a commit id. This resolves them on the remote
(``git ls-remote``), fetches the branch from the oldest release needed into
the shared cache of :mod:`.cache` (``--shallow-exclude``, never a full
clone), and checks that every named commit is on the branch. An unknown
branch, tag or commit is an :class:`~oxt.xen.upstream.UnknownRefError`
(exit 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from oxt.xen.cache import UpstreamCache
from oxt.xen.upstream import RemoteRefs, UnknownRefError, ls_remote
from oxt.xen.versions import Version, branch_series

_HEX = re.compile(r"^[0-9a-f]{7,40}$")


@dataclass
class BranchRange:
    """An open cache holding *branch* from *base* to its tip, and the refs of the remote."""

    branch: str
    refs: RemoteRefs
    cache: UpstreamCache
    tip: str
    base: Version | None = None
    resolved: dict[str, str] = field(default_factory=dict)  # the user's text -> commit

    @property
    def series(self) -> str:
        return branch_series(self.branch) or ""

    @property
    def repo(self) -> Path:
        return self.cache.path

    def release_commits(self) -> dict[str, str]:
        """RELEASE-X.Y.Z -> commit for the branch's releases at or after the fetched base."""
        return {v.tag: self.refs.tags[v.tag] for v in self.refs.releases(self.series)
                if (self.base is None or v >= self.base) and self.cache.has(self.refs.tags[v.tag])}

    def describe(self, sha: str) -> str | None:
        return self.cache.describe(sha)


def _version(text: str) -> Version | None:
    return Version.parse(text) or Version.from_tag(text)


def open_range(url: str, branch: str, refs_wanted: list[str], *, cache_dir: Path | None, progress: bool,
               base_hint: str | None = None) -> BranchRange:
    """Fetch what resolving *refs_wanted* on *branch* needs; the caller closes ``.cache``.

    *base_hint* (a RELEASE tag, e.g. the track's) bounds the fetch when only
    commit ids are named.
    """
    series = branch_series(branch)
    if not series:
        raise UnknownRefError(f"--track {branch}: not a stable-X.Y branch name; name an upstream stable branch")
    refs = ls_remote(url)
    tip = refs.branch(branch)
    versions = []
    for text in refs_wanted:
        v = _version(text)
        if v is not None:
            if v.series != series:
                raise UnknownRefError(f"{text}: not a release of {branch} (it is Xen {v.series}); "
                                      f"name a {series}.N release, a commit of {branch} or tip")
            refs.release(v)  # UnknownRefError listing the nearest existing tags
            versions.append(v)
        elif text != "tip" and not _HEX.match(text):
            raise UnknownRefError(f"{text!r}: not a ref oxt understands; use tip, X.Y.Z, RELEASE-X.Y.Z or a "
                                  f"commit id of {branch}")
    hint = _version(base_hint) if base_hint else None
    releases = refs.releases(series)
    if hint is not None and hint in releases:
        versions.append(hint)
    base = min(versions) if versions else (releases[0] if releases else None)
    tags = [v.tag for v in releases if base is None or v >= base]
    cache = UpstreamCache(cache_dir, url, progress=progress).__enter__()
    try:
        cache.ensure_range(branch, tip, base_tag=base.tag if base else None,
                           base_commit=refs.tags[base.tag] if base else None, tags=tags,
                           need=[refs.tags[v.tag] for v in versions])
        out = BranchRange(branch, refs, cache, tip, base)
        for text in refs_wanted:
            out.resolved[text] = _resolve(out, text)
    except BaseException:
        cache.__exit__(None, None, None)
        raise
    return out


def _resolve(r: BranchRange, text: str) -> str:
    if text == "tip":
        return r.tip
    v = _version(text)
    if v is not None:
        return r.refs.tags[v.tag]
    sha = r.cache.resolve(text)
    if sha is None or not r.cache.is_ancestor(sha, r.tip):
        since = f" after {r.base.tag}" if r.base else ""
        raise UnknownRefError(f"commit {text} is not on {r.branch}{since} (fetched from {r.refs.url}); "
                              "check the id, or name a release tag (X.Y.Z) instead")
    return sha
