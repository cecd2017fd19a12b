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

`oxt xsa sync` does `add` for every published advisory by itself: it reads
the Xen security team's feed (xsa.json, each advisory's .meta, the signed
advisory text and its patch files), takes for each track the patch set
published for exactly that track's version, queues prerequisites first,
checks each track's whole patch series with the new patches in it as the
recipe applies it (XSA queue, meta-virtualization's patches, OpenXT queue),
queues and re-renders. Embargoed and withdrawn advisories are never
touched; a second run changes nothing. Exit status 1 when a published patch
does not apply, needs fuzz (--refresh queues it rewritten) or breaks a
patch after it (a person must backport it; the others are queued anyway),
2 on any error (nothing written).

Examples:
  oxt xsa sync --dry-run                    what would be queued, every track
  oxt xsa sync --track stable-4.19 --commit queue and commit, one track
  oxt xsa sync --xsa 470 --format markdown  one advisory (and its prerequisites)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oxt.errors import OxtUserError
from oxt.plugins.upstream_options import add_format_options, add_meta_virt_option, add_upstream_options, series_options
from oxt.repo import find_checkout
from oxt.xen.defaults import DEFAULT_FEED, XEN_SIGNING_KEY, default_xsa_cache_dir

NAME = "xsa"
HELP = "queue XSA patches for a Xen track (or every published advisory); show which are merged upstream"


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
    sync = sub.add_parser("sync", help="queue every published advisory's patches on the tracks it applies to",
                          description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _sync_options(sync)
    for p in (add, status, sync):
        add_upstream_options(p)
    add.add_argument("--no-check", action="store_true",
                     help="do not check that the patches apply on the track's pinned commit (offline)")
    for p in (add, sync):
        p.add_argument("--refresh", action="store_true",
                       help="a patch that applies only with fuzz (which OE's patch QA rejects) is queued rewritten "
                            "to apply exactly, its header kept")
    status.add_argument("--json", action="store_true", help="machine-readable output")


def _sync_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--feed", default=DEFAULT_FEED, metavar="URL",
                   help=f"the advisory directory: http(s):// or file:// (default {DEFAULT_FEED})")
    p.add_argument("--track", action="append", default=[], metavar="stable-X.Y",
                   help="only this track (repeat for several; default: every track)")
    p.add_argument("--since", type=int, metavar="N", help="only advisories numbered N or higher")
    p.add_argument("--xsa", action="append", default=[], metavar="N",
                   help="only this advisory, e.g. 470 or XSA-470 (repeatable); its prerequisites come along")
    p.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    p.add_argument("--commit", action="store_true", help="commit the result (one commit; refuses a dirty tree)")
    add_format_options(p, "report")
    p.add_argument("--require-signature", action="store_true",
                   help="fail unless each advisory text's PGP signature verifies against the Xen.org "
                        "signing key")
    p.add_argument("--gpg-home", type=Path, metavar="DIR",
                   help="gpg home holding the Xen.org signing key (pgp@xen.org)")
    p.add_argument("--signing-key", default=XEN_SIGNING_KEY, metavar="FINGERPRINT",
                   help="the key the advisories must be signed with (default: the Xen.org signing key, pgp@xen.org)")
    p.add_argument("--feed-cache", type=Path, metavar="DIR",
                   help=f"feed download cache (default {default_xsa_cache_dir()}; env OXT_XSA_CACHE)")
    p.add_argument("--refetch", action="store_true", help="fetch every .meta and advisory text again")
    add_meta_virt_option(p)


def run(args) -> int:
    return {"add": _add, "status": _status, "sync": _sync}[args.xsa_command](args)


def _xsa_numbers(values: list[str]) -> tuple[int, ...]:
    only = []
    for value in values:
        number = value.upper().removeprefix("XSA-").removeprefix("XSA")
        if not number.isdigit() or int(number) <= 0:
            raise OxtUserError(f"--xsa {value}: expected an advisory number, e.g. 470 or XSA-470")
        only.append(int(number))
    return tuple(only)


def _sync(args) -> int:
    from oxt.xen.sync import SyncOptions
    from oxt.xen.sync import run as sync_run
    from oxt.xen.sync_report import RENDERERS

    if args.commit and args.dry_run:
        raise OxtUserError("--commit and --dry-run cannot be combined")
    options = SyncOptions(feed=args.feed, tracks=tuple(args.track), since=args.since, only=_xsa_numbers(args.xsa),
                          dry_run=args.dry_run, commit=args.commit, require_signature=args.require_signature,
                          gpg_home=args.gpg_home, key=args.signing_key, remote=args.remote,
                          cache_dir=args.cache_dir, feed_cache=args.feed_cache, refetch=args.refetch,
                          refresh=args.refresh, meta_virt=args.meta_virt, progress=not args.quiet)
    result = sync_run(find_checkout(args.root), options)
    sys.stdout.write(RENDERERS[args.format](result.data))
    return result.exit_code


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
