"""The version manifest, ``recipes-templates/manifest.yml``: load and validate.

The manifest is the single source of truth for the fast-moving sources of
OpenXT -- the Xen tracks with their XSA and OpenXT patch queues, the Linux 4.9
kernel with its per-VM config fragments, and icbinn. ``oxt render`` turns it
into recipes; ``oxt bump xen`` and ``oxt xsa`` edit it and re-render.

Python API (for render, bump and xsa)::

    from oxt.manifest import load_manifest, parse_manifest
    from oxt.repo import find_checkout

    co = find_checkout()
    m = load_manifest(co)                 # -> Manifest; ConfigError on any problem
                                          # (also takes the manifest's path)
    track = m.xen.track("stable-4.19")    # XenTrack (ConfigError naming the known ones)
    track.mode                            # "git" | "tarball"
    track.srcrev, track.tag               # git mode: 40-hex commit + the RELEASE-X.Y.Z tag it
                                          # describes from (`git describe --match 'RELEASE-*'`)
    track.describe                        # the full describe string, when a bump computed it
                                          # (not stored in the file; None after loading)
    track.version, track.url, track.sha256  # tarball mode
    track.release, track.pv               # "4.19.6" (XEN_REL), "4.19.6+stable" (both modes)
    track.series                          # "4.19" (from the branch name)
    [x.number for x in track.xsa]         # XSA queue, in SRC_URI order; x.patches, x.origin,
                                          # x.sources (file, url, sha256: where `xsa sync` got them)
    m.xen.preferred_track                 # the track the distro selects (PREFERRED_VERSION)
    m.xen.find("stable-4.20")             # the track, or None
    m.xsa_patch_path(track.xsa[0].patches[0])  # absolute path of a queued XSA patch

    # Validate an edited text before anything is written (bump/xsa flows):
    m2 = parse_manifest(text, co, exists=lambda p: p in staged or p.exists())

To edit the file (keeping comments and key order) use
:class:`oxt.manifest_edit.ManifestDocument`, the one editor: ``oxt bump xen``
and ``oxt xsa add`` write through it.

Every model object is a frozen dataclass. The schema (:mod:`oxt.manifest_schema`)
is explicit code over a small YAML-checking toolkit (:mod:`oxt.yamlcheck`), not
a schema library, so each error is a :class:`~oxt.problems.Problem` naming the
file, the YAML line, the key path (``xen.tracks[0].srcrev``) and what to do
about it. All problems found are reported at once.

Where the referenced files live (relative to the checkout):

======================================  =========================================================
Xen XSA queue                           ``meta-openxt/recipes-extended/xen/files/xsa/<file>``
Xen OpenXT queue                        ``meta-openxt/recipes-extended/xen/files/openxt/<file>``
meta-virtualization's own Xen patches   its ``recipes-extended/xen/files/<name>``
Linux patches and ``.cfg`` fragments    ``meta-openxt-bsp/recipes-kernel/linux/linux-openxt/<file>``
icbinn patches                          ``meta-openxt/recipes-support/icbinn/files/<file>``
======================================  =========================================================

:func:`iter_patch_files` lists every layer file a manifest refers to.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from oxt.errors import ConfigError
from oxt.problems import Problem
from oxt.repo import BSP_LAYER, DISTRO_LAYER, Checkout

MANIFEST_NAME = "manifest.yml"
SCHEMA_VERSION = 1

# Directories (relative to the checkout) that hold the rendered recipes and
# the files the manifest refers to: Xen and icbinn are the distro's software
# (meta-openxt), the kernel belongs to the machines (meta-openxt-bsp).
XEN_DIR = PurePosixPath(DISTRO_LAYER, "recipes-extended/xen")
XEN_XSA_DIR = XEN_DIR / "files" / "xsa"
XEN_OPENXT_DIR = XEN_DIR / "files" / "openxt"
LINUX_DIR = PurePosixPath(BSP_LAYER, "recipes-kernel/linux")
LINUX_FILES_DIR = LINUX_DIR / "linux-openxt"
ICBINN_DIR = PurePosixPath(DISTRO_LAYER, "recipes-support/icbinn")
ICBINN_FILES_DIR = ICBINN_DIR / "files"

# The VMs of the layout contract; the BSP layer's conf/machine/openxt-<vm>.conf
# files are the authority once they exist (see known_vms()).
DEFAULT_VMS = ("dom0", "ndvm", "uivm", "syncvm", "stubdomain")
ICBINN_RECIPES = ("libicbinn", "libicbinn-resolved", "python3-icbinn")
GIT = "git"
TARBALL = "tarball"
XEN_MODES = (GIT, TARBALL)


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Patch:
    """One entry of an ordered patch queue: a file and why we carry it."""

    file: str
    purpose: str


@dataclass(frozen=True)
class XsaSource:
    """Where one queued XSA patch file was downloaded from and its sha256 then
    (recorded by `oxt xsa sync`, checked against the signed advisory text)."""

    file: str
    url: str
    sha256: str


@dataclass(frozen=True)
class Xsa:
    """A queued Xen Security Advisory: its patch files, in apply order."""

    number: int
    patches: tuple[str, ...]
    origin: str
    sources: tuple[XsaSource, ...] = ()


@dataclass(frozen=True)
class UpstreamPatches:
    """meta-virtualization's own Xen build patches (by file name) we keep applying."""

    hypervisor: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()


