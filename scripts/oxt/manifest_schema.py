"""The manifest's schema: every section checked key by key into the model.

Each function takes the :class:`ManifestChecker`, the YAML node of its section
and where it sits, records a Problem for every mistake and returns the model
object (None when the section has problems). :func:`oxt.manifest.validate` runs
:func:`manifest` and raises all problems at once.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from oxt.manifest import (
    ICBINN_FILES_DIR,
    ICBINN_RECIPES,
    LINUX_FILES_DIR,
    SCHEMA_VERSION,
    XEN_MODES,
    XEN_OPENXT_DIR,
    XEN_XSA_DIR,
    GIT,
    CompiledWith,
    Icbinn,
    Linux,
    Manifest,
    Patch,
    UpstreamPatches,
    Xen,
    XenTrack,
    Xsa,
    XsaSource,
)
from oxt.patterns import FULL_COMMIT, RELEASE_TAG, RELEASE_VERSION, STABLE_BRANCH
from oxt.problems import Problem
from oxt.yamlcheck import At, YamlChecker, type_name

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_UPSTREAM_PATCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*\.(?:patch|diff)")
_FRAGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*\.cfg")
_URL = re.compile(r"(https?|git)://[^\s;\"']+")
_SOURCE_URL = re.compile(r"(https?|file)://[^\s;\"']+")
_DEFCONFIG = re.compile(r"[A-Za-z0-9_.-]+_defconfig")
_BRANCH_NAME = re.compile(r"[A-Za-z0-9._/-]+")
_MD5 = "an md5sum (32 hex digits)"
_TOOL_VERSION = re.compile(r"\d+\.\d+")


class ManifestChecker(YamlChecker):
    """The toolkit plus what manifest values share: pinned commits, layer files, patch queues."""

    def __init__(self, shown: str, root: Path, exists: Callable[[Path], bool], vms: tuple[str, ...]):
        super().__init__(shown)
        self.root = root  # the checkout; the file directories are relative to it
        self.exists = exists
        self.vms = vms

    def srcrev(self, node: dict, key: str, at: At) -> str | None:
        raw = node.get(key)
        if isinstance(raw, str) and "AUTOREV" in raw:
            self.error(at.key(node, key), "AUTOREV is not allowed: builds must be reproducible",
                       "pin the full 40-hex commit (git rev-parse <branch>)")
            return None
        return self.string(node, key, at, FULL_COMMIT, "a full 40-hex commit id",
                           "pin the full lowercase commit (git rev-parse <ref>), never a short id, tag or AUTOREV")

    def rel_file(self, value: Any, at: At, base: PurePosixPath, what: str) -> str | None:
        """A path relative to a layer's file directory *base*: must stay inside it and exist."""
        if not isinstance(value, str) or not value.strip():
            self.error(at, f"expected a {what} file name (string), got {type_name(value)}")
            return None
        value = str(value)
        p = PurePosixPath(value)
        if p.is_absolute() or "\\" in value or any(part in ("..", "") for part in value.split("/")) or value.startswith("./"):
            self.error(at, f"{value!r} must be a plain path inside {base}/ (no '..', no absolute path)",
                       "put the file there and name it relative to that directory")
            return None
        if not self.exists(self.root / base / value):
            self.error(at, f"{what} file {value!r} not found at {base}/{value}",
                       "add the file there (git add it) or remove the entry")
            return None
        return value

    def patch_queue(self, node: Any, at: At, base: PurePosixPath) -> tuple[Patch, ...]:
        if node is None:
            return ()
        if not isinstance(node, list):
            self.error(at, f"expected a list of {{file, purpose}} entries, got {type_name(node)}", "write [] for none")
            return ()
        out, seen = [], set()
        for i, item in enumerate(node):
            here = at.item(node, i)
            if not self.mapping(item, here, ("file", "purpose")):
                continue
            file = self.rel_file(item.get("file"), here.key(item, "file"), base, "patch") if "file" in item else None
            purpose = self.string(item, "purpose", here, fix="say in one line why we carry this patch")
            if purpose is not None and "\n" in purpose.strip():
                self.error(here.key(item, "purpose"), "must be one line",
                           "shorten it (details belong in the patch header)")
            if file and file in seen:
                self.error(here.key(item, "file"), f"{file!r} is queued twice", "remove the duplicate")
            if file and purpose:
                seen.add(file)
                out.append(Patch(file, purpose.strip()))
        return tuple(out)

    def file_list(self, files: list, at: At, base: PurePosixPath, what: str) -> list[str]:
        """The entries of *files* that name existing layer files under *base*."""
        good = []
        for i, f in enumerate(files):
            ok = self.rel_file(f, at.item(files, i), base, what)
            if ok:
                good.append(ok)
        return good


