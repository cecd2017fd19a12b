"""Recipes the targets and images name: every target is an image recipe of the local
layers, and an image installs nothing that only a layer left out of the
composition builds."""

from __future__ import annotations

from pathlib import Path

from oxt.buildplan import BuildPlan
from oxt.checks.multilib import MULTILIB_PREFIX
from oxt.problems import Problem
from oxt.resolve import split_target
from oxt.stack import Stack


def check(stack: Stack, plan: BuildPlan) -> list[Problem]:
    problems = []
    for target in stack.comp.targets:
        problems += _target(stack, target)
    for vm in plan.vms:
        image = stack.image_file(vm.image)
        if image and vm.multiconfig_file:
            problems += _packages_from_unused_layers(stack, image)
    return problems


def _target(stack: Stack, target: str) -> list[Problem]:
    _, pn = split_target(target)
    image = stack.image_file(pn)
    if image is None:
        return [Problem(stack.comp.origin("target"),
                        f"target {target}: no recipe {pn}.bb in {stack.layer_names} (BBFILES)",
                        "add the image recipe under recipes-images/images/ or fix the target")]
    if not stack.parse(image).is_image():
        return [Problem(stack.rel(image), f"target {target}: {pn} is not an image recipe (no inherit core-image/image)",
                        "inherit core-image, or target an image")]
    return []


def _packages_from_unused_layers(stack: Stack, image: Path) -> list[Problem]:
    """A package only a layer outside the composition builds: bitbake would say
    "Nothing RPROVIDES"; name the layer to add instead."""
    problems = []
    for pkg in (stack.parse(image).value("IMAGE_INSTALL") or "").split():
        pn = MULTILIB_PREFIX.sub("", pkg)
        if pn in stack.recipes or pn not in stack.unused_layer_recipes:
            continue
        layer, recipe = stack.unused_layer_recipes[pn]
        problems.append(Problem(
            stack.rel(image),
            f"IMAGE_INSTALL has {pkg}, built by {stack.rel(recipe)}, but layer {layer} is not in {stack.comp.spec}",
            f"add {layer} to the layers of this checkout's repo in kas/openxt.yml"))
    return problems

