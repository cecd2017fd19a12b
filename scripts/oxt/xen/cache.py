"""The cached shallow xen.git: only the commits a bump needs, never a clone.

Layout: a bare repository (default ``$XDG_CACHE_HOME/oxt/xen.git`` for the
default remote, ``xen-<hash>.git`` beside it for any other; env
``OXT_XEN_CACHE`` or ``--cache-dir`` override it) with one remote named
``upstream``. A cache belongs to the remote it was made from (``oxt.remote``
in its config): a directory that is not a git repository, a git repository
that is not an oxt cache, or the cache of another remote is refused, never
written into. Branch tips live under ``refs/oxt/heads/<branch>``, release
tags under ``refs/tags/``. How a range is fetched is :mod:`.fetch`; the
series engine (:mod:`.series`) reads the commits' blobs from it.

Locking: the cache is ``flock``-ed while a command uses it, and every git
command oxt runs in it holds the lock too (:mod:`oxt.locking`): when oxt is
killed, a ``git fetch`` it started keeps the lock until it ends, and the next
run waits for it instead of working beside it.

Interrupted fetches: git writes packs to temporary files and updates refs
and ``shallow`` under lock files, so a killed fetch leaves at most stale
``*.lock``/``tmp_*`` files and unreferenced objects. Each fetch leaves a
marker (``oxt-fetching``) until it is complete. On open, leftovers of a dead
run are removed (we hold the lock, so any lock file present is stale); after
an interrupted fetch the cache's connectivity is checked (``git fsck
--connectivity-only``), and a cache git cannot read, or whose objects are
damaged, is rebuilt from scratch -- it is only a cache. A fetch that fails
because of the cache itself (git "could not read <object>") rebuilds it and
fetches again, instead of blaming the network.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import git

from oxt.errors import OxtUserError
from oxt.locking import HeldLock, LockedGit
from oxt.xen.defaults import default_cache_dir
from oxt.xen.fetch import FETCHING, REMOTE, CacheDamaged, FetchError, RangeFetch
from oxt.xen.xsa_index import CommitInfo

__all__ = ["CacheError", "FetchError", "FetchStats", "UpstreamCache", "default_cache_dir"]

OWNER_KEY = "oxt.remote"  # the remote the cache was made from


class CacheError(OxtUserError):
    """The cache directory cannot be used: not a git repository, not oxt's, or of another remote."""


@dataclass
class FetchStats:
    fetches: int = 0
    deepens: int = 0
    rebuilds: int = 0


