"""Progress output for long work (fetches, downloads), always on stderr so
``--json`` output on stdout stays clean.

On a terminal the line is redrawn in place; elsewhere (CI logs) only one
line per finished phase is printed, so logs stay short but still show work.
"""

from __future__ import annotations

import sys
import time

from git import RemoteProgress


class _Line:
    def __init__(self, stream=None, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_draw = 0.0

    def draw(self, text: str, final: bool = False) -> None:
        if not self.enabled:
            return
        if self.tty:
            now = time.monotonic()
            if not final and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            self.stream.write("\r\x1b[K" + text + ("\n" if final else ""))
            self.stream.flush()
        elif final:
            self.stream.write(text + "\n")
            self.stream.flush()


class FetchProgress(RemoteProgress):
    """GitPython fetch progress -> one stderr line per phase."""

    _PHASES = {
        RemoteProgress.COUNTING: "counting objects",
        RemoteProgress.COMPRESSING: "compressing objects",
        RemoteProgress.RECEIVING: "receiving objects",
        RemoteProgress.RESOLVING: "resolving deltas",
        RemoteProgress.FINDING_SOURCES: "finding sources",
        RemoteProgress.CHECKING_OUT: "checking out",
        RemoteProgress.WRITING: "writing objects",
    }

    def __init__(self, label: str, stream=None, enabled: bool = True):
        super().__init__()
        self.label = label
        self.line = _Line(stream, enabled)

    def update(self, op_code, cur_count, max_count=None, message=""):
        phase = self._PHASES.get(op_code & RemoteProgress.OP_MASK, "working")
        if max_count:
            pct = int(100 * float(cur_count) / float(max_count))
            text = f"{self.label}: {phase} {pct}% ({int(cur_count)}/{int(max_count)}) {message}".rstrip()
        else:
            text = f"{self.label}: {phase} {int(cur_count)} {message}".rstrip()
        self.line.draw(text, final=bool(op_code & RemoteProgress.END))


class DownloadProgress:
    """A byte-count progress bar for HTTP downloads."""

    def __init__(self, label: str, total: int | None, stream=None, enabled: bool = True):
        self.label = label
        self.total = total
        self.done = 0
        self.line = _Line(stream, enabled)

    def advance(self, nbytes: int) -> None:
        self.done += nbytes
        self.line.draw(self._text())

    def finish(self) -> None:
        self.line.draw(self._text(), final=True)

    def _text(self) -> str:
        if self.total:
            width = 30
            filled = int(width * self.done / self.total)
            bar = "#" * filled + "-" * (width - filled)
            return f"{self.label}: [{bar}] {self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB"
        return f"{self.label}: {self.done / 1e6:.1f} MB"
