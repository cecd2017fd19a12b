"""`oxt xen series|survey|refresh|patch` end to end: a fixture checkout whose
manifest pins the fixture upstream of tests/fixtures/xen_series.py (file://
remote); every bad input exits 2 and leaves the tree byte for byte."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from fixtures import xen_series as SF
from fixtures.checkout import REPO_ROOT, snapshot
from fixtures import xen_upstream as XF
from oxt.cli import main

OPENXT = "meta-openxt/recipes-extended/xen/files/openxt"


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    return SF.build(tmp_path_factory.mktemp("series-cli-up") / "xen.git")


@pytest.fixture(scope="module")
def empty_template(upstream, tmp_path_factory):
    """Pinned at the tip, nothing queued."""
    return XF.make_checkout(tmp_path_factory.mktemp("co-empty") / "co", upstream, xsas=(), pin_label="tip")


@pytest.fixture(scope="module")
def queued_template(upstream, tmp_path_factory):
    """Pinned at the tip, the fixture queue (every state) behind XSA-400."""
    root = XF.make_checkout(tmp_path_factory.mktemp("co-queued") / "co", upstream, xsas=(), pin_label="tip")
    SF.queue_patches(root, upstream, SF.QUEUE, xsa=[SF.XSA_PATCH])
    return root


def _copy(template, tmp_path):
    dest = tmp_path / template.parent.name  # co-empty… / co-queued…: both may be used at once
    shutil.copytree(template, dest, symlinks=True)
    return dest


@pytest.fixture
def empty(empty_template, tmp_path):
    return _copy(empty_template, tmp_path)


@pytest.fixture
def queued(queued_template, tmp_path):
    return _copy(queued_template, tmp_path)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One shallow cache for the module (a cache is shared by design; it holds a lock while used)."""
    return tmp_path_factory.mktemp("series-cache") / "xen.git"


@pytest.fixture
def oxt(upstream, cache, capsys):

    def run(root, *args, remote=True):
        argv = ["--root", str(root), "xen", *args]
        if remote and args[0] != "patch" or (args[:2] == ("patch", "add") and "--no-check" not in args):
            argv += ["--remote", upstream.url, "--cache-dir", str(cache), "-q"]
        code = main(argv)
        out, err = capsys.readouterr()
        return code, out, err
    return run


# -- series ---------------------------------------------------------------------------------------

def test_series_reports_every_state_and_exits_1(oxt, queued):
    code, out, err = oxt(queued, "series")
    assert code == 1, err
    assert "Xen stable-4.6 at RELEASE-4.6.4-6-g" in out
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\s+\d+\s+(\S+)\s+\S+\s+(clean|offset \d+|fuzz \d+|fails|"
                                                        r"carried upstream)", out, re.MULTILINE)}
    assert rows == {
        f"xsa/{SF.XSA_PATCH}": "clean", f"openxt/{SF.CLEAN_PATCH}": "clean", f"openxt/{SF.OFFSET_PATCH}": "offset 3",
        f"openxt/{SF.FUZZ_PATCH}": "fuzz 1", f"openxt/{SF.FAIL_PATCH}": "fails",
        f"openxt/{SF.CARRIED_PATCH}": "carried upstream", f"openxt/{SF.SUBJECT_PATCH}": "fails",
        f"openxt/{SF.CREATE_PATCH}": "fails"}
    assert "xen/common/fail.c:7 hunk #1" in out
    assert "xen/common/new.c (creates a file that already exists)" in out
    assert "BROKEN: 1 need fuzz, 3 fail, 1 carried upstream" in out


def test_series_json_has_both_recipes_in_src_uri_order(oxt, queued):
    code, out, _ = oxt(queued, "series", "--json")
    assert code == 1
    data = json.loads(out)
    assert [r["recipe"] for r in data["recipes"]] == ["xen", "xen-tools"]
    assert data["ok"] is False and data["at"]["describe"].startswith("RELEASE-4.6.4-6-g")
    rendered = (queued / "meta-openxt/recipes-extended/xen/xen_4.6.bb").read_text()
    src_uri = re.findall(r"file://(\S+\.patch)", rendered)
    assert [p["patch"] for p in data["recipes"][0]["patches"]] == src_uri
    fz = next(p for p in data["recipes"][0]["patches"] if p["patch"].endswith(SF.FUZZ_PATCH))
    assert fz["fuzzed"] == [{"file": "xen/common/fuzz.c", "hunk": 1, "line": 17, "offset": 0, "fuzz": 1,
                             "reason": ""}]


