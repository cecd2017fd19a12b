"""One git commit of exactly the files a journaled operation wrote, in steps a killed run can redo.

Plumbing, so that each step can be repeated and only one of them changes what
the user sees in git:

1. a throw-away index (in the journal directory) read from the base commit,
   the written and removed files updated in it, ``write-tree``, ``commit-tree``:
   new objects only, nothing refers to them yet;
2. ``update-ref HEAD <commit> <base>``: the branch moves in one compare-and-swap,
   and only if it is still at the base;
3. the real index: the same paths refreshed, so ``git status`` is clean.

A run killed inside a git command can leave git's own lock files
(``index.lock``, ``refs/heads/<branch>.lock``). :func:`stale_locks` finds the
ones younger than the interrupted operation: the journal's lock is held by
every git command oxt starts, so once a later oxt holds it none of them is
alive and those lock files are stale.

Unlike ``git commit``, no hooks run: the commit is the tool's, its content
was validated before anything was written.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from oxt.errors import GitError


def _git(root: Path, *args: str, fds: tuple[int, ...] = (), env: dict | None = None, input: str | None = None,
         check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, input=input,
                          env={**os.environ, **(env or {})}, pass_fds=fds, check=False)
    if check and proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["(no message)"])
        hint = ""
        if "identity" in proc.stderr or "user.email" in proc.stderr:
            hint = "; set it with git config user.name/user.email"
        raise GitError(f"git {args[0]} failed in {root}: {reason[0]}{hint}")
    return proc


def head(root: Path) -> str:
    """The commit HEAD points at; GitError when the repository has none yet."""
    proc = _git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
    if proc.returncode != 0:
        raise GitError(f"{root}: the git repository has no commit yet; --commit needs one to build on")
    return proc.stdout.strip()


def already_committed(root: Path, base: str, message: str) -> str | None:
    """The commit of an interrupted run that got as far as moving HEAD, else None."""
    now = head(root)
    if now == base:
        return None
    parent = _git(root, "rev-parse", "-q", "--verify", f"{now}^", check=False).stdout.strip()
    body = _git(root, "log", "-1", "--format=%B", now).stdout
    if parent == base and body.strip() == message.strip():
        return now
    raise GitError(f"{root}: HEAD moved from {base[:12]} to {now[:12]} since the interrupted oxt run began, "
                   "so its commit cannot be made; commit the files it wrote yourself")


def commit(root: Path, base: str, paths: list[str], message: str, *, index_file: Path,
           fds: tuple[int, ...] = ()) -> str:
    """Steps 1 and 2: the commit of *paths* (relative to *root*) on *base*, HEAD moved to it."""
    for leftover in (index_file, index_file.with_name(index_file.name + ".lock")):  # ours alone: a killed run's
        leftover.unlink(missing_ok=True)
    env = {"GIT_INDEX_FILE": str(index_file)}
    _git(root, "read-tree", base, env=env, fds=fds)
    _git(root, "update-index", "--add", "--remove", "--", *paths, env=env, fds=fds)
    tree = _git(root, "write-tree", env=env, fds=fds).stdout.strip()
    new = _git(root, "commit-tree", tree, "-p", base, "-F", "-", input=message, fds=fds).stdout.strip()
    subject = message.splitlines()[0] if message else "oxt"
    _git(root, "update-ref", "-m", f"oxt: {subject}", "HEAD", new, base, fds=fds)
    index_file.unlink(missing_ok=True)
    return new


def refresh_index(root: Path, paths: list[str], *, fds: tuple[int, ...] = ()) -> None:
    """Step 3: the real index entries of *paths* as the work tree (== the new HEAD) has them."""
    _git(root, "update-index", "--add", "--remove", "--", *paths, fds=fds)


def stale_locks(root: Path, since: float) -> list[Path]:
    """git lock files a killed run left: the index's and the refs', modified at or after *since*."""
    out = _git(root, "rev-parse", "--absolute-git-dir", "--git-common-dir", check=False).stdout.split("\n")
    if len(out) < 2 or not out[0]:
        return []
    git_dir, common = Path(out[0]), Path(out[1]) if Path(out[1]).is_absolute() else root / out[1]
    candidates = [git_dir / "index.lock", git_dir / "HEAD.lock", common / "packed-refs.lock"]
    if (common / "refs").is_dir():
        candidates += (common / "refs").rglob("*.lock")
    found = []
    for lock in candidates:
        try:
            if lock.stat().st_mtime >= since - 1:
                found.append(lock)
        except FileNotFoundError:
            continue
    return found
