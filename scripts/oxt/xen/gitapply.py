"""Does a patch series apply on a commit? Checked in the cache, no work tree.

Each commit's tree is read into a temporary index file once; ``git apply
--cached --check`` then tests a series against it, forwards or with ``-R``.
Nothing is written to the cache.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import git


class SeriesCheck:
    """Patch checks against the commits of one repository; use as a context manager."""

    def __init__(self, repo: git.Repo):
        self.repo = repo
        self._tmpdir: tempfile.TemporaryDirectory | None = None
        self._indexes: dict[str, str] = {}

    def __enter__(self) -> "SeriesCheck":
        self._tmpdir = tempfile.TemporaryDirectory(prefix="oxt-xen-")
        return self

    def __exit__(self, *exc) -> None:
        if self._tmpdir:
            self._tmpdir.cleanup()

    def applies(self, commit: str, patches: list[Path], *, reverse: bool = False) -> tuple[bool, str]:
        """Do *patches* apply in this order (with -R: reverse-apply) on *commit*'s tree?

        One ``git apply --cached --check`` over the concatenated series (git
        applies patches given as separate files each to the original tree,
        but hunks of one input cumulatively). On failure the message names the
        first patch of the series that fails.
        """
        paths = [str(Path(p).resolve()) for p in patches]
        ok, msg = self._check(commit, paths, reverse)
        if ok:
            return True, ""
        for i in range(1, len(paths) + 1):
            ok_i, msg_i = self._check(commit, paths[:i], reverse)
            if not ok_i:
                return False, f"{Path(paths[i - 1]).name}: {msg_i}"
        return False, msg

    def _index_for(self, commit: str) -> str:
        if commit not in self._indexes:
            idx = os.path.join(self._tmpdir.name, f"index-{commit}")
            self.repo.git.read_tree(commit, env={"GIT_INDEX_FILE": idx})
            self._indexes[commit] = idx
        return self._indexes[commit]

    def _check(self, commit: str, patches: list[str], reverse: bool) -> tuple[bool, str]:
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
