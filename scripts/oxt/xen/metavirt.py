"""meta-virtualization's own Xen patches, read where bitbake would find them.

A track's ``upstream_patches`` name files of meta-virtualization's
``recipes-extended/xen/files/``. They are read, in this order of preference,
from ``--meta-virt`` (a checkout, a clone, or a git URL; env
``OXT_META_VIRT``), kas's checkout of the layer (the ``meta-virtualization``
repository path of ``kas/openxt.yml``), or fetched at the commit
``kas/openxt.lock.yml`` pins into a shallow cache
(``~/.cache/oxt/meta-virtualization.git``, env ``OXT_LAYER_CACHE``).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from oxt.errors import OxtUserError

META_VIRT = "meta-virtualization"
META_VIRT_FILES = "recipes-extended/xen/files"


class SeriesInputError(OxtUserError):
    """A series that cannot be built: missing file, unknown recipe, unreadable layer."""


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
    """A function reading meta-virtualization's ``recipes-extended/xen/files/<name>``; nothing is
    looked up or fetched before its first call (a series that stops before those patches needs none)."""
    opened: list[Callable[[str], bytes]] = []

    def read(rel: str) -> bytes:
        if not opened:
            opened.append(_open(checkout, source, cache_dir, progress))
        return opened[0](rel)
    return read


def _open(checkout, source: str | None, cache_dir: Path | None, progress) -> Callable[[str], bytes]:
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
        return _open(checkout, str(pin.path), cache_dir, progress)
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
    from oxt.xen.defaults import default_layer_cache_dir

    cache = Path(cache_dir) if cache_dir else default_layer_cache_dir()
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
