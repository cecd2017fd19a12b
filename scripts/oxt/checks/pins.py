"""Source pins: every SRCREV (in the layers and in kas local_conf_header blocks) and
every SRC_URI ``;rev=`` is a full 40-hex commit, and nothing uses AUTOREV."""

from __future__ import annotations

import re

from oxt.buildplan import BuildPlan
from oxt.layerinfo import Layer, parse_text
from oxt.patterns import FULL_COMMIT
from oxt.problems import Problem
from oxt.stack import Stack

SRC_URI_REV = re.compile(r";rev=([^;\s\"]+)")
AUTOREV_FIX = "pin a full 40-hex SRCREV; AUTOREV makes builds irreproducible"


def check(stack: Stack, plan: BuildPlan | None) -> list[Problem]:
    problems = []
    for key, value in stack.comp.local_conf_header.items():
        problems += _header(stack, key, value)
    for layer in stack.layers:
        problems += _layer(stack, layer)
    return problems


def _is_srcrev(name: str) -> bool:
    base = name.split(":")[0]
    return base.startswith("SRCREV") and base != "SRCREV_FORMAT"


def _header(stack: Stack, key: str, value: str) -> list[Problem]:
    """One kas local_conf_header block, as the text kas copies into local.conf."""
    where = stack.comp.origin("local_conf_header", key)
    problems = [
        Problem(where, f"local_conf_header.{key} line {number}: AUTOREV ({line.strip()})",
                "pin a full 40-hex SRCREV instead; AUTOREV makes builds irreproducible")
        for number, line in enumerate(value.splitlines(), 1)
        if "AUTOREV" in line and not line.lstrip().startswith("#")
    ]
    if "SRCREV" not in value:
        return problems
    for a in parse_text(value.splitlines(), tuple(layer.path for layer in stack.layers)).assignments():
        if _is_srcrev(a.name) and "AUTOREV" not in a.value and not FULL_COMMIT.fullmatch(a.value):
            problems.append(Problem(
                where, f"local_conf_header.{key} line {a.line}: {a.name} = {a.value!r} is not a full 40-hex commit",
                "use the full commit id"))
    return problems


def _layer(stack: Stack, layer: Layer) -> list[Problem]:
    problems = [Problem(f"{stack.rel(path)}:{line}", f"AUTOREV ({text})", AUTOREV_FIX)
                for path, line, text in layer.autorev_lines()]
    for a in layer.srcrev_assignments():
        if "AUTOREV" in a.value:
            continue  # reported above
        if not FULL_COMMIT.fullmatch(layer.resolve(a)):
            problems.append(Problem(stack.at(a), f"{a.name} = \"{a.value}\" is not a full 40-hex commit",
                                    "use the full commit id (git rev-parse <tag>^{commit})"))
    for a in layer.all_assignments(["SRC_URI"], containing=";rev="):
        for rev in SRC_URI_REV.findall(a.value):
            if not FULL_COMMIT.fullmatch(rev) and "AUTOREV" not in rev:
                problems.append(Problem(stack.at(a), f"SRC_URI ;rev={rev} is not a full 40-hex commit",
                                        "use the full commit id"))
    return problems
