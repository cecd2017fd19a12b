"""Queue Xen security advisory (XSA) patches and see where they stand.

`oxt xsa add N FILE…` copies an advisory's patch files into the layer
(meta-openxt/recipes-extended/xen/files/xsa/), after checking with git's own
patch parser that each is a patch, and adds them to the track's XSA queue in
the manifest; `oxt render` (run for you) puts them first in SRC_URI.

`oxt xsa status` shows, for every queued XSA, whether the track's pinned
commit — or the branch tip / --to target — already carries it upstream.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oxt.plugins.upstream_options import add_upstream_options
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
    status.add_argument("--json", action="store_true", help="machine-readable output")


def run(args) -> int:
    return _add(args) if args.xsa_command == "add" else _status(args)


def _add(args) -> int:
    # imported here, not at module level: `oxt --help` and the other commands
    # should not pay for GitPython/YAML/kas
    from oxt import changeset
    from oxt.manifest_edit import ManifestDocument
    from oxt.xen import queue
    from oxt.xen.context import UpstreamContext
    from oxt.xen.tracks import pick_one

    checkout = find_checkout(args.root)
    doc = ManifestDocument.load(checkout)
    manifest = doc.validate()
    track = pick_one(manifest, args.track)
    request = queue.AddRequest(args.number, tuple(args.files), origin=args.origin, replace=args.replace)
    names = queue.patch_names(track, request)
    if not args.no_check:
        with UpstreamContext(args.remote or manifest.xen.remote, args.cache_dir, progress=not args.quiet) as up:
            queue.check_applies(up, track, request)
    changeset.write(queue.plan_add(checkout, doc, manifest, track, request, names))
    print(f"queued XSA-{args.number} for {track.branch}: {', '.join(names)}")
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