@dataclass(frozen=True)
class XenTrack:
    """One upstream ``stable-X.Y`` branch, pinned to a commit (git) or a release tarball."""

    branch: str
    mode: str
    license_md5: str  # empty for a track a bump is about to add
    srcrev: str | None = None
    tag: str | None = None  # always the RELEASE-X.Y.Z tag itself, never a describe string
    version: str | None = None
    url: str | None = None
    sha256: str | None = None
    upstream_patches: UpstreamPatches = field(default_factory=UpstreamPatches)
    xsa: tuple[Xsa, ...] = ()
    patches: tuple[Patch, ...] = ()
    # `git describe` of srcrev (RELEASE-X.Y.Z-N-g<sha>) when a bump computed it; not in
    # the file, so it takes no part in comparing tracks
    describe: str | None = field(default=None, compare=False)

    @property
    def series(self) -> str:
        """``X.Y`` of the branch, e.g. ``4.19``; names the rendered recipe files."""
        return self.branch.removeprefix("stable-")

    @property
    def release(self) -> str:
        """The ``X.Y.Z`` release the pin is at or after (XEN_REL)."""
        if self.mode == "tarball":
            return str(self.version)
        return str(self.tag).removeprefix("RELEASE-")

    @property
    def release_tag(self) -> str:
        """``RELEASE-X.Y.Z`` in both modes (the ``# tag:`` comment of the recipes)."""
        return f"RELEASE-{self.release}"

    @property
    def pv(self) -> str:
        """The recipe PV: ``X.Y.Z+stable`` for git pins (meta-virtualization style), ``X.Y.Z`` for tarballs."""
        return f"{self.release}+stable" if self.mode == "git" else self.release


@dataclass(frozen=True)
class Xen:
    remote: str
    preferred: str
    tracks: tuple[XenTrack, ...]

    @property
    def branches(self) -> list[str]:
        return [t.branch for t in self.tracks]

    def find(self, branch: str) -> XenTrack | None:
        """The track following *branch*, or None."""
        return next((t for t in self.tracks if t.branch == branch), None)

    def track(self, branch: str) -> XenTrack:
        found = self.find(branch)
        if found is not None:
            return found
        known = ", ".join(self.branches) or "none"
        raise ConfigError(
            f"no Xen track {branch!r} in the manifest (tracks: {known}); "
            "add it with `oxt bump xen --new-track` or pick one of those"
        )

    @property
    def preferred_track(self) -> XenTrack:
        return self.track(self.preferred)


@dataclass(frozen=True)
class CompiledWith:
    """The newest toolchain that compiled the kernel (every VM's configuration, our patches applied)."""

    gcc: str  # X.Y
    binutils: str  # X.Y
    line: int | None = field(default=None, compare=False)  # of the key in the manifest


@dataclass(frozen=True)
class Linux:
    version: str
    url: str
    sha256: str
    license_md5: str
    defconfig: str
    patches: tuple[Patch, ...]
    fragments: dict[str, tuple[str, ...]]
    compiled_with: CompiledWith | None = None

    @property
    def series(self) -> str:
        return ".".join(self.version.split(".")[:2])


@dataclass(frozen=True)
class Icbinn:
    url: str
    branch: str
    srcrev: str
    license_md5: str
    patches: dict[str, tuple[Patch, ...]]


@dataclass(frozen=True)
class Manifest:
    path: Path
    root: Path  # the checkout: every path below is relative to it
    xen: Xen
    linux: Linux
    icbinn: Icbinn

    @property
    def xsa_dir(self) -> Path:
        """Where the XSA queue's patch files live."""
        return self.root / XEN_XSA_DIR

    def xsa_patch_path(self, file: str) -> Path:
        return self.xsa_dir / file

    def with_track(self, track: XenTrack) -> "Manifest":
        """This manifest with *track* in place of the track of the same branch (an edit not written)."""
        tracks = tuple(track if t.branch == track.branch else t for t in self.xen.tracks)
        return replace(self, xen=replace(self.xen, tracks=tracks))

    def xen_patch_path(self, file: str) -> Path:
        return self.root / XEN_OPENXT_DIR / file

    def linux_file_path(self, file: str) -> Path:
        return self.root / LINUX_FILES_DIR / file

    def icbinn_patch_path(self, file: str) -> Path:
        return self.root / ICBINN_FILES_DIR / file


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def manifest_path(checkout: Checkout) -> Path:
    return checkout.templates / MANIFEST_NAME


