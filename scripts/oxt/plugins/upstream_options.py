"""Command-line options every command that reads upstream xen.git shares (``bump``, ``xsa``, ``xen``)."""

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


def add_format_options(parser: argparse.ArgumentParser, what: str = "output") -> None:
    """--format text|markdown|json and --json (markdown: a pull-request body)."""
    from oxt.xen.defaults import SUMMARY_FORMATS

    parser.add_argument("--format", choices=SUMMARY_FORMATS, default="text",
                        help=f"{what} format on stdout (markdown: pull-request body)")
    parser.add_argument("--json", action="store_const", const="json", dest="format", help="same as --format json")


def add_meta_virt_option(parser: argparse.ArgumentParser) -> None:
    """--meta-virt: where meta-virtualization's Xen patches are read from (commands that apply a series)."""
    parser.add_argument("--meta-virt", metavar="DIR|URL",
                        help="where meta-virtualization's Xen patches are: a checkout, a clone or a git URL "
                             "(default: env OXT_META_VIRT, kas's checkout, else fetched at the kas lock's commit)")


def series_options(args: argparse.Namespace):
    """The :class:`oxt.xen.series_check.Options` of parsed arguments (options a command lacks: defaults)."""
    from oxt.xen.series_check import Options

    recipe = getattr(args, "recipe", None)
    return Options(track=getattr(args, "track", None), remote=getattr(args, "remote", None),
                   cache_dir=getattr(args, "cache_dir", None), meta_virt=getattr(args, "meta_virt", None),
                   series_file=getattr(args, "series_file", None),
                   recipes=(recipe,) if recipe else ("xen", "xen-tools"), quiet=getattr(args, "quiet", False),
                   jobs=getattr(args, "jobs", 2))
