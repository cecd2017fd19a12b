"""meta-virtualization's own Xen patches, read where bitbake would find them.

A track's ``upstream_patches`` name files of meta-virtualization's
``recipes-extended/xen/files/``. They are read, in this order of preference,
from ``--meta-virt`` (a checkout, a clone, or a git URL; env
``OXT_META_VIRT``), kas's checkout of the layer (the ``meta-virtualization``
repository path of ``kas/openxt.yml``), or fetched at the commit
``kas/openxt.lock.yml`` pins into a shallow cache
(``~/.cache/oxt/meta-virtualization.git``, env ``OXT_LAYER_CACHE``).

The layer cache follows the Xen cache's rules (:mod:`oxt.xen.cache`): it is
locked while oxt writes it and every git command writing it holds the lock
(:mod:`oxt.locking`: a killed oxt's ``git fetch`` keeps it until it ends); it
is made beside its path and renamed into place; git's lock and temporary
files a killed fetch left are removed before the next fetch; after an
interrupted fetch (its ``oxt-fetching`` marker is still there) or a failed one,
``git fsck --connectivity-only`` checks the cache, and a cache git cannot read
or whose objects are damaged is rebuilt -- it is only a cache. A directory
there that is not a git repository is refused.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from oxt.errors import OxtUserError
from oxt.locking import HeldLock

META_VIRT = "meta-virtualization"
META_VIRT_FILES = "recipes-extended/xen/files"
FETCHING = "oxt-fetching"  # in the layer cache while a fetch runs


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
    if _has_commit(cache, commit):  # already there: objects are never taken away, no lock needed
        return cache
    with HeldLock(cache.parent / f".{cache.name}.lock", what=f"the layer cache {cache}") as lock:
        _prepare_layer_cache(cache, lock.fd)
        last = ""
        for attempt in range(2):
            (cache / FETCHING).write_text(f"{os.getpid()}\n")
            last = _fetch_commit(cache, url, commit, branch, lock.fd, progress)
            if not last:
                (cache / FETCHING).unlink()
                return cache
            if attempt or _healthy(cache, lock.fd):
                break
            # git failed on the cache's own objects, not on the remote: start it over, fetch again
            print(f"oxt: layer cache {cache} is damaged ({last}); rebuilding it", file=sys.stderr)
            _rebuild_layer_cache(cache, lock.fd)
    raise SeriesInputError(f"cannot fetch {META_VIRT} {commit[:12]} from {url} ({last}); "
                           "pass --meta-virt DIR with a local checkout")


def _git(cache: Path, fd: int, *args: str) -> subprocess.CompletedProcess:
    """git in the layer cache, holding its lock (*fd*) for as long as it runs."""
    return subprocess.run(["git", "-C", str(cache), *args], capture_output=True, text=True, check=False,
                          pass_fds=(fd,))


def _has_commit(cache: Path, commit: str) -> bool:
    return (cache / "HEAD").is_file() and subprocess.run(
        ["git", "-C", str(cache), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True,
        check=False).returncode == 0


def _fetch_commit(cache: Path, url: str, commit: str, branch: str | None, fd: int, progress) -> str:
    """Fetch *commit* into the cache; '' when it is there, else git's last word."""
    if progress:
        progress(f"fetching {META_VIRT} {commit[:12]} from {url}")
    attempts = [["fetch", "-q", "--depth=1", url, commit]]
    if branch:
        attempts.append(["fetch", "-q", "--depth=500", url, f"+refs/heads/{branch}:refs/oxt/{branch}"])
    last = "commit not found"
    for args in attempts:
        proc = _git(cache, fd, *args)
        if _has_commit(cache, commit):
            return ""
        last = ((proc.stderr or "").strip().splitlines() or ["commit not found"])[-1]
    return last


def _prepare_layer_cache(cache: Path, fd: int) -> None:
    """Under the lock: a new cache if there is none, else what a killed run left removed."""
    for leftover in cache.parent.glob(f".{cache.name}.new-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    if cache.exists() and not cache.is_dir():
        raise SeriesInputError(f"layer cache {cache}: is a file, not a directory; set OXT_LAYER_CACHE "
                               "to a directory of its own")
    if not (cache / "HEAD").is_file():
        if cache.is_dir() and any(cache.iterdir()):
            raise SeriesInputError(f"layer cache {cache}: exists and is not a git repository; oxt will not "
                                   "write into it — set OXT_LAYER_CACHE to a directory of its own")
        _init_layer_cache(cache, fd)
        return
    # we hold the lock: any git lock or temporary file is a killed fetch's
    for name in ("shallow.lock", "packed-refs.lock", "config.lock", "HEAD.lock"):
        (cache / name).unlink(missing_ok=True)
    for stale in [*(cache / "refs").rglob("*.lock"), *(cache / "objects" / "pack").glob("tmp_*")]:
        stale.unlink(missing_ok=True)
    if _git(cache, fd, "rev-parse", "--git-dir").returncode != 0:
        print(f"oxt: layer cache {cache} is unreadable; rebuilding it", file=sys.stderr)
        _rebuild_layer_cache(cache, fd)
    elif (cache / FETCHING).exists():
        print(f"oxt: the last fetch into the layer cache {cache} was interrupted; checking it", file=sys.stderr)
        if not _healthy(cache, fd):
            print(f"oxt: layer cache {cache} is damaged; rebuilding it", file=sys.stderr)
            _rebuild_layer_cache(cache, fd)


def _healthy(cache: Path, fd: int) -> bool:
    return _git(cache, fd, "fsck", "--connectivity-only", "--no-dangling", "--no-progress").returncode == 0


def _init_layer_cache(cache: Path, fd: int) -> None:
    """Made beside and renamed into place: a kill never leaves half a cache."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f".{cache.name}.new-", dir=cache.parent))
    subprocess.run(["git", "init", "-q", "--bare", str(new)], check=True, capture_output=True, pass_fds=(fd,))
    if cache.is_dir():
        cache.rmdir()  # empty (anything else was refused)
    os.rename(new, cache)


def _rebuild_layer_cache(cache: Path, fd: int) -> None:
    aside = cache.with_name(f".{cache.name}.new-old-{os.getpid()}")
    os.rename(cache, aside)  # one step: a kill leaves the old cache or none
    shutil.rmtree(aside, ignore_errors=True)
    _init_layer_cache(cache, fd)