def known_vms(layer: Path) -> tuple[str, ...]:
    """VM names that may carry kernel fragments: the BSP layer's openxt-<vm> machines."""
    machines = sorted(p.stem.removeprefix("openxt-") for p in (layer / "conf" / "machine").glob("openxt-*.conf"))
    return tuple(machines) or DEFAULT_VMS


def load_manifest(where: Checkout | Path) -> Manifest:
    """Read and validate a checkout's manifest (*where*: the Checkout or the manifest file)."""
    if isinstance(where, Checkout):
        checkout, path = where, manifest_path(where)
    else:
        path = Path(where)
        checkout = Checkout(path.resolve().parent.parent)
    return parse_manifest(read_text(path, checkout), checkout, path=path)


def read_text(path: Path, checkout: Checkout) -> str:
    """The manifest file's text; ConfigError saying how to restore it when missing."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{display_path(path, checkout)}: no manifest here; it is the source of every rendered recipe -- "
            "restore it from git (git checkout -- recipes-templates/manifest.yml)"
        ) from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{display_path(path, checkout)}: not UTF-8 text ({err.reason}); save it as UTF-8") from None
    return text


def parse_manifest(
    text: str,
    checkout: Checkout,
    *,
    path: Path | None = None,
    exists: Callable[[Path], bool] | None = None,
) -> Manifest:
    """Validate manifest *text* as if it were the checkout's manifest.

    *exists* decides whether a referenced patch/fragment file is present (default:
    it is on disk); bump/xsa pass one that also sees files they are about to write.
    """
    path = path or manifest_path(checkout)
    shown = display_path(path, checkout)
    return validate(load_yaml(text, shown), checkout, path=path, exists=exists)


def validate(data: Any, checkout: Checkout, *, path: Path | None = None,
             exists: Callable[[Path], bool] | None = None) -> Manifest:
    """The Manifest of a loaded YAML document; ManifestError listing every problem."""
    from oxt.manifest_schema import ManifestChecker, manifest  # the schema needs the model above

    path = path or manifest_path(checkout)
    shown = display_path(path, checkout)
    checker = ManifestChecker(shown, checkout.root, exists or Path.is_file, known_vms(checkout.bsp_layer))
    result = manifest(checker, data, path)
    if checker.problems:
        raise ManifestError(shown, checker.problems)
    assert result is not None
    return result


class ManifestError(ConfigError):
    """The manifest breaks the schema: every problem, one line each."""

    def __init__(self, shown: str, problems: list[Problem]):
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = str(self.problems[0])
        else:
            message = "\n".join([f"{shown}: {len(self.problems)} problems:",
                                 *(f"  {p}" for p in self.problems)])
        super().__init__(message)


def load_yaml(text: str, shown: str, yaml: YAML | None = None) -> Any:
    """Round-trip load (keeps line numbers); YAML errors become ConfigError with file:line:col."""
    try:
        return (yaml or YAML(typ="rt")).load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark else shown
        problem = " ".join(str(err.problem or err.context or "syntax error").split())
        raise ConfigError(
            f"{where}: malformed YAML: {problem}; fix the syntax there "
            "(indentation, a missing ':' or closing bracket, an unquoted special character)"
        ) from None
    except YAMLError as err:
        raise ConfigError(f"{shown}: malformed YAML: {err}; fix the syntax") from None


def display_path(path: Path, checkout: Checkout) -> str:
    """*path* as messages show it: relative to the checkout when inside it."""
    try:
        return str(Path(path).resolve().relative_to(checkout.root.resolve()))
    except ValueError:
        return str(path)


def iter_patch_files(m: Manifest) -> Iterator[Path]:
    """Every layer file the manifest refers to (for tools that copy or prune them)."""
    for t in m.xen.tracks:
        for x in t.xsa:
            yield from (m.xsa_patch_path(f) for f in x.patches)
        yield from (m.xen_patch_path(p.file) for p in t.patches)
    yield from (m.linux_file_path(p.file) for p in m.linux.patches)
    for files in m.linux.fragments.values():
        yield from (m.linux_file_path(f) for f in files)
    for queue in m.icbinn.patches.values():
        yield from (m.icbinn_patch_path(p.file) for p in queue)
