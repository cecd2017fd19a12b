"""Move Xen tracks to a newer upstream commit or release.

`oxt bump xen` resolves each track's target on the upstream remote (ls-remote),
fetches only the commits since the pinned release into a shallow cache
(never a full clone), reads which XSAs those commits fix, and then:
drops queued XSA patches that upstream now carries, keeps the others (checking
that they still apply), applies the track's whole patch series at the target
as bitbake's do_patch would, updates the manifest, re-renders the recipes and,
with --commit, makes one git commit whose message carries the upstream
shortlog, the XSA decisions and the state of the patch series.

If the OpenXT patch queue does not apply at the target, nothing is written and
the exit status is 1: the error names each broken patch, its rejected hunk and
the upstream commit that broke it (bisected between the old pin and the
target). --allow-broken-series writes anyway and marks the summary.

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

from oxt.manifest import XEN_MODES
from oxt.plugins.upstream_options import add_format_options, add_meta_virt_option, add_upstream_options
from oxt.repo import find_checkout
from oxt.xen.defaults import default_download_dir

NAME = "bump"
HELP = "move Xen tracks to a newer upstream stable commit or release"


def setup_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("component", choices=["xen"], help="what to bump (only xen for now)")
    parser.add_argument("--track", metavar="stable-X.Y", help="bump only this track (default: every track)")
    parser.add_argument("--new-track", metavar="stable-X.Y",
                        help="add a track following this upstream branch; other tracks are not touched")
    parser.add_argument("--to", default="tip", metavar="tip|X.Y.Z|COMMIT",
                        help="target: the branch tip (default), a release X.Y.Z, or a commit of the branch")
    parser.add_argument("--mode", choices=XEN_MODES,
                        help="git: pin a commit of the branch; tarball: pin a release tarball (default: keep)")
    add_upstream_options(parser)
    add_meta_virt_option(parser)
    parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    parser.add_argument("--commit", action="store_true",
                        help="commit the result (one commit; refuses to run on a dirty tree)")
    parser.add_argument("--allow-downgrade", action="store_true", help="allow a target older than the pin")
    parser.add_argument("--allow-broken-series", action="store_true",
                        help="write the bump even when the OpenXT patch queue does not apply at the target "
                             "(warned about and marked in the summary; without it such a bump stops, exit 1)")
    add_format_options(parser, "summary")
    parser.add_argument("--tarball-url", metavar="TEMPLATE",
                        help="tarball URL with {version}, for --mode tarball (default: the track's URL scheme)")
    parser.add_argument("--download-dir", type=Path, metavar="DIR",
                        help=f"tarball download cache (default {default_download_dir()}; env OXT_XEN_DOWNLOADS)")
    parser.add_argument("--require-signature", action="store_true",
                        help="fail unless the target is signed by the Xen.org key and gpg verifies it: the RELEASE "
                             "tag (git mode: `git verify-tag`; a branch tip is unsigned) or the tarball's .sig")
    parser.add_argument("--gpg-home", type=Path, metavar="DIR", help="gpg home holding the Xen.org key")


def run(args) -> int:
    # imported here, not at module level: `oxt --help` and the other commands
    # should not pay for GitPython/YAML/kas
    from oxt.xen import summary
    from oxt.xen.bump import BumpRequest, bump
    from oxt.xen.plan import BumpOptions

    options = BumpOptions(to=args.to, mode=args.mode, allow_downgrade=args.allow_downgrade,
                          tarball_url=args.tarball_url, download_dir=args.download_dir,
                          require_signature=args.require_signature, gpg_home=args.gpg_home,
                          progress=not args.quiet)
    request = BumpRequest(options, track=args.track, new_track=args.new_track, remote=args.remote,
                          cache_dir=args.cache_dir, dry_run=args.dry_run, commit=args.commit,
                          allow_broken_series=args.allow_broken_series, meta_virt=args.meta_virt)
    data = bump(find_checkout(args.root), request)
    sys.stdout.write(summary.RENDERERS[args.format](data))
    for line in data["stopped"]:
        print(f"oxt bump: error: {line}", file=sys.stderr)
    if data["stopped"]:
        print("oxt bump: error: the OpenXT patch series breaks at the target: nothing written; rebase the "
              "patches (oxt xen refresh for fuzz), drop them (oxt xen patch remove) or pass --allow-broken-series",
              file=sys.stderr)
        return 1
    return 0