def manifest(c: ManifestChecker, data: Any, path: Path) -> Manifest | None:
    top = At("", 1)
    if data is None or (isinstance(data, (dict, list, str)) and not data):
        c.error(top, "the manifest is empty; it must define version, xen, linux and icbinn "
                     "(restore it from git: git checkout -- recipes-templates/manifest.yml)")
        return None
    if not c.mapping(data, top, ("version", "xen", "linux", "icbinn")):
        return None
    if "version" in data:
        ver = data["version"]
        if isinstance(ver, bool) or ver != SCHEMA_VERSION:
            c.error(top.key(data, "version"), f"unsupported manifest version {ver!r}",
                    f"this oxt reads version {SCHEMA_VERSION}")
    sections = {"xen": xen, "linux": linux, "icbinn": icbinn}
    found = {key: check(c, data[key], top.key(data, key)) if key in data else None
             for key, check in sections.items()}
    if c.problems or not all(found.values()):
        return None
    unreferenced_xsa_files(c, found["xen"])
    if c.problems:
        return None
    return Manifest(Path(path), c.root, found["xen"], found["linux"], found["icbinn"])


def unreferenced_xsa_files(c: ManifestChecker, xen_: Xen) -> None:
    """Every file in the XSA directory belongs to a queued XSA: a stray one is a leftover
    (a file copied by hand, an entry edited out) that no recipe applies."""
    root = c.root / XEN_XSA_DIR
    if not root.is_dir():
        return
    queued = {f for t in xen_.tracks for x in t.xsa for f in x.patches}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = path.relative_to(root).as_posix()
        if rel not in queued and c.exists(path):
            shown = f"{XEN_XSA_DIR}/{rel}"
            c.problems.append(Problem(shown, "not in any track's XSA queue (no recipe applies it)",
                                      "queue it for its track (oxt xsa add N FILE) or delete it (git rm)"))


def xen(c: ManifestChecker, node: Any, at: At) -> Xen | None:
    if not c.mapping(node, at, ("remote", "preferred", "tracks")):
        return None
    remote = c.string(node, "remote", at, _URL, "a git URL",
                      "use the upstream clone URL, e.g. https://xenbits.xen.org/git-http/xen.git")
    preferred = c.string(node, "preferred", at, STABLE_BRANCH, "a stable-X.Y branch name",
                         "name one of the tracks, e.g. stable-4.19")
    raw_tracks = c.seq(node, "tracks", at)
    if raw_tracks is not None and not raw_tracks and "tracks" in node:
        c.error(at.key(node, "tracks"), "no Xen track", "add at least one (e.g. stable-4.19)")
    tracks: list[XenTrack] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw_tracks or []):
        here = at.key(node, "tracks").item(raw_tracks, i)
        track = xen_track(c, item, here)
        if track is None:
            continue
        if track.branch in seen:
            c.error(here.key(item, "branch"), f"duplicate track {track.branch!r} (also tracks[{seen[track.branch]}])",
                    "keep one entry per branch")
            continue
        seen[track.branch] = i
        tracks.append(track)
    if preferred and raw_tracks and preferred not in seen and len(tracks) == len(raw_tracks):
        c.error(at.key(node, "preferred"),
                f"preferred track {preferred!r} is not one of the tracks ({', '.join(seen) or 'none'})",
                "name an existing track or add it")
    if remote is None or preferred is None:
        return None
    return Xen(remote, preferred, tuple(tracks))


