"""``[mcdepends]``: every entry is ``mc:FROM:TO:RECIPE:TASK``, names multiconfigs that
exist and are built, recipes of our namespace that exist, and applies in the
multiconfig that builds the image carrying it."""

from __future__ import annotations

from oxt.buildplan import BuildPlan
from oxt.layerinfo import references
from oxt.problems import Problem
from oxt.resolve import McDependEntry, mcdepends
from oxt.stack import Stack


def check(stack: Stack, plan: BuildPlan) -> list[Problem]:
    image_vm = {vm.image_file: vm for vm in plan.vms if vm.image_file}
    problems = []
    for entry in mcdepends(stack):
        problems += _entry(stack, entry, plan.bbmulticonfig, image_vm)
    return problems


def _entry(stack: Stack, entry: McDependEntry, enabled: list[str], image_vm: dict) -> list[Problem]:
    a, token, dep = entry.assignment, entry.token, entry.depend
    where = stack.at(a)
    if dep is None:
        return [Problem(where, f"{a.name} = \"{token}\" is not mc:FROM:TO:RECIPE:TASK",
                        "write it as mc:<this mc>:<other mc>:<recipe>:do_<task>")]
    problems = _target_multiconfig(stack, where, a.name, dep.multiconfig, enabled)
    source, pn = dep.source, dep.target
    if source and not references(source) and source not in stack.multiconfigs:
        problems.append(Problem(where, f"{a.name}: source multiconfig {source!r} has no conf/multiconfig/{source}.conf",
                                "use the multiconfig that builds this recipe, or ${BB_CURRENT_MC}"))
    if not references(pn) and pn.startswith("openxt-") and pn not in stack.recipes:
        # Our namespace must resolve here; upstream recipes cannot be checked offline.
        problems.append(Problem(where, f"{a.name}: recipe {pn!r} is not provided by {stack.layer_names}",
                                "fix the recipe name or add the recipe"))
    vm = image_vm.get(stack.rel(a.file))
    if vm and not references(source) and source != vm.name:
        problems.append(Problem(
            where,
            f"{a.name}: \"{token}\" only applies in multiconfig {source or '(default)'}, "
            f"but {vm.image} is built in {vm.name}; bitbake would silently ignore it",
            f"use mc:${{BB_CURRENT_MC}}:{dep.multiconfig}:{pn}:{dep.target_task}"))
    return problems


def _target_multiconfig(stack: Stack, where: str, name: str, dest: str, enabled: list[str]) -> list[Problem]:
    if references(dest):
        return [Problem(where, f"{name}: target multiconfig {dest!r} does not resolve within the recipe",
                        "name the multiconfig literally or set the variable in the recipe")]
    if dest not in stack.multiconfigs:
        return [Problem(where, f"{name}: multiconfig {dest!r} has no conf/multiconfig/{dest}.conf",
                        f"use one of: {', '.join(sorted(stack.multiconfigs)) or 'none'}")]
    if dest not in enabled:
        return [Problem(where, f"{name}: multiconfig {dest!r} is not in BBMULTICONFIG ({' '.join(enabled)})",
                        f"add a target mc:{dest}:<image> to the kas file so kas enables it")]
    return []
