"""``oxt check``: small checks over one immutable stack description.

:func:`examine` describes a kas composition once (:class:`~oxt.stack.Stack`),
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

from oxt.buildplan import BuildPlan
from oxt.checks import layers, mcdepends, multilib, pins, recipes, repos, vms
from oxt.kasfiles import Composition
from oxt.problems import Problem
from oxt.resolve import resolve_vms
from oxt.stack import Stack

# Checks of the kas composition alone: they run even when no local layer is usable
# (they are called with plan=None).
COMPOSITION_CHECKS = [repos]

# Checks of the local layers and the VMs they build: they run when the composition has a usable local layer.
CHECKS = [layers, pins, vms, multilib, mcdepends, recipes]


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
