"""Does a kas composition and the layers it names hang together?

``examine()`` walks the composition the way bitbake will (targets ->
multiconfigs -> machines, images, mcdepends), builds the :class:`BuildPlan`
and collects every :class:`Problem` on the way. Only this checkout's layers
can be read offline, so names must resolve inside them; upstream layers are
verified by their pins (full commit + branch), not by content.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from oxt.buildplan import BuildPlan, McDepend, VmPlan
from oxt.kasfiles import FULL_COMMIT, Composition, rel
from oxt.layerinfo import Assignment, ConfigStack, Layer, MetaFile, parse_text, recipe_name, references
from oxt.problems import Problem

OE_CORE_REPO = "openembedded-core"
MULTILIB_PREFIX = re.compile(r"^(lib32|lib64|libx32)-")
MULTILIB_CONF = "conf/multilib.conf"
SRC_URI_REV = re.compile(r";rev=([^;\s\"]+)")
DEFAULT_TMPDIR = "${TOPDIR}/tmp"


def _split_target(target: str) -> tuple[str | None, str]:
    """``mc:<mc>:<pn>`` (or ``multiconfig:``) -> (mc, pn); plain -> (None, pn)."""
    parts = target.split(":")
    if parts[0] in ("mc", "multiconfig") and len(parts) >= 3:
        return parts[1], ":".join(parts[2:])
    return None, target


class _Examiner:
    def __init__(self, comp: Composition):
        self.comp = comp
        self.root = comp.root
        self.problems: list[Problem] = []
        self.layers: list[Layer] = []

    # -- helpers -----------------------------------------------------------
    def rel(self, path) -> str:
        return rel(Path(path), self.root)

    def at(self, a: Assignment) -> str:
        return f"{self.rel(a.file)}:{a.line}"

    def parse(self, path: Path) -> MetaFile:
        return self.layers[0].parse(path)  # every Layer resolves includes against all local layers

    def problem(self, where: str, what: str, fix: str) -> None:
        self.problems.append(Problem(where, what, fix))

    def _provided(self, kind: str) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for layer in self.layers:
            for name, path in getattr(layer, kind).items():
                found.setdefault(name, path)
        return found

    def _layer_names(self) -> str:
        return ", ".join(layer.name for layer in self.layers) or "no local layer"

    # -- kas repositories ---------------------------------------------------
    def check_repos(self) -> None:
        roots = []
        for pin in self.comp.repos:
            if pin.local:
                for name in pin.layers:
                    path = pin.path / name if name else pin.path
                    if (path / "conf" / "layer.conf").is_file():
                        roots.append(path)
                    else:
                        self.problem(
                            pin.defined_in,
                            f"repos.{pin.name}.layers.{name}: no {self.rel(path / 'conf' / 'layer.conf')}",
                            "kas takes a repo without url to be the git checkout holding the kas file; "
                            "fix the layer name or run from a git clone",
                        )
                continue
            self._check_pin(pin)
        self.layers = [Layer(path, tuple(roots)) for path in roots]
        if not any(pin.local for pin in self.comp.repos):
            self.problem(
                self.comp.spec,
                "no repo without url, so this checkout's layers are not in the build",
                "add repos: meta-openxt: layers: meta-openxt: to kas/openxt.yml",
            )
        self._check_lock_entries()

    def _check_pin(self, pin) -> None:
        key = f"repos.{pin.name}"
        if not pin.commit:
            self.problem(
                pin.defined_in,
                f"{key}: url {pin.url} has no commit",
                f"pin it: add {key}.commit (full 40-hex) and run kas lock",
            )
        elif not FULL_COMMIT.fullmatch(pin.commit):
            self.problem(
                pin.commit_from or pin.defined_in,
                f"{key}.commit: {pin.commit!r} is not a full 40-hex commit",
                "use the full commit id (git rev-parse <ref>)",
            )
        if not pin.branch:
            self.problem(
                pin.defined_in,
                f"{key}: no branch next to its commit",
                f"add {key}.branch (the upstream branch the commit is on) so kas lock can update it",
            )
        base = self.comp.config.get("repos", {}).get(pin.name) or {}
        lock_commit = pin.commit
        if pin.commit_from and base.get("commit") and base["commit"] != lock_commit:
            self.problem(
                pin.commit_from,
                f"overrides.repos.{pin.name}.commit: {lock_commit} differs from "
                f"{key}.commit {base['commit']} in {self.comp.origin('repos', pin.name, 'commit')}",
                "keep one pin: run `kas lock --update` or align the two commits",
            )

    def _check_lock_entries(self) -> None:
        known = {p.name for p in self.comp.repos}
        for name in (self.comp.config.get("overrides", {}).get("repos") or {}):
            if name not in known:
                self.problem(
                    self.comp.origin("overrides", "repos", name),
                    f"overrides.repos.{name}: no repo {name!r} in the composition",
                    "remove the stale entry (kas lock --update rewrites it)",
                )

    # -- layer.conf ---------------------------------------------------------
    def check_layer_confs(self) -> None:
        oe_core = next((p for p in self.comp.repos if p.name == OE_CORE_REPO), None)
        series = oe_core.branch if oe_core else None
        for layer in self.layers:
            where = self.rel(layer.conf)
            collections = layer.collections
            if not collections:
                self.problem(where, "BBFILE_COLLECTIONS is not set", "add BBFILE_COLLECTIONS += \"<name>\"")
            for coll in collections:
                compat = (layer.layer_conf.value(f"LAYERSERIES_COMPAT_{coll}") or "").split()
                if series and series not in compat:
                    self.problem(
                        where,
                        f"LAYERSERIES_COMPAT_{coll} = \"{' '.join(compat)}\" lacks {series} "
                        f"(the {OE_CORE_REPO} branch in {oe_core.defined_in})",
                        f"add {series} or pin {OE_CORE_REPO} to a series the layer supports",
                    )
            if not layer.bbfiles_patterns:
                self.problem(where, "BBFILES is not set", "add BBFILES += \"${LAYERDIR}/recipes-*/*/*.bb\"")
            for path in layer.stray_recipes:
                self.problem(
                    self.rel(path),
                    f"not matched by BBFILES ({' '.join(self.rel(p) for p in layer.bbfiles_patterns)})",
                    "move it to recipes-<area>/<pn>/ so bitbake sees it",
                )

    # -- what bitbake's configuration looks like ---------------------------
    def local_conf_lines(self) -> list[str]:
        """local.conf as kas writes it: headers sorted by key, then its ??= defaults."""
        lines = []
        for key, value in sorted(self.comp.local_conf_header.items()):
            lines += [f"# {key}", *value.splitlines()]
        lines.append(f'MACHINE ??= "{self.comp.machine}"')
        if self.comp.distro:
            lines.append(f'DISTRO ??= "{self.comp.distro}"')
        return lines

    @functools.cached_property
    def local_conf(self) -> MetaFile:
        return parse_text(self.local_conf_lines(), tuple(layer.path for layer in self.layers))

    def view(self, mc: str | None = None, *confs: Path) -> ConfigStack:
        """The global configuration of multiconfig ``mc`` as bitbake.conf stacks it:
        local.conf, conf/multiconfig/<mc>.conf, then the machine and distro confs."""
        units = [self.local_conf, *(self.parse(conf) for conf in confs)]
        return ConfigStack(units, {"BB_CURRENT_MC": mc} if mc else None)

    def header_value(self, name: str) -> tuple[str | None, str]:
        """``name`` as set by the kas local_conf_header blocks, and the (last) block setting it."""
        setters = [
            key for key, value in sorted(self.comp.local_conf_header.items())
            if re.search(rf"^\s*{re.escape(name)}\b", value, re.MULTILINE)
        ]
        if not setters:
            return None, ""
        return self.view().value(name), setters[-1]

    def check_headers(self) -> None:
        roots = tuple(layer.path for layer in self.layers)
        for key, value in self.comp.local_conf_header.items():
            where = self.comp.origin("local_conf_header", key)
            for number, line in enumerate(value.splitlines(), 1):
                if "AUTOREV" in line and not line.lstrip().startswith("#"):
                    self.problem(
                        where,
                        f"local_conf_header.{key} line {number}: AUTOREV ({line.strip()})",
                        "pin a full 40-hex SRCREV instead; AUTOREV makes builds irreproducible",
                    )
            if "SRCREV" not in value:
                continue
            for a in parse_text(value.splitlines(), roots).assignments():
                base = a.name.split(":")[0]
                if not base.startswith("SRCREV") or base == "SRCREV_FORMAT" or "AUTOREV" in a.value:
                    continue
                if not FULL_COMMIT.fullmatch(a.value):
                    self.problem(
                        where,
                        f"local_conf_header.{key} line {a.line}: {a.name} = {a.value!r} is not a full 40-hex commit",
                        "use the full commit id",
                    )

    # -- distro / machine -----------------------------------------------------
    def check_distro_machine(self) -> None:
        distros = self._provided("distros")
        machines = self._provided("machines")
        distro = self.comp.distro
        if distro is None:
            self.problem(
                self.comp.spec,
                "distro: not set, so kas uses its default 'poky' (meta-poky is not in this stack)",
                "set distro: openxt in kas/openxt.yml",
            )
        elif distro not in distros:
            self.problem(
                self.comp.origin("distro"),
                f"distro: {distro!r} has no conf/distro/{distro}.conf in {self._layer_names()}",
                f"add it or use one of: {', '.join(sorted(distros)) or 'none'}",
            )
        machine = self.comp.machine
        if machine.startswith("openxt-") and machine not in machines:
            self.problem(
                self.comp.origin("machine"),
                f"machine: {machine!r} has no conf/machine/{machine}.conf in {self._layer_names()}",
                f"add it or use one of: {', '.join(sorted(machines)) or 'none'}",
            )

    # -- targets, multiconfigs, images ---------------------------------------
    def examine_targets(self) -> BuildPlan:
        comp = self.comp
        multiconfigs = self._provided("multiconfigs")
        machines = self._provided("machines")
        distros = self._provided("distros")
        recipes: dict[str, list[Path]] = {}
        for layer in self.layers:
            for pn, paths in layer.recipes.items():
                recipes.setdefault(pn, []).extend(paths)
        target_where = comp.origin("target")

        vms: list[VmPlan] = []
        others: list[str] = []
        target_mcs: list[str] = []
        for target in comp.targets:
            mc, pn = _split_target(target)
            image_file = None
            if pn not in recipes:
                self.problem(
                    target_where,
                    f"target {target}: no recipe {pn}.bb in {self._layer_names()} (BBFILES)",
                    "add the image recipe under recipes-images/images/ or fix the target",
                )
            else:
                image_file = recipes[pn][-1]
                if not self.parse(image_file).is_image():
                    self.problem(
                        self.rel(image_file),
                        f"target {target}: {pn} is not an image recipe (no inherit core-image/image)",
                        "inherit core-image, or target an image",
                    )
            if mc is None:
                others.append(target)
                continue
            target_mcs.append(mc)
            vm = VmPlan(
                name=mc,
                target=target,
                multiconfig_file=None,
                machine=None,
                image=pn,
                image_file=self.rel(image_file) if image_file else None,
                tmpdir=None,
            )
            vms.append(vm)
            if mc not in multiconfigs:
                self.problem(
                    target_where,
                    f"target {target}: no conf/multiconfig/{mc}.conf in {self._layer_names()}",
                    f"add the multiconfig or use one of: {', '.join(sorted(multiconfigs)) or 'none'}",
                )
                continue
            self._examine_multiconfig(vm, multiconfigs[mc], machines, distros)
            if image_file:
                self._examine_image(vm, image_file)

        bbmc = self._check_bbmulticonfig(target_mcs, multiconfigs)
        self._check_tmpdirs(vms)
        mcdepends = self._check_mcdepends(vms, bbmc, multiconfigs, recipes)
        return BuildPlan(
            mcdepends=mcdepends,
            kas=comp.spec,
            lockfiles=[self.rel(p) for p in comp.lockfiles],
            distro=comp.distro,
            bbmulticonfig=bbmc,
            vms=vms,
            other_targets=others,
            repos=list(comp.repos),
        )

    def _examine_multiconfig(self, vm: VmPlan, conf: Path, machines, distros) -> None:
        vm.multiconfig_file = self.rel(conf)
        own = self.parse(conf)
        first = self.view(vm.name, conf)
        machine = first.value("MACHINE")
        if own.value("MACHINE") is None:
            self.problem(vm.multiconfig_file, "MACHINE is not set", f"set MACHINE = \"openxt-{vm.name}\"")
        if machine:
            vm.machine = machine
            if machine not in machines:
                where = own.where("MACHINE")
                self.problem(
                    self.at(where) if where else vm.multiconfig_file,
                    f"MACHINE = \"{machine}\": no conf/machine/{machine}.conf in {self._layer_names()}",
                    f"add the machine or use one of: {', '.join(sorted(machines)) or 'none'}",
                )
        distro = first.value("DISTRO")
        if distro and distro not in distros:
            where = own.where("DISTRO")
            self.problem(
                self.at(where) if where else vm.multiconfig_file,
                f"DISTRO = \"{distro}\": no conf/distro/{distro}.conf in {self._layer_names()}",
                "add the distro or drop the DISTRO line (the kas distro applies)",
            )
        full = self.view(
            vm.name, conf, *[p for p in (machines.get(machine), distros.get(distro)) if p]
        )
        if own.value("TMPDIR") is None:
            self.problem(
                vm.multiconfig_file,
                "TMPDIR is not set; multiconfigs sharing a TMPDIR corrupt each other's builds",
                f"set TMPDIR = \"${{TOPDIR}}/tmp-{vm.name}\"",
            )
        else:
            vm.tmpdir = full.value("TMPDIR")
        vm.multilib = [
            item.split(":", 1)[1]
            for item in (full.value("MULTILIBS") or "").split()
            if item.startswith("multilib:")
        ]
        if vm.multilib:
            self._check_multilib_setup(vm, full)

    def _check_multilib_setup(self, vm: VmPlan, stack: ConfigStack) -> None:
        """MULTILIBS only works with conf/multilib.conf and a tune per variant."""
        setter = next((u.where("MULTILIBS") for u in reversed(stack.units[1:]) if u.where("MULTILIBS")), None)
        if setter:
            where = self.at(setter)
        else:  # set in local.conf, i.e. by a kas local_conf_header block
            _, key = self.header_value("MULTILIBS")
            where = self.comp.origin("local_conf_header", key) if key else vm.multiconfig_file
        multilibs = stack.value("MULTILIBS")
        if not any(name == MULTILIB_CONF for unit in stack.units for name in unit.included_names()):
            self.problem(
                where,
                f"MULTILIBS = \"{multilibs}\" without `require {MULTILIB_CONF}`: bitbake creates no "
                f"{' '.join(v + '-' for v in vm.multilib)} recipes for multiconfig {vm.name}",
                f"add `require {MULTILIB_CONF}` before MULTILIBS",
            )
        for variant in vm.multilib:
            tune = f"DEFAULTTUNE:virtclass-multilib-{variant}"
            if not stack.value(tune):
                self.problem(
                    where,
                    f"MULTILIBS has {variant} but {tune} is not set: multiconfig {vm.name} would build its "
                    f"{variant}- packages for the default tune ({stack.value('DEFAULTTUNE') or 'DEFAULTTUNE'})",
                    f"set {tune} (\"x86\" for lib32 on x86-64)",
                )

    def _examine_image(self, vm: VmPlan, image_file: Path) -> None:
        unit = self.parse(image_file)
        packages = (unit.value("IMAGE_INSTALL") or "").split()
        for variant in vm.multilib:
            vm.multilib_packages[variant] = [p for p in packages if p.startswith(f"{variant}-")]
        for pkg in packages:
            match = MULTILIB_PREFIX.match(pkg)
            if match and match.group(1) not in vm.multilib:
                self.problem(
                    self.rel(image_file),
                    f"IMAGE_INSTALL has {pkg} but multiconfig {vm.name} enables no {match.group(1)} multilib",
                    f"add MULTILIBS = \"multilib:{match.group(1)}\" (and its DEFAULTTUNE) to {vm.multiconfig_file}",
                )
        self._check_packages_from_unused_layers(image_file, packages)

    @functools.cached_property
    def unused_layer_recipes(self) -> dict[str, tuple[str, Path]]:
        """PN -> (layer, recipe) for layers of this checkout that the composition leaves out."""
        used = {layer.path.resolve() for layer in self.layers}
        found: dict[str, tuple[str, Path]] = {}
        for conf in sorted(self.root.glob("*/conf/layer.conf")):
            path = conf.parent.parent
            if path.resolve() in used:
                continue
            layer = Layer(path, (path,))
            for pn, recipes in layer.recipes.items():
                found.setdefault(pn, (path.name, recipes[0]))
        return found

    def _check_packages_from_unused_layers(self, image_file: Path, packages: list[str]) -> None:
        """A package only a layer outside the composition builds: bitbake would say
        "Nothing RPROVIDES"; name the layer to add instead."""
        ours = {pn for layer in self.layers for pn in layer.recipes}
        for pkg in packages:
            pn = MULTILIB_PREFIX.sub("", pkg)
            if pn in ours or pn not in self.unused_layer_recipes:
                continue
            layer, recipe = self.unused_layer_recipes[pn]
            self.problem(
                self.rel(image_file),
                f"IMAGE_INSTALL has {pkg}, built by {self.rel(recipe)}, but layer {layer} is not in {self.comp.spec}",
                f"add {layer} to the layers of this checkout's repo in kas/openxt.yml",
            )

    def _check_bbmulticonfig(self, target_mcs: list[str], multiconfigs) -> list[str]:
        value, key = self.header_value("BBMULTICONFIG")
        if value is None:
            # kas writes BBMULTICONFIG ?= "<multiconfigs of the targets>" after the
            # headers, joined from a Python set: the order changes from run to run,
            # bitbake hashes it, and every kas run then reparses every multiconfig.
            mcs = sorted(set(target_mcs))
            if len(mcs) > 1:
                self.problem(
                    self.comp.spec,
                    f"BBMULTICONFIG is left to kas, which writes {' '.join(mcs)} in a different order on "
                    "every run, so bitbake throws its parse cache away each time",
                    f'set it in a local_conf_header block: BBMULTICONFIG = "{" ".join(mcs)}"',
                )
            return mcs
        where = self.comp.origin("local_conf_header", key) if key else self.comp.spec
        enabled = value.split()
        for mc in sorted(set(target_mcs) - set(enabled)):
            self.problem(
                where,
                f"local_conf_header.{key}: BBMULTICONFIG = \"{value}\" lacks {mc}, a target's multiconfig",
                "drop the BBMULTICONFIG line (kas derives it from the targets) or add the multiconfig",
            )
        for mc in enabled:
            if mc not in multiconfigs:
                self.problem(
                    where,
                    f"local_conf_header.{key}: BBMULTICONFIG names {mc} but there is no conf/multiconfig/{mc}.conf",
                    "remove it or add the multiconfig",
                )
        return enabled

    def _check_tmpdirs(self, vms: list[VmPlan]) -> None:
        seen: dict[str, str] = {}  # TMPDIR -> multiconfig
        for vm in vms:
            if not vm.tmpdir or seen.get(vm.tmpdir) == vm.name:
                continue  # a second image of the same multiconfig shares its TMPDIR, rightly
            if vm.tmpdir == DEFAULT_TMPDIR:
                self.problem(
                    vm.multiconfig_file,
                    f"TMPDIR = \"{vm.tmpdir}\" is the default configuration's TMPDIR",
                    f"give the multiconfig its own, e.g. ${{TOPDIR}}/tmp-{vm.name}",
                )
            if vm.tmpdir in seen:
                self.problem(
                    vm.multiconfig_file,
                    f"TMPDIR = \"{vm.tmpdir}\" is also the TMPDIR of multiconfig {seen[vm.tmpdir]}",
                    "every multiconfig needs its own TMPDIR",
                )
            else:
                seen[vm.tmpdir] = vm.name
        for vm in vms:
            if vm.tmpdir:
                vm.tmpdir = vm.tmpdir.replace("${TOPDIR}/", "build/").replace("${TOPDIR}", "build")

    def _check_mcdepends(self, vms: list[VmPlan], enabled: list[str], multiconfigs, recipes) -> list[McDepend]:
        image_vm = {vm.image_file: vm for vm in vms if vm.image_file}
        found = []
        for layer in self.layers:
            for a in layer.all_flags("mcdepends"):
                value = self.parse(a.file).expand(a.value)
                for token in value.split():
                    dep = self._check_mcdepend(a, token, enabled, multiconfigs, recipes, image_vm)
                    if dep:
                        found.append(dep)
        return found

    def _check_mcdepend(self, a: Assignment, token: str, enabled, multiconfigs, recipes, image_vm):
        where = self.at(a)
        parts = token.split(":")
        if len(parts) != 5 or parts[0] != "mc" or not parts[4].startswith("do_"):
            self.problem(
                where,
                f"{a.name} = \"{token}\" is not mc:FROM:TO:RECIPE:TASK",
                "write it as mc:<this mc>:<other mc>:<recipe>:do_<task>",
            )
            return None
        _, source, dest, pn, task = parts
        if references(dest):
            self.problem(
                where,
                f"{a.name}: target multiconfig {dest!r} does not resolve within the recipe",
                "name the multiconfig literally or set the variable in the recipe",
            )
        elif dest not in multiconfigs:
            self.problem(
                where,
                f"{a.name}: multiconfig {dest!r} has no conf/multiconfig/{dest}.conf",
                f"use one of: {', '.join(sorted(multiconfigs)) or 'none'}",
            )
        elif dest not in enabled:
            self.problem(
                where,
                f"{a.name}: multiconfig {dest!r} is not in BBMULTICONFIG ({' '.join(enabled)})",
                f"add a target mc:{dest}:<image> to the kas file so kas enables it",
            )
        if source and not references(source) and source not in multiconfigs:
            self.problem(
                where,
                f"{a.name}: source multiconfig {source!r} has no conf/multiconfig/{source}.conf",
                "use the multiconfig that builds this recipe, or ${BB_CURRENT_MC}",
            )
        if not references(pn) and pn.startswith("openxt-") and pn not in recipes:
            # Our namespace must resolve here; upstream recipes cannot be checked offline.
            self.problem(
                where,
                f"{a.name}: recipe {pn!r} is not provided by {self._layer_names()}",
                "fix the recipe name or add the recipe",
            )
        vm = image_vm.get(self.rel(a.file))
        if vm and not references(source) and source != vm.name:
            self.problem(
                where,
                f"{a.name}: \"{token}\" only applies in multiconfig {source or '(default)'}, "
                f"but {vm.image} is built in {vm.name}; bitbake would silently ignore it",
                f"use mc:${{BB_CURRENT_MC}}:{dest}:{pn}:{task}",
            )
        return McDepend(recipe=recipe_name(a.file), file=where, task=a.name.split("[")[0],
                        source=source, multiconfig=dest, target=pn, target_task=task)

    # -- source pins -----------------------------------------------------------
    def check_source_pins(self) -> None:
        for layer in self.layers:
            for path, line, text in layer.autorev_lines():
                self.problem(
                    f"{self.rel(path)}:{line}",
                    f"AUTOREV ({text})",
                    "pin a full 40-hex SRCREV; AUTOREV makes builds irreproducible",
                )
            for a in layer.srcrev_assignments():
                if "AUTOREV" in a.value:
                    continue  # reported above
                value = layer.resolve(a)
                if not FULL_COMMIT.fullmatch(value):
                    self.problem(
                        self.at(a),
                        f"{a.name} = \"{a.value}\" is not a full 40-hex commit",
                        "use the full commit id (git rev-parse <tag>^{commit})",
                    )
            for a in layer.all_assignments(["SRC_URI"], containing=";rev="):
                for rev in SRC_URI_REV.findall(a.value):
                    if not FULL_COMMIT.fullmatch(rev) and "AUTOREV" not in rev:
                        self.problem(
                            self.at(a),
                            f"SRC_URI ;rev={rev} is not a full 40-hex commit",
                            "use the full commit id",
                        )


def examine(comp: Composition) -> tuple[BuildPlan | None, list[Problem]]:
    """The plan for ``comp`` and every problem found (plan is None if the layers are unusable)."""
    ex = _Examiner(comp)
    ex.check_repos()
    if not ex.layers:
        return None, ex.problems
    ex.check_layer_confs()
    ex.check_headers()
    ex.check_distro_machine()
    plan = ex.examine_targets()
    ex.check_source_pins()
    from oxt.guards import layer_inputs  # build- and boot-time failures (issue 10)
    return plan, ex.problems + layer_inputs.check(ex, plan)
