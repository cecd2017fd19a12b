"""From the stack to the build plan, the way bitbake will walk it: targets ->
multiconfigs -> machines, images, mcdepends. Nothing is checked here; a name
that does not resolve is left empty in the plan and reported by a check
(:mod:`oxt.checks`).
"""

from __future__ import annotations

from dataclasses import dataclass

from oxt.buildplan import BuildPlan, McDepend, VmPlan
from oxt.layerinfo import Assignment, recipe_name
from oxt.stack import Stack


def split_target(target: str) -> tuple[str | None, str]:
    """``mc:<mc>:<pn>`` (or ``multiconfig:``) -> (mc, pn); plain -> (None, pn)."""
    parts = target.split(":")
    if parts[0] in ("mc", "multiconfig") and len(parts) >= 3:
        return parts[1], ":".join(parts[2:])
    return None, target


def resolve_vms(stack: Stack) -> BuildPlan:
    """The build plan of the composition: one VM per multiconfig target."""
    comp = stack.comp
    vms, others = [], []
    for target in comp.targets:
        mc, pn = split_target(target)
        if mc is None:
            others.append(target)
        else:
            vms.append(_vm(stack, target, mc, pn))
    return BuildPlan(
        mcdepends=[entry.depend for entry in mcdepends(stack) if entry.depend],
        kas=comp.spec,
        lockfiles=[stack.rel(p) for p in comp.lockfiles],
        distro=comp.distro,
        bbmulticonfig=enabled_multiconfigs(stack, [vm.name for vm in vms]),
        vms=vms,
        other_targets=others,
        repos=list(comp.repos),
    )


def _vm(stack: Stack, target: str, mc: str, pn: str) -> VmPlan:
    image_file = stack.image_file(pn)
    config = stack.multiconfig(mc)
    if config is None:
        return VmPlan(name=mc, target=target, multiconfig_file=None, machine=None, image=pn,
                      image_file=stack.rel(image_file) if image_file else None, tmpdir=None)
    multilib = config.multilib
    packages = (stack.parse(image_file).value("IMAGE_INSTALL") or "").split() if image_file else []
    return VmPlan(
        name=mc,
        target=target,
        multiconfig_file=stack.rel(config.file),
        machine=config.machine or None,
        image=pn,
        image_file=stack.rel(image_file) if image_file else None,
        tmpdir=in_build_dir(config.tmpdir),
        multilib=multilib,
        multilib_packages={v: [p for p in packages if p.startswith(f"{v}-")] for v in multilib} if image_file else {},
    )


def in_build_dir(tmpdir: str | None) -> str | None:
    """``${TOPDIR}/tmp-dom0`` as the user finds it: ``build/tmp-dom0`` (kas's build directory)."""
    return tmpdir.replace("${TOPDIR}/", "build/").replace("${TOPDIR}", "build") if tmpdir else tmpdir


def enabled_multiconfigs(stack: Stack, target_mcs: list[str]) -> list[str]:
    """BBMULTICONFIG: as a kas header sets it, else what kas derives from the targets."""
    value, _ = stack.header_value("BBMULTICONFIG")
    return sorted(set(target_mcs)) if value is None else value.split()


@dataclass(frozen=True)
class McDependEntry:
    """One word of a ``[mcdepends]`` flag, and the dependency it names (None if malformed)."""

    assignment: Assignment
    token: str
    depend: McDepend | None


def mcdepends(stack: Stack) -> list[McDependEntry]:
    """Every ``[mcdepends]`` word in the local layers, in layer and file order."""
    found = []
    for layer in stack.layers:
        for a in layer.all_flags("mcdepends"):
            for token in stack.parse(a.file).expand(a.value).split():
                found.append(McDependEntry(a, token, _mcdepend(stack, a, token)))
    return found


def _mcdepend(stack: Stack, a: Assignment, token: str) -> McDepend | None:
    parts = token.split(":")
    if len(parts) != 5 or parts[0] != "mc" or not parts[4].startswith("do_"):
        return None
    _, source, dest, pn, task = parts
    return McDepend(recipe=recipe_name(a.file), file=stack.at(a), task=a.name.split("[")[0],
                    source=source, multiconfig=dest, target=pn, target_task=task)