def test_series_markdown_and_an_older_commit_that_is_clean(oxt, queued):
    code, out, _ = oxt(queued, "series", "--at", "4.6.1", "--format", "markdown")
    assert code == 0
    assert out.startswith("## Xen stable-4.6 at RELEASE-4.6.1")
    assert "| # | PATCH | QUEUE | RESULT | DETAIL |" in out
    assert "Every patch applies as do_patch needs it" in out
    code, out, _ = oxt(queued, "series", "--at", "RELEASE-4.6.3")
    assert code == 0 and "offset 3" in out


@pytest.mark.parametrize("args, message", [
    (("--at", "4.6.2"), "has no tag RELEASE-4.6.2 (Xen 4.6.2 was never released); nearest existing tags: "
                        "RELEASE-4.6.0, RELEASE-4.6.1, RELEASE-4.6.3, RELEASE-4.6.4"),
    (("--at", "4.7.0"), "4.7.0: not a release of stable-4.6"),
    (("--at", "deadbeefdead"), "--at deadbeefdead: no such commit on stable-4.6 since RELEASE-4.6.4"),
    (("--at", "HEAD~1"), "--at HEAD~1: not a ref oxt understands"),
    (("--track", "stable-9.9"), "--track stable-9.9: no such track (tracks: stable-4.6)"),
])
def test_series_unknown_track_or_ref_exits_2(oxt, queued, args, message):
    before = snapshot(queued)
    code, out, err = oxt(queued, "series", *args)
    assert code == 2 and out == ""
    assert message in err
    assert snapshot(queued) == before


