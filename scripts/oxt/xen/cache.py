"""The cached shallow xen.git: only the commits a bump needs, never a clone.

Layout: a bare repository (default ``$XDG_CACHE_HOME/oxt/xen.git``; env
``OXT_XEN_CACHE`` or ``--cache-dir`` override it) with one remote named
``upstream`` whose URL is set on every run. Branch tips live under
``refs/oxt/heads/<branch>``, release tags under ``refs/tags/``. How a range
is fetched is :mod:`.fetch`; the series engine (:mod:`.series`) reads the
commits' blobs from it.

Interrupted fetches: git writes packs to temporary files and updates refs
and ``shallow`` under lock files, so an interrupted fetch leaves at most
stale ``*.lock``/``tmp_*`` files and unreferenced objects. On open, leftovers
of a dead run are removed (we hold an exclusive lock on the cache, so any
lock file present is stale), and a cache git cannot read is rebuilt from
scratch — it is only a cache.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import git

from oxt.xen.defaults import default_cache_dir
from oxt.xen.fetch import REMOTE, FetchError, RangeFetch
from oxt.xen.xsa_index import CommitInfo

__all__ = ["FetchError", "FetchStats", "UpstreamCache", "default_cache_dir"]


@dataclass
class FetchStats:
    fetches: int = 0
    deepens: int = 0


class UpstreamCache:
    """Use as a context manager: holds the cache lock while open."""

    def __init__(self, path: Path | None, url: str, *, progress: bool = True, stream=None):
        self.path = Path(path) if path else default_cache_dir()
        self.url = url
        self.progress = progress
        self.stream = stream or sys.stderr
        self.stats = FetchStats()
        self._lock_fh = None
        self.repo: git.Repo | None = None

    # -- opening, locking, repair -------------------------------------------------
    def __enter__(self) -> "UpstreamCache":
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock_fh = open(self.path.parent / f".{self.path.name}.lock", "w")
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._say(f"waiting for another oxt using the cache {self.path} …")
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX)
        self._open()
        return self

    def __exit__(self, *exc) -> None:
        if self.repo is not None:
            self.repo.close()
        if self._lock_fh:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()

    def _open(self) -> None:
        if not (self.path / "HEAD").exists():
            self._init()
        else:
            self._repair()
            try:
                self.repo = git.Repo(self.path)
                self.repo.git.rev_parse("--git-dir")
                self.repo.git.for_each_ref("--count=1")
            except (git.InvalidGitRepositoryError, git.GitCommandError):
                self._say(f"cache {self.path} is unreadable; rebuilding it")
                shutil.rmtree(self.path)
                self._init()
        with self.repo.config_writer() as cw:
            cw.set_value(f'remote "{REMOTE}"', "url", self.url)
            # no default refspec: every fetch names exactly what it wants
            if cw.has_option(f'remote "{REMOTE}"', "fetch"):
                cw.remove_option(f'remote "{REMOTE}"', "fetch")

    def _init(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.repo = git.Repo.init(self.path, bare=True)
        with self.repo.config_writer() as cw:
            cw.set_value("gc", "auto", "0")  # never repack behind our back mid-run
            cw.set_value("core", "logallrefupdates", "false")

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
            refs = git.Git(self.path).for_each_ref("--format=%(refname)", "refs/oxt-tmp/")
            for ref in refs.split():
                git.Git(self.path).update_ref("-d", ref)
        except git.GitCommandError:
            pass

    def _say(self, text: str) -> None:
        if self.progress:
            print(text, file=self.stream)

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
        RangeFetch(self, branch).run(branch_tip, base_tag=base_tag, base_commit=base_commit, tags=tags, need=need)
