"""Upstream access: ls-remote, the shallow range cache, describe, faults."""

import git
import pytest

from fixtures import upload_pack
from fixtures import xen_upstream as F
from oxt.errors import GitError
from oxt.xen.cache import FetchError, UpstreamCache
from oxt.xen.upstream import UnknownRefError, ls_remote
from oxt.xen.versions import Version


def test_ls_remote_peels_annotated_and_keeps_lightweight(upstream):
    refs = ls_remote(upstream.url)
    assert refs.heads["stable-4.6"] == upstream["tip-466"]
    assert refs.tags["RELEASE-4.6.6"] == upstream["4.6.6"]  # annotated: peeled to the commit
    assert "RELEASE-4.6.6" in refs.annotated
    assert refs.tags["RELEASE-4.6.4"] == upstream["4.6.4"] and "RELEASE-4.6.4" not in refs.annotated
    assert [str(v) for v in refs.releases("4.6")] == ["4.6.0", "4.6.1", "4.6.3", "4.6.4", "4.6.5", "4.6.6"]


def test_missing_version_lists_nearest_tags(upstream):
    with pytest.raises(UnknownRefError) as err:
        ls_remote(upstream.url).release(Version(4, 6, 2))
    assert "RELEASE-4.6.2" in str(err.value) and "RELEASE-4.6.1" in str(err.value) \
        and "RELEASE-4.6.3" in str(err.value)


def test_unknown_branch(upstream):
    with pytest.raises(UnknownRefError, match="no branch 'stable-9.9'.*stable-4.7"):
        ls_remote(upstream.url).branch("stable-9.9")


def test_unreachable_remote(tmp_path):
    with pytest.raises(GitError, match="cannot list refs"):
        ls_remote((tmp_path / "nothing.git").as_uri())


def _range(cache, upstream, old="pin"):
    refs = ls_remote(upstream.url)
    cache.ensure_range("stable-4.6", refs.heads["stable-4.6"], base_tag="RELEASE-4.6.6",
                       base_commit=refs.tags["RELEASE-4.6.6"], tags=[], need=[upstream[old]])


def test_range_fetch_is_shallow_and_describes(upstream, tmp_path):
    with UpstreamCache(tmp_path / "c.git", upstream.url, progress=False) as cache:
        _range(cache, upstream)
        assert cache.stats.fetches == 2
        assert (tmp_path / "c.git" / "shallow").read_text().split() == [upstream["4.6.6"]]
        assert not cache.has(upstream["pre-466"])  # before the base release: not fetched
        assert not cache.has(upstream["4.6.0"])
        assert cache.describe(upstream["tip-466"]) == f"RELEASE-4.6.6-21-g{upstream['tip-466'][:12]}"
        assert cache.describe(upstream["4.6.6"]) == "RELEASE-4.6.6"
        assert len(cache.commits(upstream["pin"], upstream["tip-466"])) == 20
    # warm: same upstream, nothing fetched
    with UpstreamCache(tmp_path / "c.git", upstream.url, progress=False) as cache:
        _range(cache, upstream)
        assert cache.stats.fetches == 0


def test_pin_before_base_tag_deepens(upstream, tmp_path):
    with UpstreamCache(tmp_path / "c.git", upstream.url, progress=False) as cache:
        _range(cache, upstream, old="pre-466")
        assert cache.stats.deepens >= 1
        assert cache.is_ancestor(upstream["pre-466"], upstream["tip-466"])


def test_interrupted_fetch_leaves_cache_usable(upstream, tmp_path, monkeypatch):
    """A remote that dies mid-pack: clear error, then a normal run succeeds."""
    # forwards the first 4000 bytes (refs + the start of the pack), then drops the connection
    for key, value in upload_pack.env(upload_pack.upload_pack(tmp_path / "dying", cut_after=4000)).items():
        monkeypatch.setenv(key, value)
    cache_dir = tmp_path / "c.git"
    with UpstreamCache(cache_dir, upstream.url, progress=False) as cache:
        with pytest.raises(FetchError, match="cache .* is left consistent"):
            _range(cache, upstream)
    # leftovers of a killed run
    (cache_dir / "shallow.lock").write_text("x")
    (cache_dir / "objects" / "pack").mkdir(parents=True, exist_ok=True)
    (cache_dir / "objects" / "pack" / "tmp_pack_dead").write_bytes(b"PACK")
    monkeypatch.delenv("GIT_CONFIG_COUNT")
    with UpstreamCache(cache_dir, upstream.url, progress=False) as cache:
        _range(cache, upstream)
        assert cache.describe(upstream["tip-466"]).startswith("RELEASE-4.6.6-21-")
    assert not (cache_dir / "shallow.lock").exists()
    git.Repo(cache_dir).git.fsck("--connectivity-only")


