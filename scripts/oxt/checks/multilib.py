"""Multilib: a multiconfig with MULTILIBS requires conf/multilib.conf and sets a tune
per variant, and an image installs ``lib32-…`` packages only where its multiconfig
enables that variant."""

from __future__ import annotations

import re

from oxt.buildplan import BuildPlan, VmPlan
from oxt.problems import Problem
from oxt.stack import McConfig, Stack

MULTILIB_PREFIX = re.compile(r"^(lib32|lib64|libx32)-")
MULTILIB_CONF = "conf/multilib.conf"


def check(stack: Stack, plan: BuildPlan) -> list[Problem]:
    problems = []
    for vm in plan.vms:
        config = stack.multiconfig(vm.name)
        if config is None:
            continue
        if vm.multilib:
            problems += _setup(stack, vm, config)
        image = stack.image_file(vm.image)
        if image:
            problems += _image_packages(stack, vm, image)
    return problems


def _setup(stack: Stack, vm: VmPlan, config: McConfig) -> list[Problem]:
    """MULTILIBS only works with conf/multilib.conf and a tune per variant."""
    full = config.full
    setter = next((u.where("MULTILIBS") for u in reversed(full.units[1:]) if u.where("MULTILIBS")), None)
    if setter:
        where = stack.at(setter)
    else:  # set in local.conf, i.e. by a kas local_conf_header block
        _, key = stack.header_value("MULTILIBS")
        where = stack.comp.origin("local_conf_header", key) if key else vm.multiconfig_file
    problems = []
    if not any(name == MULTILIB_CONF for unit in full.units for name in unit.included_names()):
        problems.append(Problem(
            where,
            f"MULTILIBS = \"{full.value('MULTILIBS')}\" without `require {MULTILIB_CONF}`: bitbake creates no "
            f"{' '.join(v + '-' for v in vm.multilib)} recipes for multiconfig {vm.name}",
            f"add `require {MULTILIB_CONF}` before MULTILIBS"))
    for variant in vm.multilib:
        tune = f"DEFAULTTUNE:virtclass-multilib-{variant}"
        if not full.value(tune):
            problems.append(Problem(
                where,
                f"MULTILIBS has {variant} but {tune} is not set: multiconfig {vm.name} would build its "
                f"{variant}- packages for the default tune ({full.value('DEFAULTTUNE') or 'DEFAULTTUNE'})",
                f"set {tune} (\"x86\" for lib32 on x86-64)"))
    return problems


def _image_packages(stack: Stack, vm: VmPlan, image) -> list[Problem]:
    problems = []
    for pkg in (stack.parse(image).value("IMAGE_INSTALL") or "").split():
        match = MULTILIB_PREFIX.match(pkg)
        if match and match.group(1) not in vm.multilib:
            problems.append(Problem(
                stack.rel(image),
                f"IMAGE_INSTALL has {pkg} but multiconfig {vm.name} enables no {match.group(1)} multilib",
                f"add MULTILIBS = \"multilib:{match.group(1)}\" (and its DEFAULTTUNE) to {vm.multiconfig_file}"))
    return problems
