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
    track.version, track.url, track.sha256  # tarball mode
    track.release, track.pv               # "4.19.6" (XEN_REL), "4.19.6+stable" (both modes)
    track.series                          # "4.19" (from the branch name)
    [x.number for x in track.xsa]         # XSA queue, in SRC_URI order; x.patches, x.origin,
                                          # x.sources (file, url, sha256: where `xsa sync` got them)
    m.xen.preferred_track                 # the track the distro selects (PREFERRED_VERSION)
    m.xsa_patch_path(track.xsa[0].patches[0])  # absolute path of a queued XSA patch

    # Validate an edited text before anything is written (bump/xsa flows):
    m2 = parse_manifest(text, co, exists=lambda p: p in staged or p.exists())

To edit the file (keeping comments and key order) use
:class:`oxt.manifest_edit.ManifestDocument`.

Every model object is a frozen dataclass; the validation is explicit code, not
a schema library, so each error names the file, the YAML line, the key path
(``xen.tracks[0].srcrev``) and what to do about it. All problems found are
reported at once.

Where the referenced files live (relative to the layer ``meta-openxt/``):

======================================  ============================================
Xen XSA queue                           ``recipes-extended/xen/files/xsa/<file>``
Xen OpenXT queue                        ``recipes-extended/xen/files/openxt/<file>``
meta-virtualization's own Xen patches   its ``recipes-extended/xen/files/<name>``
Linux patches and ``.cfg`` fragments    ``recipes-kernel/linux/linux-openxt/<file>``
icbinn patches                          ``recipes-support/icbinn/files/<file>``
======================================  ============================================

:func:`iter_patch_files` lists every layer file a manifest refers to.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from oxt.errors import ConfigError
from oxt.repo import Checkout

MANIFEST_NAME = "manifest.yml"
SCHEMA_VERSION = 1

# Directories (relative to the layer) that hold files the manifest refers to.
XEN_DIR = PurePosixPath("recipes-extended/xen")
XEN_XSA_DIR = XEN_DIR / "files" / "xsa"
XEN_OPENXT_DIR = XEN_DIR / "files" / "openxt"
LINUX_DIR = PurePosixPath("recipes-kernel/linux")
LINUX_FILES_DIR = LINUX_DIR / "linux-openxt"
ICBINN_DIR = PurePosixPath("recipes-support/icbinn")
ICBINN_FILES_DIR = ICBINN_DIR / "files"

# The VMs of the layout contract; the layer's conf/machine/openxt-<vm>.conf
# files are the authority once they exist (see known_vms()).
DEFAULT_VMS = ("dom0", "ndvm", "uivm", "syncvm", "stubdomain")
ICBINN_RECIPES = ("libicbinn", "libicbinn-resolved", "python3-icbinn")
XEN_MODES = ("git", "tarball")

