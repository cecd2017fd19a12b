"""`oxt xsa sync` end to end: a fixture feed built from the fixture upstream,
served by a loopback HTTP server on 127.0.0.1, a two-track checkout
(stable-4.6 with XSA-300 already queued, stable-4.7) and the file:// upstream.

Every failure exits 2 and leaves the tree byte for byte as it was."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time

import git
import pytest
import fixtures.xen_upstream as F
import fixtures.xsa_feed as X
from fixtures.checkout import snapshot
from oxt.cli import main

GPG = shutil.which("gpg") is not None
needs_gpg = pytest.mark.skipif(not GPG, reason="gpg is not installed: signature checks cannot run (.ci/run "
                                               "installs it)")
XSA_DIR = "meta-openxt/recipes-extended/xen/files/xsa"
RECENT = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)


@pytest.fixture(scope="module")
def signer(tmp_path_factory):
    """(gpg home, fingerprint) of a test signing key, or (None, None) without gpg."""
    if not GPG:
        yield None, None
        return
    with X.signing_key(tmp_path_factory.mktemp("xsa-gpg") / "g") as key:
        yield key


@pytest.fixture(scope="module")
def builder(upstream, signer, tmp_path_factory):
    b = X.FeedBuilder(upstream, tmp_path_factory.mktemp("xsa-feed"), signer[0])
    b.simple(470, cves=("CVE-2026-0470",))
    b.simple(471, title="needs XSA-470", prereqs={"4.6": [470], "4.7": [470]})
    b.simple(473, public_time=dt.datetime.now(dt.UTC) + dt.timedelta(days=5))  # embargoed
    slot = b.next_slot()
    b.add(X.Advisory(474, "only newer Xen", {v: [(f"xsa474{'-' + v if v != 'master' else ''}.patch",
                                                 b.patch(474, "4.7", slot))] for v in ("4.19", "master")}))
    b.simple(475, title="A mistake (withdrawn)")
    # 4.6: applies on the bare pin, but not after the queued XSA-300 (its context is XSA-300's line)
    b.add(X.Advisory(476, "clashes with XSA-300 on 4.6", {
        "4.6": [("xsa476-4.6.patch", b.patch(476, "4.6", ("xen/common/grant_table.c", 8)))],
        "4.7": [("xsa476-4.7.patch", b.patch(476, "4.7", b.next_slot()))]}))
    b.simple(477, withdrawn_text=True)
    b.simple(478, public_time=RECENT)
    # the series as the recipe applies it: 480 made where its first context line differs (fuzz 1
    # on 4.7); 481 changes the line before the one OpenXT's patch changes; 483 is made on top of
    # its prerequisite 482 (alone it fails); 484 changes the line before meta-virtualization's patch
    fuzz = (("xen/common/pygrub.c", "    step_5();", "    step_5_local();"),)
    b.add(X.Advisory(480, "needs fuzz on 4.7", {"4.7": [
        ("xsa480-4.7.patch", b.patch(480, "4.7", ("xen/common/pygrub.c", 8), before=fuzz))]}))
    b.add(X.Advisory(481, "breaks the OpenXT queue on 4.6", {"4.6": [
        ("xsa481-4.6.patch", b.patch(481, "4.6", ("xen/common/libxl.c", 9)))]}))
    b.add(X.Advisory(482, "first", {"4.7": [("xsa482-4.7.patch", b.patch(482, "4.7", ("xen/common/hvm.c", 9)))]}))
    on_top = (("xen/common/hvm.c", "    step_9();", b.changed("    step_9();", 482)),)
    b.add(X.Advisory(483, "made on top of XSA-482", {"4.7": [
        ("xsa483-4.7.patch", b.patch(483, "4.7", ("xen/common/hvm.c", 10), before=on_top))]}, prereqs={"4.7": [482]}))
    b.add(X.Advisory(484, "breaks meta-virtualization's patch on 4.7", {"4.7": [
        ("xsa484-4.7.patch", b.patch(484, "4.7", ("xen/common/vpmu.c", 9)))]}))
    yield b
    b.close()


@pytest.fixture(scope="module")
def checkout_template(upstream, tmp_path_factory):
    return X.two_track_checkout(tmp_path_factory.mktemp("xsa-co") / "co", upstream, xsas=(F.XSA_PENDING,))


@pytest.fixture
def checkout(checkout_template, tmp_path):
    dest = tmp_path / "co"
    shutil.copytree(checkout_template, dest)
    return dest


class World:
    """A served feed of chosen advisories and a runner of `oxt xsa sync` against it."""

    def __init__(self, builder, upstream, signer, checkout, tmp_path, capsys, xen_cache):
        self.builder, self.upstream, self.checkout = builder, upstream, checkout
        self.tmp, self.capsys = tmp_path, capsys
        self.gpg_home, self.fpr = signer
        self.xen_cache = xen_cache
        self.server = None

    def serve(self, *numbers, changed: dict | None = None) -> World:
        """Serve these advisories (*changed*: number -> another Advisory to publish instead)."""
        if self.server:  # publish anew at the same address
            self.server.__exit__()
        keep = {n: (changed or {}).get(n, self.builder.advisories[n]) for n in numbers}
        saved, self.builder.advisories = self.builder.advisories, keep
        try:
            self.feed_dir = self.builder.write(self.tmp / "www")
        finally:
            self.builder.advisories = saved
        if self.server:  # HTTP dates have one-second steps: make the new files visibly newer
            later = time.time() + 2
            for f in self.feed_dir.rglob("*"):
                os.utime(f, (later, later))
        self.server = X.FeedServer(self.tmp / "www", port=self.server.port if self.server else 0).__enter__()
        return self

    def close(self):
        if self.server:
            self.server.__exit__()

    @property
    def requests(self) -> list[str]:
        return self.server.requests

    def sync(self, *args, feed=None, signing=True):
        argv = ["--root", str(self.checkout), "xsa", "sync", "-q", "--feed", feed or self.server.url,
                "--remote", self.upstream.url, "--cache-dir", str(self.xen_cache),
                "--feed-cache", str(self.tmp / "feed-cache"), *args]
        if signing and self.gpg_home:
            argv += ["--gpg-home", str(self.gpg_home), "--signing-key", self.fpr]
        code = main(argv)
        out, err = self.capsys.readouterr()
        return code, out, err

    def manifest(self) -> dict:
        from ruamel.yaml import YAML

        data = YAML(typ="safe").load((self.checkout / "recipes-templates" / "manifest.yml").read_text())
        return {t["branch"]: t for t in data["xen"]["tracks"]}

    def queue(self, track: str) -> list[int]:
        return [x["number"] for x in self.manifest()[track]["xsa"]]


@pytest.fixture(scope="module")
def xen_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("xsa-xen-cache") / "xen.git"


@pytest.fixture
def world(builder, upstream, signer, checkout, tmp_path, capsys, xen_cache):
    w = World(builder, upstream, signer, checkout, tmp_path, capsys, xen_cache)
    yield w
    w.close()


def assert_user_error(world, before, code, err, *needles):
    assert code == 2, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err
    assert snapshot(world.checkout) == before, "a failed run must leave the tree as it was"


# -- the cases that queue ----------------------------------------------------------------------------


def test_new_advisories_on_two_tracks_prerequisites_first_then_a_no_op(world):
    world.serve(470, 471, 473, 474, 475)
    code, out, err = world.sync()
    assert code == 0, err
    assert world.queue("stable-4.6") == [F.XSA_PENDING, 470, 471]
    assert world.queue("stable-4.7") == [470, 471]
    # the files are the served bytes, recorded with their origin URL and sha256
    import hashlib

    for version in ("4.6", "4.7"):
        for n in (470, 471):
            name = f"xsa{n}-{version}.patch"
            served = (world.feed_dir / name).read_bytes()
            assert (world.checkout / XSA_DIR / name).read_bytes() == served
            entry = next(x for x in world.manifest()[f"stable-{version}"]["xsa"] if x["number"] == n)
            assert entry["sources"] == [{"file": name, "url": world.server.url + name,
                                         "sha256": hashlib.sha256(served).hexdigest()}]
            assert entry["origin"] == world.server.url + f"advisory-{n}.txt"
    # rendered: XSA-300 then 470 then 471, first in SRC_URI
    recipe = (world.checkout / "meta-openxt/recipes-extended/xen/xen_4.6.bb").read_text()
    assert recipe.index("xsa300.patch") < recipe.index("xsa470-4.6.patch") < recipe.index("xsa471-4.6.patch")
    rows = {tuple(line.split()[:3]) for line in out.splitlines() if line.startswith("XSA-")}
    assert {("XSA-470", "stable-4.6", "queued"), ("XSA-471", "stable-4.7", "queued"),
            ("XSA-474", "stable-4.6", "no-patch"), ("XSA-474", "stable-4.7", "no-patch")} <= rows
    assert "no patch published for 4.6 (the advisory has patches for: 4.19, master)" in out
    assert "prerequisites: XSA-470" in out and "1 embargoed" in out and "1 withdrawn" in out
    # embargoed and withdrawn: not a byte of them was asked for
    assert not [r for r in world.requests if "473" in r or "475" in r], world.requests
    # idempotent: the second run changes nothing and, its cache warm, asks the feed for the index only
    before = snapshot(world.checkout)
    world.requests.clear()
    code, out, err = world.sync()
    assert code == 0, err
    assert snapshot(world.checkout) == before
    assert world.requests == ["/xsa/xsa.json"]
    assert "4 already-queued" in out


def test_one_advisory_brings_its_prerequisite_and_commits(world):
    world.serve(470, 471)
    head = git.Repo(world.checkout).head.commit.hexsha
    code, out, err = world.sync("--xsa", "471", "--commit")
    assert code == 0, err
    repo = git.Repo(world.checkout)
    commit = repo.head.commit
    assert commit.parents[0].hexsha == head and not repo.is_dirty(untracked_files=True)
    assert commit.summary == "xen: queue XSA-470, XSA-471 on stable-4.6, stable-4.7"
    assert "stable-4.6 (after XSA-470):" in commit.message
    sha = __import__("hashlib").sha256((world.feed_dir / "xsa471-4.7.patch").read_bytes()).hexdigest()
    assert f"xsa471-4.7.patch sha256 {sha}" in commit.message
    assert f"{XSA_DIR}/xsa470-4.6.patch" in commit.stats.files
    assert f"committed {commit.hexsha[:12]}" in out


def test_a_patch_that_does_not_apply_is_reported_not_queued(world):
    world.serve(470, 476)
    code, out, err = world.sync()
    assert code == 1, err
    assert world.queue("stable-4.6") == [F.XSA_PENDING, 470], "476 clashes with the queued XSA-300 on 4.6"
    assert world.queue("stable-4.7") == [470, 476]
    row = next(line for line in out.splitlines() if line.startswith("XSA-476  stable-4.6"))
    assert "does-not-apply" in row and "xsa476-4.6.patch" in row and "oxt xsa add 476" in row
    assert "need a manual backport" in out
    assert not (world.checkout / XSA_DIR / "xsa476-4.6.patch").exists()
    before = snapshot(world.checkout)
    code, out, _ = world.sync()
    assert code == 1 and snapshot(world.checkout) == before


def test_versions_we_do_not_track_queue_nothing(world):
    world.serve(474)
    before = snapshot(world.checkout)
    code, out, err = world.sync()
    assert code == 0, err
    assert "XSA-474  stable-4.6  no-patch" in out and "no patch published for 4.7" in out
    assert snapshot(world.checkout) == before
    assert world.requests == ["/xsa/xsa.json", "/xsa/xsa474.meta"], "no text or patch of a no-patch advisory"


def test_embargoed_and_withdrawn_are_never_touched(world):
    world.serve(473, 475, 477)
    before = snapshot(world.checkout)
    code, out, err = world.sync("--json")
    assert code == 0, err
    data = json.loads(out)
    assert {a["xsa"]: (a["state"], a["tracks"]) for a in data["advisories"]} == {
        473: ("embargoed", []), 475: ("withdrawn", []), 477: ("withdrawn", [])}
    assert snapshot(world.checkout) == before
    assert not [r for r in world.requests if "473" in r or "475" in r]
    assert not [r for r in world.requests if r.endswith(".patch")], "477's text says withdrawn: no patch fetched"


def test_carried_upstream_by_commit_message_or_by_reverse_apply(upstream, signer, builder, tmp_path, capsys,
                                                               xen_cache):
    """Pinned at the branch tip: XSA-245 is named by an upstream commit; XSA-301's fix went in
    under another message, but its patch reverse-applies."""
    co = F.make_checkout(tmp_path / "co", upstream, xsas=(), pin_label="tip-466")
    saved = builder.advisories
    builder.advisories = {n: X.Advisory(n, f"upstream has it {n}",
                                        {"4.6": [(f"xsa{n}.patch", (upstream.patches / f"xsa{n}.patch").read_text())]})
                          for n in (F.XSA_ONE, F.XSA_SILENT)}
    try:
        w = World(builder, upstream, signer, co, tmp_path, capsys, xen_cache).serve(F.XSA_ONE, F.XSA_SILENT)
    finally:
        builder.advisories = saved
    try:
        before = snapshot(co)
        code, out, err = w.sync("--json")
        assert code == 0, err
        rows = {a["xsa"]: a["tracks"][0] for a in json.loads(out)["advisories"]}
        assert set(rows) == {F.XSA_ONE, F.XSA_SILENT}, out
        assert rows[F.XSA_ONE]["status"] == "carried" and rows[F.XSA_ONE]["upstream"] == [upstream["xsa-one"]]
        assert rows[F.XSA_SILENT]["status"] == "carried" and "(reverse-applies)" in rows[F.XSA_SILENT]["note"]
        assert snapshot(co) == before
        # the verdict is kept for this pin: the next run does not check those patches again
        code, out, err = w.sync("--json")
        assert code == 0, err
        silent = next(a for a in json.loads(out)["advisories"] if a["xsa"] == F.XSA_SILENT)["tracks"][0]
        assert silent["status"] == "carried" and "found by an earlier run" in silent["note"]
    finally:
        w.close()


def test_an_advisory_that_publishes_other_patches_after_queueing_is_reported(world):
    import dataclasses

    world.serve(470)
    assert world.sync()[0] == 0
    before = snapshot(world.checkout)
    old = world.builder.advisories[470]
    v3 = dataclasses.replace(old, extra={"version": 3}, versions={
        "4.6": old.versions["4.6"],
        "4.7": [("xsa470-4.7.patch", world.builder.patch(470, "4.7", X.SLOTS[0], suffix="_v3"))]})
    world.serve(470, changed={470: v3})
    code, out, err = world.sync()
    assert code == 1, out + err
    row = next(line for line in out.splitlines() if line.startswith("XSA-470"))
    assert "stable-4.7  updated" in row and "oxt xsa add 470 FILE… --replace" in row
    assert "XSA-470  stable-4.6" not in out, "4.6's patch did not change"
    assert snapshot(world.checkout) == before


def test_dry_run_markdown_is_the_pull_request_body(world):
    world.serve(470, 471, 476)
    before = snapshot(world.checkout)
    code, out, err = world.sync("--dry-run", "--format", "markdown", "--xsa", "476")
    assert code == 1, err
    assert snapshot(world.checkout) == before
    assert out.startswith("## XSA-476 — clashes with XSA-300 on 4.6\n")
    assert "| `stable-4.7` | ✅ applies (would queue) | [`xsa476-4.7.patch`](" in out
    assert "| `stable-4.6` | ❌ manual backport |" in out and "xsa476-4.6.patch" in out
    assert "**Needs a maintainer**: `stable-4.6` (XSA-476)" in out
    if world.fpr:
        assert f"- signature: verified ({world.fpr})" in out
    assert "## XSA-470" not in out, "only the selected advisory"


def test_recent_advisories_are_revalidated_patches_are_not(world):
    world.serve(478)
    code, _, err = world.sync()
    assert code == 0, err
    world.requests.clear()
    world.server.statuses.clear()
    code, _, err = world.sync()
    assert code == 0, err
    # published two days ago: its .meta and text are asked again, conditionally (304:
    # unchanged; the text to see whether the queued patches are still the published ones);
    # the patch files are not asked for
    assert sorted(world.requests) == ["/xsa/advisory-478.txt", "/xsa/xsa.json", "/xsa/xsa478.meta"]
    assert {("/xsa/xsa478.meta", 304), ("/xsa/advisory-478.txt", 304)} <= set(world.server.statuses)


# -- failures: exit 2, tree unchanged ---------------------------------------------------------------


def test_malformed_index(world):
    world.serve(470)
    (world.feed_dir / "xsa.json").write_text('[{"xsas": [{"xsa": 470, ')
    before = snapshot(world.checkout)
    code, _, err = world.sync()
    assert_user_error(world, before, code, err, "xsa.json: the advisory index is not valid JSON")


def test_malformed_meta_names_advisory_and_key(world):
    world.serve(470, 471)
    meta = json.loads((world.feed_dir / "xsa471.meta").read_text())
    meta["Recipes"]["4.6"]["Recipes"]["xen"]["Prereqs"] = "XSA-470"
    (world.feed_dir / "xsa471.meta").write_text(json.dumps(meta))
    before = snapshot(world.checkout)
    code, _, err = world.sync()
    assert_user_error(world, before, code, err, "XSA-471", "key 'Recipes.4.6.Recipes.xen.Prereqs'")


def test_missing_patch_file(world):
    world.serve(470, 471)
    (world.feed_dir / "xsa471-4.7.patch").unlink()
    before = snapshot(world.checkout)
    code, _, err = world.sync()
    assert_user_error(world, before, code, err, "xsa471-4.7.patch: HTTP 404")


def test_sha256_mismatch(world):
    world.serve(470)
    p = world.feed_dir / "xsa470-4.7.patch"
    p.write_text(p.read_text().replace("_xsa470", "_evil"))
    before = snapshot(world.checkout)
    code, _, err = world.sync()
    assert_user_error(world, before, code, err, "xsa470-4.7.patch: sha256", "is not the", "advisory-470.txt lists")
    assert not list((world.tmp / "feed-cache").rglob("xsa470-4.7.patch")), "a bad file is not kept in the cache"


@needs_gpg
def test_bad_signature(world):
    world.serve(470)
    p = world.feed_dir / "advisory-470.txt"
    p.write_text(p.read_text().replace("Public release.", "Public release, and a forged line."))
    before = snapshot(world.checkout)
    code, _, err = world.sync()
    assert_user_error(world, before, code, err, "advisory-470.txt: BAD signature")


@needs_gpg
def test_signed_by_another_key_than_the_xen_security_team(world):
    world.serve(470)
    before = snapshot(world.checkout)
    code, _, err = world.sync("--gpg-home", str(world.gpg_home), signing=False)
    assert_user_error(world, before, code, err, "not by the Xen.org signing key")


@needs_gpg
def test_require_signature_without_the_key(world, tmp_path):
    world.serve(470)
    empty = tmp_path / "empty-gnupg"
    empty.mkdir(mode=0o700)
    before = snapshot(world.checkout)
    code, _, err = world.sync("--require-signature", "--gpg-home", str(empty), "--signing-key", world.fpr,
                              signing=False)
    X.stop_gpg_agent(empty)
    assert_user_error(world, before, code, err, "--require-signature", "signing key not in the gpg keyring")
    code, out, err = world.sync("--require-signature", "--json")
    assert code == 0, err
    assert {a["signature"] for a in json.loads(out)["advisories"]} == {f"verified ({world.fpr})"}


def test_feed_unreachable(world):
    world.serve()
    before = snapshot(world.checkout)
    code, _, err = world.sync(feed=X.closed_port_url())
    assert_user_error(world, before, code, err, "cannot download http://127.0.0.1:", "check the network and --feed")


def test_bad_options(world):
    world.serve(470)
    before = snapshot(world.checkout)
    code, _, err = world.sync("--track", "stable-9.9")
    assert_user_error(world, before, code, err, "--track stable-9.9", "stable-4.6, stable-4.7")
    code, _, err = world.sync(feed="ftp://example.invalid/xsa/")
    assert_user_error(world, before, code, err, "expected an http(s):// or file:// URL")
    (world.checkout / "recipes-templates" / "manifest.yml").write_text(
        (world.checkout / "recipes-templates" / "manifest.yml").read_text() + "\n# dirty\n")
    before = snapshot(world.checkout)
    code, _, err = world.sync("--commit")
    assert_user_error(world, before, code, err, "uncommitted changes")


def test_file_feed_works_like_http(world):
    world.serve(470)
    code, _, err = world.sync("--track", "stable-4.7", feed=world.feed_dir.as_uri() + "/")
    assert code == 0, err
    assert world.queue("stable-4.7") == [470] and world.queue("stable-4.6") == [F.XSA_PENDING]
    # a file:// feed is not a place to read an advisory: the manifest points at xenbits
    entry = world.manifest()["stable-4.7"]["xsa"][0]
    assert entry["origin"] == "https://xenbits.xen.org/xsa/advisory-470.html"
    assert entry["sources"][0]["url"] == world.feed_dir.as_uri() + "/xsa470-4.7.patch"


# -- the manifest keeps what sync recorded ----------------------------------------------------------


def test_a_bump_that_drops_an_xsa_keeps_the_sources_of_the_others(world, upstream, tmp_path, capsys):
    co = X.two_track_checkout(tmp_path / "co2", upstream, xsas=(F.XSA_ONE, F.XSA_PENDING))
    world.checkout = co
    world.serve(470)
    code, _, err = world.sync("--track", "stable-4.6")
    assert code == 0, err
    recorded = next(x for x in world.manifest()["stable-4.6"]["xsa"] if x["number"] == 470)["sources"]
    code = main(["--root", str(co), "bump", "xen", "--track", "stable-4.6", "-q", "--remote", upstream.url,
                 "--cache-dir", str(world.xen_cache)])
    assert code == 0, capsys.readouterr().err
    queue = world.manifest()["stable-4.6"]["xsa"]
    assert [x["number"] for x in queue] == [F.XSA_PENDING, 470], "XSA-245 is upstream now: dropped"
    assert queue[1]["sources"] == recorded


def test_manifest_sources_are_validated(checkout):
    from oxt import manifest as mf
    from oxt.repo import Checkout

    path = checkout / "recipes-templates" / "manifest.yml"
    good = path.read_text()
    entry = "          origin: https://xenbits.xen.org/xsa/advisory-300.html\n"
    assert entry in good
    cases = {
        "- file: other.patch\n  url: https://x.invalid/other.patch\n  sha256: " + "a" * 64: "'other.patch' is not one of",
        "- file: xsa300.patch\n  url: ftp://x.invalid/xsa300.patch\n  sha256: " + "a" * 64: "is not a URL",
        "- file: xsa300.patch\n  url: https://x.invalid/xsa300.patch\n  sha256: abc": "is not a sha256",
        "- file: xsa300.patch\n  url: https://x.invalid/xsa300.patch": "missing key 'sha256'",
    }
    for sources, expected in cases.items():
        block = "          sources:\n" + "".join(f"            {line}\n" for line in sources.splitlines())
        with pytest.raises(mf.ConfigError, match=expected):
            mf.parse_manifest(good.replace(entry, entry + block), Checkout(checkout))
    ok = "          sources:\n            - file: xsa300.patch\n              url: file:///srv/xsa/xsa300.patch\n" \
         f"              sha256: {'b' * 64}\n"
    track = next(t for t in mf.parse_manifest(good.replace(entry, entry + ok), Checkout(checkout)).xen.tracks
                 if t.branch == "stable-4.6")
    assert track.xsa[0].sources == (mf.XsaSource("xsa300.patch", "file:///srv/xsa/xsa300.patch", "b" * 64),)


def test_xsa_add_replace_with_other_file_names(world, upstream, tmp_path):
    """--replace with files named differently rewrites the entry (the old files go)."""
    src = tmp_path / "adv" / f"xsa{F.XSA_PENDING}-v2.patch"
    src.parent.mkdir()
    src.write_text((upstream.patches / f"xsa{F.XSA_PENDING}.patch").read_text())
    code = main(["--root", str(world.checkout), "xsa", "add", str(F.XSA_PENDING), str(src), "--replace",
                 "--track", "stable-4.6", "--no-check"])
    assert code == 0, world.capsys.readouterr().err
    entry = world.manifest()["stable-4.6"]["xsa"][0]
    assert entry["patches"] == [f"xsa{F.XSA_PENDING}-v2.patch"]
    assert not (world.checkout / XSA_DIR / f"xsa{F.XSA_PENDING}.patch").exists()


# -- the series as the recipe applies it (the series engine) ---------------------------------------


def _row(out: str, xsa: int, track: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(f"XSA-{xsa}  {track}"))


def test_a_patch_that_needs_fuzz_is_reported_then_queued_refreshed_with_refresh(world):
    world.serve(480)
    before = snapshot(world.checkout)
    code, out, err = world.sync("--track", "stable-4.7")
    assert code == 1, out + err
    row = _row(out, 480, "stable-4.7")
    assert "needs-refresh" in row and "fuzz 1" in row and "xen/common/pygrub.c" in row
    assert "OE's patch QA rejects fuzz" in row and "--refresh" in row
    assert snapshot(world.checkout) == before, "not queued: nothing written"
    # --refresh, as `xsa add --refresh`: queued rewritten to apply exactly, provenance kept
    code, out, err = world.sync("--track", "stable-4.7", "--refresh", "--commit")
    assert code == 0, out + err
    assert "(queued rewritten to apply exactly: xsa480-4.7.patch refreshed (was fuzz 1))" in \
        git.Repo(world.checkout).head.commit.message
    assert "queued rewritten to apply exactly: xsa480-4.7.patch refreshed (was fuzz 1)" in _row(out, 480, "stable-4.7")
    assert world.queue("stable-4.7") == [480]
    served = (world.feed_dir / "xsa480-4.7.patch").read_bytes()
    queued = (world.checkout / XSA_DIR / "xsa480-4.7.patch").read_bytes()
    assert queued != served and b"Subject: [PATCH] xen: fix XSA-480 on 4.7" in queued
    import hashlib

    assert world.manifest()["stable-4.7"]["xsa"][0]["sources"][0]["sha256"] == hashlib.sha256(served).hexdigest()
    # the series engine now sees it clean at the pin, as bitbake will
    code = main(["--root", str(world.checkout), "xen", "series", "--track", "stable-4.7", "--json", "-q",
                 "--remote", world.upstream.url, "--cache-dir", str(world.xen_cache)])
    series = json.loads(world.capsys.readouterr().out)
    assert code == 0 and {p["patch"]: p["status"] for p in series["recipes"][0]["patches"]} == {
        "xsa/xsa480-4.7.patch": "clean"}


def test_an_advisory_that_breaks_the_openxt_queue_is_not_queued(world, upstream, tmp_path):
    header = "Subject: [PATCH] {0}: tune {1}\n\nUpstream-Status: Pending\n---\n"
    broken_at_pin = F.pending_patch("xen/common/xenstore.c", "step_6", header=header.format("xenstore", "step 6"))
    openxt = {"0001-libxl-tune-step-10.patch": F.pending_patch("xen/common/libxl.c", "step_10",
                                                              header=header.format("libxl", "step 10")),
              "0002-xenstore-broken.patch": broken_at_pin.replace(" step_5();", " step_5_gone();")}
    world.checkout = X.two_track_checkout(tmp_path / "co-openxt", upstream, openxt=openxt)
    world.serve(470, 481)
    before = snapshot(world.checkout)
    code, out, err = world.sync()
    assert code == 1, out + err
    row = _row(out, 481, "stable-4.6")
    assert "breaks-series" in row and "openxt/0001-libxl-tune-step-10.patch fails" in row
    assert "0002-xenstore-broken" not in row, "broken before anything was queued: not this advisory's doing"
    assert world.queue("stable-4.6") == [470] and world.queue("stable-4.7") == [470]
    assert not (world.checkout / XSA_DIR / "xsa481-4.6.patch").exists()
    assert snapshot(world.checkout) != before


def test_a_prerequisite_is_pushed_before_the_advisory_made_on_top_of_it(world, upstream, tmp_path):
    world.serve(482, 483)
    code, out, err = world.sync("--xsa", "483", "--track", "stable-4.7")
    assert code == 0, out + err
    assert world.queue("stable-4.7") == [482, 483]
    # alone, on the pin, 483 does not apply: `xsa add` says so, with the same engine
    fresh = X.two_track_checkout(tmp_path / "fresh", upstream)
    before = snapshot(fresh)
    code = main(["--root", str(fresh), "xsa", "add", "483", str(world.feed_dir / "xsa483-4.7.patch"), "--track",
                 "stable-4.7", "-q", "--remote", upstream.url, "--cache-dir", str(world.xen_cache)])
    err = world.capsys.readouterr().err
    assert code == 2 and "does not apply on top of the series before it" in err, err
    assert snapshot(fresh) == before


def test_meta_virtualization_patches_are_part_of_the_checked_series(world, upstream, tmp_path):
    mv = tmp_path / "meta-virtualization"
    files = mv / "recipes-extended" / "xen" / "files"
    files.mkdir(parents=True)
    (files / "0001-mv-vpmu.patch").write_text(F.pending_patch("xen/common/vpmu.c", "step_10"))
    world.checkout = X.two_track_checkout(tmp_path / "co-mv", upstream,
                                          upstream_patches={"hypervisor": ["0001-mv-vpmu.patch"], "tools": []})
    world.serve(482, 484)
    before = snapshot(world.checkout)
    code, _, err = world.sync("--track", "stable-4.7")  # no kas files here: where is meta-virtualization?
    assert code == 2 and "pass --meta-virt DIR|URL" in err and snapshot(world.checkout) == before
    code, out, err = world.sync("--track", "stable-4.7", "--meta-virt", str(mv))
    assert code == 1, out + err
    row = _row(out, 484, "stable-4.7")
    assert "breaks-series" in row and "meta-virtualization/0001-mv-vpmu.patch fails" in row
    assert world.queue("stable-4.7") == [482]
