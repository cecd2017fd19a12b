"""File locks that stay held while any process oxt started still works under them.

A ``flock(2)`` lock belongs to the open file description, not to the process:
every process holding a copy of the descriptor holds the lock, and the kernel
drops it when the last copy is closed -- also when the holders are killed.
oxt passes the descriptor to the git commands it runs (:class:`LockedGit`,
``pass_fds``), and git hands it on to its own children (``index-pack``,
``upload-pack``, a remote helper). So when oxt is killed but its ``git fetch``
runs on, the lock stays held until that fetch ends, and the next oxt waits
for it instead of "repairing" a cache under a running fetch::

    with HeldLock(path, what="the Xen cache", stream=sys.stderr) as lock:
        repo = git.Repo(cache_dir)
        repo.git = LockedGit(repo.working_dir, lock.fd)   # every git child holds the lock too
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path

import git

from oxt.errors import OxtUserError


class HeldLock:
    """An exclusive flock on *path*: a directory, or a file (created if missing); a context manager."""

    def __init__(self, path: Path, *, what: str, stream=None, say: bool = True):
        self.path = Path(path)
        self.what = what
        self.stream = stream or sys.stderr
        self.say = say
        self._fd: int | None = None

    @property
    def fd(self) -> int:
        assert self._fd is not None, "lock not held"
        return self._fd

    def __enter__(self) -> "HeldLock":
        try:
            if self.path.is_dir():  # a directory locks without creating anything (read-only trees too)
                self._fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as err:
            raise OxtUserError(f"cannot create the lock file {self.path} of {self.what}: "
                               f"{err.strerror}; make {self.path.parent} writable") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if self.say:
                print(f"waiting for another oxt (or a git command it started) using {self.what} …",
                      file=self.stream, flush=True)
            started = time.monotonic()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            if self.say:
                print(f"… got {self.what} after {time.monotonic() - started:.1f} s", file=self.stream, flush=True)
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            # close, never LOCK_UN: unlocking would release the lock for the children holding a
            # copy of the descriptor too; closing drops only ours
            os.close(self._fd)
            self._fd = None


class LockedGit(git.Git):
    """GitPython's command wrapper, passing lock descriptors to every git it starts."""

    def __init__(self, working_dir: str | os.PathLike | None = None, *fds: int):
        super().__init__(working_dir)
        self._held_fds = tuple(fds)

    def execute(self, command, **kwargs):
        if self._held_fds:
            kwargs["pass_fds"] = tuple(kwargs.get("pass_fds", ())) + self._held_fds
        return super().execute(command, **kwargs)