_HEX40 = re.compile(r"[0-9a-f]{40}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_BRANCH = re.compile(r"stable-(\d+)\.(\d+)")
_TAG = re.compile(r"RELEASE-(\d+)\.(\d+)\.(\d+)")
_RELEASE = re.compile(r"(\d+)\.(\d+)\.(\d+)")
_UPSTREAM_PATCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*\.(?:patch|diff)")
_FRAGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*\.cfg")
_URL = re.compile(r"(https?|git)://[^\s;\"']+")
_SOURCE_URL = re.compile(r"(https?|file)://[^\s;\"']+")
_DEFCONFIG = re.compile(r"[A-Za-z0-9_.-]+_defconfig")


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
    license_md5: str
    srcrev: str | None = None
    tag: str | None = None
    version: str | None = None
    url: str | None = None
    sha256: str | None = None
    upstream_patches: UpstreamPatches = field(default_factory=UpstreamPatches)
    xsa: tuple[Xsa, ...] = ()
    patches: tuple[Patch, ...] = ()

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

    def track(self, branch: str) -> XenTrack:
        for t in self.tracks:
            if t.branch == branch:
                return t
        known = ", ".join(t.branch for t in self.tracks) or "none"
        raise ConfigError(
            f"no Xen track {branch!r} in the manifest (tracks: {known}); "
            "add it with `oxt bump xen --new-track` or pick one of those"
        )

    @property
    def preferred_track(self) -> XenTrack:
        return self.track(self.preferred)


@dataclass(frozen=True)
class Linux:
    version: str
    url: str
    sha256: str
    license_md5: str
    defconfig: str
    patches: tuple[Patch, ...]
    fragments: dict[str, tuple[str, ...]]

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
    layer: Path
    xen: Xen
    linux: Linux
    icbinn: Icbinn

    def xsa_patch_path(self, file: str) -> Path:
        return self.layer / XEN_XSA_DIR / file

    def xen_patch_path(self, file: str) -> Path:
        return self.layer / XEN_OPENXT_DIR / file

    def linux_file_path(self, file: str) -> Path:
        return self.layer / LINUX_FILES_DIR / file

    def icbinn_patch_path(self, file: str) -> Path:
        return self.layer / ICBINN_FILES_DIR / file


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def manifest_path(checkout: Checkout) -> Path:
    return checkout.templates / MANIFEST_NAME


def known_vms(layer: Path) -> tuple[str, ...]:
    """VM names that may carry kernel fragments: the layer's openxt-<vm> machines."""
    machines = sorted(p.stem.removeprefix("openxt-") for p in (layer / "conf" / "machine").glob("openxt-*.conf"))
    return tuple(machines) or DEFAULT_VMS


def load_manifest(where: Checkout | Path) -> Manifest:
    """Read and validate a checkout's manifest (*where*: the Checkout or the manifest file)."""
    if isinstance(where, Checkout):
        checkout, path = where, manifest_path(where)
    else:
        path = Path(where)
        checkout = Checkout(path.resolve().parent.parent)
    if path != manifest_path(checkout):
        return parse_manifest(_read(path, checkout), checkout, path=path)
    return parse_manifest(_read(path, checkout), checkout)


def _read(path: Path, checkout: Checkout) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{_display(path, checkout)}: no manifest here; it is the source of every rendered recipe -- "
            "restore it from git (git checkout -- recipes-templates/manifest.yml)"
        ) from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{_display(path, checkout)}: not UTF-8 text ({err.reason}); save it as UTF-8") from None
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
    shown = _display(path, checkout)
    data = load_yaml(text, shown)
    v = _Validator(shown, checkout.layer, exists or Path.is_file, known_vms(checkout.layer))
    result = v.manifest(data, path)
    if v.errors:
        raise ConfigError(_format_errors(shown, v.errors))
    assert result is not None
    return result


def load_yaml(text: str, shown: str) -> Any:
    """Round-trip load (keeps line numbers); YAML errors become ConfigError with file:line:col."""
    yaml = YAML(typ="rt")
    try:
        return yaml.load(text)
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


def _display(path: Path, checkout: Checkout) -> str:
    try:
        return str(Path(path).resolve().relative_to(checkout.root.resolve()))
    except ValueError:
        return str(path)


def _format_errors(shown: str, errors: list[tuple[int | None, str]]) -> str:
    if len(errors) == 1:
        line, msg = errors[0]
        return f"{shown}{f':{line}' if line else ''}: {msg}"
    lines = [f"{shown}: {len(errors)} problems:"]
    lines += [f"  {shown}{f':{line}' if line else ''}: {msg}" for line, msg in errors]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _At:
    """Where a value sits: its key path and (1-based) YAML line."""

    path: str
    line: int | None

    def key(self, node: Any, key: str) -> "_At":
        return _At(f"{self.path}.{key}" if self.path else key, _line_of_key(node, key) or self.line)

    def item(self, node: Any, index: int) -> "_At":
        line = None
        try:
            line = node.lc.item(index)[0] + 1
        except (AttributeError, KeyError, IndexError, TypeError):
            pass
        return _At(f"{self.path}[{index}]", line or self.line)


def _line_of_key(node: Any, key: str) -> int | None:
    try:
        return node.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError):
        return None


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


