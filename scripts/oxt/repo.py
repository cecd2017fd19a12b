"""Where the meta-openxt checkout is, and the fixed paths inside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from oxt.errors import ConfigError

# The layers of this repository (relative to the checkout), by the Yocto
# Project Compatible types yocto-check-layer tells apart.
DISTRO_LAYER = "meta-openxt"  # the openxt distro, its multiconfigs, images and software
BSP_LAYER = "meta-openxt-bsp"  # the openxt-<vm> machines, their kernel and dom0's boot chain
MARKER = Path(DISTRO_LAYER) / "conf" / "layer.conf"


@dataclass(frozen=True)
class Checkout:
    root: Path

    @property
    def layer(self) -> Path:
        """The distro layer (meta-openxt)."""
        return self.root / DISTRO_LAYER

    @property
    def bsp_layer(self) -> Path:
        """The BSP layer (meta-openxt-bsp): machines, kernel, boot chain."""
        return self.root / BSP_LAYER

    @property
    def kas_dir(self) -> Path:
        return self.root / "kas"

    @property
    def templates(self) -> Path:
        return self.root / "recipes-templates"


def find_checkout(start: Path | None = None) -> Checkout:
    """The checkout containing *start* (default: the current directory)."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / MARKER).is_file():
            return Checkout(candidate)
    raise ConfigError(
        f"{here}: not inside a meta-openxt checkout (no {MARKER} here or above); "
        "run oxt from the repository or pass --root DIR"
    )
