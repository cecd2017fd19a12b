"""Check the kas files and the layer, then print the build plan.

Every kas file in kas/ is loaded by kas itself (its YAML loader and schema),
alone and composed after kas/openxt.yml the way `kas build
kas/openxt.yml:kas/<fragment>.yml` would merge it, lock file included. For
each composition the layer must hang together: every multiconfig, machine,
distro and image the targets name exists in this checkout's layers,
BBMULTICONFIG matches the targets, each multiconfig has its own TMPDIR,
mcdepends name enabled multiconfigs and existing recipes, every upstream
repo is pinned by a full commit plus its branch, every SRCREV is a full
40-hex commit and nothing uses AUTOREV.

All problems are collected and printed one per line (file, key, value and
what to do), then the command exits with status 2. Nothing is written.
On success it prints the build plan: one line per VM (multiconfig, machine,
image, where its images land) and the pinned layer repositories.
"""

from __future__ import annotations

import argparse
import sys

from oxt.repo import find_checkout

NAME = "check"
HELP = "validate the kas files and the layer, print the build plan (VMs, images, pinned commits)"


def setup_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kas",
        metavar="FILE[:FRAGMENT...]",
        help="check only this composition, written as for `kas build` "
        "(e.g. kas/openxt.yml:kas/ci.yml); default: kas/openxt.yml alone and with every fragment in kas/",
    )
    parser.add_argument("--json", action="store_true", help="print the build plan as JSON (for scripts and CI)")


def run(args) -> int:
    # imported here, not at module level: `oxt --help` and the other commands
    # should not pay for GitPython/YAML/kas
    from oxt.buildplan import format_text
    from oxt.checks import check_checkout

    plan = check_checkout(find_checkout(args.root), args.kas)
    sys.stdout.write(plan.to_json() if args.json else format_text(plan))
    return 0
