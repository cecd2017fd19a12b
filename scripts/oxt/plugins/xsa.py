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

from oxt.errors import OxtUserError
from oxt.repo import find_checkout
from oxt.xen.defaults import DEFAULT_REMOTE, default_cache_dir
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
    for p in (add, status):
        p.add_argument("--remote", metavar="URL",
                       help=f"upstream xen.git (default: the manifest's xen.remote, normally {DEFAULT_REMOTE})")
        p.add_argument("--cache-dir", type=Path, metavar="DIR", help=f"shallow cache (default {default_cache_dir()})")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    add.add_argument("--no-check", action="store_true",
                     help="do not check that the patches apply on the track's pinned commit (offline)")
    status.add_argument("--json", action="store_true", help="machine-readable output")


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
    return _add(args) if args.xsa_command == "add" else _status(args)


def _add(args) -> int:
    # imported here, not at module level: `oxt --help` and the other commands
    # should not pay for GitPython/YAML/kas
    from oxt.xen import apply as xen_apply
    from oxt.xen import manifest_io
    from oxt.xen.cache import UpstreamCache
    from oxt.xen.patches import changed_files, queue_name, xsa_number_in_name
    from oxt.xen.upstream import ls_remote
    from oxt.xen.versions import describe_parts
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
    xdir = manifest_io.xsa_dir(checkout)
    if not args.no_check:
        remote = args.remote or manifest.remote
        refs = ls_remote(remote)
        with UpstreamCache(args.cache_dir, remote, progress=not args.quiet) as cache:
            pin = track.srcrev or refs.tags.get(f"RELEASE-{track.version}")
            base = describe_parts(track.tag or "")[0]
            base = base if base in refs.tags else None
            cache.ensure_range(track.branch, refs.branch(track.branch), base_tag=base,
                               base_commit=refs.tags.get(base) if base else None, tags=[], need=[pin])
            ok, msg = cache.apply_series(pin, list(args.files))
        if not ok:
            raise OxtUserError(f"XSA-{args.number}: {msg} (on {track.branch} at {pin[:12]}); "
                               "take the advisory's patch for this branch, or pass --no-check")
    old_files = [xdir / p for p in existing[args.number].patches] if args.number in existing else []
    origin = args.origin or f"https://xenbits.xen.org/xsa/advisory-{args.number}.html"
    entry = XsaEntry(number=args.number, patches=tuple(names), origin=origin)
    xsas = [x for x in track.xsas if x.number != args.number] + [entry]
    xsas.sort(key=lambda x: x.number)
    new_tracks = [t.with_(xsas=tuple(xsas)) if t.branch == track.branch else t for t in tracks]
    add = {xdir / n: f.read_bytes() for n, f in zip(names, args.files)}
    remove = [f for f in old_files if f not in add]
    text = manifest_io.updated_text(manifest, new_tracks, added=set(add), removed=set(remove))
    warnings, _ = xen_apply.write(checkout, text, remove, add=add)
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
