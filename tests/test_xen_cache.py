"""The shallow cache: whose it is, a lock that outlives a killed oxt while its git runs, repairs."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import git
import pytest

from fixtures import upload_pack
from oxt.xen.cache import CacheError, UpstreamCache
from oxt.xen.defaults import DEFAULT_REMOTE, default_cache_dir
from oxt.xen.upstream import ls_remote

def _range(cache, upstream):
    refs = ls_remote(upstream.url)
    cache.ensure_range("stable-4.6", refs.heads["stable-4.6"], base_tag="RELEASE-4.6.6",
                       base_commit=refs.tags["RELEASE-4.6.6"], tags=[], need=[upstream["pin"]])


def _files(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


# -- whose cache ----------------------------------------------------------------------


def test_a_directory_that_is_not_a_git_repository_is_refused_and_left_alone(upstream, tmp_path):
    mine = tmp_path / "photos"
    mine.mkdir()
    (mine / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(CacheError, match=r"photos: exists and is not a git repository \(it holds holiday.jpg\); "
                                         r"oxt will not write into it"):
        UpstreamCache(mine, upstream.url, progress=False).__enter__()
    assert _files(mine) == {"holiday.jpg": b"\xff\xd8"}
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(CacheError, match="is a file, not a directory"):
        UpstreamCache(tmp_path / "a-file", upstream.url, progress=False).__enter__()


def test_a_git_repository_that_is_not_an_oxt_cache_is_refused(upstream, tmp_path):
    work = tmp_path / "linux"
    git.Repo.init(work).close()
    before = _files(work)
    with pytest.raises(CacheError, match="is a git repository but not an oxt cache of xen.git"):
        UpstreamCache(work, upstream.url, progress=False).__enter__()
    assert _files(work) == before


def test_the_cache_of_another_remote_is_refused(upstream, tmp_path):
    with UpstreamCache(tmp_path / "c.git", upstream.url, progress=False) as cache:
        _range(cache, upstream)
    before = _files(tmp_path / "c.git")
    other = (tmp_path / "mirror.git").as_uri()
    with pytest.raises(CacheError, match=f"belongs to the remote {upstream.url}, not {other}; a cache serves one "
                                         "remote"):
        UpstreamCache(tmp_path / "c.git", other, progress=False).__enter__()
    assert _files(tmp_path / "c.git") == before


def test_a_cache_made_before_the_owner_was_recorded_is_still_used(upstream, tmp_path):
    with UpstreamCache(tmp_path / "c.git", upstream.url, progress=False) as cache:
        _range(cache, upstream)
    subprocess.run(["git", "-C", str(tmp_path / "c.git"), "config", "--unset", "oxt.remote"], check=True)
    with UpstreamCache(tmp_path / "c.git", upstream.url, progress=False) as cache:
        _range(cache, upstream)
        assert cache.stats.fetches == 0


def test_one_default_cache_per_remote(monkeypatch, tmp_path):
    monkeypatch.delenv("OXT_XEN_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == default_cache_dir(DEFAULT_REMOTE) == tmp_path / "oxt" / "xen.git"
    mirror = default_cache_dir("file:///srv/xen.git")
    assert mirror.parent == tmp_path / "oxt" and mirror.name.startswith("xen-") and mirror != default_cache_dir()
    monkeypatch.setenv("OXT_XEN_CACHE", str(tmp_path / "mine.git"))
    assert default_cache_dir("file:///srv/xen.git") == tmp_path / "mine.git"


# -- the lock ---------------------------------------------------------------------------


def test_the_lock_is_held_as_long_as_a_git_child_runs(upstream, tmp_path):
    with UpstreamCache(tmp_path / "c.git", upstream.url, progress=False) as cache:
        child = cache.repo.git.execute(["git", "-c", "alias.nap=!sleep 1.5", "nap"], as_process=True)
    # the owner closed the cache; the git it started still holds the lock
    said = io.StringIO()
    started = time.monotonic()
    with UpstreamCache(tmp_path / "c.git", upstream.url, progress=False, stream=said):
        waited = time.monotonic() - started
        assert child.proc.poll() is not None, "opened only after the git child ended"
    assert waited > 0.5
    assert "waiting for another oxt (or a git command it started) using the Xen cache" in said.getvalue()


KILLED_OWNER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from oxt.xen.cache import UpstreamCache
    cache = UpstreamCache(Path(sys.argv[1]), sys.argv[2], progress=False).__enter__()
    Path(sys.argv[3]).write_text("started")
    cache.repo.git.execute(["git", "-c", "alias.nap=!sleep 2", "nap"])   # killed in here
""")


