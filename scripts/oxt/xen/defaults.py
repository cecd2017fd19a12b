"""Where Xen comes from and where its cache lives when nothing says otherwise.

Kept free of git/YAML imports: the command-line parser reads these for its
help texts, and `oxt --help` or `oxt render` should not pay for GitPython.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_REMOTE = "https://xenbits.xen.org/git-http/xen.git"
# The Xen security team's advisory directory (xsa.json, xsaN.meta, advisory-N.txt, patches).
DEFAULT_FEED = "https://xenbits.xen.org/xsa/"
# The one key that signs Xen: "Xen.org Xen tree code signing (signatures on the xen
# hypervisor and tools) <pgp@xen.org>". It signs the RELEASE-X.Y.Z tags and release
# tarballs (oxt.xen.tarball) and clear-signs the security advisories (`xsa sync`):
# checked on the signature packets themselves (gpg --list-packets) -- tag RELEASE-4.19.0
# of xen.git, and advisory-467.txt (2025-02-27) and advisory-477.txt (2026-01-27) as
# published: issuer fingerprint 23E3222C145F4475FA8060A783FE14C957E82BD9, signer's user
# ID pgp@xen.org, in every advisory signature since XSA-277 (2018). Distributions pin
# the same fingerprint (Arch's xen PKGBUILD validpgpkeys, nixpkgs' xen update script).
XEN_SIGNING_KEY = "23E3222C145F4475FA8060A783FE14C957E82BD9"

# Summary formats of `oxt bump xen --format` (oxt.xen.summary.RENDERERS holds their renderers).
SUMMARY_FORMATS = ("json", "markdown", "text")


def _cache_path(env_var: str, name: str) -> Path:
    """$<env_var>, else <XDG cache>/oxt/<name>."""
    env = os.environ.get(env_var)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "oxt" / name


def default_cache_dir() -> Path:
    """The shallow upstream xen.git cache of `bump` and `xsa`."""
    return _cache_path("OXT_XEN_CACHE", "xen.git")


def default_download_dir() -> Path:
    """Where tarball mode keeps release tarballs and signatures."""
    return _cache_path("OXT_XEN_DOWNLOADS", "downloads")


def default_layer_cache_dir() -> Path:
    """Where meta-virtualization is fetched at the kas lock's commit, when no checkout of it is at hand."""
    return _cache_path("OXT_LAYER_CACHE", "meta-virtualization.git")


def default_xsa_cache_dir() -> Path:
    """Where `xsa sync` keeps the advisory feed (index, .meta, texts, patches), one directory per feed."""
    return _cache_path("OXT_XSA_CACHE", "xsa")
