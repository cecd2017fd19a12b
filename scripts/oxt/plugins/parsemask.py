"""Mask, per multiconfig, the upstream recipes its images do not need.

bitbake parses every recipe once per multiconfig: five VMs parse the ~3,000
upstream recipe files five times. The images need a few hundred of them.
From bitbake's own task data for the image targets (collected in a build
WITHOUT masks) this command writes, beside each multiconfig,
conf/multiconfig/parsemask/<mc>.inc: a BBMASK that hides every upstream .bb
file bitbake's task data does not reach in that multiconfig (every version of
a reached recipe stays, with its native, nativesdk and lib32- variants), and
the bbappends of hidden recipes. Our own layers are masked the same way
(meta-openxt-haskell's 80 recipes serve ndvm's network-slave only).
kas/openxt.yml includes the file of the multiconfig being parsed (its
openxt-parse-mask block); kas/nomask.yml and kas/debug.yml switch that off for
bitbake world, devtool and `bitbake -e`.

Why task data and not `bitbake -g`'s task-depends.dot: that graph is the run
queue after pruning, but bitbake resolves a provider for the DEPENDS,
RDEPENDS, RRECOMMENDS and [depends] of every task of every recipe it reaches
(do_populate_sdk_ext, gcc's do_check, ...) before it prunes; a mask made from
the graph hides some of them and the same `bitbake -g` fails.

Regenerating (on a build host, or in a work directory of ../shared/harness;
the unmasked parse takes 15-25 minutes on 2 cores):

  kas shell kas/openxt.yml:kas/testimage.yml:kas/nomask.yml -c \\
      "python3 $PWD/scripts/oxt/parsemask/collect.py \\
      mc:dom0:openxt-dom0-image mc:ndvm:openxt-ndvm-image mc:uivm:openxt-uivm-image \\
      mc:syncvm:openxt-syncvm-image mc:stubdomain:openxt-stubdomain-image \\
      mc:dom0:openxt-dom0-image:do_testimage mc:syncvm:openxt-syncvm-image:do_populate_sdk"
  oxt parsemask build                       # kas's build directory, holding taskdata.json
  git add meta-openxt/conf/multiconfig/parsemask && git commit

Several build directories (several taskdata.json) are merged. Before writing
anything it checks that each build used the pinned upstream commits, a copy
of our layers that says what this checkout says, no masks, and that every
VM's image is in the task data. Each include records the digest of its
inputs; `oxt check` reports masks whose inputs changed (pins, our recipes and
dependency lines, the kas files). An image that comes to need a hidden recipe
stops bitbake early with "Nothing PROVIDES", and openxt_parsemask.bbclass
names the hidden file and this command.

--check writes nothing: exit 2 and the reason when the committed masks are
missing, edited or stale, 0 when they match the checkout.

--compare UNMASKED MASKED writes nothing either: it compares two task graphs
(`bitbake -g`'s task-depends.dot) of the same targets, one made with
kas/nomask.yml and one with the masks, task by task and edge by edge, prints
the counts and exits 2 (listing the first differing tasks) unless they are
the same graph.
"""

from __future__ import annotations

from pathlib import Path

from oxt.repo import find_checkout

NAME = "parsemask"
HELP = "mask, per multiconfig, the upstream recipes its images do not need (from bitbake's task data)"


def setup_parser(parser) -> None:
    parser.add_argument("graphs", nargs="*", type=Path, metavar="BUILD_DIR|FILE",
                        help="build directory holding collect.py's taskdata.json (or that file; several are "
                             "merged); with --compare two task-depends.dot of `bitbake -g` (or their build "
                             "directories)")
    parser.add_argument("--dry-run", action="store_true", help="print what would be written, write nothing")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 2 if the committed masks are missing, edited or stale")
    parser.add_argument("--compare", action="store_true",
                        help="write nothing; compare the task lists (and edges) of two graphs, UNMASKED then "
                             "MASKED: exit 2 unless identical")


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


def _compare(graphs: list[Path]) -> int:
    from oxt.errors import ConfigError
    from oxt.parsemask import generate, taskgraph

    if len(graphs) != 2:
        raise ConfigError(f"--compare takes two task graphs (unmasked, then masked), got {len(graphs)}; "
                          "pass their build directories or task-depends.dot files")
    first, second = (taskgraph.read(generate.graph_path(g)) for g in graphs)
    diff = taskgraph.compare(first, second)
    print(f"tasks: {diff.tasks[0]} in {first.path}, {diff.tasks[1]} in {second.path}; "
          f"only in the first: {len(diff.only_first)}, only in the second: {len(diff.only_second)}")
    print(f"edges: {diff.edges[0]} and {diff.edges[1]}; only in the first: {diff.edges_only_first}, "
          f"only in the second: {diff.edges_only_second}")
    if diff.same:
        print("oxt parsemask --compare: the same task graph")
        return 0
    shown = [f"only in the first: {t}" for t in diff.only_first[:20]]
    shown += [f"only in the second: {t}" for t in diff.only_second[:20]]
    raise ConfigError("the task graphs differ:\n  " + "\n  ".join(shown or ["(in their edges only)"])
                      + "\nwith masks a task graph must equal the unmasked one: regenerate the masks "
                      "(oxt parsemask --help)")


def run(args) -> int:
    from oxt.parsemask import generate

    if args.compare:
        return _compare(args.graphs)
    checkout = find_checkout(args.root)
    if args.check:
        return _check(checkout)
    result, texts, stale = generate.plan(checkout, args.graphs)
    if not args.dry_run:
        generate.write(result, texts, stale)
    for m in result.masks:
        path = result.paths[m.mc]
        state = result.written.get(path, "would write")
        print(f"{m.mc:<11} {m.kept:>5} of {m.total} upstream and {m.own_kept} of {m.own_total} own recipe files parse, "
              f"{len(m.appends)} bbappends hidden  {path.relative_to(checkout.root)} ({state})")
    for path in stale:
        print(f"{'':<11} {path.relative_to(checkout.root)} ({'deleted' if path in result.deleted else 'would delete'})")
    return 0
