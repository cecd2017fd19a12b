"""Atomic file writes: a failed run never leaves a half-written file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TMP_SUFFIX = ".tmp"


def tmp_prefix(path: Path) -> str:
    """The name prefix of :func:`atomic_write`'s temporary files for *path* (``.name.``)."""
    return f".{Path(path).name}."


def atomic_write(path: Path, data: str | bytes, *, durable: bool = False, mode: int | None = None) -> None:
    """Write *data* to *path* via a temp file in the same directory + rename.

    *durable*: fsync the file before the rename (the journal's writes: a power
    cut must not leave an empty file behind a removed journal). *mode*: the new
    file's permissions (default: keep the old file's, 0644 for a new one).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=tmp_prefix(path), suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if mode is None:
            mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (a rename, an unlink) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ShortRead(OSError):
    """A stream ended before the size it announced (a cut download)."""

    def __init__(self, got: int, expected: int):
        super().__init__(f"{got} of {expected} bytes")
        self.got, self.expected = got, expected


def atomic_write_stream(path: Path, stream, *, expected: int | None = None, on_chunk=None,
                        chunk: int = 1 << 16) -> int:
    """Copy the file-like *stream* into *path* via a temp file + rename; returns the size.
    With *expected*, a shorter stream raises :class:`ShortRead` and nothing is written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=tmp_prefix(path), suffix=TMP_SUFFIX, dir=path.parent)
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            while data := stream.read(chunk):
                out.write(data)
                size += len(data)
                if on_chunk:
                    on_chunk(len(data))
        if expected is not None and size != expected:
            raise ShortRead(size, expected)
        os.replace(tmp, path)
        return size
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