def xen_track(c: ManifestChecker, node: Any, at: At) -> XenTrack | None:
    if not isinstance(node, dict):
        c.error(at, f"expected a track mapping, got {type_name(node)}")
        return None
    mode = node.get("mode")
    common, queues = ("branch", "mode", "license_md5"), ("upstream_patches", "xsa", "patches")
    if mode not in XEN_MODES:
        c.mapping(node, at, common, ("srcrev", "tag", "version", "url", "sha256", *queues))
        if "mode" in node:
            c.error(at.key(node, "mode"), f"unknown mode {mode!r}",
                    "use 'git' (pinned commit) or 'tarball' (release tarball)")
        return None
    specific = ("srcrev", "tag") if mode == GIT else ("version", "url", "sha256")
    if not c.mapping(node, at, common + specific, queues):
        return None
    before = len(c.problems)
    branch = c.string(node, "branch", at, STABLE_BRANCH, "an upstream stable-X.Y branch",
                      "track a stable branch, e.g. stable-4.19")
    license_md5 = c.string(node, "license_md5", at, _HEX32, _MD5,
                           "put the md5sum of COPYING at the pinned version (md5sum COPYING)")
    series = branch.removeprefix("stable-") if branch else None
    pin = _git_pin(c, node, at, branch, series) if mode == GIT else _tarball_pin(c, node, at, branch, series)
    upstream = upstream_patches(c, node.get("upstream_patches"), at.key(node, "upstream_patches"))
    xsa = xsa_queue(c, node.get("xsa"), at.key(node, "xsa"))
    patches = c.patch_queue(node.get("patches"), at.key(node, "patches"), XEN_OPENXT_DIR)
    if len(c.problems) != before or not (branch and license_md5):
        return None
    return XenTrack(branch, mode, license_md5, **pin, upstream_patches=upstream, xsa=xsa, patches=patches)


def _git_pin(c: ManifestChecker, node: dict, at: At, branch: str | None, series: str | None) -> dict:
    srcrev = c.srcrev(node, "srcrev", at)
    tag = c.string(node, "tag", at, RELEASE_TAG, "a RELEASE-X.Y.Z tag",
                   "put the tag the pin describes from: git describe --match 'RELEASE-*' <srcrev>, "
                   "without the -N-g<sha> suffix (e.g. RELEASE-4.19.6)")
    if tag and series and not tag.startswith(f"RELEASE-{series}."):
        c.error(at.key(node, "tag"), f"{tag!r} is not a release of {branch}",
                f"pin a commit of {branch} and name its RELEASE-{series}.N tag")
    return {"srcrev": srcrev, "tag": tag}


def _tarball_pin(c: ManifestChecker, node: dict, at: At, branch: str | None, series: str | None) -> dict:
    version = c.string(node, "version", at, RELEASE_VERSION, "an X.Y.Z release version",
                       "use the release number, e.g. 4.19.6")
    if version and series and not version.startswith(series + "."):
        c.error(at.key(node, "version"), f"{version!r} is not a release of {branch}",
                f"use a {series}.N version or fix the branch")
    url = c.string(node, "url", at, _URL, "an http(s) URL", "give the release tarball URL")
    if url and version and version not in url:
        c.error(at.key(node, "url"), f"{url!r} does not mention version {version}",
                "point it at that release's tarball")
    sha256 = c.string(node, "sha256", at, _HEX64, "a sha256 (64 lowercase hex digits)",
                      "put the tarball's sha256sum (bitbake checks every download)")
    return {"version": version, "url": url, "sha256": sha256}


def upstream_patches(c: ManifestChecker, node: Any, at: At) -> UpstreamPatches:
    if node is None or not c.mapping(node, at, (), ("hypervisor", "tools")):
        return UpstreamPatches()
    lists = {}
    for key in ("hypervisor", "tools"):
        names = c.seq(node, key, at) or []
        ok = []
        for i, name in enumerate(names):
            if not isinstance(name, str) or not _UPSTREAM_PATCH.fullmatch(str(name)):
                c.error(at.key(node, key).item(names, i),
                        f"{name!r} is not a patch file name of meta-virtualization's "
                        "recipes-extended/xen/files/ (a plain *.patch name, no directory)")
            else:
                ok.append(str(name))
        lists[key] = tuple(ok)
    return UpstreamPatches(**lists)


