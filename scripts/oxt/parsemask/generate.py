"""``oxt parsemask``: bitbake's task data in, one mask include per multiconfig out.

Everything is read and checked first — the task data, the build directories
beside them, that their upstream checkouts are the pinned commits and their
copies of our layers say what this checkout says, that every VM's image is in
them — then every file is rendered in memory, and only then written (all or
nothing; stale generated files of multiconfigs that are gone are removed).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from oxt.errors import ConfigError
from oxt.fsutil import atomic_write
from oxt.kasfiles import MAIN_KAS_FILE, RepoPin, compose
from oxt.parsemask import (
    GENERATED_MARK,
    INCLUDE_LINE,
    buildconf,
    inputs,
    mask,
    taskdata,
)
from oxt.problems import Problem, ProblemsFound
from oxt.repo import Checkout
from oxt.resolve import resolve_vms
from oxt.stack import Stack

GRAPH_FILE = "task-depends.dot"


def graph_path(arg: Path) -> Path:
    """A task-depends.dot, or the build directory holding one (for --compare)."""
    path = Path(arg)
    return path / GRAPH_FILE if path.is_dir() else path


def mask_file(stack: Stack, mc: str) -> Path | None:
    """Where mc's include lives: conf/multiconfig/parsemask/<mc>.inc beside the multiconfig's conf."""
    conf = stack.multiconfigs.get(mc)
    return conf.parent / "parsemask" / f"{mc}.inc" if conf else None


def generated_files(stack: Stack) -> list[Path]:
    """Every generated include in the parsemask directories of our layers."""
    dirs = {conf.parent / "parsemask" for conf in stack.multiconfigs.values()}
    return sorted(p for d in dirs if d.is_dir() for p in d.glob("*.inc") if inputs.is_generated(p))


def _norm_url(url: str | None) -> str:
    return (url or "").rstrip("/").removesuffix(".git")


def _mask_active(local_conf: str) -> bool:
    return any(line.strip() == INCLUDE_LINE for line in local_conf.splitlines())


def verify_build(build: buildconf.BuildDir, data: Path, pins: list[RepoPin], ours: set[str],
                 layers_digest: str) -> list[Problem]:
    """Was this build directory set up from this checkout's pins and layers, without masks?"""
    where = str(data)
    problems = []
    if _mask_active(build.local_conf):
        problems.append(Problem(where, "was made with the parse masks on (conf/local.conf includes them): "
                                "it cannot show a recipe they hide",
                                "make it again with kas/nomask.yml added to the kas files"))
    by_url = {_norm_url(p.url): p for p in pins}
    by_name = {p.name: p for p in pins}
    seen: set[tuple[str, str]] = set()
    for layer in build.layers:
        if set(layer.collections) & ours:
            continue
        co = layer.checkout
        # kas checks repo NAME out into <work dir>/NAME; its origin may be a mirror
        pin = (by_url.get(_norm_url(co.origin)) or by_name.get(co.top.name)) if co else None
        if pin is None:
            problems.append(Problem(where, f"its layer {layer.path} is no checkout of a repository "
                                    f"kas/{MAIN_KAS_FILE} names (origin {co.origin if co else 'none'})",
                                    "collect the task data in a build kas set up from kas/openxt.yml"))
            continue
        name = os.path.relpath(layer.path, co.top)
        seen.add((pin.name, "" if name == "." else name))
        if pin.commit and co.head != pin.commit:
            problems.append(Problem(where, f"repository {pin.name} was at {co.head[:12]} when it was made, "
                                    f"but the kas files pin {pin.commit[:12]}",
                                    "run `kas checkout` (or `kas shell`) again and collect the task data again"))
    for pin in pins:
        for layer in pin.layers:
            if (pin.name, "" if layer in (".", "") else layer) not in seen:
                problems.append(Problem(where, f"its build has no layer {layer or '.'} of repository {pin.name}",
                                        f"collect the task data in a build of kas/{MAIN_KAS_FILE}"))
    mine = [layer for layer in build.layers if set(layer.collections) & ours]
    theirs = inputs._digest(inputs.layer_items([m.path for m in mine], [f for m in mine for f in m.bbfiles]))
    if theirs != layers_digest:
        problems.append(Problem(where, "was made from a copy of our layers whose recipes or dependency lines "
                                "differ from this checkout's", "collect the task data again from this checkout"))
    return problems


@dataclass
class Result:
    masks: list[mask.McMask]
    paths: dict[str, Path] = field(default_factory=dict)  # mc -> its include
    written: dict[Path, str] = field(default_factory=dict)  # path -> created / updated / unchanged
    deleted: list[Path] = field(default_factory=list)