def test_check_series_is_cumulative_and_undoes_last_first(upstream, tmp_path):
    """The XSA checks of a bump: an advisory's patches in order on the cached commit, or undone."""
    from oxt.xen.series import SeriesPatch, check_series

    patches = [SeriesPatch.from_file(upstream.patches / f, kind="xsa") for f in F.QUEUE[F.XSA_MULTI]]
    with UpstreamCache(tmp_path / "c.git", upstream.url, progress=False) as cache:
        _range(cache, upstream)
        tip = upstream["tip-466"]
        undone = check_series(cache.path, tip, patches, reverse=True)
        assert undone.ok and [r.name for r in undone.results] == [p.name for p in patches]
        twice = check_series(cache.path, tip, patches + patches[:1], reverse=True)
        # undone first, the extra copy meets the context of the two later patches: it fails; the
        # failed undo is rolled back, so the three below it still undo cleanly
        assert [r.status for r in twice.results] == ["clean", "clean", "clean", "fails"]
        assert check_series(cache.path, upstream["pin"], patches).ok
        stale = check_series(cache.path, tip, [SeriesPatch.from_file(upstream.patches / f"xsa{F.XSA_STALE}.patch")])
        (r,) = stale.results
        assert r.status == "fails" and r.rejects[0].file == "xen/common/memory.c"


# -- the upstream context: what a track pins, where its range starts ------------------


def _track(**fields):
    from oxt.manifest import XenTrack

    return XenTrack(**{"branch": "stable-4.6", "mode": "git", "license_md5": "", **fields})


def test_context_pin_and_base_of_git_and_tarball_tracks(upstream, tmp_path):
    from oxt.xen.context import UpstreamContext

    with UpstreamContext(upstream.url, tmp_path / "c.git", progress=False) as up:
        git_track = _track(srcrev=upstream["pin"], tag="RELEASE-4.6.6")
        assert up.pinned_commit(git_track) == upstream["pin"]
        assert up.base_release(git_track) == Version(4, 6, 6)
        # an older target release moves the range start back to it
        assert up.base_release(git_track, target=Version(4, 6, 3)) == Version(4, 6, 3)
        tarball = _track(mode="tarball", version="4.6.5", url="https://x.invalid/xen-4.6.5.tar.gz", sha256="0" * 64)
        assert up.pinned_commit(tarball) == upstream["4.6.5"]
        assert up.base_release(tarball) == Version(4, 6, 5)
        # a new track starts after the newest release of its series
        assert up.base_release(_track(branch="stable-4.7"), new_track=True) == Version(4, 7, 1)
        # a pin whose release tag the remote lacks: no base, the fetch deepens instead
        assert up.base_release(_track(srcrev=upstream["pin"], tag="RELEASE-4.6.2")) is None
        up.fetch(git_track, up.base_release(git_track), need=[upstream["pin"]])
        assert up.cache.describe(upstream["pin"]) == f"RELEASE-4.6.6-1-g{upstream['pin'][:12]}"
        assert up.cache.stats.fetches == 2


def test_context_lists_refs_before_taking_the_cache(tmp_path):
    from oxt.xen.context import UpstreamContext

    with pytest.raises(GitError, match="cannot list refs"):
        UpstreamContext((tmp_path / "gone.git").as_uri(), tmp_path / "c.git")
    assert not (tmp_path / "c.git").exists()


# -- ref texts: one parser for bump's --to and oxt xen's --at/--from/--to ----------------------------


@pytest.mark.parametrize("text, tip, version, commit", [
    ("tip", True, None, None),
    ("4.6.6", False, Version(4, 6, 6), None),
    ("RELEASE-4.6.6", False, Version(4, 6, 6), None),
    ("ABCDEF1", False, None, "abcdef1"),
    ("a" * 40, False, None, "a" * 40),
])
def test_parse_ref_reads_every_form(text, tip, version, commit):
    from oxt.xen.refs import parse_ref

    ref = parse_ref(text, "stable-4.6", option="--at")
    assert (ref.tip, ref.version, ref.commit) == (tip, version, commit)
    assert ref.full == (commit if commit and len(commit) == 40 else None)
    assert ref.label == f"--at {text}"


@pytest.mark.parametrize("text, message", [
    ("4.7.1", "--to 4.7.1: not a release of stable-4.6 (it is Xen 4.7); name a 4.6.N release"),
    ("HEAD~1", "--to HEAD~1: not a ref oxt understands; use tip, X.Y.Z, RELEASE-X.Y.Z or a commit id"),
    ("abc", "--to abc: not a ref oxt understands"),
])
def test_parse_ref_refuses_what_it_cannot_name(text, message):
    from oxt.errors import OxtUserError
    from oxt.xen.refs import parse_ref

    with pytest.raises(OxtUserError) as err:
        parse_ref(text, "stable-4.6", option="--to")
    assert str(err.value).startswith(message)
