"""Mask, per multiconfig, the upstream recipes its images do not need.

bitbake parses every recipe once per multiconfig: five VMs parse the ~3,000
upstream recipe files five times. The images need a few hundred of them. From
the task graph of the images (`bitbake -g`, made WITHOUT masks) this command
writes, beside each multiconfig, conf/multiconfig/parsemask/<mc>.inc: a
BBMASK that hides every upstream .bb file none of that multiconfig's tasks
come from (every version of a needed recipe stays, with its native,
nativesdk and lib32- variants), and the bbappends of hidden recipes. Our own
layers are never masked. kas/openxt.yml includes the file of the multiconfig
being parsed (its openxt-parse-mask block); kas/nomask.yml and kas/debug.yml
switch that off for bitbake world, devtool and `bitbake -e`.

Regenerating (on a build host, or through ../shared/harness with -g; the
unmasked parse takes 15-25 minutes on 2 cores):

  kas shell kas/openxt.yml:kas/testimage.yml:kas/nomask.yml -c 'bitbake -g \\
      mc:dom0:openxt-dom0-image mc:ndvm:openxt-ndvm-image mc:uivm:openxt-uivm-image \\
      mc:syncvm:openxt-syncvm-image mc:stubdomain:openxt-stubdomain-image \\
      mc:dom0:openxt-dom0-image:do_testimage mc:syncvm:openxt-syncvm-image:do_populate_sdk'
  oxt parsemask build                       # kas's build directory, holding task-depends.dot
  git add meta-openxt/conf/multiconfig/parsemask && git commit

Several graphs (several build directories) are merged. Before writing
anything it checks that each graph's build used the pinned upstream commits,
a copy of our layers that says what this checkout says, no masks, and that
every VM's image is in it. Each include records the digest of its inputs;
`oxt check` reports masks whose inputs changed (pins, our recipes and
dependency lines, the kas files). An image that comes to need a hidden recipe
stops bitbake early with "Nothing PROVIDES", and openxt-parsemask.bbclass
names the hidden file and this command.

--check writes nothing: exit 2 and the reason when the committed masks are
missing, edited or stale, 0 when they match the checkout.
"""

from __future__ import annotations

from pathlib import Path

from oxt.repo import find_checkout

NAME = "parsemask"
HELP = "mask, per multiconfig, the upstream recipes its images do not need (from `bitbake -g`)"


def setup_parser(parser) -> None:
    parser.add_argument("graphs", nargs="*", type=Path, metavar="BUILD_DIR|task-depends.dot",
                        help="build directory of `bitbake -g` (or its task-depends.dot); several are merged")
    parser.add_argument("--dry-run", action="store_true", help="print what would be written, write nothing")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 2 if the committed masks are missing, edited or stale")


def _check(checkout) -> int:
    from oxt.checks import parsemask as check_module
    from oxt.kasfiles import MAIN_KAS_FILE, compose
    from oxt.problems import ProblemsFound
    from oxt.resolve import resolve_vms
    from oxt.stack import Stack

    stack = Stack.of(compose([checkout.kas_dir / MAIN_KAS_FILE], checkout.root))
    plan = resolve_vms(stack)
    if not check_module.switched_on(stack):
        print(f"oxt parsemask --check: kas/{MAIN_KAS_FILE} does not switch the parse masks on")
        return 0
    problems = check_module.check(stack, plan)
    if problems:
        raise ProblemsFound(problems, "oxt parsemask --check")
    print(f"oxt parsemask --check: the masks of {len(plan.vms)} multiconfigs match the checkout "
          f"({check_module.current_inputs(stack).line()})")
    return 0


def run(args) -> int:
    from oxt.parsemask import generate

    checkout = find_checkout(args.root)
    if args.check:
        return _check(checkout)
    result, texts, stale = generate.plan(checkout, args.graphs)
    if not args.dry_run:
        generate.write(result, texts, stale)
    for m in result.masks:
        path = result.paths[m.mc]
        state = result.written.get(path, "would write")
        print(f"{m.mc:<11} {m.kept:>5} of {m.total} upstream recipe files parse, "
              f"{len(m.appends)} bbappends hidden  {path.relative_to(checkout.root)} ({state})")
    for path in stale:
        print(f"{'':<11} {path.relative_to(checkout.root)} ({'deleted' if path in result.deleted else 'would delete'})")
    return 0
