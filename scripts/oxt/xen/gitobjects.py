"""Blobs of a commit's tree straight from git's object database: two long-lived
``git cat-file`` processes (``--batch-check`` for ids, ``--batch`` for
contents), so reading the few files a patch touches costs no checkout."""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from pathlib import Path
from typing import Iterable

from oxt.errors import GitError


class EngineError(GitError):
    """The repository or commit cannot be read (exit 2)."""


def blob_oid(data: bytes) -> str:
    """git's blob id of *data* (so files read from git and produced by patch share one key space)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's object id



class ObjectReader:
    """Blob ids and contents at a commit through persistent ``git cat-file`` processes."""

    def __init__(self, repo: Path):
        self.repo = Path(repo)
        self._lock = threading.Lock()
        env = {**os.environ, "LC_ALL": "C"}
        try:
            self._check = subprocess.Popen(["git", "-C", str(self.repo), "cat-file", "--batch-check"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
            self._batch = subprocess.Popen(["git", "-C", str(self.repo), "cat-file", "--batch"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        except OSError as err:
            raise EngineError(f"cannot run git in {self.repo}: {err}") from None
        self._blobs: dict[str, bytes] = {}

    def close(self) -> None:
        for p in (self._check, self._batch):
            try:
                p.stdin.close()
                p.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                p.kill()

    def oids(self, commit: str, paths: Iterable[str]) -> dict[str, str | None]:
        """path -> blob id at *commit* (None: absent, or not a regular blob)."""
        paths = list(paths)
        out: dict[str, str | None] = {}
        with self._lock:
            # pipelined: write every query, then read every answer (a writer thread avoids pipe deadlock)
            queries = "".join(f"{commit}:{p}\n" for p in paths).encode()
            writer = threading.Thread(target=self._write, args=(self._check, queries))
            writer.start()
            for p in paths:
                line = self._check.stdout.readline().decode().rstrip("\n")
                parts = line.split()
                out[p] = parts[0] if len(parts) == 3 and parts[1] == "blob" else None
            writer.join()
        return out

    @staticmethod
    def _write(proc, data: bytes) -> None:
        proc.stdin.write(data)
        proc.stdin.flush()

    def read(self, oid: str) -> bytes:
        cached = self._blobs.get(oid)
        if cached is not None:
            return cached
        with self._lock:
            self._batch.stdin.write(f"{oid}\n".encode())
            self._batch.stdin.flush()
            header = self._batch.stdout.readline().decode().split()
            if len(header) != 3:
                raise EngineError(f"{self.repo}: cannot read object {oid}")
            size = int(header[2])
            data = self._batch.stdout.read(size)
            self._batch.stdout.read(1)  # the newline after the content
        self._blobs[oid] = data
        return data

    def commit(self, rev: str) -> str | None:
        with self._lock:
            self._check.stdin.write(f"{rev}^{{commit}}\n".encode())
            self._check.stdin.flush()
            parts = self._check.stdout.readline().decode().split()
        return parts[0] if len(parts) == 3 and parts[1] == "commit" else None

