"""``oxt check``: small checks over one immutable stack description.

:func:`check_checkout` checks every composition of the checkout's kas files;
:func:`examine` describes one composition once (:class:`~oxt.stack.Stack`),
resolves the build plan from it (:func:`~oxt.resolve.resolve_vms`, no checking
mixed in), then runs every check of the lists below. A check is a module with

    def check(stack: Stack, plan: BuildPlan | None) -> list[Problem]

that reads the stack and the plan and returns one :class:`~oxt.problems.Problem`
per mistake (file[:line], what is wrong, what to do); it writes nothing and
does not depend on another check having run. To add one, write
``checks/<concern>.py`` and add the module to :data:`CHECKS` (or, if it needs
only the kas files, to :data:`COMPOSITION_CHECKS`). The order of the lists is
not the order of the report: problems are sorted and deduplicated when reported.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from oxt.buildplan import BuildPlan
from oxt.checks import layers, mcdepends, multilib, parsemask, pins, recipes, repos, vms
from oxt.guards import layer_inputs
from oxt.kasfiles import Composition, compose, discover, parse_spec, rel, validate_file
from oxt.problems import Problem, ProblemsFound
from oxt.repo import Checkout
from oxt.resolve import resolve_vms
from oxt.stack import Stack

# Checks of the kas composition alone: they run even when no local layer is usable
# (they are called with plan=None).
COMPOSITION_CHECKS = [repos]

# Checks of the local layers and the VMs they build: they run when the composition has a usable local layer.
# layer_inputs runs the guards against images that parse but would not build or
# boot (oxt.guards: kernel floor, root=, rpcgen input, listeners, dead recipes,
# the toolchain that compiled the kernel).
CHECKS = [layers, pins, vms, multilib, mcdepends, recipes, layer_inputs, parsemask]


def check_checkout(checkout: Checkout, kas_spec: str | None = None) -> BuildPlan:
    """``oxt check``: the plan of the first composition, after checking every one.

    *kas_spec* (``a.yml:b.yml``) checks that composition alone; by default every kas
    file is loaded alone first, then kas/openxt.yml is composed alone and with each
    fragment. Raises ProblemsFound with every problem of every composition.
    """
    root = checkout.root
    compositions, problems = _compositions(checkout, kas_spec)
    plans = []
    if not problems:
        for files in compositions:
            try:
                comp = compose(files, root)
            except ProblemsFound as err:
                problems += err.problems
                if files is compositions[0]:
                    break  # every fragment composes onto it: fix the release file first
                continue
            plan, found = examine(comp)
            problems += found
            plans.append(plan)
    if problems:
        raise ProblemsFound(problems, "oxt check")
    return replace(plans[0], also_checked=[":".join(rel(p, root) for p in files) for files in compositions[1:]])


def _compositions(checkout: Checkout, kas_spec: str | None) -> tuple[list[list[Path]], list[Problem]]:
    """The compositions to check, and the problems of each kas file loaded alone."""
    if kas_spec:
        return [parse_spec(kas_spec, checkout.root, checkout.kas_dir)], []
    kas_set = discover(checkout.kas_dir)
    problems = [p for path in kas_set.all for p in validate_file(path, checkout.root)]
    return [[kas_set.main]] + [[kas_set.main, fragment] for fragment in kas_set.fragments], problems


def examine(comp: Composition) -> tuple[BuildPlan | None, list[Problem]]:
    """The plan for ``comp`` and every problem found (plan is None if the layers are unusable)."""
    stack = Stack.of(comp)
    problems = [p for module in COMPOSITION_CHECKS for p in module.check(stack, None)]
    if not stack.layers:
        return None, problems
    plan = resolve_vms(stack)
    for module in CHECKS:
        problems += module.check(stack, plan)
    return plan, problems