def _header(mc: str, roots: list[str], digest: inputs.Inputs) -> list[str]:
    return [
        f"{GENERATED_MARK} from bitbake's task data (collect.py): generated — run `oxt parsemask BUILD_DIR`, "
        "not by hand.",
        "# Regenerate as `oxt parsemask --help` says when `oxt check` reports it stale.",
        f"# Multiconfig {mc} parses only the recipe files bitbake's task data reaches from",
        *[f"#   {root}" for root in roots],
        "# (and their bbappends), in upstream layers and ours alike.",
        "# kas/nomask.yml (and kas/debug.yml) leave this file out: bitbake world, devtool, bitbake -e.",
        f"# inputs: {digest.line()}",
    ]


def plan(checkout: Checkout, data_args: list[Path]) -> tuple[Result, dict[Path, str], list[Path]]:
    """Read and check everything; the masks, the files to write and the ones to delete."""
    if not data_args:
        raise ConfigError("no task data given: pass the build directory where collect.py wrote "
                          f"{taskdata.OUTPUT} (or that file; see oxt parsemask --help)")
    comp = compose([checkout.kas_dir / MAIN_KAS_FILE], checkout.root)
    stack = Stack.of(comp)
    if not stack.layers:
        raise ConfigError(f"kas/{MAIN_KAS_FILE}: names no layer of this checkout")
    vms = resolve_vms(stack).vms
    ours = {c for layer in stack.layers for c in layer.collections}
    digest = inputs.of_stack(stack)
    pins = [p for p in comp.repos if not p.local]

    problems: list[Problem] = []
    needed: dict[str, dict[str, set[str]]] = {}  # mc -> collection -> layer-relative recipe files
    roots: dict[str, set[str]] = {}
    recipes: dict[str, set[str]] = {}
    builds = []
    for arg in data_args:
        path = taskdata.path_of(arg)
        reached = taskdata.read(path)
        build = buildconf.read(buildconf.build_dir_of(path))
        problems += verify_build(build, path, pins, ours, digest.layers)
        builds.append(build)
        for mc, files in reached.files.items():
            for fn in files:
                layer = build.layer_of(fn)
                if layer is None:
                    problems.append(Problem(str(path), f"recipe {fn} of mc {mc} is in no layer of its build's "
                                            "conf/bblayers.conf", "give the task data of that build directory"))
                    continue
                needed.setdefault(mc, {}).setdefault(layer.collections[0], set()).add(layer.rel(fn))
            recipes.setdefault(mc, set()).update(reached.recipes[mc])
        for mc, targets in reached.roots().items():
            roots.setdefault(mc, set()).update(targets)
    for vm in vms:
        if vm.image not in recipes.get(vm.name, ()):
            problems.append(Problem(", ".join(str(taskdata.path_of(a)) for a in data_args),
                                    f"no recipe {vm.image} of mc {vm.name} in the task data",
                                    f"collect it for every target of kas/{MAIN_KAS_FILE} "
                                    f"(mc:{vm.name}:{vm.image} among them)"))
    if problems:
        raise ProblemsFound(problems, "oxt parsemask")

    result = Result([])
    texts: dict[Path, str] = {}
    for vm in vms:
        mc_mask = mask.plan_mc(vm.name, needed.get(vm.name, {}), roots.get(vm.name, set()), builds[0], ours)
        result.masks.append(mc_mask)
        result.paths[vm.name] = mask_file(stack, vm.name)
        texts[result.paths[vm.name]] = mask.render(mc_mask, _header(vm.name, mc_mask.roots, digest))
    stale = [p for p in generated_files(stack) if p not in texts]
    return result, texts, stale


def write(result: Result, texts: dict[Path, str], stale: list[Path]) -> Result:
    """Write every include and delete the stale ones; on any failure put everything back."""
    saved = {p: p.read_bytes() if p.is_file() else None for p in [*texts, *stale]}
    try:
        for path, text in sorted(texts.items()):
            old = saved[path]
            state = "created" if old is None else "unchanged" if old == text.encode() else "updated"
            if state != "unchanged":
                atomic_write(path, text)
            result.written[path] = state
        for path in stale:
            path.unlink()
            result.deleted.append(path)
    except BaseException:
        for path, data in saved.items():
            if data is None:
                path.unlink(missing_ok=True)
            elif not path.is_file() or path.read_bytes() != data:
                atomic_write(path, data)
        raise
    return result
