"""What one kas composition puts in front of bitbake, described once.

A :class:`Stack` is built from a :class:`~oxt.kasfiles.Composition` (what kas
merged) and never changes afterwards: this checkout's layers in the
composition, what they provide (machines, distros, multiconfigs, recipes),
local.conf as kas writes it, and the configuration bitbake reads for each
multiconfig. :func:`oxt.resolve.resolve_vms` turns it into the build plan and
every check in :mod:`oxt.checks` reads it; none of them parses a file the
others already parsed (parses are cached per file).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from oxt.kasfiles import Composition, RepoPin, rel
from oxt.layerinfo import Assignment, ConfigStack, Layer, MetaFile, parse_text

TOPDIR_TMP = "${TOPDIR}/tmp"  # the default configuration's TMPDIR


@dataclass(frozen=True)
class LocalLayer:
    """A layer a repo without url (this checkout) lists, present or not."""

    repo: RepoPin
    name: str
    path: Path

    @property
    def present(self) -> bool:
        return (self.path / "conf" / "layer.conf").is_file()


def local_layers(comp: Composition) -> list[LocalLayer]:
    """Every layer of this checkout the composition names, in kas order."""
    return [LocalLayer(pin, name, pin.path / name if name else pin.path)
            for pin in comp.repos if pin.local for name in pin.layers]


@dataclass(frozen=True)
class McConfig:
    """The configuration bitbake reads for one multiconfig."""

    name: str
    file: Path  # conf/multiconfig/<name>.conf
    own: MetaFile  # that file with its includes
    first: ConfigStack  # local.conf + the multiconfig file: decides MACHINE and DISTRO
    full: ConfigStack  # + the machine and distro confs

    @property
    def machine(self) -> str | None:
        return self.first.value("MACHINE")

    @property
    def distro(self) -> str | None:
        return self.first.value("DISTRO")

    @property
    def tmpdir(self) -> str | None:
        """TMPDIR as bitbake sees it (``${TOPDIR}/tmp-dom0``), when the multiconfig sets one itself."""
        return None if self.own.value("TMPDIR") is None else self.full.value("TMPDIR")

    @property
    def multilib(self) -> list[str]:
        """The multilib variants MULTILIBS enables, e.g. ["lib32"]."""
        items = (self.full.value("MULTILIBS") or "").split()
        return [item.split(":", 1)[1] for item in items if item.startswith("multilib:")]


@dataclass(frozen=True)
class Stack:
    """The composition, this checkout's layers in it and what they provide; build with :meth:`of`."""

    comp: Composition
    layers: tuple[Layer, ...]

    @classmethod
    def of(cls, comp: Composition) -> "Stack":
        roots = tuple(layer.path for layer in local_layers(comp) if layer.present)
        return cls(comp, tuple(Layer(path, roots) for path in roots))

    @property
    def root(self) -> Path:
        return self.comp.root

    # -- naming things in messages ------------------------------------------------
    def rel(self, path) -> str:
        return rel(Path(path), self.root)

    def at(self, a: Assignment) -> str:
        return f"{self.rel(a.file)}:{a.line}"

    @property
    def layer_names(self) -> str:
        return ", ".join(layer.name for layer in self.layers) or "no local layer"

    def parse(self, path: Path) -> MetaFile:
        return self.layers[0].parse(path)  # every Layer resolves includes against all local layers

    # -- what the layers provide (the first layer providing a name wins) ---------------
    def _provided(self, kind: str) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for layer in self.layers:
            for name, path in getattr(layer, kind).items():
                found.setdefault(name, path)
        return found

    @functools.cached_property
    def machines(self) -> dict[str, Path]:
        return self._provided("machines")

    @functools.cached_property
    def distros(self) -> dict[str, Path]:
        return self._provided("distros")

    @functools.cached_property
    def multiconfigs(self) -> dict[str, Path]:
        return self._provided("multiconfigs")

    @functools.cached_property
    def recipes(self) -> dict[str, list[Path]]:
        """PN -> its .bb files in every layer (the last one is the one bitbake picks)."""
        found: dict[str, list[Path]] = {}
        for layer in self.layers:
            for pn, paths in layer.recipes.items():
                found.setdefault(pn, []).extend(paths)
        return found

    def image_file(self, pn: str | None) -> Path | None:
        return self.recipes[pn][-1] if pn in self.recipes else None

    @functools.cached_property
    def unused_layer_recipes(self) -> dict[str, tuple[str, Path]]:
        """PN -> (layer, recipe) for layers of this checkout that the composition leaves out."""
        used = {layer.path.resolve() for layer in self.layers}
        found: dict[str, tuple[str, Path]] = {}
        for conf in sorted(self.root.glob("*/conf/layer.conf")):
            path = conf.parent.parent
            if path.resolve() in used:
                continue
            for pn, recipes in Layer(path, (path,)).recipes.items():
                found.setdefault(pn, (path.name, recipes[0]))
        return found

    # -- bitbake's configuration ------------------------------------------------------
    @functools.cached_property
    def local_conf(self) -> MetaFile:
        """local.conf as kas writes it: headers sorted by key, then its ??= defaults."""
        lines = []
        for key, value in sorted(self.comp.local_conf_header.items()):
            lines += [f"# {key}", *value.splitlines()]
        lines.append(f'MACHINE ??= "{self.comp.machine}"')
        if self.comp.distro:
            lines.append(f'DISTRO ??= "{self.comp.distro}"')
        return parse_text(lines, tuple(layer.path for layer in self.layers))

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

    @functools.cached_property
    def _mc_configs(self) -> dict[str, McConfig]:
        return {}

    def multiconfig(self, mc: str) -> McConfig | None:
        """The configuration of multiconfig *mc*; None when no layer has its conf file."""
        if mc not in self.multiconfigs:
            return None
        if mc not in self._mc_configs:
            conf = self.multiconfigs[mc]
            first = self.view(mc, conf)
            machine, distro = first.value("MACHINE"), first.value("DISTRO")
            extra = [p for p in (self.machines.get(machine), self.distros.get(distro)) if p]
            self._mc_configs[mc] = McConfig(mc, conf, self.parse(conf), first, self.view(mc, conf, *extra))
        return self._mc_configs[mc]