def test_series_file_outside_the_manifest(oxt, empty, upstream, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    for n in (SF.FUZZ_PATCH, SF.XSA_PATCH):
        shutil.copy(upstream.patches / n, scratch / n)
    (scratch / "series").write_text(f"# a queue outside the manifest\n{SF.FUZZ_PATCH} -p1\n{SF.XSA_PATCH}\n")
    code, out, _ = oxt(empty, "series", "--series", str(scratch / "series"), "--track", "stable-4.6", "--json")
    assert code == 1
    (rec,) = json.loads(out)["recipes"]
    assert [(p["patch"], p["kind"], p["label"]) for p in rec["patches"]] == [
        (SF.FUZZ_PATCH, "openxt", "fuzz 1"), (SF.XSA_PATCH, "xsa", "clean")]
    code, _, err = oxt(empty, "series", "--series", str(scratch / "series"))
    assert code == 2 and "--series needs --track" in err
    (scratch / "series").write_text("missing.patch\n")
    code, _, err = oxt(empty, "series", "--series", str(scratch / "series"), "--track", "stable-4.6")
    assert code == 2 and "missing.patch: no such patch file" in err


# -- meta-virtualization's patches ------------------------------------------------------------------

def _with_upstream_patches(root, name):
    from ruamel.yaml import YAML

    from oxt.render import render
    from oxt.repo import Checkout

    y = YAML(typ="rt")
    y.indent(mapping=2, sequence=4, offset=2)
    path = root / "recipes-templates" / "manifest.yml"
    data = y.load(path.read_text())
    data["xen"]["tracks"][0]["upstream_patches"] = {"hypervisor": [name], "tools": []}
    with path.open("w") as fh:
        y.dump(data, fh)
    render(Checkout(root))


def test_meta_virtualization_patches_are_read_from_meta_virt(oxt, queued, upstream, tmp_path):
    mv = tmp_path / "meta-virtualization"
    (mv / "recipes-extended/xen/files").mkdir(parents=True)
    shutil.copy(upstream.patches / SF.LATER_PATCH, mv / "recipes-extended/xen/files/0001-mv-build-fix.patch")
    _with_upstream_patches(queued, "0001-mv-build-fix.patch")
    code, out, _ = oxt(queued, "series", "--json", "--meta-virt", str(mv))
    data = json.loads(out)
    xen, tools = data["recipes"]
    names = [p["patch"] for p in xen["patches"]]
    # the rendered recipe's order: XSA queue, meta-virtualization's, OpenXT's
    assert names[:2] == [f"xsa/{SF.XSA_PATCH}", "meta-virtualization/0001-mv-build-fix.patch"]
    assert xen["patches"][1]["kind"] == "upstream"
    assert xen["patches"][1]["label"] == "fails"  # made on top of clean.c's change, which comes later
    assert "meta-virtualization/0001-mv-build-fix.patch" not in [p["patch"] for p in tools["patches"]]
    code, _, err = oxt(queued, "series")  # no kas files in the fixture, no --meta-virt
    assert code == 2 and "pass --meta-virt DIR|URL" in err


# -- survey -----------------------------------------------------------------------------------------

def test_survey_text_names_the_first_breaking_commits(oxt, queued, upstream):
    code, out, err = oxt(queued, "survey", "--from", "4.6.1", "--to", "tip", "--recipe", "xen")
    assert code == 0, err
    assert out.startswith("Survey of xen (stable-4.6): 4.6.1..tip")
    assert re.search(r"^RELEASE-4\.6\.3\s+\w{12}\s+1\s+0\s+0\s+0\s+0\s+6\s+1\s+0\s+0\s+0$", out, re.MULTILINE)
    for name, label, subject in ((SF.FUZZ_PATCH, "fuzz", "fuzz: reword line 17"),
                                 (SF.FAIL_PATCH, "fail", "fail: rewrite line 10"),
                                 (SF.CARRIED_PATCH, "carried", "carried: fix the leak"),
                                 (SF.SUBJECT_PATCH, "subject", "subject: harden the parser"),
                                 (SF.CREATE_PATCH, "exists", "add new.c upstream")):
        line = next(ln for ln in out.splitlines() if ln.startswith(f"openxt/{name}"))
        assert upstream[label][:12] in line and line.endswith(subject), line


def test_survey_json_and_without_xsa(oxt, queued, upstream):
    code, out, _ = oxt(queued, "survey", "--from", "4.6.1", "--json")
    (xen, tools) = json.loads(out)["surveys"]
    assert (xen["recipe"], tools["recipe"]) == ("xen", "xen-tools")
    assert [p["label"] for p in xen["points"]] == ["RELEASE-4.6.1", "RELEASE-4.6.3", "RELEASE-4.6.4", "tip"]
    assert xen["commits"] == SF.FILLERS + 9 and xen["commits_touching_series"] == 6
    fail = next(p for p in xen["patches"] if p["patch"].endswith(SF.FAIL_PATCH))
    assert fail["first_break"]["commit"] == upstream["fail"] and fail["first_break"]["status"] == "fails"
    carried = next(p for p in xen["patches"] if p["patch"].endswith(SF.CARRIED_PATCH))
    assert carried["carried_upstream"]["how"] == "reverse-applies"
    assert [p["kind"] for p in xen["patches"]].count("xsa") == 1
    code, out, _ = oxt(queued, "survey", "--from", "4.6.1", "--without-xsa", "--json", "--recipe", "xen")
    (xen,) = json.loads(out)["surveys"]
    assert xen["without_xsa"] is True and all(p["kind"] == "openxt" for p in xen["patches"])
    code, out, _ = oxt(queued, "survey", "--from", "4.6.1", "--format", "markdown", "--recipe", "xen")
    assert "| AT | COMMIT | XSA clean |" in out


def test_survey_bad_range_exits_2(oxt, queued):
    code, _, err = oxt(queued, "survey", "--from", "tip", "--to", "4.6.1")
    assert code == 2 and "is not older than --to 4.6.1" in err


# -- refresh ----------------------------------------------------------------------------------------

def test_refresh_rewrites_offset_and_fuzz_patches_and_lists_failing_ones(oxt, queued):
    files = queued / OPENXT
    manifest = (queued / "recipes-templates/manifest.yml").read_bytes()
    before = snapshot(queued)
    code, out, _ = oxt(queued, "refresh", "--dry-run")
    assert code == 1  # failing patches remain
    assert snapshot(queued) == before
    assert f"would refresh {OPENXT}/{SF.OFFSET_PATCH} (offset 3 -> clean)" in out
    assert f"would refresh {OPENXT}/{SF.FUZZ_PATCH} (fuzz 1 -> clean)" in out
    assert f"not refreshed (it does not apply: rebase it by hand or drop it): openxt/{SF.FAIL_PATCH}" in out
    assert f"+++ b/{OPENXT}/{SF.FUZZ_PATCH}" in out
    old_fuzz = (files / SF.FUZZ_PATCH).read_text()
    code, out, _ = oxt(queued, "refresh")
    assert code == 1 and f"refreshed {OPENXT}/{SF.FUZZ_PATCH}" in out
    new_fuzz = (files / SF.FUZZ_PATCH).read_text()
    assert new_fuzz != old_fuzz and new_fuzz.startswith(old_fuzz.split("diff --git")[0])
    assert (queued / "recipes-templates/manifest.yml").read_bytes() == manifest
    code, out, _ = oxt(queued, "series", "--json")
    labels = {p["patch"]: p["label"] for p in json.loads(out)["recipes"][0]["patches"]}
    assert labels[f"openxt/{SF.FUZZ_PATCH}"] == "clean" and labels[f"openxt/{SF.OFFSET_PATCH}"] == "clean"
    code, out, _ = oxt(queued, "refresh")
    assert "nothing to refresh" in out


# -- patch add / remove --------------------------------------------------------------------------------

def test_patch_add_queues_and_renders(oxt, empty, upstream, capsys):
    code, out, err = oxt(empty, "patch", "add", str(upstream.patches / SF.CLEAN_PATCH),
                         str(upstream.patches / SF.OFFSET_PATCH), "--why", "keep the fixture stepping")
    assert code == 0, err
    assert f"queued openxt/{SF.CLEAN_PATCH} for stable-4.6 (clean)" in out
    assert f"queued openxt/{SF.OFFSET_PATCH} for stable-4.6 (offset 3)" in out
    text = (empty / "recipes-templates/manifest.yml").read_text()
    assert f"- file: {SF.CLEAN_PATCH}\n          purpose: keep the fixture stepping" in text
    assert (empty / OPENXT / SF.CLEAN_PATCH).read_bytes() == (upstream.patches / SF.CLEAN_PATCH).read_bytes()
    recipe = (empty / "meta-openxt/recipes-extended/xen/xen_4.6.bb").read_text()
    assert f"file://openxt/{SF.CLEAN_PATCH}" in recipe and "keep the fixture stepping" in recipe
    assert main(["--root", str(empty), "render", "--check"]) == 0
    capsys.readouterr()
    code, out, _ = oxt(empty, "patch", "remove", SF.CLEAN_PATCH)
    assert code == 0 and f"removed openxt/{SF.CLEAN_PATCH} from stable-4.6" in out
    assert not (empty / OPENXT / SF.CLEAN_PATCH).exists()
    assert SF.CLEAN_PATCH not in (empty / "recipes-templates/manifest.yml").read_text()
    assert main(["--root", str(empty), "render", "--check"]) == 0


def test_patch_add_refresh_rewrites_a_fuzzy_patch(oxt, empty, upstream):
    code, out, err = oxt(empty, "patch", "add", str(upstream.patches / SF.FUZZ_PATCH), "--why", "tune", "--refresh")
    assert code == 0, err
    assert "refreshed (was fuzz 1)" in out
    queued = (empty / OPENXT / SF.FUZZ_PATCH).read_text()
    assert queued != (upstream.patches / SF.FUZZ_PATCH).read_text() and "Upstream-Status: Pending" in queued
    code, out, _ = oxt(empty, "series")
    assert code == 0


def _bad(tmp_path, name, data):
    f = tmp_path / "in" / name
    f.parent.mkdir(exist_ok=True)
    f.write_bytes(data)
    return str(f)


BAD_FILES = {
    "text": ("notes.txt", b"Just words.\n", "not a patch"),
    "empty": ("empty.patch", b"", "the file is empty"),
    "binary": ("bin.patch", b"diff --git a/x b/x\nGIT binary patch\nliteral 1\n\x00\n", "binary content"),
    "outside": ("out.patch", SF.make_patch("../etc/passwd", "a\n", "b\n", subject="x").encode(), "outside the source"),
    "p0": ("p0.patch", b"Upstream-Status: Pending\n--- xen/common/clean.c.orig\n+++ xen/common/clean.c\n"
                       b"@@ -1 +1 @@\n-clean.c line 1\n+clean.c line one\n", "a -p0 patch: xen/common/clean.c exists"),
    "crlf": ("crlf.patch", SF.make_patch("xen/common/clean.c", "clean.c line 1\n", "x\n", subject="x")
             .replace("\n", "\r\n").encode(), "CRLF line endings"),
    "no-status": ("nostatus.patch", SF.make_patch("xen/common/clean.c", "clean.c line 1\n", "x\n", subject="x",
                                                  status=None).encode(), "no Upstream-Status header"),
    "bad-status": ("badstatus.patch", SF.make_patch("xen/common/clean.c", "clean.c line 1\n", "x\n", subject="x",
                                                    status="Accepted").encode(), "malformed Upstream-Status line"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_patch_add_refuses_bad_files(oxt, empty, tmp_path, case):
    name, data, message = BAD_FILES[case]
    before = snapshot(empty)
    code, out, err = oxt(empty, "patch", "add", _bad(tmp_path, name, data), "--why", "x")
    assert (code, out) == (2, "")
    assert message in err and name in err
    assert snapshot(empty) == before


@pytest.mark.parametrize("patch, message", [
    (SF.CREATE_PATCH, "creates xen/common/new.c, which already exists"),
    (SF.FAIL_PATCH, "does not apply on top of the series before it on stable-4.6 at RELEASE-4.6.4-6-g"),
    (SF.CARRIED_PATCH, "upstream already carries it"),
    (SF.FUZZ_PATCH, "applies only with fuzz 1"),
])
def test_patch_add_refuses_what_do_patch_would_refuse(oxt, empty, upstream, patch, message):
    before = snapshot(empty)
    code, _, err = oxt(empty, "patch", "add", str(upstream.patches / patch), "--why", "x")
    assert code == 2 and message in err
    assert snapshot(empty) == before


def test_patch_add_refuses_duplicates_unknown_tracks_and_no_purpose(oxt, queued, empty, upstream, tmp_path):
    clean = str(upstream.patches / SF.CLEAN_PATCH)
    cases = [
        (queued, (clean, "--why", "x"), f"{SF.CLEAN_PATCH} is already in stable-4.6's OpenXT queue"),
        (empty, (clean, clean, "--why", "x"), "given twice"),
        (empty, (clean, "--why", "   "), '--why "…" is required'),
        (empty, (clean, "--why", "x", "--track", "stable-4.9"), "--track stable-4.9: no such track"),
    ]
    copy = tmp_path / "renamed.patch"
    copy.write_bytes((upstream.patches / SF.CARRIED_PATCH).read_bytes())
    cases.append((queued, (str(copy), "--why", "x"), f"the same patch is already queued for stable-4.6 as "
                                                      f"openxt/{SF.CARRIED_PATCH}"))
    for root, args, message in cases:
        before = snapshot(root)
        code, _, err = oxt(root, "patch", "add", *args)
        assert code == 2 and message in err, (args, err)
        assert snapshot(root) == before


def test_patch_remove_unknown_name_exits_2(oxt, queued):
    before = snapshot(queued)
    code, _, err = oxt(queued, "patch", "remove", "nope.patch")
    assert code == 2 and f"nope.patch: not in stable-4.6's OpenXT queue (queued: {SF.CLEAN_PATCH}" in err
    assert snapshot(queued) == before


def test_help_explains_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["xen", "--help"])
    out = capsys.readouterr().out
    for word in ("series", "survey", "refresh", "patch", "carried upstream", "patch-fuzz"):
        assert word in out


def _meta_virt_repo(tmp_path, upstream) -> tuple[str, str]:
    """A bare meta-virtualization with the build fix in recipes-extended/xen/files/ (url, commit)."""
    import git

    work = tmp_path / "mv-work"
    repo = git.Repo.init(work, initial_branch="scarthgap")
    (work / "recipes-extended/xen/files").mkdir(parents=True)
    shutil.copy(upstream.patches / SF.XSA_PATCH, work / "recipes-extended/xen/files/0001-mv-build-fix.patch")
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "xen: a build fix")
    sha = repo.head.commit.hexsha
    bare = tmp_path / "meta-virtualization.git"
    git.Repo.clone_from(str(work), str(bare), bare=True).close()
    repo.close()
    return bare.resolve().as_uri(), sha


def test_meta_virtualization_from_a_clone_or_fetched_at_the_kas_lock(oxt, empty, upstream, tmp_path, monkeypatch):
    url, sha = _meta_virt_repo(tmp_path, upstream)
    _with_upstream_patches(empty, "0001-mv-build-fix.patch")
    # a bare clone: read at HEAD (no kas lock in this checkout)
    code, out, err = oxt(empty, "series", "--json", "--meta-virt", url.removeprefix("file://"))
    assert code == 0, err
    assert json.loads(out)["recipes"][0]["patches"][0]["patch"] == "meta-virtualization/0001-mv-build-fix.patch"
    # kas files pinning it: fetched from the URL at the lock's commit into the layer cache
    shutil.copytree(REPO_ROOT / "kas", empty / "kas")
    lock = empty / "kas/openxt.lock.yml"
    lock.write_text(re.sub(r"(meta-virtualization:\n\s+commit: )[0-9a-f]{40}", rf"\g<1>{sha}", lock.read_text()))
    monkeypatch.setenv("OXT_LAYER_CACHE", str(tmp_path / "layer-cache.git"))
    code, out, err = oxt(empty, "series", "--json", "--meta-virt", url)
    assert code == 0, err
    assert json.loads(out)["recipes"][0]["patches"][0]["label"] == "clean"
    assert (tmp_path / "layer-cache.git/HEAD").is_file()
    code, _, err = oxt(empty, "series", "--meta-virt", str(tmp_path / "nowhere"))
    assert code == 2 and "no such directory" in err
