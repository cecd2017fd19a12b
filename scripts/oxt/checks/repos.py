"""The kas repositories: this checkout's layers are there, every upstream repo is
pinned (full commit and its branch), and the lock file agrees with the kas file."""

from __future__ import annotations

from oxt.buildplan import BuildPlan
from oxt.kasfiles import RepoPin
from oxt.patterns import FULL_COMMIT
from oxt.problems import Problem
from oxt.stack import Stack, local_layers


def check(stack: Stack, plan: BuildPlan | None) -> list[Problem]:
    comp = stack.comp
    problems = [
        Problem(
            layer.repo.defined_in,
            f"repos.{layer.repo.name}.layers.{layer.name}: no {stack.rel(layer.path / 'conf' / 'layer.conf')}",
            "kas takes a repo without url to be the git checkout holding the kas file; "
            "fix the layer name or run from a git clone",
        )
        for layer in local_layers(comp) if not layer.present
    ]
    for pin in comp.repos:
        if not pin.local:
            problems += _pin(stack, pin)
    if not any(pin.local for pin in comp.repos):
        problems.append(Problem(comp.spec, "no repo without url, so this checkout's layers are not in the build",
                                "add repos: meta-openxt: layers: meta-openxt: to kas/openxt.yml"))
    known = {p.name for p in comp.repos}
    for name in comp.config.get("overrides", {}).get("repos") or {}:
        if name not in known:
            problems.append(Problem(comp.origin("overrides", "repos", name),
                                    f"overrides.repos.{name}: no repo {name!r} in the composition",
                                    "remove the stale entry (kas lock --update rewrites it)"))
    return problems


def _pin(stack: Stack, pin: RepoPin) -> list[Problem]:
    key, problems = f"repos.{pin.name}", []
    if not pin.commit:
        problems.append(Problem(pin.defined_in, f"{key}: url {pin.url} has no commit",
                                f"pin it: add {key}.commit (full 40-hex) and run kas lock"))
    elif not FULL_COMMIT.fullmatch(pin.commit):
        problems.append(Problem(pin.commit_from or pin.defined_in,
                                f"{key}.commit: {pin.commit!r} is not a full 40-hex commit",
                                "use the full commit id (git rev-parse <ref>)"))
    if not pin.branch:
        problems.append(Problem(pin.defined_in, f"{key}: no branch next to its commit",
                                f"add {key}.branch (the upstream branch the commit is on) so kas lock can update it"))
    base = stack.comp.config.get("repos", {}).get(pin.name) or {}
    if pin.commit_from and base.get("commit") and base["commit"] != pin.commit:
        problems.append(Problem(
            pin.commit_from,
            f"overrides.repos.{pin.name}.commit: {pin.commit} differs from "
            f"{key}.commit {base['commit']} in {stack.comp.origin('repos', pin.name, 'commit')}",
            "keep one pin: run `kas lock --update` or align the two commits",
        ))
    return problems
