"""Which patches a Xen track's recipes apply, in the order they apply them.

The order is read from the renderer itself (:func:`oxt.render.outputs`, the
``SRC_URI`` each rendered ``xen_X.Y.bb`` / ``xen-tools_X.Y.bb`` gets), so the
series checked is exactly the one bitbake's ``do_patch`` will push, whatever
order the template chooses. Each ``file://`` entry is found where bitbake
finds it: ``xsa/…`` and ``openxt/…`` in this layer
(``recipes-extended/xen/files/``), plain names in meta-virtualization's
``recipes-extended/xen/files/`` (the rendered recipe prepends that directory
to ``FILESEXTRAPATHS``).

meta-virtualization's files are read, in this order of preference, from
``--meta-virt`` (a checkout, a clone, or a git URL), kas's checkout of the
layer (the ``meta-virtualization`` repository path of ``kas/openxt.yml``),
or fetched at the commit ``kas/openxt.lock.yml`` pins into a shallow cache
(``~/.cache/oxt/meta-virtualization.git``).

A series can also come from a quilt ``series`` file (``--series FILE``: one
patch path per line relative to the file, optional ``-pN``, ``#`` comments),
for queues that are not in the manifest — e.g. another project's Xen queue
surveyed in a scratch directory. There a patch counts as an XSA patch when
its name (``xsaN…``) or its header (``This is XSA-N.``) says so.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from oxt.errors import OxtUserError
from oxt.xen.patches import xsa_number_in_name
from oxt.xen.patchfile import parse
from oxt.xen.series import SeriesPatch
from oxt.xen.xsa_index import xsas_in_message

META_VIRT = "meta-virtualization"
META_VIRT_FILES = "recipes-extended/xen/files"
RECIPES = ("xen", "xen-tools")


class SeriesInputError(OxtUserError):
    """A series that cannot be built: missing file, unknown recipe, unreadable layer."""


@dataclass
class RecipeSeries:
    recipe: str  # xen (hypervisor) | xen-tools
    patches: list[SeriesPatch] = field(default_factory=list)

    def without(self, kind: str) -> "RecipeSeries":
        return RecipeSeries(self.recipe, [p for p in self.patches if p.kind != kind])


def _src_uri_entry(url: str) -> tuple[str, dict[str, str]]:
    path, *params = url[len("file://"):].split(";")
    return path, dict(p.split("=", 1) for p in params if "=" in p)


def track_series(manifest, track, *, meta_virt: Callable[[str], bytes] | None = None,
                 recipes: tuple[str, ...] = RECIPES) -> list[RecipeSeries]:
    """The patch series of each of *track*'s rendered recipes, in SRC_URI order."""
    from oxt.render import outputs  # the renderer decides the order

    found = []
    for out in outputs(manifest):
        ctx = out.context
        if out.template != "xen.bb.j2" or ctx.get("track") is None or ctx["track"].branch != track.branch:
            continue
        recipe = out.path.name.split("_")[0]
        if recipe not in recipes:
            continue
        series = RecipeSeries(recipe)
        for url in ctx["src_uri"]:
            if not url.startswith("file://"):
                continue
            rel, params = _src_uri_entry(url)
            if params.get("apply", "yes") == "no" or not rel.endswith((".patch", ".diff")):
                continue
            strip = int(params.get("striplevel", "1"))
            if rel.startswith("xsa/"):
                path = manifest.xsa_patch_path(rel[len("xsa/"):])
                series.patches.append(SeriesPatch.from_file(path, kind="xsa", name=rel, strip=strip))
            elif rel.startswith("openxt/"):
                path = manifest.xen_patch_path(rel[len("openxt/"):])
                series.patches.append(SeriesPatch.from_file(path, kind="openxt", name=rel, strip=strip))
            else:
                if meta_virt is None:
                    raise SeriesInputError(f"{recipe}_{track.series}.bb applies meta-virtualization's {rel}; "
                                           "pass --meta-virt DIR|URL to say where meta-virtualization is")
                series.patches.append(SeriesPatch(name=f"{META_VIRT}/{rel}", data=meta_virt(rel),
                                                  kind="upstream", strip=strip))
        found.append(series)
    return found


def needs_meta_virt(track) -> bool:
    return bool(track.upstream_patches.hypervisor or track.upstream_patches.tools)


# -- quilt series files ---------------------------------------------------------------

def classify(name: str, data: bytes) -> str:
    """xsa when the file name or its header names an XSA, else openxt."""
    if xsa_number_in_name(name) is not None:
        return "xsa"
    header = parse(data).header.decode("utf-8", "replace")
    return "xsa" if xsas_in_message(header) else "openxt"


def series_file(path: Path) -> list[SeriesPatch]:
    """The patches a quilt ``series`` file lists, in order (paths relative to the file)."""
    path = Path(path)
    if not path.is_file():
        raise SeriesInputError(f"--series {path}: no such file; give a quilt series file "
                               "(one patch path per line)")
    patches = []
    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, *opts = line.split()
        strip = 1
        for opt in opts:
            if opt.startswith("-p") and opt[2:].isdigit():
                strip = int(opt[2:])
        f = path.parent / name
        if not f.is_file():
            raise SeriesInputError(f"{path}:{number}: {name}: no such patch file next to the series file")
        data = f.read_bytes()
        if not parse(data, strip).sections:
            raise SeriesInputError(f"{path}:{number}: {name}: not a patch (no file header); fix the series")
        patches.append(SeriesPatch(name=name, data=data, kind=classify(name, data), strip=strip, path=f))
    if not patches:
        raise SeriesInputError(f"--series {path}: lists no patches")
    return patches


