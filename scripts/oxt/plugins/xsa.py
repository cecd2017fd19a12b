"""Queue Xen security advisory (XSA) patches and see where they stand.

`oxt xsa add N FILE…` copies an advisory's patch files into the layer
(meta-openxt/recipes-extended/xen/files/xsa/), after checking with git's own
patch parser that each is a patch, and adds them to the track's XSA queue in
the manifest; `oxt render` (run for you) puts them first in SRC_URI.

`oxt xsa status` shows, for every queued XSA, whether the track's pinned
commit — or the branch tip / --to target — already carries it upstream.

`oxt xsa sync` does `add` for every published advisory by itself: it reads
the Xen security team's feed (xsa.json, each advisory's .meta, the signed
advisory text and its patch files), takes for each track the patch set
published for exactly that track's version, queues prerequisites first,
checks that the XSA series still applies on the pin, queues and re-renders.
Embargoed and withdrawn advisories are never touched; a second run changes
nothing. Exit status 1 when a published patch does not apply (a person must
backport it; the others are queued anyway), 2 on any error (nothing written).

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
from oxt.repo import find_checkout
from oxt.xen.defaults import (
    DEFAULT_FEED,
    DEFAULT_REMOTE,
    SUMMARY_FORMATS,
    XEN_SECURITY_KEY,
    default_cache_dir,
    default_xsa_cache_dir,
)
from oxt.xen.model import XsaEntry

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
    sync = sub.add_parser("sync", help="queue every published advisory's patches on the tracks it applies to",
                          description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _sync_options(sync)
    for p in (add, status, sync):
        p.add_argument("--remote", metavar="URL",
                       help=f"upstream xen.git (default: the manifest's xen.remote, normally {DEFAULT_REMOTE})")
        p.add_argument("--cache-dir", type=Path, metavar="DIR", help=f"shallow cache (default {default_cache_dir()})")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    add.add_argument("--no-check", action="store_true",
                     help="do not check that the patches apply on the track's pinned commit (offline)")
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
    p.add_argument("--format", choices=SUMMARY_FORMATS, default="text",
                   help="report format on stdout (markdown: the tracker's pull-request body)")
    p.add_argument("--json", action="store_const", const="json", dest="format", help="same as --format json")
    p.add_argument("--require-signature", action="store_true",
                   help="fail unless each advisory text's PGP signature verifies against the Xen.org security "
                        "team key")
    p.add_argument("--gpg-home", type=Path, metavar="DIR", help="gpg home holding the Xen.org security team key")
    p.add_argument("--signing-key", default=XEN_SECURITY_KEY, metavar="FINGERPRINT",
                   help="the key the advisories must be signed with (default: the Xen.org security team's)")
    p.add_argument("--feed-cache", type=Path, metavar="DIR",
                   help=f"feed download cache (default {default_xsa_cache_dir()}; env OXT_XSA_CACHE)")
    p.add_argument("--refresh", action="store_true", help="fetch every .meta and advisory text again")


def _pick_track(tracks, name):
    if name:
        for t in tracks:
            if t.branch == name:
                return t
        raise OxtUserError(f"--track {name}: no such track (tracks: {', '.join(t.branch for t in tracks)})")
    if len(tracks) > 1:
        raise OxtUserError(f"the manifest has {len(tracks)} tracks ({', '.join(t.branch for t in tracks)}); "
                           "pass --track")
    return tracks[0]


def run(args) -> int:
    return {"add": _add, "status": _status, "sync": _sync}[args.xsa_command](args)


def _sync(args) -> int:
    from oxt.xen.sync import SyncOptions
    from oxt.xen.sync import run as sync_run
    from oxt.xen.sync_report import RENDERERS

    if args.commit and args.dry_run:
        raise OxtUserError("--commit and --dry-run cannot be combined")
    only = []
    for value in args.xsa:
        number = value.upper().removeprefix("XSA-").removeprefix("XSA")
        if not number.isdigit() or int(number) <= 0:
            raise OxtUserError(f"--xsa {value}: expected an advisory number, e.g. 470 or XSA-470")
        only.append(int(number))
    options = SyncOptions(feed=args.feed, tracks=tuple(args.track), since=args.since, only=tuple(only),
                          dry_run=args.dry_run, commit=args.commit, require_signature=args.require_signature,
                          gpg_home=args.gpg_home, key=args.signing_key, remote=args.remote,
                          cache_dir=args.cache_dir, feed_cache=args.feed_cache, refresh=args.refresh,
                          progress=not args.quiet)
    result = sync_run(find_checkout(args.root), options)
    sys.stdout.write(RENDERERS[args.format](result.data))
    return result.exit_code


def _add(args) -> int:
    # imported here, not at module level: `oxt --help` and the other commands
    # should not pay for GitPython/YAML/kas
    from oxt.xen import manifest_io
    from oxt.xen.cache import UpstreamCache
    from oxt.xen.patches import changed_files, queue_name, xsa_number_in_name
    from oxt.xen.queue import Queued, pin_of, write_queue
    from oxt.xen.upstream import ls_remote
    checkout = find_checkout(args.root)
    manifest, tracks = manifest_io.load(checkout)
    track = _pick_track(tracks, args.track)
    existing = {x.number: x for x in track.xsas}
    if args.number in existing and not args.replace:
        raise OxtUserError(f"XSA-{args.number} is already queued for {track.branch} "
                           f"({', '.join(existing[args.number].patches)}); pass --replace to replace it")
    names = []
    for f in args.files:
        changed_files(f)  # raises PatchError naming the file
        n = xsa_number_in_name(f)
        if n is not None and n != args.number:
            raise OxtUserError(f"{f}: the file name says XSA-{n}, not XSA-{args.number}; check the number")
        names.append(queue_name(f))
    if len(set(names)) != len(names):
        raise OxtUserError(f"two files would get the same name under files/xsa/: {names}")
    if not args.no_check:
        remote = args.remote or manifest.remote
        refs = ls_remote(remote)
        with UpstreamCache(args.cache_dir, remote, progress=not args.quiet) as cache:
            pin, _ = pin_of(track, refs, cache)
            ok, msg = cache.apply_series(pin, list(args.files))
        if not ok:
            raise OxtUserError(f"XSA-{args.number}: {msg} (on {track.branch} at {pin[:12]}); "
                               "take the advisory's patch for this branch, or pass --no-check")
    origin = args.origin or f"https://xenbits.xen.org/xsa/advisory-{args.number}.html"
    entry = XsaEntry(number=args.number, patches=tuple(names), origin=origin)
    queued = Queued(track.branch, entry, {n: f.read_bytes() for n, f in zip(names, args.files)})
    warnings, _ = write_queue(checkout, manifest, tracks, [queued], replace=args.replace)
    print(f"queued XSA-{args.number} for {track.branch}: {', '.join(names)}")
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _status(args) -> int:
    # imported here, not at module level: `oxt --help` and the other commands
    # should not pay for GitPython/YAML/kas
    from oxt.xen import manifest_io, summary
    from oxt.xen.cache import UpstreamCache
    from oxt.xen.plan import BumpOptions, plan_track
    from oxt.xen.upstream import ls_remote
    checkout = find_checkout(args.root)
    manifest, tracks = manifest_io.load(checkout)
    chosen = [_pick_track(tracks, args.track)] if args.track else tracks
    remote = args.remote or manifest.remote
    refs = ls_remote(remote)
    plans = []
    with UpstreamCache(args.cache_dir, remote, progress=not args.quiet) as cache:
        for t in chosen:
            # against the pin (the queue's own base) unless a target is given
            to = args.to or (t.srcrev if t.mode == "git" else (t.version or "tip"))
            opts = BumpOptions(to=to, progress=not args.quiet, allow_downgrade=True, index_since_base=True)
            plans.append(plan_track(t, new_track=False, refs=refs, cache=cache,
                                    xsa_dir=manifest_io.xsa_dir(checkout), options=opts))
    data = summary.to_data(plans, dry_run=True)
    if args.json:
        sys.stdout.write(summary.to_json(data))
        return 0
    rows = [["TRACK", "AT", "XSA", "STATUS", "UPSTREAM COMMITS", "NOTE"]]
    for t in data["tracks"]:
        at = t["new"]["describe"] or (t["new"]["commit"] or "")[:12]
        for x in t["xsas"]:
            rows.append([t["track"], at, f"XSA-{x['xsa']}", x["status"],
                         " ".join(c["commit"][:12] for c in x["upstream"]) or "-", x["note"]])
        if not t["xsas"]:
            rows.append([t["track"], at, "-", "no XSA queued", "-", ""])
    print("\n".join(summary._table(rows)))
    return 0
