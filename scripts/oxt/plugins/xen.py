"""Check, survey and maintain a Xen track's patch series as bitbake applies it.

A track's recipes apply, in SRC_URI order, its XSA queue, meta-virtualization's
build fixes and OpenXT's own queue (the order `oxt render` writes). do_patch
pushes them with quilt (GNU patch -p1, fuzz up to 2) and OE's patch QA then
rejects any hunk that needed fuzz (patch-fuzz is in ERROR_QA). These commands
apply the whole series the same way — on upstream commits read from the
shallow cache, no checkout — and report per patch: clean, offset (fine),
fuzz N (OE refuses it), fails (with the rejected hunk's file and line), or
carried upstream (it reverse-applies, or an upstream commit has its Subject).

Actions:
  series   the table at the pin (or --at REF); exit 1 if anything needs fuzz or fails
  survey   along the branch from --from to --to: per release how many patches
           apply clean / with fuzz / fail, and the first upstream commit that broke
           each patch (bisection); --without-xsa answers "does our own queue survive
           without the XSA patches?"
  refresh  rewrite patches that apply only with offset or fuzz so they apply exactly
  patch    add / remove OpenXT patches (with their one-line purpose)

Examples:
  oxt xen series                                   the preferred track at its pin
  oxt xen series --track stable-4.19 --at tip      would the series survive a bump to the tip?
  oxt xen survey --track stable-4.19 --from 4.19.0 --to tip --format markdown
  oxt xen refresh --dry-run
  oxt xen patch add 0001-fix.patch --why "keep the stubdomain's console on hvc0"
  oxt xen survey --track stable-4.6 --series /tmp/queue/series --from 4.6.1 --to tip
                                                   a queue outside the manifest (quilt series file)

REF is tip, X.Y.Z, RELEASE-X.Y.Z or a commit id of the track's branch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oxt.plugins.upstream_options import (add_format_options, add_meta_virt_option, add_upstream_options,
                                          series_options)
from oxt.repo import find_checkout

NAME = "xen"
HELP = "check, survey and refresh a Xen track's patch series; queue OpenXT patches"


SERIES = ("apply the series as do_patch does; one line per patch",
          "Apply each recipe's whole patch series on a commit and report per patch.\n"
          "Exit 0: every patch clean or offset; 1: something needs fuzz, fails or is carried upstream; "
          "2: bad input.")
SURVEY = ("where along the branch does each patch stop applying?",
          "Evaluate the series at --from, every release tag in the range and --to, then bisect to the first "
          "upstream commit at which each patch needs fuzz, fails or is carried upstream (with that commit's "
          "subject).")
REFRESH = ("rewrite offset/fuzz patches so they apply exactly",
           "Rewrite the track's XSA and OpenXT patches that apply only with an offset or fuzz at the pin so that "
           "they apply exactly, as quilt refresh / devtool would; headers (From, Subject, Signed-off-by, "
           "Upstream-Status) are kept. Failing patches are listed, never rewritten. All files or none are "
           "written; the diff is shown. Exit 1 when failing patches remain.")
PATCH_ADD = ("queue OpenXT patches (after the XSA queue)",
             "Copy patches into meta-openxt/recipes-extended/xen/files/openxt/, queue them with their purpose and "
             "re-render the recipes. Each must carry an 'Upstream-Status: <Pending|Submitted|Backport|Denied|"
             "Inappropriate|Inactive-Upstream> [detail]' line (OE's patch QA) and, unless --no-check, apply clean "
             "or with an offset on top of the track's series at the pin.")


def _action(sub, name: str, text: tuple[str, str], *, series_file: bool = True,
            formats: bool = True) -> argparse.ArgumentParser:
    """A sub-command with the options every action shares."""
    p = sub.add_parser(name, help=text[0], description=text[1])
    p.add_argument("--track", metavar="stable-X.Y", help="the track (default: the manifest's preferred track)")
    add_upstream_options(p)
    add_meta_virt_option(p)
    if series_file:
        p.add_argument("--series", type=Path, metavar="FILE", dest="series_file",
                       help="check a quilt series file (patch paths relative to it) instead of the manifest's "
                            "queues; needs --track to name the branch")
    if formats:
        add_format_options(p)
    return p


def setup_parser(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="xen_command", metavar="ACTION", required=True)
    s = _action(sub, "series", SERIES)
    s.add_argument("--at", metavar="REF", help="the upstream commit (default: the track's pin; tip, X.Y.Z, "
                                               "RELEASE-X.Y.Z or a commit id)")
    v = _action(sub, "survey", SURVEY)
    v.add_argument("--from", dest="from_ref", metavar="REF",
                   help="start of the range (default: the release the track's pin describes from)")
    v.add_argument("--to", dest="to_ref", default="tip", metavar="REF", help="end of the range (default: tip)")
    v.add_argument("--without-xsa", action="store_true", help="leave the XSA queue out of the series")
    v.add_argument("--recipe", choices=("xen", "xen-tools"),
                   help="survey one recipe's series (default: both; identical series are run once)")
    v.add_argument("-j", "--jobs", type=int, default=2, metavar="N", help="commits evaluated in parallel (default 2)")
    r = _action(sub, "refresh", REFRESH, series_file=False)
    r.add_argument("--dry-run", action="store_true", help="show the diff; write nothing")

    psub = sub.add_parser("patch", help="add / remove OpenXT patches of a track").add_subparsers(
        dest="patch_command", metavar="add|remove", required=True)
    add = _action(psub, "add", PATCH_ADD, series_file=False, formats=False)
    add.add_argument("files", nargs="+", type=Path, metavar="FILE", help="patch files, in apply order")
    add.add_argument("--why", required=True, metavar="TEXT", help="one line: why OpenXT carries the patch(es)")
    add.add_argument("--no-check", action="store_true",
                     help="do not apply them on the pinned commit (offline; file checks still run)")
    add.add_argument("--refresh", action="store_true",
                     help="a patch that needs fuzz is queued rewritten to apply exactly")
    rm = psub.add_parser("remove", help="drop OpenXT patches from a track's queue")
    rm.add_argument("names", nargs="+", metavar="NAME", help="queued file names (as in the manifest)")
    rm.add_argument("--track", metavar="stable-X.Y", help="the track (default: the manifest's preferred track)")


def run(args) -> int:
    actions = {"series": _series, "survey": _survey, "refresh": _refresh, "add": _patch_add, "remove": _patch_remove}
    action = args.patch_command if args.xen_command == "patch" else args.xen_command
    return actions[action](args, find_checkout(args.root))


def _emit(data, fmt: str, text_fn) -> None:
    from oxt.xen import series_report as rep

    sys.stdout.write(rep.to_json(data) if fmt == "json" else text_fn(data, markdown=fmt == "markdown"))


def _series(args, checkout) -> int:
    from oxt.xen import series_ops, series_report as rep

    target, at, results = series_ops.check_series(checkout, series_options(args), args.at)
    data = rep.series_data(target.branch, at, results)
    _emit(data, args.format, rep.series_text)
    return 0 if data["ok"] else 1


def _survey(args, checkout) -> int:
    from oxt.xen import series_ops, series_report as rep

    runs = series_ops.survey(checkout, series_options(args), args.from_ref, args.to_ref, without_xsa=args.without_xsa)
    data = [rep.survey_data(r.target.branch, r.recipe, r.survey, without_xsa=args.without_xsa,
                            from_ref=r.from_ref, to_ref=r.to_ref, describe=r.describe.get) for r in runs]
    if args.format == "json":
        _emit({"surveys": data}, "json", None)
    else:
        sys.stdout.write("\n".join(rep.survey_text(d, markdown=args.format == "markdown") for d in data))
    return 0


def _refresh(args, checkout) -> int:
    from oxt.xen import series_ops, series_report as rep

    run_ = series_ops.refresh(checkout, series_options(args), dry_run=args.dry_run)
    labels = {r.patch.name: str(Path(r.patch.path).resolve().relative_to(checkout.root.resolve()))
              for r in run_.plan.refreshed}
    data = rep.refresh_data(run_.target.branch, run_.at, run_.plan, dry_run=args.dry_run, labels=labels)
    _emit(data, args.format, rep.refresh_text)
    return 1 if run_.plan.failing else 0


def _patch_add(args, checkout) -> int:
    from oxt.xen import openxt_queue

    track, added = openxt_queue.add(checkout, series_options(args), args.files, args.why,
                                    check=not args.no_check, refresh=args.refresh)
    for a in added:
        print(f"queued {a.name} for {track.branch} ({a.status})")
    return 0


def _patch_remove(args, checkout) -> int:
    from oxt.xen import openxt_queue

    track, dropped = openxt_queue.remove(checkout, series_options(args), args.names)
    for name in dropped:
        print(f"removed openxt/{name} from {track.branch}")
    return 0
