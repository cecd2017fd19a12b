"""Read the guards' inputs from a composition's layers (``oxt check``).

The guards are pure functions; this module is the only one that knows how
``oxt check`` describes a composition. It uses only ``comp``, ``layers``,
``rel``, ``at``, ``parse``, ``_provided`` and ``view`` of that description
(the examiner of :mod:`oxt.consistency`) and the VMs of the build plan:
it evaluates each VM's configuration (local.conf, multiconfig, machine,
distro), collects files of this checkout's layers and runs every guard.
``check(stack, plan)`` is the entry point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from oxt.errors import ConfigError
from oxt.guards import (dead_recipes, kernel_toolchain, layer_boundaries, listen_all, oldest_kernel, root_device,
                        rpcgen_xml)
from oxt.layerinfo import ConfigStack
from oxt.manifest import LINUX_FILES_DIR, load_manifest, manifest_path
from oxt.problems import Problem
from oxt.repo import Checkout

# Values that describe a recipe rather than name what it needs.
_PROSE = {"SUMMARY", "DESCRIPTION", "HOMEPAGE", "LICENSE", "LIC_FILES_CHKSUM", "SECTION", "SRC_URI",
          "SRCREV", "PV", "PR", "S", "B", "CVE_PRODUCT", "FILES", "CONFFILES", "MAINTAINER", "BBFILES"}
_DEP_FLAGS = ("depends", "mcdepends", "rdepends")
_NEEDS_VARS = ("DEPENDS", "RDEPENDS", "RRECOMMENDS")


def _vm_stacks(ex, plan):
    """(vm, ConfigStack of local.conf + multiconfig + machine + distro) per VM of the plan."""
    multiconfigs, machines, distros = (ex._provided(k) for k in ("multiconfigs", "machines", "distros"))
    for vm in plan.vms:
        conf = multiconfigs.get(vm.name)
        if not conf:
            continue
        confs = [conf] + [p for p in (machines.get(vm.machine), distros.get(ex.comp.distro)) if p]
        yield vm, ex.view(vm.name, *confs)


def _where(ex, stack: ConfigStack, name: str) -> str | None:
    for unit in reversed(stack.units):
        found = [a for a in unit.assignments([name]) if a.name == name]
        if found:
            return ex.at(found[-1])
    return None


_KERNEL_PROVIDER = re.compile(r'^PREFERRED_PROVIDER_virtual/kernel\s*(?:\?\?=|\?=|:=|=)\s*"([^"]*)"', re.M)


def kernel_of(ex, stack: ConfigStack) -> tuple[str, str | None]:
    """virtual/kernel's provider and its PREFERRED_VERSION (without a trailing %).
    oelint-parser skips names with a "/", so the provider is read from the text
    (local.conf as kas writes it, then each configuration file in order)."""
    provider = "linux-yocto"  # oe-core's default (conf/machine/include/x86/*)
    texts = ["\n".join(ex.comp.local_conf_header.values())]  # what kas writes into local.conf
    texts += [Path(p).read_text(errors="replace") for unit in stack.units[1:] for p in unit.files if Path(p).is_file()]
    for text in texts:
        for match in _KERNEL_PROVIDER.finditer(text):
            provider = match.group(1)
    version = stack.value(f"PREFERRED_VERSION_{provider}")
    return provider, version.rstrip("%") if version else None


def kernel_floors(ex, plan) -> list[oldest_kernel.KernelFloor]:
    floors = []
    for vm, stack in _vm_stacks(ex, plan):
        provider, version = kernel_of(ex, stack)
        floors.append(oldest_kernel.KernelFloor(
            multiconfig=vm.name,
            oldest_kernel=stack.value("OLDEST_KERNEL"),
            oldest_where=_where(ex, stack, "OLDEST_KERNEL"),
            kernel=provider,
            kernel_version=version,
            kernel_where=_where(ex, stack, f"PREFERRED_VERSION_{provider}") or vm.multiconfig_file or "",
        ))
    return floors


def stack_toolchains(ex, plan) -> list[kernel_toolchain.StackToolchain]:
    found = []
    for vm, stack in _vm_stacks(ex, plan):
        provider, _ = kernel_of(ex, stack)
        found.append(kernel_toolchain.StackToolchain(
            multiconfig=vm.name,
            kernel=provider,
            gcc=stack.value("GCCVERSION"),
            gcc_where=_where(ex, stack, "GCCVERSION"),
            binutils=stack.value("BINUVERSION"),
            binutils_where=_where(ex, stack, "BINUVERSION"),
        ))
    return found


def kernel_record(ex) -> kernel_toolchain.Record | Problem | None:
    """The manifest's linux.compiled_with (None: this checkout has no manifest to render a kernel from)."""
    checkout = Checkout(ex.comp.root)
    path = manifest_path(checkout)
    if not path.is_file():
        return None
    try:
        linux = load_manifest(checkout).linux
    except ConfigError as err:
        return Problem(ex.rel(path), f"cannot read the kernel's toolchain record: {str(err).splitlines()[0]}",
                       "fix the manifest (oxt render --check names every problem)")
    compiled = linux.compiled_with
    line = compiled.line if compiled else None
    return kernel_toolchain.Record(
        kernel=LINUX_FILES_DIR.name, version=linux.version,
        gcc=compiled.gcc if compiled else None, binutils=compiled.binutils if compiled else None,
        where=f"{ex.rel(path)}:{line}" if line else ex.rel(path),
    )


