"""Where Xen comes from and where its cache lives when nothing says otherwise.

Kept free of git/YAML imports: the command-line parser reads these for its
help texts, and `oxt --help` or `oxt render` should not pay for GitPython.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

DEFAULT_REMOTE = "https://xenbits.xen.org/git-http/xen.git"

# Summary formats of `oxt bump xen --format` (oxt.xen.summary.RENDERERS holds their renderers).
SUMMARY_FORMATS = ("json", "markdown", "text")


def _cache_path(env_var: str, name: str) -> Path:
    """$<env_var>, else <XDG cache>/oxt/<name>."""
    env = os.environ.get(env_var)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "oxt" / name


def default_cache_dir(remote: str | None = None) -> Path:
    """The shallow upstream xen.git cache of `bump` and `xsa`: one per remote (a cache
    belongs to the remote it was made from), ``xen.git`` for the default remote."""
    if remote is None or remote == DEFAULT_REMOTE or os.environ.get("OXT_XEN_CACHE"):
        return _cache_path("OXT_XEN_CACHE", "xen.git")
    return _cache_path("OXT_XEN_CACHE", f"xen-{hashlib.sha256(remote.encode()).hexdigest()[:12]}.git")


def default_download_dir() -> Path:
    """Where tarball mode keeps release tarballs and signatures."""
    return _cache_path("OXT_XEN_DOWNLOADS", "downloads")