def test_killing_oxt_leaves_the_cache_locked_until_its_git_ends(upstream, tmp_path):
    """Only the oxt process is killed (SIGKILL): its git child runs on, and holds the lock."""
    flag = tmp_path / "started"
    owner = subprocess.Popen([sys.executable, "-c", KILLED_OWNER, str(tmp_path / "c.git"), upstream.url, str(flag)])
    deadline = time.monotonic() + 30
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    said = io.StringIO()
    started = time.monotonic()
    with UpstreamCache(tmp_path / "c.git", upstream.url, progress=False, stream=said) as cache:
        assert time.monotonic() - started > 0.8, "waited for the orphaned git"
        _range(cache, upstream)
    assert "waiting for another oxt" in said.getvalue()


# -- repairs ----------------------------------------------------------------------------


KILLED_FETCH = textwrap.dedent("""
    import sys
    from pathlib import Path
    from oxt.xen.cache import UpstreamCache
    from oxt.xen.upstream import ls_remote
    refs = ls_remote(sys.argv[2])
    with UpstreamCache(Path(sys.argv[1]), sys.argv[2], progress=False) as cache:
        cache.ensure_range("stable-4.6", refs.heads["stable-4.6"], base_tag="RELEASE-4.6.6",
                           base_commit=refs.tags["RELEASE-4.6.6"], tags=[], need=[])
""")


def test_a_fetch_killed_midway_is_checked_and_repaired_on_the_next_run(upstream, tmp_path):
    """The whole process group (oxt, git fetch, upload-pack) killed while the pack streams in."""
    slow = upload_pack.upload_pack(tmp_path / "slow-upload-pack", chunk=512, delay=0.05)
    env = {**os.environ, **upload_pack.env(slow)}
    cache_dir = tmp_path / "c.git"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_FETCH, str(cache_dir), upstream.url], env=env,
                            start_new_session=True, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not list((cache_dir / "objects" / "pack").glob("tmp_*")) and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (cache_dir / "oxt-fetching").exists()
    said = io.StringIO()
    with UpstreamCache(cache_dir, upstream.url, progress=False, stream=said) as cache:
        _range(cache, upstream)
        assert cache.describe(upstream["tip-466"]).startswith("RELEASE-4.6.6-21-")
    assert "the last fetch into the cache" in said.getvalue()
    assert "was interrupted; checking the cache" in said.getvalue()
    assert not list((cache_dir / "objects" / "pack").glob("tmp_*")) and not (cache_dir / "oxt-fetching").exists()
    git.Repo(cache_dir).git.fsck("--connectivity-only")


def test_a_damaged_cache_is_rebuilt_not_blamed_on_the_network(upstream, tmp_path):
    """Objects the refs need are gone (a disk problem, a killed repack): git's fetch then fails
    ("unresolved deltas"), which used to read "rerun when the remote is reachable"."""
    cache_dir = tmp_path / "c.git"
    with UpstreamCache(cache_dir, upstream.url, progress=False) as cache:
        _range(cache, upstream)
    for pack in (cache_dir / "objects" / "pack").glob("pack-*"):
        pack.unlink()
    subprocess.run(["git", "-C", str(cache_dir), "update-ref", "-d", "refs/oxt/heads/stable-4.6"], check=True)
    said = io.StringIO()
    with UpstreamCache(cache_dir, upstream.url, progress=False, stream=said) as cache:
        _range(cache, upstream)
        assert cache.stats.rebuilds == 1
        assert cache.describe(upstream["tip-466"]).startswith("RELEASE-4.6.6-21-")
    assert f"oxt: cache {cache_dir} is damaged (" in said.getvalue() and "rebuilding it" in said.getvalue()
    assert "remote is reachable" not in said.getvalue()


def test_a_network_failure_on_a_healthy_cache_still_blames_the_network(upstream, tmp_path, monkeypatch):
    from oxt.xen.cache import FetchError

    for key, value in upload_pack.env(upload_pack.failing(tmp_path / "dying")).items():
        monkeypatch.setenv(key, value)
    with UpstreamCache(tmp_path / "c.git", upstream.url, progress=False) as cache:
        with pytest.raises(FetchError, match="rerun when the remote is reachable"):
            _range(cache, upstream)
        assert cache.stats.rebuilds == 0