# -- meta-virtualization's files --------------------------------------------------------

def _git_show(repo: Path, rev: str, rel: str) -> bytes | None:
    proc = subprocess.run(["git", "-C", str(repo), "show", f"{rev}:{META_VIRT_FILES}/{rel}"],
                          capture_output=True, check=False)
    return proc.stdout if proc.returncode == 0 else None


def _is_git(path: Path) -> bool:
    proc = subprocess.run(["git", "-C", str(path), "rev-parse", "--git-dir"], capture_output=True, check=False)
    return proc.returncode == 0


@dataclass
class LayerPin:
    url: str | None
    branch: str | None
    commit: str | None
    path: Path | None  # kas's checkout of it


def kas_pin(checkout) -> LayerPin:
    """meta-virtualization as kas/openxt.yml (+ its lock) pins it."""
    from oxt.kasfiles import MAIN_KAS_FILE, compose

    try:
        comp = compose([checkout.kas_dir / MAIN_KAS_FILE], checkout.root)
    except OxtUserError:
        return LayerPin(None, None, None, None)
    for repo in comp.repos:
        if repo.name == META_VIRT:
            return LayerPin(repo.url, repo.branch, repo.commit, repo.path)
    return LayerPin(None, None, None, None)


def meta_virt_reader(checkout, source: str | None, *, cache_dir: Path | None = None,
                     progress: Callable[[str], None] | None = None) -> Callable[[str], bytes]:
    """A function reading meta-virtualization's ``recipes-extended/xen/files/<name>``."""
    pin = kas_pin(checkout)
    source = source or os.environ.get("OXT_META_VIRT")
    if source and "://" not in source:
        base = Path(source).expanduser()
        if not base.exists():
            raise SeriesInputError(f"--meta-virt {source}: no such directory; give a meta-virtualization "
                                   "checkout or clone, or its git URL")
        git_repo = _is_git(base)

        def read_dir(rel: str) -> bytes:
            f = base / META_VIRT_FILES / rel
            if f.is_file():
                return f.read_bytes()
            if git_repo:
                for rev in (pin.commit, "HEAD"):
                    data = _git_show(base, rev, rel) if rev else None
                    if data is not None:
                        return data
            raise SeriesInputError(f"--meta-virt {source}: has no {META_VIRT_FILES}/{rel} "
                                   f"(looked in the work tree and at {pin.commit or 'HEAD'}); "
                                   "point it at meta-virtualization scarthgap")
        return read_dir
    if not source and pin.path is not None and (pin.path / META_VIRT_FILES).is_dir():
        return meta_virt_reader(checkout, str(pin.path))
    url = source or pin.url
    if not url or not pin.commit:
        raise SeriesInputError("meta-virtualization's patches are needed but kas/openxt.yml does not pin it; "
                               "pass --meta-virt DIR|URL")
    cache = _fetch_layer(url, pin.commit, pin.branch, cache_dir, progress)

    def read_cache(rel: str) -> bytes:
        data = _git_show(cache, pin.commit, rel)
        if data is None:
            raise SeriesInputError(f"meta-virtualization {pin.commit[:12]} has no {META_VIRT_FILES}/{rel}; "
                                   "the manifest's upstream_patches name a file the pinned layer lacks")
        return data
    return read_cache


def _fetch_layer(url: str, commit: str, branch: str | None, cache_dir: Path | None, progress) -> Path:
    from oxt.xen.defaults import _cache_path

    cache = Path(cache_dir) if cache_dir else _cache_path("OXT_LAYER_CACHE", f"{META_VIRT}.git")
    if not (cache / "HEAD").exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "--bare", str(cache)], check=True)
    have = subprocess.run(["git", "-C", str(cache), "cat-file", "-e", f"{commit}^{{commit}}"],
                          capture_output=True, check=False).returncode == 0
    if have:
        return cache
    if progress:
        progress(f"fetching {META_VIRT} {commit[:12]} from {url}")
    attempts = [["fetch", "-q", "--depth=1", url, commit]]
    if branch:
        attempts.append(["fetch", "-q", "--depth=500", url, f"+refs/heads/{branch}:refs/oxt/{branch}"])
    last = ""
    for args in attempts:
        proc = subprocess.run(["git", "-C", str(cache), *args], capture_output=True, text=True, check=False)
        ok = subprocess.run(["git", "-C", str(cache), "cat-file", "-e", f"{commit}^{{commit}}"],
                            capture_output=True, check=False).returncode == 0
        if ok:
            return cache
        last = (proc.stderr or "").strip().splitlines()[-1:] or ["commit not found"]
        last = last[0]
    raise SeriesInputError(f"cannot fetch {META_VIRT} {commit[:12]} from {url} ({last}); "
                           "pass --meta-virt DIR with a local checkout")
