"""Queue Xen security advisory (XSA) patches and see where they stand.

`oxt xsa add N FILE…` copies an advisory's patch files into the layer
(meta-openxt/recipes-extended/xen/files/xsa/) and adds them to the track's
XSA queue in the manifest; `oxt render` (run for you) puts them first in
SRC_URI. Unless --no-check, they must apply on the pinned commit as the
recipe applies them: on top of the XSAs queued before them (GNU patch, as
do_patch runs it). A patch that only needs fuzz — which OE's patch QA
rejects — is queued rewritten to apply exactly with --refresh.

`oxt xsa status` shows, for every queued XSA, whether the track's pinned
commit — or the branch tip / --to target — already carries it upstream.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oxt.plugins.upstream_options import add_upstream_options, series_options
from oxt.repo import find_checkout

NAME = "xsa"
HELP = "queue XSA patches for a Xen track; show which are merged upstream"


def setup_parser(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="xsa_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="queue an advisory's patch files", description=__doc__,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    add.add_argument("number", type=int, metavar="N", help="the XSA number, e.g. 460")
    add.add_argument("files", nargs="+", type=Path, metavar="FILE", help="patch files in apply order")
    add.add_argument("--track", metavar="stable-X.Y", help="the track (needed when the manifest has several)")
    add.add_argument("--origin", default="", help="where the patches come from (default: the advisory URL)")
    add.add_argument("--replace", action="store_true", help="replace an XSA already queued")
    status = sub.add_parser("status", help="show per queued XSA whether upstream carries it")
    status.add_argument("--track", metavar="stable-X.Y", help="only this track")
    status.add_argument("--to", default=None, metavar="tip|X.Y.Z|COMMIT",
                        help="check against this target instead of the pinned commit")
    for p in (add, status):
        add_upstream_options(p)
    add.add_argument("--no-check", action="store_true",
                     help="do not check that the patches apply on the track's pinned commit (offline)")
    add.add_argument("--refresh", action="store_true",
                     help="a patch that applies only with fuzz (which OE's patch QA rejects) is queued rewritten "
                          "to apply exactly, its header kept")
    status.add_argument("--json", action="store_true", help="machine-readable output")


def run(args) -> int:
    return _add(args) if args.xsa_command == "add" else _status(args)


def _add(args) -> int:
    # imported here, not at module level: `oxt --help` and the other commands
    # should not pay for GitPython/YAML/kas
    from oxt.xen import queue

    request = queue.AddRequest(args.number, tuple(args.files), origin=args.origin, replace=args.replace)
    track, added = queue.add(find_checkout(args.root), request, series_options(args), check=not args.no_check,
                             refresh=args.refresh)
    print(f"queued XSA-{args.number} for {track.branch}: {', '.join(a.name.removeprefix('xsa/') for a in added)}")
    for a in added:
        if a.status.startswith("refreshed"):
            print(f"  {a.name}: {a.status}")
    return 0


def _status(args) -> int:
    from oxt.manifest import load_manifest
    from oxt.xen import queue, summary
    from oxt.xen.context import UpstreamContext
    from oxt.xen.tracks import pick_one

    manifest = load_manifest(find_checkout(args.root))
    chosen = [pick_one(manifest, args.track)] if args.track else list(manifest.xen.tracks)
    with UpstreamContext(args.remote or manifest.xen.remote, args.cache_dir, progress=not args.quiet) as up:
        plans = queue.status(manifest, chosen, up, to=args.to, progress=not args.quiet)
    data = summary.to_data(plans, dry_run=True)
    sys.stdout.write(summary.to_json(data) if args.json else summary.status_text(data))
    return 0