def boot_command_lines(ex, plan) -> list[root_device.BootCommandLine]:
    """Every assignment in our layers whose value passes root=, expanded in each VM where it resolves."""
    # the kernel version per VM once: kernel_of reads every configuration file
    stacks = [(stack, kernel_of(ex, stack)[1]) for _, stack in _vm_stacks(ex, plan)]
    found = {}
    for layer in ex.layers:
        for path in layer.mentioning("root="):
            if path.suffix not in (".bb", ".bbappend", ".inc", ".conf"):
                continue
            unit = ex.parse(path)
            for a in unit.assignments():
                if "root=" not in a.value:
                    continue
                results = []
                for stack, version in stacks:
                    full = ConfigStack([*stack.units, unit], stack.preset)
                    value = full.expand(a.value)
                    results.append((value, version, bool(full.value("INITRAMFS_IMAGE"))))
                resolved = [r for r in results if "${" not in r[0]] or results[:1]
                for value, version, initramfs in resolved:
                    key = (ex.at(a), value, version, initramfs)
                    found[key] = root_device.BootCommandLine(ex.at(a), a.name, value, version, initramfs)
    return list(found.values())


def interface_xmls(ex) -> list[tuple[Path, str]]:
    return [
        (path, ex.rel(path))
        for layer in ex.layers
        for path in sorted(layer.path.rglob("*.xml"))
        if rpcgen_xml.is_interface_xml(path)
    ]


def unit_files(ex) -> list[listen_all.UnitFile]:
    units = []
    for layer in ex.layers:
        for path in sorted([*layer.path.rglob("*.service"), *layer.path.rglob("*.socket")]):
            siblings = tuple(p.name for p in path.parent.glob("*.socket"))
            units.append(listen_all.UnitFile(ex.rel(path), path.name, path.read_text(errors="replace"), siblings))
    return units


def _raw_lines(path: Path, line: int) -> str:
    """The text of an assignment starting at ``line`` (with its continuation lines)."""
    lines = path.read_text(errors="replace").splitlines()[line - 1:]
    taken = []
    for text in lines:
        taken.append(text)
        if not text.rstrip().endswith("\\"):
            break
    return "\n".join(taken)


@dataclass(frozen=True)
class _RecipeWords:
    """One walk over a recipe's assignments and task flags, for both recipe guards."""

    pn: str
    layer: object  # layerinfo.Layer
    paths: tuple[Path, ...]
    provides: frozenset[str]  # PN, PN-dev, ..., PACKAGES, PACKAGE_BEFORE_PN, PROVIDES, RPROVIDES
    mentions: frozenset[str]  # every word of its non-prose assignments and dependency flags
    needs: tuple[tuple[str, str, str], ...]  # (name, DEPENDS/RDEPENDS/RRECOMMENDS or [flag], file:line)


