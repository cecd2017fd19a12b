"""A recipe needs only what its own layer's dependencies provide.

A Yocto Project Compatible layer must build with just the layers its
LAYERDEPENDS names (yocto-check-layer's test_world adds nothing else). When a
recipe of ours names a recipe or package that only another of our layers
provides, and its layer neither LAYERDEPENDS on that layer nor parses the
recipe through a BBFILES_DYNAMIC entry for it, our full stack still builds,
but the layer alone fails at parse: "Nothing PROVIDES 'xen-libxenstore'" (as
meta-openxt-haskell's haskell-xchxenstore did before it moved under
dynamic-layers/openxt). Only providers in our layers are known offline; a name
an upstream layer also provides is not reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from oxt.guards.dead_recipes import base_names
from oxt.problems import Problem


@dataclass(frozen=True)
class OurLayer:
    name: str  # directory, e.g. meta-openxt-haskell
    collections: frozenset[str]
    depends: frozenset[str]  # collections its LAYERDEPENDS names


@dataclass(frozen=True)
class RecipeNeeds:
    pn: str
    layer: str
    dynamic: frozenset[str]  # collections a BBFILES_DYNAMIC entry parses it for
    provides: frozenset[str]  # PN, PROVIDES, PACKAGES, RPROVIDES
    needs: tuple[tuple[str, str, str], ...]  # (name, variable, file:line)


def visible(layers: dict[str, OurLayer], start: set[str]) -> set[str]:
    """The collections in every stack holding *start*: them and their LAYERDEPENDS, transitively."""
    by_collection = {c: layer for layer in layers.values() for c in layer.collections}
    seen, todo = set(), list(start)
    while todo:
        coll = todo.pop()
        if coll in seen:
            continue
        seen.add(coll)
        if coll in by_collection:
            todo.extend(by_collection[coll].depends)
    return seen


def check(layers: dict[str, OurLayer], recipes: list[RecipeNeeds]) -> list[Problem]:
    owners: dict[str, set[str]] = {}  # provided name -> layers
    for r in recipes:
        for name in r.provides:
            owners.setdefault(name, set()).add(r.layer)
    problems = []
    for r in recipes:
        layer = layers[r.layer]
        seen = visible(layers, set(layer.collections) | set(r.dynamic))
        for name, var, where in r.needs:
            providers = next((owners[c] for c in base_names(name) if c in owners), set())
            if not providers or any(layers[p].collections & seen for p in providers):
                continue
            other = layers[sorted(providers)[0]]
            coll = sorted(other.collections)[0]
            own = sorted(layer.collections)[0]
            problems.append(Problem(
                where,
                f"recipe {r.pn} ({r.layer}) needs {name} ({var}), which only {other.name} provides, "
                f"but {r.layer} does not LAYERDEPENDS on {coll}: with its own dependencies alone "
                f"(yocto-check-layer, an integrator's stack) bitbake stops with \"Nothing PROVIDES '{name}'\"",
                f"add {coll} to LAYERDEPENDS_{own} in {r.layer}/conf/layer.conf, or move the recipe under "
                f"{r.layer}/dynamic-layers/{coll}/ and parse it with BBFILES_DYNAMIC += \"{coll}:...\"",
            ))
    return problems