class UpstreamCache:
    """Use as a context manager: holds the cache lock while open."""

    def __init__(self, path: Path | None, url: str, *, progress: bool = True, stream=None):
        self.path = Path(path) if path else default_cache_dir(url)
        self.url = url
        self.progress = progress
        self.stream = stream or sys.stderr
        self.stats = FetchStats()
        self._lock: HeldLock | None = None
        self.repo: git.Repo | None = None

    # -- opening, locking, repair -------------------------------------------------
    def __enter__(self) -> "UpstreamCache":
        self._refuse_foreign()
        self._lock = HeldLock(self.path.parent / f".{self.path.name}.lock", what=f"the Xen cache {self.path}",
                              stream=self.stream)  # said even with -q: a silent wait looks like a hang
        self._lock.__enter__()
        try:
            self._refuse_foreign()  # again, now that no other oxt can be creating it
            self._open()
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.repo is not None:
            self.repo.close()
        if self._lock:
            self._lock.__exit__(*exc)

    def _refuse_foreign(self) -> None:
        """CacheError unless the path is missing, empty, or an oxt cache of this remote."""
        path = self.path
        fix = "pass another --cache-dir (or unset OXT_XEN_CACHE); oxt's cache is a directory of its own"
        if path.exists() and not path.is_dir():
            raise CacheError(f"cache {path}: is a file, not a directory; {fix}")
        if not path.is_dir() or not any(path.iterdir()):
            return
        owner = _owner(path)
        if owner is None:
            if (path / ".git").exists() or (path / "HEAD").is_file():
                raise CacheError(f"cache {path}: is a git repository but not an oxt cache of xen.git "
                                 f"(no {REMOTE!r} remote); oxt will not fetch into it — {fix}")
            names = ", ".join(sorted(p.name for p in path.iterdir())[:5])
            raise CacheError(f"cache {path}: exists and is not a git repository (it holds {names}); "
                             f"oxt will not write into it — {fix}")
        if owner != self.url:
            raise CacheError(f"cache {path}: belongs to the remote {owner}, not {self.url}; a cache serves one "
                             f"remote — pass another --cache-dir for {self.url}, or delete {path} (it is only a "
                             "cache)")

    def _open(self) -> None:
        for kind in ("new", "old"):  # what a killed _init or rebuild left beside the cache
            for leftover in self.path.parent.glob(f".{self.path.name}.{kind}-*"):
                shutil.rmtree(leftover, ignore_errors=True)
        if not (self.path / "HEAD").exists():
            self._init()
        else:
            interrupted = (self.path / FETCHING).exists()
            self._repair()
            try:
                self._attach(git.Repo(self.path))
                self.repo.git.rev_parse("--git-dir")
                self.repo.git.for_each_ref("--count=1")
                if interrupted:
                    self._say(f"the last fetch into the cache {self.path} was interrupted; checking the cache")
                    self.repo.git.fsck("--connectivity-only", "--no-dangling", "--no-progress")
                    (self.path / FETCHING).unlink(missing_ok=True)
            except (git.InvalidGitRepositoryError, git.GitCommandError):
                self.rebuild("is unreadable" if not interrupted else "was damaged by an interrupted fetch")
        self._configure()

    def rebuild(self, why: str) -> None:
        """Start the cache over (it is only a cache): *why* is said on stderr."""
        self._say(f"cache {self.path} {why}; rebuilding it")
        if self.repo is not None:
            self.repo.close()
        self.stats.rebuilds += 1
        aside = self.path.with_name(f".{self.path.name}.old-{os.getpid()}")
        os.rename(self.path, aside)  # one step: a kill leaves either the old cache or none
        shutil.rmtree(aside)
        self._init()

    def _configure(self) -> None:
        """The remote's URL and owner, through `git config` (atomic: config.lock + rename; GitPython's
        config writer rewrites the file in place, and a kill then leaves it empty). Written only
        when it differs."""
        want = {f"remote.{REMOTE}.url": self.url, "oxt.remote": self.url, "gc.auto": "0",
                "core.logallrefupdates": "false"}
        g = self.repo.git
        for key, value in want.items():
            if g.config("--get", key, with_exceptions=False) != value:
                g.config(key, value)
        # no default refspec: every fetch names exactly what it wants
        if g.config("--get-all", f"remote.{REMOTE}.fetch", with_exceptions=False):
            g.config("--unset-all", f"remote.{REMOTE}.fetch")

    def _attach(self, repo: git.Repo) -> None:
        """Use *repo*, with every git command it runs holding the cache lock."""
        repo.git = LockedGit(repo.working_dir, self._lock.fd)
        self.repo = repo

    def _init(self) -> None:
        """A new cache, made beside and renamed into place: a kill never leaves half a cache."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.new-", dir=self.path.parent))
        self._attach(git.Repo.init(new, bare=True))
        self._configure()  # gc.auto 0: never repack behind our back mid-run
        self.repo.close()
        if self.path.is_dir():
            self.path.rmdir()  # empty (anything else was refused); a new cache replaces it
        os.rename(new, self.path)
        self._attach(git.Repo(self.path))

    def _repair(self) -> None:
        """Remove what an interrupted run can leave behind."""
        for name in ("shallow.lock", "index.lock", "packed-refs.lock", "config.lock", "HEAD.lock"):
            (self.path / name).unlink(missing_ok=True)
        for lock in (self.path / "refs").rglob("*.lock"):
            lock.unlink(missing_ok=True)
        pack = self.path / "objects" / "pack"
        if pack.is_dir():
            for tmp in pack.glob("tmp_*"):
                tmp.unlink(missing_ok=True)
        tmp_refs = self.path / "refs" / "oxt-tmp"
        if tmp_refs.exists():
            shutil.rmtree(tmp_refs)
        try:
            g = LockedGit(self.path, self._lock.fd)
            for ref in g.for_each_ref("--format=%(refname)", "refs/oxt-tmp/").split():
                g.update_ref("-d", ref)
        except git.GitCommandError:
            pass

    def _say(self, text: str) -> None:
        """Repairs are said even with -q (they are rare, and explain a slower run)."""
        print(f"oxt: {text}", file=self.stream)

    def healthy(self) -> bool:
        """Every ref's history present (or cut by ``shallow``): git fsck --connectivity-only."""
        return self._succeeds("fsck", "--connectivity-only", "--no-dangling", "--no-progress")

    # -- queries ------------------------------------------------------------------
    def has(self, sha: str) -> bool:
        return self._succeeds("cat_file", "-e", f"{sha}^{{commit}}")

    def tip(self, branch: str) -> str | None:
        return self._rev_parse(f"refs/oxt/heads/{branch}")

    def tag_commit(self, tag: str) -> str | None:
        return self._rev_parse(f"refs/tags/{tag}^{{commit}}")

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self.has(older) and self.has(newer) and self._succeeds("merge_base", "--is-ancestor", older, newer)

    def resolve(self, rev: str) -> str | None:
        return self._rev_parse(f"{rev}^{{commit}}")

    def _succeeds(self, command: str, *args: str) -> bool:
        try:
            getattr(self.repo.git, command)(*args)
            return True
        except git.GitCommandError:
            return False

    def _rev_parse(self, rev: str) -> str | None:
        try:
            return self.repo.git.rev_parse("--verify", "-q", rev)
        except git.GitCommandError:
            return None

    def describe(self, sha: str) -> str | None:
        """``RELEASE-X.Y.Z[-N-g<sha12>]`` or None when no release tag is reachable."""
        try:
            return self.repo.git.describe(
                "--tags", "--abbrev=12", "--match", "RELEASE-*", "--exclude", "RELEASE-*-*", sha
            )
        except git.GitCommandError:
            return None

    def commits(self, old: str | None, new: str) -> list[CommitInfo]:
        """Commits old..new, oldest first (merges included: their messages count)."""
        rng = f"{old}..{new}" if old else new
        out = self.repo.git.log("--reverse", "--format=%H%x00%s%x00%B%x1e", rng)
        commits = []
        for rec in out.split("\x1e"):
            rec = rec.strip("\n")
            if rec:
                sha, subject, body = rec.split("\x00", 2)
                commits.append(CommitInfo(sha=sha, subject=subject, message=body))
        return commits

    def file_md5(self, commit: str, path: str) -> str | None:
        """md5 of a file at *commit* (LIC_FILES_CHKSUM), None if absent."""
        # Read the blob from the object database: GitPython's command output
        # (git.cat_file/show) drops the trailing newline, which changes the md5.
        try:
            blob = self.repo.commit(commit).tree / path
        except KeyError:
            return None
        return hashlib.md5(blob.data_stream.read()).hexdigest()  # noqa: S324 - bitbake's LIC_FILES_CHKSUM is md5

    # -- fetching (see .fetch) ---------------------------------------------------------
    def ensure_range(self, branch: str, branch_tip: str, *, base_tag: str | None, base_commit: str | None = None,
                     tags: list[str], need: list[str]) -> None:
        """Make *branch* (at *branch_tip*), *tags* and every commit in *need*
        present in the cache, with *need* and *base_tag* connected to the tip."""
        args = dict(base_tag=base_tag, base_commit=base_commit, tags=tags, need=need)
        try:
            RangeFetch(self, branch).run(branch_tip, **args)
        except CacheDamaged as err:  # the cache, not the network: start it over and fetch again, once
            self.rebuild(f"is damaged ({err})")
            try:
                RangeFetch(self, branch).run(branch_tip, **args)
            except CacheDamaged as again:
                raise FetchError(f"fetch into the rebuilt cache {self.path} failed too ({again}); "
                                 f"delete {self.path} and check the disk") from None


def _owner(path: Path) -> str | None:
    """The remote an oxt cache at *path* belongs to; None when it is not an oxt cache."""
    config = path / "config"
    if not config.is_file():
        return None
    for key in (OWNER_KEY, f"remote.{REMOTE}.url"):  # caches made before oxt.remote: their upstream URL
        proc = subprocess.run(["git", "config", "--file", str(config), "--get", key], capture_output=True,
                              text=True, check=False)
        if proc.returncode == 0 and proc.stdout.strip():
            bare = subprocess.run(["git", "config", "--file", str(config), "--get", "core.bare"],
                                  capture_output=True, text=True, check=False).stdout.strip()
            return proc.stdout.strip() if bare != "false" else None
    return None
