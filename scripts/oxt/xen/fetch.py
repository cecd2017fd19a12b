"""Range fetches into the shallow cache: the commits after a release, never a clone.

A range fetch for ``stable-X.Y`` from the release the pin describes from
(``RELEASE-X.Y.Z``) to the branch tip is::

    git fetch --shallow-exclude=refs/tags/RELEASE-X.Y.Z upstream <branch> <newer RELEASE tags>
    git fetch --deepen=1 upstream <branch> RELEASE-X.Y.Z    # the tag commit, so describe can see it

i.e. the commits after that release plus one tree snapshot (the shallow
boundary). Servers that refuse ``--shallow-exclude`` get ``--depth`` instead,
deepened (doubling) until the pinned commit and the base tag are connected
to the tip. A second run with nothing new upstream fetches nothing.

Branch tips are fetched into ``refs/oxt-tmp/`` and moved into ``refs/oxt/``
only after the whole fetch succeeded, so an interrupted fetch never leaves a
half-updated tip; the marker file ``oxt-fetching`` exists from the first
fetch of a range to that move, so the next open knows to check the cache (see
:mod:`.cache`). A failure git blames on the cache's own objects ("could not
read <sha>", "bad object") is :class:`CacheDamaged`, which the cache answers
by rebuilding itself, and so is any failure after which ``git fsck`` finds the
cache broken; anything else is a :class:`FetchError` naming the remote.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

import git

from oxt.errors import GitError
from oxt.xen.progress import FetchProgress
from oxt.xen.upstream import git_reason

if TYPE_CHECKING:
    from oxt.xen.cache import UpstreamCache

REMOTE = "upstream"
FETCHING = "oxt-fetching"  # marker file in the cache while a range fetch is under way
# git's words when the *local* repository is at fault, not the remote or the network
_LOCAL_DAMAGE = re.compile(
    r"(could not read|bad object|unable to read|missing (?:blob|tree|commit|tag)) [0-9a-f]{7,40}"
    r"|did not send all necessary objects|unresolved deltas left after unpacking|object file \S+ is empty"
    r"|is corrupt", re.IGNORECASE)
MAX_DEEPEN_ROUNDS = 12  # 64 << 12 commits: beyond any stable branch
FIRST_DEPTH = 64


class FetchError(GitError):
    """A fetch from the upstream remote failed (network, interrupted, refused)."""


class CacheDamaged(Exception):
    """git failed because of the cache's own objects (internal: the cache rebuilds itself)."""


class RangeFetch:
    """Bring one branch's range into *cache* (see :meth:`UpstreamCache.ensure_range`)."""

    def __init__(self, cache: "UpstreamCache", branch: str):
        self.cache = cache
        self.branch = branch
        self.tmp_ref = f"refs/oxt-tmp/heads/{branch}"
        self.branch_spec = f"+refs/heads/{branch}:{self.tmp_ref}"
        self.label = f"fetch {branch}"

    def run(self, branch_tip: str, *, base_tag: str | None, base_commit: str | None, tags: list[str],
            need: list[str]) -> None:
        targets = [t for t in [*need, base_commit] if t]
        if self._satisfied(branch_tip, tags, targets):
            return
        marker = self.cache.path / FETCHING
        marker.write_text(f"{os.getpid()}\n")
        tag_specs = [_tag_spec(t) for t in tags]
        if base_tag and base_commit == branch_tip:
            # the tip is the release itself (e.g. right after X.Y.Z): nothing after the tag to
            # exclude-fetch, the tag commit alone is the range
            self._fetch([self.branch_spec, _tag_spec(base_tag), *tag_specs], f"({base_tag})", depth=1)
        elif base_tag:
            self._fetch_after(base_tag, tag_specs)
        else:
            self._fetch([self.branch_spec, *tag_specs], f"(depth {FIRST_DEPTH})", depth=FIRST_DEPTH)
        self._deepen_until_connected(targets)
        repo = self.cache.repo
        repo.git.update_ref(f"refs/oxt/heads/{self.branch}", self.tmp_ref)
        repo.git.update_ref("-d", self.tmp_ref)
        marker.unlink(missing_ok=True)

    def _fetch_after(self, base_tag: str, tag_specs: list[str]) -> None:
        try:
            self._fetch([self.branch_spec, *tag_specs], f"(after {base_tag})", shallow_exclude=f"refs/tags/{base_tag}")
            self._fetch([self.branch_spec, _tag_spec(base_tag)], f"({base_tag} itself)", deepen=1)
        except FetchError as err:
            if "shallow-exclude" not in str(err) and "deepen-not" not in str(err):
                raise
            self._fetch([self.branch_spec, *tag_specs, _tag_spec(base_tag)], f"(depth {FIRST_DEPTH})",
                        depth=FIRST_DEPTH)

    def _deepen_until_connected(self, targets: list[str]) -> None:
        depth, rounds = FIRST_DEPTH, 0
        while not self._connected(targets):
            if rounds >= MAX_DEEPEN_ROUNDS or not (self.cache.path / "shallow").exists():
                break
            rounds += 1
            self.cache.stats.deepens += 1
            self._fetch([self.branch_spec], f"(deepen by {depth})", deepen=depth)
            depth *= 2

    def _fetch(self, refspecs: list[str], what: str, **opts) -> None:
        cache = self.cache
        label = f"{self.label} {what}"
        progress = FetchProgress(label, cache.stream, cache.progress)
        cache.stats.fetches += 1
        try:
            cache.repo.remote(REMOTE).fetch(refspecs, progress=progress, no_tags=False, **opts)
        except git.GitCommandError as err:
            damage = _LOCAL_DAMAGE.search(err.stderr or "")
            if damage:
                raise CacheDamaged(damage.group(0)) from None
            if not cache.healthy():  # whatever git said, the cache's own objects are broken
                raise CacheDamaged(f"git fsck finds it broken after: {git_reason(err.stderr)}") from None
            raise FetchError(
                f"fetch from {cache.url} failed ({label}): {git_reason(err.stderr)}; "
                f"the cache {cache.path} is left consistent — rerun when the remote is reachable"
            ) from None

    def _connected(self, targets: list[str]) -> bool:
        tip = self.cache.resolve(self.tmp_ref)
        return bool(tip) and all(self.cache.is_ancestor(t, tip) for t in targets)

    def _satisfied(self, branch_tip: str, tags: list[str], targets: list[str]) -> bool:
        cache = self.cache
        if cache.tip(self.branch) != branch_tip:
            return False
        if any(cache.tag_commit(t) is None for t in tags):
            return False
        return all(cache.is_ancestor(t, branch_tip) for t in targets)


def _tag_spec(tag: str) -> str:
    return f"+refs/tags/{tag}:refs/tags/{tag}"
