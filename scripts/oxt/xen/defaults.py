"""Where Xen comes from and where its cache lives when nothing says otherwise.

Kept free of git/YAML imports: the command-line parser reads these for its
help texts, and `oxt --help` or `oxt render` should not pay for GitPython.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_REMOTE = "https://xenbits.xen.org/git-http/xen.git"

# Summary formats of `oxt bump xen --format` (oxt.xen.summary.RENDERERS holds their renderers).
SUMMARY_FORMATS = ("json", "markdown", "text")


def default_cache_dir() -> Path:
    env = os.environ.get("OXT_XEN_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "oxt" / "xen.git"