def xsa_queue(c: ManifestChecker, node: Any, at: At) -> tuple[Xsa, ...]:
    if node is None:
        return ()
    if not isinstance(node, list):
        c.error(at, f"expected a list of XSA entries, got {type_name(node)}", "write [] for none")
        return ()
    out, seen = [], {}
    for i, item in enumerate(node):
        here = at.item(node, i)
        if not c.mapping(item, here, ("number", "patches", "origin"), ("sources",)):
            continue
        number = _xsa_number(c, item, here, seen)
        origin = c.string(item, "origin", here, _URL, "a URL",
                          "say where the patches come from, e.g. https://xenbits.xen.org/xsa/advisory-469.html")
        files = c.seq(item, "patches", here)
        if files is not None and not files and "patches" in item:
            c.error(here.key(item, "patches"), "an XSA entry needs at least one patch file")
        good = c.file_list(files or [], here.key(item, "patches"), XEN_XSA_DIR, "XSA patch")
        sources = xsa_sources(c, item, here, good)
        if number is not None and origin and files and len(good) == len(files) and sources is not None:
            seen[number] = i
            out.append(Xsa(number, tuple(good), origin, sources))
    return tuple(out)


def xsa_sources(c: ManifestChecker, item: dict, at: At, files: list[str]) -> tuple[XsaSource, ...] | None:
    """An XSA entry's optional provenance (``oxt xsa sync`` writes it): one {file, url, sha256}
    per patch file, the URL it was downloaded from and the sha256 the signed advisory listed."""
    raw = c.seq(item, "sources", at)
    if raw is None:
        return None
    out, here = [], at.key(item, "sources")
    for j, src in enumerate(raw):
        there = here.item(raw, j)
        if not c.mapping(src, there, ("file", "url", "sha256")):
            return None
        file = c.string(src, "file", there, fix="name one of the entry's patch files")
        url = c.string(src, "url", there, _SOURCE_URL, "a URL", "give where the file was downloaded from")
        sha = c.string(src, "sha256", there, _HEX64, "a sha256 (64 lowercase hex digits)",
                       "put the sha256 of the downloaded file (sha256sum)")
        if file is not None and file not in files:
            c.error(there.key(src, "file"), f"{file!r} is not one of this entry's patches",
                    "fix the name or remove the source")
            return None
        if not (file and url and sha):
            return None
        out.append(XsaSource(file, url, sha))
    return tuple(out)


def _xsa_number(c: ManifestChecker, item: dict, here: At, seen: dict[int, int]) -> int | None:
    number = item.get("number")
    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        if "number" in item:
            c.error(here.key(item, "number"),
                    f"expected the XSA number (a positive integer, e.g. 469), got {type_name(number)}")
        return None
    if number in seen:
        c.error(here.key(item, "number"), f"XSA-{number} is queued twice (also [{seen[number]}])",
                "merge the entries")
    return number


