"""Atomic file writes: a failed run never leaves a half-written file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write *data* to *path* via a temp file in the same directory + rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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
