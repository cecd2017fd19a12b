"""The VMs: the kas distro and machine exist, every target's multiconfig exists and
sets its MACHINE (an existing machine) and its own TMPDIR, no two multiconfigs
share a TMPDIR, and BBMULTICONFIG is pinned and matches the targets."""

from __future__ import annotations

from oxt.buildplan import BuildPlan, VmPlan
from oxt.problems import Problem
from oxt.stack import TOPDIR_TMP, Stack


def check(stack: Stack, plan: BuildPlan) -> list[Problem]:
    problems = _kas_distro_machine(stack)
    for vm in plan.vms:
        problems += _multiconfig(stack, vm)
    return problems + _tmpdirs(stack, plan) + _bbmulticonfig(stack, plan)


def _kas_distro_machine(stack: Stack) -> list[Problem]:
    comp, problems = stack.comp, []
    if comp.distro is None:
        problems.append(Problem(comp.spec, "distro: not set, so kas uses its default 'poky' (meta-poky is not in "
                                           "this stack)", "set distro: openxt in kas/openxt.yml"))
    elif comp.distro not in stack.distros:
        problems.append(Problem(
            comp.origin("distro"),
            f"distro: {comp.distro!r} has no conf/distro/{comp.distro}.conf in {stack.layer_names}",
            f"add it or use one of: {', '.join(sorted(stack.distros)) or 'none'}"))
    machine = comp.machine
    if machine.startswith("openxt-") and machine not in stack.machines:
        problems.append(Problem(
            comp.origin("machine"), f"machine: {machine!r} has no conf/machine/{machine}.conf in {stack.layer_names}",
            f"add it or use one of: {', '.join(sorted(stack.machines)) or 'none'}"))
    return problems


def _multiconfig(stack: Stack, vm: VmPlan) -> list[Problem]:
    config = stack.multiconfig(vm.name)
    if config is None:
        return [Problem(stack.comp.origin("target"),
                        f"target {vm.target}: no conf/multiconfig/{vm.name}.conf in {stack.layer_names}",
                        f"add the multiconfig or use one of: {', '.join(sorted(stack.multiconfigs)) or 'none'}")]
    own, where, problems = config.own, vm.multiconfig_file, []
    if own.value("MACHINE") is None:
        problems.append(Problem(where, "MACHINE is not set", f"set MACHINE = \"openxt-{vm.name}\""))
    if config.machine and config.machine not in stack.machines:
        setter = own.where("MACHINE")
        problems.append(Problem(
            stack.at(setter) if setter else where,
            f"MACHINE = \"{config.machine}\": no conf/machine/{config.machine}.conf in {stack.layer_names}",
            f"add the machine or use one of: {', '.join(sorted(stack.machines)) or 'none'}"))
    if config.distro and config.distro not in stack.distros:
        setter = own.where("DISTRO")
        problems.append(Problem(
            stack.at(setter) if setter else where,
            f"DISTRO = \"{config.distro}\": no conf/distro/{config.distro}.conf in {stack.layer_names}",
            "add the distro or drop the DISTRO line (the kas distro applies)"))
    if own.value("TMPDIR") is None:
        problems.append(Problem(where, "TMPDIR is not set; multiconfigs sharing a TMPDIR corrupt each other's builds",
                                f"set TMPDIR = \"${{TOPDIR}}/tmp-{vm.name}\""))
    return problems


def _tmpdirs(stack: Stack, plan: BuildPlan) -> list[Problem]:
    seen: dict[str, str] = {}  # TMPDIR -> multiconfig
    problems = []
    for vm in plan.vms:
        config = stack.multiconfig(vm.name)
        tmpdir = config.tmpdir if config else None
        if not tmpdir or seen.get(tmpdir) == vm.name:
            continue  # a second image of the same multiconfig shares its TMPDIR, rightly
        if tmpdir == TOPDIR_TMP:
            problems.append(Problem(vm.multiconfig_file, f"TMPDIR = \"{tmpdir}\" is the default configuration's TMPDIR",
                                    f"give the multiconfig its own, e.g. ${{TOPDIR}}/tmp-{vm.name}"))
        if tmpdir in seen:
            problems.append(Problem(vm.multiconfig_file,
                                    f"TMPDIR = \"{tmpdir}\" is also the TMPDIR of multiconfig {seen[tmpdir]}",
                                    "every multiconfig needs its own TMPDIR"))
        else:
            seen[tmpdir] = vm.name
    return problems


def _bbmulticonfig(stack: Stack, plan: BuildPlan) -> list[Problem]:
    comp = stack.comp
    target_mcs = sorted({vm.name for vm in plan.vms})
    value, key = stack.header_value("BBMULTICONFIG")
    if value is None:
        # kas writes BBMULTICONFIG ?= "<multiconfigs of the targets>" after the
        # headers, joined from a Python set: the order changes from run to run,
        # bitbake hashes it, and every kas run then reparses every multiconfig.
        if len(target_mcs) <= 1:
            return []
        return [Problem(comp.spec,
                        f"BBMULTICONFIG is left to kas, which writes {' '.join(target_mcs)} in a different order on "
                        "every run, so bitbake throws its parse cache away each time",
                        f'set it in a local_conf_header block: BBMULTICONFIG = "{" ".join(target_mcs)}"')]
    where = comp.origin("local_conf_header", key) if key else comp.spec
    enabled = value.split()
    problems = [Problem(where,
                        f"local_conf_header.{key}: BBMULTICONFIG = \"{value}\" lacks {mc}, a target's multiconfig",
                        "drop the BBMULTICONFIG line (kas derives it from the targets) or add the multiconfig")
                for mc in target_mcs if mc not in enabled]
    problems += [Problem(where, f"local_conf_header.{key}: BBMULTICONFIG names {mc} but there is no "
                                f"conf/multiconfig/{mc}.conf", "remove it or add the multiconfig")
                 for mc in enabled if mc not in stack.multiconfigs]
    return problems
