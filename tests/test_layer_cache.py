"""meta-virtualization's layer cache (oxt.xen.metavirt) under the Xen cache's rules: locked while
written (a killed run's git keeps the lock), leftovers of a killed fetch removed, a damaged cache
rebuilt instead of blamed on the network, a foreign directory refused."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import git
import pytest

from oxt.xen.metavirt import SeriesInputError, _fetch_layer


@pytest.fixture
def layer(tmp_path) -> tuple[str, list[str]]:
    """A bare 'meta-virtualization' with two commits on scarthgap: (file:// URL, [sha1, sha2])."""
    work = tmp_path / "mv-work"
    repo = git.Repo.init(work, initial_branch="scarthgap")
    shas = []
    for n in (1, 2):
        f = work / "recipes-extended/xen/files" / f"000{n}-fix.patch"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(f"fix {n}\n")
        repo.index.add([str(f)])
        shas.append(repo.index.commit(f"fix {n}").hexsha)
    bare = tmp_path / "meta-virtualization.git"
    git.Repo.clone_from(str(work), str(bare), bare=True).close()
    repo.close()
    return bare.resolve().as_uri(), shas


def _show(cache: Path, sha: str, n: int) -> str:
    return git.Git(cache).show(f"{sha}:recipes-extended/xen/files/000{n}-fix.patch")


def test_leftovers_of_a_killed_fetch_are_removed_before_the_next(layer, tmp_path):
    url, (first, second) = layer
    cache = tmp_path / "cache.git"
    assert _fetch_layer(url, first, "scarthgap", cache, None) == cache
    # what git leaves when its fetch is SIGKILLed: lock files and a half-written pack
    (cache / "shallow.lock").write_text("")
    (cache / "refs" / "oxt").mkdir(parents=True, exist_ok=True)
    (cache / "refs" / "oxt" / "scarthgap.lock").write_text("")
    (cache / "objects" / "pack" / "tmp_pack_x1y2").write_bytes(b"PACK\x00")
    assert _fetch_layer(url, second, "scarthgap", cache, None) == cache
    assert _show(cache, second, 2) == "fix 2" and _show(cache, first, 1) == "fix 1"  # not rebuilt
    assert not (cache / "shallow.lock").exists() and not list(cache.rglob("*.lock"))
    assert not list((cache / "objects" / "pack").glob("tmp_*"))


def test_a_cache_damaged_under_an_interrupted_fetch_is_rebuilt(layer, tmp_path, capfd):
    url, (first, second) = layer
    cache = tmp_path / "cache.git"
    _fetch_layer(url, first, "scarthgap", cache, None)
    git.Git(cache).update_ref("refs/oxt/scarthgap", first)
    for f in (cache / "objects").rglob("*"):
        if f.is_file():
            f.chmod(0o644)
            f.write_bytes(f.read_bytes()[:12])  # objects cut short
    (cache / "oxt-fetching").write_text("4242\n")  # by a fetch killed midway
    assert _fetch_layer(url, second, "scarthgap", cache, None) == cache
    assert _show(cache, second, 2) == "fix 2"
    git.Git(cache).fsck("--connectivity-only")
    err = capfd.readouterr().err
    assert f"oxt: the last fetch into the layer cache {cache} was interrupted; checking it" in err
    assert f"oxt: layer cache {cache} is damaged; rebuilding it" in err
    assert not (cache / "oxt-fetching").exists()


def test_a_directory_that_is_not_a_git_repository_is_refused_and_left_alone(layer, tmp_path):
    url, (first, _) = layer
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("mine")
    with pytest.raises(SeriesInputError, match="notes: exists and is not a git repository; oxt will not write"):
        _fetch_layer(url, first, "scarthgap", mine, None)
    assert [p.name for p in mine.iterdir()] == ["todo.txt"]


def test_an_unknown_commit_is_an_error_naming_it(layer, tmp_path):
    url, _ = layer
    with pytest.raises(SeriesInputError, match=f"cannot fetch meta-virtualization {'ab' * 6} from {url}"):
        _fetch_layer(url, "ab" * 20, "scarthgap", tmp_path / "cache.git", None)


HOLDER = textwrap.dedent("""
    import subprocess, sys
    from pathlib import Path
    from oxt.locking import HeldLock
    lock = HeldLock(Path(sys.argv[1]), what="test").__enter__()
    # a git child holding the lock, as the layer cache's fetches do; its parent then dies
    subprocess.Popen(["sleep", "1.5"], pass_fds=(lock.fd,))
    Path(sys.argv[2]).write_text("held")
""")


def test_a_fetch_waits_for_a_killed_runs_git_still_holding_the_lock(layer, tmp_path, capfd):
    url, (first, _) = layer
    cache = tmp_path / "cache.git"
    flag = tmp_path / "held"
    subprocess.run([sys.executable, "-c", HOLDER, str(tmp_path / ".cache.git.lock"), str(flag)], check=True)
    assert flag.exists()  # the holder has exited; its child still holds the lock
    started = time.monotonic()
    assert _fetch_layer(url, first, "scarthgap", cache, None) == cache
    assert time.monotonic() - started > 0.8
    said = capfd.readouterr().err
    assert f"waiting for another oxt (or a git command it started) using the layer cache {cache}" in said
