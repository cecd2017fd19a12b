"""The build directory the task data was collected in: its layers, their files and checkouts.

collect.py writes taskdata.json into the build directory (TOPDIR), next to
the ``conf/bblayers.conf`` and ``conf/local.conf`` kas wrote for it. From
those we learn which layers the task data's recipe files belong to, each layer's
collection and ``BBFILE_PATTERN`` (the anchor of its masks), every recipe and
bbappend file bitbake collects from it (``BBFILES`` and ``BBFILES_DYNAMIC``,
as ``cooker.collect_bbfiles`` globs them) and which commit its checkout is at.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from oxt.errors import ConfigError
from oxt.layerinfo import Layer

_BBLAYERS = re.compile(r'^BBLAYERS\s*(?:\?\?=|\?=|=|\+=|:=)\s*"(.*?)"', re.M | re.S)
LAYERDIR_PATTERN = "^${LAYERDIR}/"


@dataclass(frozen=True)
class GitCheckout:
    top: Path
    head: str
    origin: str | None


@dataclass
class BuildLayer:
    """One layer of bblayers.conf."""

    path: Path  # normalised
    collections: list[str]
    patterns: dict[str, str]  # collection -> BBFILE_PATTERN as written
    bbfiles: list[str]  # the .bb/.bbappend files bitbake collects from it (normalised)
    checkout: GitCheckout | None

    def rel(self, fn: str) -> str:
        return os.path.relpath(fn, self.path)

    @property
    def anchored(self) -> bool:
        """Every collection's BBFILE_PATTERN is ``^${LAYERDIR}/``: masks can hang on it."""
        return bool(self.collections) and all(p == LAYERDIR_PATTERN for p in self.patterns.values())


@dataclass
class BuildDir:
    path: Path
    layers: list[BuildLayer]
    local_conf: str

    def layer_of(self, fn: str) -> BuildLayer | None:
        """The layer a recipe file is in (the deepest one, for layers inside layers)."""
        best = None
        for layer in self.layers:
            if fn.startswith(str(layer.path) + os.sep) and (best is None or len(str(layer.path)) > len(str(best.path))):
                best = layer
        return best


def build_dir_of(data: Path) -> Path:
    """The build directory of a taskdata.json (collect.py writes it into TOPDIR)."""
    return Path(data).resolve().parent


def bblayers(build: Path) -> list[Path]:
    conf = build / "conf" / "bblayers.conf"
    try:
        text = conf.read_text()
    except OSError as err:
        raise ConfigError(f"{conf}: cannot read ({err.strerror}); the task data must lie in the build directory "
                          "collect.py ran in (kas writes conf/bblayers.conf there)") from None
    match = _BBLAYERS.search(text.replace("\\\n", " "))
    if not match:
        raise ConfigError(f"{conf}: no BBLAYERS assignment; is this a bitbake build directory?")
    layers = []
    for word in match.group(1).split():
        path = word.replace("${TOPDIR}", str(build))
        if "${" in path:
            raise ConfigError(f"{conf}: BBLAYERS entry {word!r} uses a variable other than ${{TOPDIR}}; "
                              "write the layer path out")
        layers.append(Path(os.path.normpath(path)))
    return layers


def _git(path: Path, *args: str) -> str | None:
    # The build user's checkouts may belong to another user: trust them for these reads.
    result = subprocess.run(["git", "-c", "safe.directory=*", "-C", str(path), *args],
                            capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def checkout_of(path: Path) -> GitCheckout | None:
    top = _git(path, "rev-parse", "--show-toplevel")
    if not top:
        return None
    return GitCheckout(Path(top), _git(path, "rev-parse", "HEAD") or "", _git(path, "remote", "get-url", "origin"))


def _collected(layer: Layer, collections: set[str]) -> list[str]:
    """BBFILES plus the BBFILES_DYNAMIC entries whose collection is (or, with !, is not) present."""
    found = set()
    for pattern in layer.patterns_for(collections):
        found.update(os.path.normpath(p) for p in glob.glob(pattern) if p.endswith((".bb", ".bbappend")))
    return sorted(found)


def read(build: Path) -> BuildDir:
    """Layers (collections, files, checkouts) and local.conf of a build directory."""
    paths = bblayers(build)
    parsed = []
    for path in paths:
        if not (path / "conf" / "layer.conf").is_file():
            raise ConfigError(f"{build / 'conf' / 'bblayers.conf'}: layer {path} has no conf/layer.conf "
                              "(checkout gone?); run `kas checkout` again or give the build directory it used")
        parsed.append(Layer(path, (path,)))
    everywhere = {c for layer in parsed for c in layer.collections}
    layers = [
        BuildLayer(
            path=path,
            collections=layer.collections,
            patterns={c: layer.layer_value(f"BBFILE_PATTERN_{c}").replace(str(path), "${LAYERDIR}")
                      for c in layer.collections},
            bbfiles=_collected(layer, everywhere),
            checkout=checkout_of(path),
        )
        for path, layer in zip(paths, parsed)
    ]
    local = build / "conf" / "local.conf"
    return BuildDir(build, layers, local.read_text(errors="replace") if local.is_file() else "")
