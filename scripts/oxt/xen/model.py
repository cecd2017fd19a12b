"""The track data a bump reads and writes, independent of the manifest's
YAML layout (:mod:`.manifest_io` maps between the two)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

GIT = "git"
TARBALL = "tarball"
MODES = (GIT, TARBALL)
SHA40 = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class XsaEntry:
    number: int
    patches: tuple[str, ...]  # names under the layer's files/xsa/ directory, in apply order
    origin: str = ""
    # (file, url, sha256) per patch file when `xsa sync` downloaded them (manifest key `sources`)
    sources: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Track:
    branch: str  # stable-X.Y
    mode: str = GIT
    srcrev: str | None = None  # git mode: the pinned commit
    tag: str | None = None  # the RELEASE-X.Y.Z tag the pin describes from
    version: str | None = None  # tarball mode: X.Y.Z
    url: str | None = None  # tarball mode
    sha256: str | None = None  # tarball mode
    license_md5: str | None = None  # md5 of COPYING at the pin (LIC_FILES_CHKSUM)
    xsas: tuple[XsaEntry, ...] = field(default_factory=tuple)

    @property
    def series(self) -> str:
        return self.branch.removeprefix("stable-")

    def with_(self, **changes) -> "Track":
        return replace(self, **changes)
