"""The cached shallow xen.git: only the commits a bump needs, never a clone.

Layout: a bare repository (default ``$XDG_CACHE_HOME/oxt/xen.git``; env
``OXT_XEN_CACHE`` or ``--cache-dir`` override it) with one remote named
``upstream`` whose URL is set on every run. Branch tips live under
``refs/oxt/heads/<branch>``, release tags under ``refs/tags/``.

A range fetch for ``stable-X.Y`` from the release the pin describes from
(``RELEASE-X.Y.Z``) to the branch tip is::

    git fetch --shallow-exclude=refs/tags/RELEASE-X.Y.Z upstream <branch> <newer RELEASE tags>
    git fetch --deepen=1 upstream <branch> RELEASE-X.Y.Z    # the tag commit, so describe can see it

i.e. the commits after that release plus one tree snapshot (the shallow
boundary). Servers that refuse ``--shallow-exclude`` get ``--depth`` instead,
deepened (doubling) until the pinned commit and the base tag are connected
to the tip. A second run with nothing new upstream fetches nothing.

Interrupted fetches: git writes packs to temporary files and updates refs
and ``shallow`` under lock files, so an interrupted fetch leaves at most
stale ``*.lock``/``tmp_*`` files and unreferenced objects. Branch tips are
fetched into ``refs/oxt-tmp/`` and moved into ``refs/oxt/`` only after the
whole fetch succeeded; on open, leftovers of a dead run are removed (we
hold an exclusive lock on the cache, so any lock file present is stale),
and a cache git cannot read is rebuilt from scratch — it is only a cache.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import git

from oxt.errors import GitError
from oxt.xen.defaults import default_cache_dir
from oxt.xen.progress import FetchProgress
from oxt.xen.upstream import _last_line
from oxt.xen.xsa_index import CommitInfo

REMOTE = "upstream"
MAX_DEEPEN_ROUNDS = 12  # 64 << 12 commits: beyond any stable branch


class FetchError(GitError):
    """A fetch from the upstream remote failed (network, interrupted, refused)."""


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
        self._tmpdir: tempfile.TemporaryDirectory | None = None
        self._indexes: dict[str, str] = {}
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
        self._tmpdir = tempfile.TemporaryDirectory(prefix="oxt-xen-")
        return self

    def __exit__(self, *exc) -> None:
        if self._tmpdir:
            self._tmpdir.cleanup()
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
        try:
            self.repo.git.cat_file("-e", f"{sha}^{{commit}}")
            return True
        except git.GitCommandError:
            return False

    def tip(self, branch: str) -> str | None:
        try:
            return self.repo.git.rev_parse("--verify", "-q", f"refs/oxt/heads/{branch}")
        except git.GitCommandError:
            return None

    def tag_commit(self, tag: str) -> str | None:
        try:
            return self.repo.git.rev_parse("--verify", "-q", f"refs/tags/{tag}^{{commit}}")
        except git.GitCommandError:
            return None

    def is_ancestor(self, older: str, newer: str) -> bool:
        if not (self.has(older) and self.has(newer)):
            return False
        try:
            self.repo.git.merge_base("--is-ancestor", older, newer)
            return True
        except git.GitCommandError:
            return False

    def resolve(self, rev: str) -> str | None:
        try:
            return self.repo.git.rev_parse("--verify", "-q", f"{rev}^{{commit}}")
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
        import hashlib

        # Read the blob from the object database: GitPython's command output
        # (git.cat_file/show) drops the trailing newline, which changes the md5.
        try:
            blob = self.repo.commit(commit).tree / path
        except KeyError:
            return None
        return hashlib.md5(blob.data_stream.read()).hexdigest()  # noqa: S324 - bitbake's LIC_FILES_CHKSUM is md5

    def commit_date(self, sha: str) -> str:
        return self.repo.git.show("-s", "--format=%cI", sha)

    # -- patch checks against a commit's tree, no work tree needed ----------------
    def _index_for(self, commit: str) -> str:
        if commit not in self._indexes:
            idx = os.path.join(self._tmpdir.name, f"index-{commit}")
            self.repo.git.read_tree(commit, env={"GIT_INDEX_FILE": idx})
            self._indexes[commit] = idx
        return self._indexes[commit]

    def apply_series(self, commit: str, patches: list[Path], *, reverse: bool = False) -> tuple[bool, str]:
        """Do *patches* apply in this order (with -R: reverse-apply) on *commit*'s tree?

        One ``git apply --cached --check`` over the concatenated series (git
        applies patches given as separate files each to the original tree,
        but hunks of one input cumulatively); nothing is written. On failure the
        message names the first patch of the series that fails.
        """
        patches = [str(Path(p).resolve()) for p in patches]
        ok, msg = self._apply_check(commit, patches, reverse)
        if ok:
            return True, ""
        for i in range(1, len(patches) + 1):
            ok_i, msg_i = self._apply_check(commit, patches[:i], reverse)
            if not ok_i:
                return False, f"{Path(patches[i - 1]).name}: {msg_i}"
        return False, msg

    def _apply_check(self, commit: str, patches: list[str], reverse: bool) -> tuple[bool, str]:
        series = os.path.join(self._tmpdir.name, "series.patch")
        with open(series, "wb") as out:
            for p in patches:
                data = Path(p).read_bytes()
                out.write(data if data.endswith(b"\n") else data + b"\n")
        args = ["--cached", "--check", *(["-R"] if reverse else []), series]
        try:
            self.repo.git.apply(*args, env={"GIT_INDEX_FILE": self._index_for(commit)})
            return True, ""
        except git.GitCommandError as err:
            return False, " ".join((err.stderr or "").replace("stderr:", "").strip().strip("'").split())

    # -- fetching ---------------------------------------------------------------------
    def _fetch(self, refspecs: list[str], label: str, **opts) -> None:
        remote = self.repo.remote(REMOTE)
        progress = FetchProgress(label, self.stream, self.progress)
        self.stats.fetches += 1
        try:
            remote.fetch(refspecs, progress=progress, no_tags=False, **opts)
        except git.GitCommandError as err:
            raise FetchError(
                f"fetch from {self.url} failed ({label}): {_last_line(err.stderr)}; "
                f"the cache {self.path} is left consistent — rerun when the remote is reachable"
            ) from None

    def ensure_range(
        self,
        branch: str,
        branch_tip: str,
        *,
        base_tag: str | None,
        base_commit: str | None = None,
        tags: list[str],
        need: list[str],
    ) -> None:
        """Make *branch* (at *branch_tip*), *tags* and every commit in *need*
        present in the cache, with *need* and *base_tag* connected to the tip."""
        tmp_ref = f"refs/oxt-tmp/heads/{branch}"
        branch_spec = f"+refs/heads/{branch}:{tmp_ref}"
        tag_specs = [f"+refs/tags/{t}:refs/tags/{t}" for t in tags]
        targets = [t for t in [*need, base_commit] if t]

        if self._satisfied(branch, branch_tip, tags, targets):
            return
        label = f"fetch {branch}"
        if base_tag and base_commit == branch_tip:
            # the tip is the release itself (e.g. right after X.Y.Z): nothing after the tag to
            # exclude-fetch, the tag commit alone is the range
            self._fetch([branch_spec, f"+refs/tags/{base_tag}:refs/tags/{base_tag}", *tag_specs],
                        f"{label} ({base_tag})", depth=1)
        elif base_tag:
            try:
                self._fetch([branch_spec, *tag_specs], f"{label} (after {base_tag})",
                            shallow_exclude=f"refs/tags/{base_tag}")
                self._fetch([branch_spec, f"+refs/tags/{base_tag}:refs/tags/{base_tag}"],
                            f"{label} ({base_tag} itself)", deepen=1)
            except FetchError as err:
                if "shallow-exclude" not in str(err) and "deepen-not" not in str(err):
                    raise
                self._fetch([branch_spec, *tag_specs, f"+refs/tags/{base_tag}:refs/tags/{base_tag}"],
                            f"{label} (depth 64)", depth=64)
        else:
            self._fetch([branch_spec, *tag_specs], f"{label} (depth 64)", depth=64)
        depth = 64
        rounds = 0
        while not self._connected(tmp_ref, targets):
            if rounds >= MAX_DEEPEN_ROUNDS or not (self.path / "shallow").exists():
                break
            rounds += 1
            self.stats.deepens += 1
            self._fetch([branch_spec], f"{label} (deepen by {depth})", deepen=depth)
            depth *= 2
        self.repo.git.update_ref(f"refs/oxt/heads/{branch}", tmp_ref)
        self.repo.git.update_ref("-d", tmp_ref)

    def _connected(self, tip_ref: str, targets: list[str]) -> bool:
        tip = self.resolve(tip_ref)
        return bool(tip) and all(self.is_ancestor(t, tip) for t in targets)

    def _satisfied(self, branch, branch_tip, tags, targets) -> bool:
        if self.tip(branch) != branch_tip:
            return False
        if any(self.tag_commit(t) is None for t in tags):
            return False
        return all(self.is_ancestor(t, branch_tip) for t in targets)
