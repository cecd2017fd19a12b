#!/usr/bin/env python3
"""Write which recipe files bitbake's task data reaches from the image targets (runs inside the build).

    kas shell kas/openxt.yml:kas/testimage.yml:kas/nomask.yml -c \\
        "python3 $PWD/scripts/oxt/parsemask/collect.py TARGET..."

writes taskdata.json in the build directory, the input of ``oxt parsemask``.

Why not the task graph of ``bitbake -g``: task-depends.dot is the run queue
after pruning. Before it prunes, bitbake's TaskData (``taskdata.add_tasks``)
resolves a provider for DEPENDS, RDEPENDS, RRECOMMENDS and the ``[depends]``
of *every* task of every recipe it reaches — do_populate_sdk_ext,
gcc's do_check, … — and a mask that hides one of those providers makes the
same ``bitbake -g`` fail with "Nothing PROVIDES". This script asks bitbake
for exactly that task data: the ``generateTargetsTree`` command runs the
cooker's ``buildTaskData`` (the same call ``bitbake -g`` makes, multiconfig
dependencies included) and reports every recipe of ``taskdata.taskentries``
with its file, every eligible provider of every name included.

It imports only the standard library and bitbake (found through the
``bitbake`` on PATH, as in a kas shell): bitbake's Python runs it, not oxt's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

FORMAT = "openxt-taskdata 1"
OUTPUT = "taskdata.json"
DEFAULT_MC = "default"


def split_pn(pn: str) -> tuple[str, str]:
    """``mc:dom0:acl-native`` -> (``dom0``, ``acl-native``); no prefix: the default configuration."""
    if pn.startswith("mc:"):
        _, mc, name = pn.split(":", 2)
        return mc or DEFAULT_MC, name
    return DEFAULT_MC, pn


def summarise(tree: dict, targets: list[str], bitbake_version: str) -> dict:
    """The document written: per multiconfig, recipe name -> the file bitbake reports for it.

    ``tree`` is the model of bitbake's TargetsTreeGenerated event
    (``cooker.generatePkgDepTreeData``): its ``pn`` maps ``mc:<mc>:<pn>`` to a
    dict whose ``filename`` is the task file, e.g. ``mc:dom0:virtual:native:/…/acl_2.3.2.bb``.
    """
    recipes: dict[str, dict[str, str]] = {}
    for pn, info in tree.get("pn", {}).items():
        mc, name = split_pn(pn)
        recipes.setdefault(mc, {})[name] = info["filename"]
    if not recipes:
        raise SystemExit("bitbake's task data names no recipe: are the targets right? " + " ".join(targets))
    return {
        "format": FORMAT,
        "bitbake": bitbake_version,
        "targets": list(targets),
        "recipes": {mc: dict(sorted(names.items())) for mc, names in sorted(recipes.items())},
    }


def _import_bitbake():
    bitbake = shutil.which("bitbake")
    if not bitbake:
        raise SystemExit("no `bitbake` on PATH: run this inside the build environment "
                         "(kas shell KAS_FILES -c 'python3 …/collect.py TARGET…')")
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(bitbake))), "lib"))
    import bb.tinfoil  # noqa: F401  (bb.event, bb.command come with it)
    return sys.modules["bb"]


def task_data(targets: list[str], postread: list[str]) -> tuple[dict, str]:
    """Ask the bitbake server for the task data of ``targets``; its tree and bitbake's version."""
    import logging

    bb = _import_bitbake()
    with bb.tinfoil.Tinfoil() as tinfoil:
        params = bb.tinfoil.TinfoilConfigParameters(config_only=False, quiet=1, postfile=list(postread))
        tinfoil.prepare(config_params=params)
        tinfoil.set_event_mask(["bb.event.TargetsTreeGenerated", "bb.command.CommandCompleted",
                                "bb.command.CommandFailed", "bb.command.CommandExit", "logging.LogRecord"])
        print(f"collect: resolving the task data of {len(targets)} targets", file=sys.stderr, flush=True)
        # handle_events=False: its draining of queued events would drop the tree
        tinfoil.run_command("generateTargetsTree", None, list(targets), handle_events=False)
        tree, errors = None, 0
        while True:
            event = tinfoil.wait_event(1)
            if event is None:
                continue
            if isinstance(event, bb.event.TargetsTreeGenerated):
                tree = event._model
            elif isinstance(event, logging.LogRecord):
                # an optional dependency no recipe provides (RRECOMMENDS) is no log record; errors are real
                if event.levelno >= logging.ERROR:
                    errors += 1
                    tinfoil.logger.handle(event)
            elif isinstance(event, bb.command.CommandCompleted):
                break
            elif isinstance(event, (bb.command.CommandFailed, bb.command.CommandExit)):
                raise SystemExit(f"bitbake could not resolve the task data: {event}")
        if errors:
            raise SystemExit(f"bitbake reported {errors} error(s) while resolving the targets (above); "
                             "nothing written: the unmasked build must resolve them cleanly first")
        if tree is None:
            raise SystemExit("bitbake finished without sending its task data (no TargetsTreeGenerated event)")
        return tree, bb.__version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write the recipe files bitbake's task data reaches from TARGETs (the input of "
                    "`oxt parsemask`). Run it in the build directory of an UNMASKED build "
                    "(kas/nomask.yml), e.g. through `kas shell … -c`.")
    parser.add_argument("targets", nargs="+", metavar="TARGET",
                        help="what bitbake would be asked to build, e.g. mc:dom0:openxt-dom0-image "
                             "or mc:syncvm:openxt-syncvm-image:do_populate_sdk")
    parser.add_argument("-R", "--postread", action="append", default=[], metavar="FILE",
                        help="configuration file read after the others (bitbake -R), as the build uses")
    parser.add_argument("-o", "--output", default=OUTPUT, help=f"file to write (default: ./{OUTPUT})")
    args = parser.parse_args(argv)
    tree, version = task_data(args.targets, args.postread)
    document = summarise(tree, args.targets, version)
    tmp = f"{args.output}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)
        handle.write("\n")
    os.replace(tmp, args.output)
    counts = ", ".join(f"{mc} {len(names)}" for mc, names in document["recipes"].items())
    print(f"collect: {args.output}: recipes reached per multiconfig: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
