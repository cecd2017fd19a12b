"""Command-line options every command that reads upstream xen.git shares (``bump``, ``xsa``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from oxt.xen.defaults import DEFAULT_REMOTE, default_cache_dir


def add_upstream_options(parser: argparse.ArgumentParser) -> None:
    """--remote, --cache-dir and -q/--quiet."""
    parser.add_argument("--remote", metavar="URL",
                        help=f"upstream xen.git (default: the manifest's xen.remote, normally {DEFAULT_REMOTE}); "
                             "any git URL, e.g. file:///srv/xen.git")
    parser.add_argument("--cache-dir", type=Path, metavar="DIR",
                        help=f"shallow upstream cache, one per remote (default {default_cache_dir()} for the "
                             "default remote, a xen-<hash>.git beside it for others; env OXT_XEN_CACHE)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output on stderr")
