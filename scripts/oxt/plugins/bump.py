"""Move Xen tracks to a newer upstream commit or release.

`oxt bump xen` resolves each track's target on the upstream remote (ls-remote),
fetches only the commits since the pinned release into a shallow cache
(never a full clone), reads which XSAs those commits fix, and then:
drops queued XSA patches that upstream now carries, keeps the others (checking
that they still apply), updates the manifest, re-renders the recipes and, with
--commit, makes one git commit whose message carries the upstream shortlog and
the XSA decisions.

Examples:
  oxt bump xen                          every track to its branch tip
  oxt bump xen --track stable-4.19 --to 4.19.3
  oxt bump xen --dry-run --format markdown   (pull-request body; prints nothing if no change)
  oxt bump xen --new-track stable-4.20  add a track at the branch tip
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oxt.errors import OxtUserError
from oxt.repo import find_checkout
from oxt.xen.defaults import DEFAULT_REMOTE, SUMMARY_FORMATS, default_cache_dir, default_download_dir
from oxt.xen.model import MODES, Track

NAME = "bump"
HELP = "move Xen tracks to a newer upstream stable commit or release"


def setup_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("component", choices=["xen"], help="what to bump (only xen for now)")
    parser.add_argument("--track", metavar="stable-X.Y", help="bump only this track (default: every track)")
    parser.add_argument("--new-track", metavar="stable-X.Y",
                        help="add a track following this upstream branch; other tracks are not touched")
    parser.add_argument("--to", default="tip", metavar="tip|X.Y.Z|COMMIT",
                        help="target: the branch tip (default), a release X.Y.Z, or a commit of the branch")
    parser.add_argument("--mode", choices=MODES,
                        help="git: pin a commit of the branch; tarball: pin a release tarball (default: keep)")
    parser.add_argument("--remote", metavar="URL",
                        help=f"upstream xen.git (default: the manifest's xen.remote, normally {DEFAULT_REMOTE}); "
                             "any git URL, e.g. file:///srv/xen.git")
    parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    parser.add_argument("--commit", action="store_true",
                        help="commit the result (one commit; refuses to run on a dirty tree)")
    parser.add_argument("--allow-downgrade", action="store_true", help="allow a target older than the pin")
    parser.add_argument("--format", choices=SUMMARY_FORMATS, default="text",
                        help="summary format on stdout (markdown: pull-request body)")
    parser.add_argument("--json", action="store_const", const="json", dest="format", help="same as --format json")
    parser.add_argument("--cache-dir", type=Path, metavar="DIR",
                        help=f"shallow upstream cache (default {default_cache_dir()}; env OXT_XEN_CACHE)")
    parser.add_argument("--tarball-url", metavar="TEMPLATE",
                        help="tarball URL with {version}, for --mode tarball (default: the track's URL scheme)")
    parser.add_argument("--download-dir", type=Path, metavar="DIR",
                        help=f"tarball download cache (default {default_download_dir()}; env OXT_XEN_DOWNLOADS)")
    parser.add_argument("--require-signature", action="store_true",
                        help="fail unless the tarball's .sig verifies with gpg against the Xen.org key")
    parser.add_argument("--gpg-home", type=Path, metavar="DIR", help="gpg home holding the Xen.org key")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output on stderr")


def run(args) -> int:
    # imported here, not at module level: `oxt --help` and the other commands
    # should not pay for GitPython/YAML/kas
    from oxt.xen import apply as xen_apply
    from oxt.xen import manifest_io, summary
    from oxt.xen.cache import UpstreamCache
    from oxt.xen.commit import ensure_clean, make_commit, message_for
    from oxt.xen.plan import BumpOptions, plan_track
    from oxt.xen.upstream import ls_remote
    from oxt.xen.versions import branch_series
    checkout = find_checkout(args.root)
    manifest, tracks = manifest_io.load(checkout)
    by_branch = {t.branch: t for t in tracks}
    selected: list[tuple[Track, bool]]
    if args.new_track:
        if args.track:
            raise OxtUserError("--new-track and --track cannot be combined; add the track first, then bump it")
        if not branch_series(args.new_track):
            raise OxtUserError(f"--new-track {args.new_track}: expected stable-X.Y")
        if args.new_track in by_branch:
            raise OxtUserError(f"--new-track {args.new_track}: {manifest.path} already has that track; "
                               f"use --track {args.new_track}")
        selected = [(Track(branch=args.new_track, mode=args.mode or "git"), True)]
    elif args.track:
        if args.track not in by_branch:
            raise OxtUserError(f"--track {args.track}: {manifest.path} has no such track "
                               f"(tracks: {', '.join(by_branch)})")
        selected = [(by_branch[args.track], False)]
    else:
        if args.to != "tip" and len(tracks) > 1:
            raise OxtUserError(f"--to {args.to} needs --track (the manifest has {len(tracks)} tracks)")
        selected = [(t, False) for t in tracks]

    if args.commit and not args.dry_run:
        repo = ensure_clean(checkout.root, xen_apply.touched_paths(checkout))
    options = BumpOptions(to=args.to, mode=args.mode, allow_downgrade=args.allow_downgrade,
                          tarball_url=args.tarball_url, download_dir=args.download_dir,
                          require_signature=args.require_signature, gpg_home=args.gpg_home,
                          progress=not args.quiet)
    remote = args.remote or manifest.remote
    refs = ls_remote(remote)
    plans = []
    with UpstreamCache(args.cache_dir, remote, progress=not args.quiet) as cache:
        for track, is_new in selected:
            plans.append(plan_track(track, new_track=is_new, refs=refs, cache=cache,
                                    xsa_dir=manifest_io.xsa_dir(checkout), options=options))

    changed = [p for p in plans if p.changed]
    commit_sha = None
    if changed and not args.dry_run:
        new_by_branch = {p.branch: p.new_track for p in plans}
        new_tracks = [new_by_branch.get(t.branch, t) for t in tracks]
        new_tracks += [p.new_track for p in plans if p.old_track is None]
        xdir = manifest_io.xsa_dir(checkout)
        remove = [xdir / f for p in changed for f in p.dropped_files]
        text = manifest_io.updated_text(manifest, new_tracks, removed=set(remove))
        warnings, rendered = xen_apply.write(checkout, text, remove)
        changed[0].warnings.extend(warnings)
        if args.commit:
            commit_sha = make_commit(repo, checkout.root, xen_apply.touched_paths(checkout) + remove + rendered,
                                     message_for(plans))
    data = summary.to_data(plans, dry_run=args.dry_run, commit=commit_sha)
    sys.stdout.write(summary.RENDERERS[args.format](data))
    return 0
