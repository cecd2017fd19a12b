"""Each local layer's layer.conf: a collection, LAYERSERIES_COMPAT covering the
openembedded-core branch, BBFILES, and no recipe that BBFILES misses."""

from __future__ import annotations

from oxt.buildplan import BuildPlan
from oxt.layerinfo import Layer
from oxt.problems import Problem
from oxt.stack import Stack

OE_CORE_REPO = "openembedded-core"


def check(stack: Stack, plan: BuildPlan | None) -> list[Problem]:
    oe_core = next((p for p in stack.comp.repos if p.name == OE_CORE_REPO), None)
    problems = []
    for layer in stack.layers:
        problems += _layer(stack, layer, oe_core)
    return problems


def _layer(stack: Stack, layer: Layer, oe_core) -> list[Problem]:
    where = stack.rel(layer.conf)
    series = oe_core.branch if oe_core else None
    problems = []
    if not layer.collections:
        problems.append(Problem(where, "BBFILE_COLLECTIONS is not set", "add BBFILE_COLLECTIONS += \"<name>\""))
    for coll in layer.collections:
        compat = (layer.layer_conf.value(f"LAYERSERIES_COMPAT_{coll}") or "").split()
        if series and series not in compat:
            problems.append(Problem(
                where,
                f"LAYERSERIES_COMPAT_{coll} = \"{' '.join(compat)}\" lacks {series} "
                f"(the {OE_CORE_REPO} branch in {oe_core.defined_in})",
                f"add {series} or pin {OE_CORE_REPO} to a series the layer supports",
            ))
    if not layer.bbfiles_patterns:
        problems.append(Problem(where, "BBFILES is not set", "add BBFILES += \"${LAYERDIR}/recipes-*/*/*.bb\""))
    patterns = " ".join(stack.rel(p) for p in layer.bbfiles_patterns)
    for path in layer.stray_recipes:
        problems.append(Problem(stack.rel(path), f"not matched by BBFILES ({patterns})",
                                "move it to recipes-<area>/<pn>/ so bitbake sees it"))
    return problems
