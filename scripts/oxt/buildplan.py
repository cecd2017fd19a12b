"""The build plan: what one ``kas build`` of a composition produces.

Plain data (VMs, pinned repositories) plus two renderings: a table for
people and JSON for machines (``oxt check --json``). A VM is one multiconfig
target; its record carries the multilib variants of its multiconfig and the
packages its image installs from each variant (``lib32-…``), so multilib
images are reported without any change to the model.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from oxt.kasfiles import RepoPin
from oxt.table import table


@dataclass(frozen=True)
class VmPlan:
    name: str  # the multiconfig name; kas target mc:<name>:<image>
    target: str
    multiconfig_file: str | None
    machine: str | None
    image: str | None
    image_file: str | None
    tmpdir: str | None  # relative to the kas build dir when it lives there
    multilib: list[str] = field(default_factory=list)  # variants, e.g. ["lib32"]
    multilib_packages: dict[str, list[str]] = field(default_factory=dict)  # variant -> packages

    @property
    def deploy_dir(self) -> str | None:
        if not (self.tmpdir and self.machine):
            return None
        return f"{self.tmpdir}/deploy/images/{self.machine}"


@dataclass(frozen=True)
class McDepend:
    """``RECIPE:do_task[mcdepends] = "mc:SOURCE:MULTICONFIG:TARGET:TARGET_TASK"``."""

    recipe: str
    file: str  # file:line
    task: str
    source: str  # may be ${BB_CURRENT_MC}: whichever multiconfig builds the recipe
    multiconfig: str
    target: str
    target_task: str


@dataclass(frozen=True)
class BuildPlan:
    kas: str  # the composition, as passed to kas: a.yml:b.yml
    lockfiles: list[str]
    distro: str | None
    bbmulticonfig: list[str]
    vms: list[VmPlan]
    other_targets: list[str]  # targets outside any multiconfig
    repos: list[RepoPin]
    mcdepends: list[McDepend] = field(default_factory=list)
    also_checked: list[str] = field(default_factory=list)  # other compositions validated

    def as_dict(self) -> dict:
        data = asdict(self)
        for vm, raw in zip(self.vms, data["vms"]):
            raw["deploy_dir"] = vm.deploy_dir
        data["repos"] = [
            {
                "name": r.name,
                "url": r.url,
                "branch": r.branch,
                "commit": r.commit,
                "tag": r.tag,
                "local": r.local,
                "layers": list(r.layers),
                "defined_in": r.defined_in,
                "commit_from": r.commit_from,
            }
            for r in self.repos
        ]
        return data

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n"


def format_text(plan: BuildPlan) -> str:
    out = [f"Build plan for kas build {plan.kas}"]
    if plan.lockfiles:
        out.append(f"  pinned by lock file(s): {', '.join(plan.lockfiles)}")
    out.append(f"  distro: {plan.distro or '(kas default)'}")
    out.append(
        f"  one bitbake invocation, BBMULTICONFIG = \"{' '.join(plan.bbmulticonfig)}\""
    )
    out.append("")
    out.append(f"VMs ({len(plan.vms)}):")
    rows = [["VM", "multiconfig", "machine", "image", "images land in"]]
    for vm in plan.vms:
        rows.append(
            [vm.name, vm.multiconfig_file or "-", vm.machine or "-", vm.image or "-", vm.deploy_dir or "-"]
        )
    out += table(rows, indent="  ")
    for dep in plan.mcdepends:
        out.append(
            f"  {dep.recipe}:{dep.task} waits for mc:{dep.multiconfig}:{dep.target}:{dep.target_task} (mcdepends, {dep.file})"
        )
    for vm in plan.vms:
        for variant in vm.multilib:
            pkgs = vm.multilib_packages.get(variant, [])
            listing = " ".join(pkgs) if pkgs else "(none listed in IMAGE_INSTALL)"
            out.append(f"  {vm.name} multilib {variant}: {listing}")
    if plan.other_targets:
        out.append(f"  other targets (default config): {' '.join(plan.other_targets)}")
    out.append("")
    out.append(f"Layers and pinned commits ({len(plan.repos)} repositories):")
    rows = [["repo", "branch", "commit", "pinned in", "url / layers"]]
    for r in plan.repos:
        where = r.url if not r.local else f"this checkout ({r.path})"
        pinned = r.commit_from or ("(checkout HEAD)" if r.local else "-")
        rows.append([r.name, r.branch or "-", r.commit or "-", pinned, where])
        layers = [layer for layer in r.layers if layer]
        if layers:
            rows.append(["", "", "", "", "layers: " + " ".join(layers)])
    out += table(rows, indent="  ")
    if plan.also_checked:
        out.append("")
        out.append("Also checked: " + ", ".join(f"kas build {spec}" for spec in plan.also_checked))
    return "\n".join(out) + "\n"
