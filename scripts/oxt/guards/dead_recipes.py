"""Every recipe in our layers is reached by an image, a deploy or an SDK target.

A recipe nothing reaches is never built, so it is never tested either (as
libicbinn-resolved was, until an image deployed it). Reachability is
followed offline through what our layers write: image installs, package
groups, DEPENDS/RDEPENDS/RRECOMMENDS, task ``[depends]``/``[mcdepends]``,
SDK task lists and the providers the configuration prefers, starting from
the kas targets and configuration. Upstream recipes are opaque: one of ours
reached only from an upstream recipe must be named by our configuration
(e.g. PREFERRED_PROVIDER).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from oxt.problems import Problem

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+_-]*")
MULTILIB = re.compile(r"^(lib32|lib64|libx32)-")
VARIANT = re.compile(r"-(native|nativesdk|cross|crosssdk)$")


@dataclass(frozen=True)
class RecipeRefs:
    pn: str
    shown: str  # file:line for messages
    packages: frozenset[str]  # package names it builds (PN, PN-dev, PACKAGES, RPROVIDES, ...)
    mentions: frozenset[str]  # names in its dependency assignments and task flags


def words(text: str) -> set[str]:
    return set(WORD.findall(text))


def base_names(word: str) -> list[str]:
    """A dependency name without its multilib prefix, then also without a -native/-cross suffix."""
    base = MULTILIB.sub("", word)
    return [base, VARIANT.sub("", base)]


def check(recipes: list[RecipeRefs], roots: set[str]) -> list[Problem]:
    owner: dict[str, str] = {}
    for r in recipes:
        for name in {r.pn, *r.packages}:
            owner.setdefault(name, r.pn)
    by_pn = {r.pn: r for r in recipes}

    def resolve(names) -> set[str]:
        found = set()
        for word in names:
            for cand in base_names(word):
                if cand in owner:
                    found.add(owner[cand])
        return found

    reached = set()
    queue = deque(resolve(roots))
    while queue:
        pn = queue.popleft()
        if pn in reached:
            continue
        reached.add(pn)
        queue.extend(resolve(by_pn[pn].mentions) - reached)
    return [
        Problem(
            r.shown,
            f"recipe {r.pn} is reached by no image, deploy or SDK target of the kas build, so it is never built",
            "install one of its packages in an image, deploy it from an image (do_image[depends] += "
            f"\"{r.pn}:do_deploy\"), add it to an SDK (TOOLCHAIN_TARGET_TASK), or remove it",
        )
        for r in recipes if r.pn not in reached
    ]