class _Validator:
    def __init__(self, shown: str, layer: Path, exists: Callable[[Path], bool], vms: tuple[str, ...]):
        self.shown = shown
        self.layer = layer
        self.exists = exists
        self.vms = vms
        self.errors: list[tuple[int | None, str]] = []

    def error(self, at: _At, msg: str) -> None:
        self.errors.append((at.line, f"{at.path}: {msg}" if at.path else msg))

    # -- generic checks -----------------------------------------------------

    def mapping(self, node: Any, at: _At, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> bool:
        if not isinstance(node, dict):
            self.error(at, f"expected a mapping with keys {', '.join(required + optional)}, got {_type_name(node)}")
            return False
        allowed = required + optional
        for key in node:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
                self.error(at.key(node, str(key)), f"unknown key {str(key)!r}; {hint} (remove or rename it)")
        for key in required:
            if key not in node:
                self.error(at, f"missing key {key!r}; add it (see the comments in the shipped manifest)")
        return True

    def string(self, node: dict, key: str, at: _At, pattern: re.Pattern | None = None, what: str = "",
               fix: str = "") -> str | None:
        if key not in node:
            return None
        value, here = node[key], at.key(node, key)
        if not isinstance(value, str) or isinstance(value, bool):
            self.error(here, f"expected a string, got {_type_name(value)}; quote it")
            return None
        value = str(value)
        if not value.strip():
            self.error(here, f"must not be empty; {fix or 'fill it in'}")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.error(here, f"{value!r} is not {what}; {fix}")
            return None
        return value

    def seq(self, node: dict, key: str, at: _At) -> list | None:
        if key not in node:
            return []
        value = node[key]
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(at.key(node, key), f"expected a list, got {_type_name(value)}; write [] for none")
            return None
        return value

    def srcrev(self, node: dict, key: str, at: _At) -> str | None:
        raw = node.get(key)
        if isinstance(raw, str) and "AUTOREV" in raw:
            self.error(at.key(node, key),
                       "AUTOREV is not allowed: builds must be reproducible; pin the full 40-hex commit "
                       "(git rev-parse <branch>)")
            return None
        return self.string(node, key, at, _HEX40, "a full 40-hex commit id",
                           "pin the full lowercase commit (git rev-parse <ref>), never a short id, tag or AUTOREV")

    def rel_file(self, value: Any, at: _At, base: PurePosixPath, what: str) -> str | None:
        """A path relative to a layer directory: must stay inside it and exist."""
        if not isinstance(value, str) or not value.strip():
            self.error(at, f"expected a {what} file name (string), got {_type_name(value)}")
            return None
        value = str(value)
        p = PurePosixPath(value)
        if p.is_absolute() or "\\" in value or any(part in ("..", "") for part in value.split("/")) or value.startswith("./"):
            self.error(at, f"{value!r} must be a plain path inside meta-openxt/{base}/ (no '..', no absolute "
                           f"path); put the file there and name it relative to that directory")
            return None
        target = self.layer / base / value
        if not self.exists(target):
            self.error(at, f"{what} file {value!r} not found at meta-openxt/{base}/{value}; add the file "
                           "there (git add it) or remove the entry")
            return None
        return value

    def patch_queue(self, node: Any, at: _At, base: PurePosixPath) -> tuple[Patch, ...]:
        if node is None:
            return ()
        if not isinstance(node, list):
            self.error(at, f"expected a list of {{file, purpose}} entries, got {_type_name(node)}; write [] for none")
            return ()
        out, seen = [], set()
        for i, item in enumerate(node):
            here = at.item(node, i)
            if not self.mapping(item, here, ("file", "purpose")):
                continue
            file = self.rel_file(item.get("file"), here.key(item, "file"), base, "patch") if "file" in item else None
            purpose = self.string(item, "purpose", here, fix="say in one line why we carry this patch")
            if purpose is not None and "\n" in purpose.strip():
                self.error(here.key(item, "purpose"), "must be one line; shorten it (details belong in the patch header)")
            if file and file in seen:
                self.error(here.key(item, "file"), f"{file!r} is queued twice; remove the duplicate")
            if file and purpose:
                seen.add(file)
                out.append(Patch(file, purpose.strip()))
        return tuple(out)

    # -- sections -----------------------------------------------------------

    def manifest(self, data: Any, path: Path) -> Manifest | None:
        top = _At("", 1)
        if data is None or (isinstance(data, (dict, list, str)) and not data):
            self.error(top, "the manifest is empty; it must define version, xen, linux and icbinn "
                            "(restore it from git: git checkout -- recipes-templates/manifest.yml)")
            return None
        if not self.mapping(data, top, ("version", "xen", "linux", "icbinn")):
            return None
        if "version" in data:
            ver = data["version"]
            if isinstance(ver, bool) or ver != SCHEMA_VERSION:
                self.error(top.key(data, "version"),
                           f"unsupported manifest version {ver!r}; this oxt reads version {SCHEMA_VERSION}")
        xen = self.xen(data.get("xen"), top.key(data, "xen")) if "xen" in data else None
        linux = self.linux(data.get("linux"), top.key(data, "linux")) if "linux" in data else None
        icbinn = self.icbinn(data.get("icbinn"), top.key(data, "icbinn")) if "icbinn" in data else None
        if self.errors or not (xen and linux and icbinn):
            return None
        return Manifest(Path(path), self.layer, xen, linux, icbinn)

    def xen(self, node: Any, at: _At) -> Xen | None:
        if not self.mapping(node, at, ("remote", "preferred", "tracks")):
            return None
        remote = self.string(node, "remote", at, _URL, "a git URL",
                             "use the upstream clone URL, e.g. https://xenbits.xen.org/git-http/xen.git")
        preferred = self.string(node, "preferred", at, _BRANCH, "a stable-X.Y branch name",
                                "name one of the tracks, e.g. stable-4.19")
        raw_tracks = self.seq(node, "tracks", at)
        tracks: list[XenTrack] = []
        seen: dict[str, int] = {}
        if raw_tracks is not None and not raw_tracks and "tracks" in node:
            self.error(at.key(node, "tracks"), "no Xen track; add at least one (e.g. stable-4.19)")
        for i, item in enumerate(raw_tracks or []):
            here = at.key(node, "tracks").item(raw_tracks, i)
            track = self.xen_track(item, here)
            if track is None:
                continue
            if track.branch in seen:
                self.error(here.key(item, "branch"),
                           f"duplicate track {track.branch!r} (also tracks[{seen[track.branch]}]); "
                           "keep one entry per branch")
                continue
            seen[track.branch] = i
            tracks.append(track)
        if preferred and raw_tracks and preferred not in seen and len(tracks) == len(raw_tracks):
            self.error(at.key(node, "preferred"),
                       f"preferred track {preferred!r} is not one of the tracks ({', '.join(seen) or 'none'}); "
                       "name an existing track or add it")
        if remote is None or preferred is None:
            return None
        return Xen(remote, preferred, tuple(tracks))

    def xen_track(self, node: Any, at: _At) -> XenTrack | None:
        if not isinstance(node, dict):
            self.error(at, f"expected a track mapping, got {_type_name(node)}")
            return None
        mode = node.get("mode")
        if mode not in XEN_MODES:
            self.mapping(node, at, ("branch", "mode", "license_md5"),
                         ("srcrev", "tag", "version", "url", "sha256", "upstream_patches", "xsa", "patches"))
            if "mode" in node:
                self.error(at.key(node, "mode"), f"unknown mode {mode!r}; use 'git' (pinned commit) or "
                                                  "'tarball' (release tarball)")
            return None
        specific = ("srcrev", "tag") if mode == "git" else ("version", "url", "sha256")
        common = ("branch", "mode", "license_md5")
        if not self.mapping(node, at, common + specific, ("upstream_patches", "xsa", "patches")):
            return None
        errors_before = len(self.errors)
        branch = self.string(node, "branch", at, _BRANCH, "an upstream stable-X.Y branch",
                             "track a stable branch, e.g. stable-4.19")
        license_md5 = self.string(node, "license_md5", at, _HEX32, "an md5sum (32 hex digits)",
                                  "put the md5sum of COPYING at the pinned version (md5sum COPYING)")
        series = branch.removeprefix("stable-") if branch else None
        srcrev = tag = version = url = sha256 = None
        if mode == "git":
            srcrev = self.srcrev(node, "srcrev", at)
            tag = self.string(node, "tag", at, _TAG, "a RELEASE-X.Y.Z tag",
                              "put the tag the pin describes from: git describe --match 'RELEASE-*' <srcrev>, "
                              "without the -N-g<sha> suffix (e.g. RELEASE-4.19.6)")
            if tag and series and not tag.startswith(f"RELEASE-{series}."):
                self.error(at.key(node, "tag"), f"{tag!r} is not a release of {branch}; "
                                                 f"pin a commit of {branch} and name its RELEASE-{series}.N tag")
        else:
            version = self.string(node, "version", at, _RELEASE, "an X.Y.Z release version",
                                  "use the release number, e.g. 4.19.6")
            if version and series and not version.startswith(series + "."):
                self.error(at.key(node, "version"), f"{version!r} is not a release of {branch}; "
                                                     f"use a {series}.N version or fix the branch")
            url = self.string(node, "url", at, _URL, "an http(s) URL", "give the release tarball URL")
            if url and version and version not in url:
                self.error(at.key(node, "url"), f"{url!r} does not mention version {version}; "
                                                 "point it at that release's tarball")
            sha256 = self.string(node, "sha256", at, _HEX64, "a sha256 (64 lowercase hex digits)",
                                 "put the tarball's sha256sum (bitbake checks every download)")
        upstream = self.upstream_patches(node.get("upstream_patches"), at.key(node, "upstream_patches"))
        xsa = self.xsa_queue(node.get("xsa"), at.key(node, "xsa"))
        patches = self.patch_queue(node.get("patches"), at.key(node, "patches"), XEN_OPENXT_DIR)
        if len(self.errors) != errors_before or not (branch and license_md5):
            return None
        return XenTrack(branch, mode, license_md5, srcrev, tag, version, url, sha256, upstream, xsa, patches)

    def upstream_patches(self, node: Any, at: _At) -> UpstreamPatches:
        if node is None:
            return UpstreamPatches()
        if not self.mapping(node, at, (), ("hypervisor", "tools")):
            return UpstreamPatches()
        lists = {}
        for key in ("hypervisor", "tools"):
            names = self.seq(node, key, at) or []
            ok = []
            for i, name in enumerate(names):
                here = at.key(node, key).item(names, i)
                if not isinstance(name, str) or not _UPSTREAM_PATCH.fullmatch(str(name)):
                    self.error(here, f"{name!r} is not a patch file name of meta-virtualization's "
                                     "recipes-extended/xen/files/ (a plain *.patch name, no directory)")
                else:
                    ok.append(str(name))
            lists[key] = tuple(ok)
        return UpstreamPatches(**lists)

    def xsa_queue(self, node: Any, at: _At) -> tuple[Xsa, ...]:
        if node is None:
            return ()
        if not isinstance(node, list):
            self.error(at, f"expected a list of XSA entries, got {_type_name(node)}; write [] for none")
            return ()
        out, seen = [], {}
        for i, item in enumerate(node):
            here = at.item(node, i)
            if not self.mapping(item, here, ("number", "patches", "origin"), ("sources",)):
                continue
            number = item.get("number")
            if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
                if "number" in item:
                    self.error(here.key(item, "number"), f"expected the XSA number (a positive integer, e.g. 469), "
                                                         f"got {_type_name(number)}")
                number = None
            elif number in seen:
                self.error(here.key(item, "number"), f"XSA-{number} is queued twice (also [{seen[number]}]); "
                                                     "merge the entries")
            origin = self.string(item, "origin", here, _URL, "a URL",
                                 "say where the patches come from, e.g. https://xenbits.xen.org/xsa/advisory-469.html")
            files = self.seq(item, "patches", here)
            good = []
            if files is not None and not files and "patches" in item:
                self.error(here.key(item, "patches"), "an XSA entry needs at least one patch file")
            for j, f in enumerate(files or []):
                ok = self.rel_file(f, here.key(item, "patches").item(files, j), XEN_XSA_DIR, "XSA patch")
                if ok:
                    good.append(ok)
            sources = self.xsa_sources(item, here, good)
            if number is not None and origin and files and len(good) == len(files) and sources is not None:
                seen[number] = i
                out.append(Xsa(number, tuple(good), origin, sources))
        return tuple(out)

    def xsa_sources(self, item: dict, at: _At, files: list[str]) -> tuple[XsaSource, ...] | None:
        """Optional provenance of an XSA entry's files: one {file, url, sha256} per patch file."""
        raw = self.seq(item, "sources", at)
        if raw is None:
            return None
        out, here = [], at.key(item, "sources")
        for j, src in enumerate(raw):
            there = here.item(raw, j)
            if not self.mapping(src, there, ("file", "url", "sha256")):
                return None
            file = self.string(src, "file", there, fix="name one of the entry's patch files")
            url = self.string(src, "url", there, _SOURCE_URL, "a URL", "give where the file was downloaded from")
            sha = self.string(src, "sha256", there, _HEX64, "a sha256 (64 lowercase hex digits)",
                              "put the sha256 of the downloaded file (sha256sum)")
            if file is not None and file not in files:
                self.error(there.key(src, "file"), f"{file!r} is not one of this entry's patches; "
                                                   "fix the name or remove the source")
                return None
            if not (file and url and sha):
                return None
            out.append(XsaSource(file, url, sha))
        return tuple(out)

    def linux(self, node: Any, at: _At) -> Linux | None:
        keys = ("version", "url", "sha256", "license_md5", "defconfig", "fragments")
        if not self.mapping(node, at, keys, ("patches",)):
            return None
        before = len(self.errors)
        version = self.string(node, "version", at, _RELEASE, "an X.Y.Z kernel version",
                              "use the full stable version, e.g. 4.9.337")
        url = self.string(node, "url", at, _URL, "an http(s) URL",
                          "give the kernel.org tarball URL, e.g. https://cdn.kernel.org/pub/linux/kernel/v4.x/linux-4.9.337.tar.xz")
        if url and version and f"linux-{version}.tar" not in url:
            self.error(at.key(node, "url"), f"{url!r} is not the linux-{version} tarball; update it with the version")
        sha256 = self.string(node, "sha256", at, _HEX64, "a sha256 (64 lowercase hex digits)",
                             "copy it from kernel.org's sha256sums.asc for this tarball")
        license_md5 = self.string(node, "license_md5", at, _HEX32, "an md5sum (32 hex digits)",
                                  "put the md5sum of the kernel's COPYING")
        defconfig = self.string(node, "defconfig", at, _DEFCONFIG, "an in-tree *_defconfig name",
                                "name the base config in arch/x86/configs, e.g. x86_64_defconfig")
        patches = self.patch_queue(node.get("patches"), at.key(node, "patches"), LINUX_FILES_DIR)
        fragments = self.fragments(node.get("fragments"), at.key(node, "fragments")) if "fragments" in node else {}
        if len(self.errors) != before or not all((version, url, sha256, license_md5, defconfig)):
            return None
        return Linux(version, url, sha256, license_md5, defconfig, patches, fragments)  # type: ignore[arg-type]

    def fragments(self, node: Any, at: _At) -> dict[str, tuple[str, ...]]:
        scopes = ("common",) + self.vms
        if not isinstance(node, dict):
            self.error(at, f"expected a mapping of common/<vm> to .cfg lists, got {_type_name(node)}")
            return {}
        out: dict[str, tuple[str, ...]] = {}
        for scope in node:
            here = at.key(node, str(scope))
            if scope not in scopes:
                self.error(here, f"unknown VM {str(scope)!r}; fragments go under 'common' or one of the VMs "
                                 f"({', '.join(self.vms)}) -- add the machine openxt-{scope} first or fix the name")
                continue
            files = self.seq(node, scope, at)
            good = []
            for i, f in enumerate(files or []):
                there = here.item(files, i)
                if isinstance(f, str) and not _FRAGMENT.fullmatch(str(f)):
                    self.error(there, f"{f!r} is not a kernel config fragment name (a plain *.cfg file)")
                    continue
                ok = self.rel_file(f, there, LINUX_FILES_DIR, "kernel config fragment")
                if ok:
                    good.append(ok)
            out[str(scope)] = tuple(good)
        return out

    def icbinn(self, node: Any, at: _At) -> Icbinn | None:
        if not self.mapping(node, at, ("url", "branch", "srcrev", "license_md5"), ("patches",)):
            return None
        before = len(self.errors)
        url = self.string(node, "url", at, _URL, "a git URL", "use https://github.com/OpenXT/icbinn.git")
        branch = self.string(node, "branch", at, re.compile(r"[A-Za-z0-9._/-]+"), "a branch name", "e.g. master")
        srcrev = self.srcrev(node, "srcrev", at)
        license_md5 = self.string(node, "license_md5", at, _HEX32, "an md5sum (32 hex digits)",
                                  "put the md5sum of icbinn's COPYING")
        patches: dict[str, tuple[Patch, ...]] = {r: () for r in ICBINN_RECIPES}
        raw = node.get("patches")
        pat_at = at.key(node, "patches")
        if raw is not None and self.mapping(raw, pat_at, (), ICBINN_RECIPES):
            for recipe in ICBINN_RECIPES:
                if recipe in raw:
                    patches[recipe] = self.patch_queue(raw[recipe], pat_at.key(raw, recipe), ICBINN_FILES_DIR)
        if len(self.errors) != before or not all((url, branch, srcrev, license_md5)):
            return None
        return Icbinn(url, branch, srcrev, license_md5, patches)  # type: ignore[arg-type]


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