def _recipe_words(ex) -> list[_RecipeWords]:
    found = []
    for layer in ex.layers:
        for pn, paths in layer.recipes.items():
            provides = {pn, f"{pn}-dev", f"{pn}-staticdev", f"{pn}-dbg", f"{pn}-doc"}
            mentions: set[str] = set()
            needs: list[tuple[str, str, str]] = []
            for path in paths:
                unit = ex.parse(path)
                for a in unit.assignments():
                    base = a.name.split(":")[0]
                    value = a.value.replace("${PN}", pn).replace("${BPN}", pn)
                    if "!!!inlineblock!!!" in value:
                        value = _raw_lines(a.file, a.line)
                    if base in ("PACKAGES", "PACKAGE_BEFORE_PN", "PROVIDES") or base.startswith("RPROVIDES"):
                        provides |= dead_recipes.words(value)
                        continue
                    if base in _NEEDS_VARS:
                        needs += [(w, a.name, f"{ex.rel(a.file)}:{a.line}") for w in sorted(dead_recipes.words(value))]
                    if base not in _PROSE and not base.startswith(("FILES", "SUMMARY", "DESCRIPTION")):
                        mentions |= dead_recipes.words(value)
                for flag in _DEP_FLAGS:
                    for a in unit.flags(flag):
                        words = dead_recipes.words(a.value.replace("${PN}", pn))
                        mentions |= words
                        needs += [(w, f"[{flag}]", f"{ex.rel(a.file)}:{a.line}") for w in sorted(words)]
            found.append(_RecipeWords(pn, layer, tuple(paths), frozenset(provides), frozenset(mentions - {pn}),
                                      tuple(n for n in needs if n[0] != pn)))
    return found


def recipe_refs(ex, walked: list[_RecipeWords] | None = None) -> list[dead_recipes.RecipeRefs]:
    return [dead_recipes.RecipeRefs(r.pn, f"{ex.rel(r.paths[0])}:1", r.provides, r.mentions)
            for r in (walked if walked is not None else _recipe_words(ex))]


def layer_needs(ex, walked: list[_RecipeWords] | None = None
                ) -> tuple[dict[str, layer_boundaries.OurLayer], list[layer_boundaries.RecipeNeeds]]:
    """Our layers' collections and LAYERDEPENDS, and what each recipe provides and names as a dependency."""
    layers = {}
    for layer in ex.layers:
        depends = {dep for coll in layer.collections for dep in layer.layer_depends(coll)}
        layers[layer.name] = layer_boundaries.OurLayer(layer.name, frozenset(layer.collections), frozenset(depends))
    recipes = []
    for r in walked if walked is not None else _recipe_words(ex):
        dynamic = frozenset(c for p in r.paths for c in r.layer.dynamic_files.get(p, ()))
        recipes.append(layer_boundaries.RecipeNeeds(r.pn, r.layer.name, dynamic, r.provides, r.needs))
    return layers, recipes


def root_names(ex) -> set[str]:
    """Where building starts: every kas file of the checkout (targets, local.conf
    blocks) and our configuration files (preferred providers, image settings)."""
    names: set[str] = set()
    kas_dir = ex.comp.root / "kas"
    for path in sorted(kas_dir.glob("*.y*ml")) if kas_dir.is_dir() else []:
        names |= dead_recipes.words(re.sub(r"^\s*#.*$", "", path.read_text(errors="replace"), flags=re.M))
    for target in ex.comp.targets:
        names.add(target.split(":")[2] if target.startswith("mc:") else target)
    for layer in ex.layers:
        for path in sorted((layer.path / "conf").rglob("*.conf")) + sorted((layer.path / "conf").rglob("*.inc")):
            if path.name != "layer.conf":
                text = re.sub(r"^\s*#.*$", "", path.read_text(errors="replace"), flags=re.M)
                names |= dead_recipes.words(text)
    return names


def check(ex, plan) -> list[Problem]:
    """Every guard's problems for one composition."""
    problems = oldest_kernel.check(kernel_floors(ex, plan))
    problems += root_device.check(boot_command_lines(ex, plan))
    record = kernel_record(ex)
    if isinstance(record, Problem):
        problems.append(record)
    elif record is not None:
        problems += kernel_toolchain.check(stack_toolchains(ex, plan), record)
    for path, shown in interface_xmls(ex):
        problems += rpcgen_xml.check(path, shown)
    problems += listen_all.check(unit_files(ex))
    walked = _recipe_words(ex)  # one walk over our recipes feeds both guards
    problems += dead_recipes.check(recipe_refs(ex, walked), root_names(ex))
    problems += layer_boundaries.check(*layer_needs(ex, walked))
    return problems