def linux(c: ManifestChecker, node: Any, at: At) -> Linux | None:
    if not c.mapping(node, at, ("version", "url", "sha256", "license_md5", "defconfig", "fragments"),
                     ("patches", "compiled_with")):
        return None
    before = len(c.problems)
    version = c.string(node, "version", at, RELEASE_VERSION, "an X.Y.Z kernel version",
                       "use the full stable version, e.g. 4.9.337")
    url = c.string(node, "url", at, _URL, "an http(s) URL",
                   "give the kernel.org tarball URL, e.g. https://cdn.kernel.org/pub/linux/kernel/v4.x/linux-4.9.337.tar.xz")
    if url and version and f"linux-{version}.tar" not in url:
        c.error(at.key(node, "url"), f"{url!r} is not the linux-{version} tarball", "update it with the version")
    sha256 = c.string(node, "sha256", at, _HEX64, "a sha256 (64 lowercase hex digits)",
                      "copy it from kernel.org's sha256sums.asc for this tarball")
    license_md5 = c.string(node, "license_md5", at, _HEX32, _MD5, "put the md5sum of the kernel's COPYING")
    defconfig = c.string(node, "defconfig", at, _DEFCONFIG, "an in-tree *_defconfig name",
                         "name the base config in arch/x86/configs, e.g. x86_64_defconfig")
    patches = c.patch_queue(node.get("patches"), at.key(node, "patches"), LINUX_FILES_DIR)
    frags = fragments(c, node.get("fragments"), at.key(node, "fragments")) if "fragments" in node else {}
    compiled = compiled_with(c, node["compiled_with"], at.key(node, "compiled_with")) if "compiled_with" in node else None
    if len(c.problems) != before or not all((version, url, sha256, license_md5, defconfig)):
        return None
    return Linux(version, url, sha256, license_md5, defconfig, patches, frags, compiled)  # type: ignore[arg-type]


def compiled_with(c: ManifestChecker, node: Any, at: At) -> CompiledWith | None:
    """The toolchain a real compile of the kernel succeeded with (``oxt check`` compares the stack's)."""
    if not c.mapping(node, at, ("gcc", "binutils")):
        return None
    fix = "give the X.Y version that compiled every VM's kernel, e.g. \"13.3\" (quote it)"
    gcc = c.string(node, "gcc", at, _TOOL_VERSION, "an X.Y gcc version", fix)
    binutils = c.string(node, "binutils", at, _TOOL_VERSION, "an X.Y binutils version", fix)
    return CompiledWith(gcc, binutils, at.line) if gcc and binutils else None


def fragments(c: ManifestChecker, node: Any, at: At) -> dict[str, tuple[str, ...]]:
    if not isinstance(node, dict):
        c.error(at, f"expected a mapping of common/<vm> to .cfg lists, got {type_name(node)}")
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for scope in node:
        here = at.key(node, str(scope))
        if scope not in ("common", *c.vms):
            c.error(here, f"unknown VM {str(scope)!r}; fragments go under 'common' or one of the VMs "
                          f"({', '.join(c.vms)}) -- add the machine openxt-{scope} first or fix the name")
            continue
        files = c.seq(node, scope, at) or []
        good = []
        for i, f in enumerate(files):
            if isinstance(f, str) and not _FRAGMENT.fullmatch(str(f)):
                c.error(here.item(files, i), f"{f!r} is not a kernel config fragment name (a plain *.cfg file)")
                continue
            ok = c.rel_file(f, here.item(files, i), LINUX_FILES_DIR, "kernel config fragment")
            if ok:
                good.append(ok)
        out[str(scope)] = tuple(good)
    return out


def icbinn(c: ManifestChecker, node: Any, at: At) -> Icbinn | None:
    if not c.mapping(node, at, ("url", "branch", "srcrev", "license_md5"), ("patches",)):
        return None
    before = len(c.problems)
    url = c.string(node, "url", at, _URL, "a git URL", "use https://github.com/OpenXT/icbinn.git")
    branch = c.string(node, "branch", at, _BRANCH_NAME, "a branch name", "e.g. master")
    srcrev = c.srcrev(node, "srcrev", at)
    license_md5 = c.string(node, "license_md5", at, _HEX32, _MD5, "put the md5sum of icbinn's COPYING")
    patches: dict[str, tuple[Patch, ...]] = {r: () for r in ICBINN_RECIPES}
    raw, pat_at = node.get("patches"), at.key(node, "patches")
    if raw is not None and c.mapping(raw, pat_at, (), ICBINN_RECIPES):
        for recipe in ICBINN_RECIPES:
            if recipe in raw:
                patches[recipe] = c.patch_queue(raw[recipe], pat_at.key(raw, recipe), ICBINN_FILES_DIR)
    if len(c.problems) != before or not all((url, branch, srcrev, license_md5)):
        return None
    return Icbinn(url, branch, srcrev, license_md5, patches)  # type: ignore[arg-type]
