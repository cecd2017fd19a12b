"""`oxt bump xen` and `oxt xsa` end to end on a fixture checkout and a file://
fixture upstream; every bad input exits 2 and leaves the tree byte-for-byte."""

import json
import re
import shutil

import git
import pytest

from fixtures import upload_pack
from fixtures import xen_upstream as F
from fixtures.checkout import snapshot
from oxt.cli import main


@pytest.fixture(scope="session")
def checkout_template(upstream, tmp_path_factory):
    return F.make_checkout(tmp_path_factory.mktemp("co-template") / "co", upstream)


@pytest.fixture
def xen_checkout(checkout_template, tmp_path):
    """A checkout whose manifest pins the fixture upstream, with the full XSA queue."""
    dest = tmp_path / "co"
    shutil.copytree(checkout_template, dest)
    return dest


@pytest.fixture
def oxt(upstream, xen_checkout, tmp_path, capsys):
    cache = tmp_path / "cache.git"

    def run(*args, remote=True):
        argv = ["--root", str(xen_checkout), *args]
        if remote:
            argv += ["--remote", upstream.url]
        if args and args[0] in ("bump", "xsa"):
            argv += ["--cache-dir", str(cache), "-q"]
        code = main(argv)
        out, err = capsys.readouterr()
        return code, out, err
    return run


XSA_DIR = "meta-openxt/recipes-extended/xen/files/xsa"


def test_bump_to_tip_drops_merged_xsas(oxt, xen_checkout, upstream):
    code, out, err = oxt("bump", "xen", "--json")
    assert code == 0, err
    data = json.loads(out)
    (t,) = data["tracks"]
    assert t["new"]["commit"] == upstream["tip-466"]
    assert t["new"]["describe"] == f"RELEASE-4.6.6-21-g{upstream['tip-466'][:12]}"
    status = {x["xsa"]: (x["status"], x["action"], x["reverse_applies"]) for x in t["xsas"]}
    assert status == {
        F.XSA_ONE: ("merged", "drop", True),
        F.XSA_LATER_TOUCHED: ("merged", "drop", False),  # merged, no longer reverse-applies: reported
        F.XSA_MULTI: ("merged", "drop", True),
        F.XSA_PARTIAL: ("unsure", "keep", False),
        F.XSA_PENDING: ("not-merged", "keep", False),
        F.XSA_SILENT: ("unsure", "keep", True),
    }
    multi = next(x for x in t["xsas"] if x["xsa"] == F.XSA_MULTI)
    assert [c["commit"] for c in multi["upstream"]] == [upstream[f"xsa-multi-{i}"] for i in range(3)]
    assert multi["upstream"][0]["backport_of"] == "0" * 40
    assert set(t["upstream_xsas"]) == {str(n) for n in (F.XSA_ONE, F.XSA_LATER_TOUCHED, F.XSA_MULTI, F.XSA_PARTIAL,
                                                         236, 425, 471, 389, 388, F.XSA_CVE_ONLY, 206)}
    assert str(F.XSA_QEMU) not in t["upstream_xsas"] and "158" not in t["upstream_xsas"]
    assert any("XSA-301" in w for w in t["warnings"]) and any("XSA-260" in w for w in t["warnings"])
    # the tree: manifest pinned to the tip, merged files gone, kept ones present
    text = (xen_checkout / "recipes-templates/manifest.yml").read_text()
    assert f"srcrev: {upstream['tip-466']}" in text and "tag: RELEASE-4.6.6" in text
    assert "number: 245" not in text and "number: 300" in text
    xsa = xen_checkout / XSA_DIR
    assert not (xsa / "xsa245.patch").exists() and not (xsa / "xsa254-4.6-2.patch").exists()
    assert (xsa / "xsa300.patch").exists() and (xsa / "xsa260-4.6" / "0003-x86-hvm-third-half.patch").exists()
    assert "# The single source of truth" in text


def test_text_summary_and_second_run_is_a_no_op(oxt):
    code, out, _ = oxt("bump", "xen")
    assert code == 0
    assert "stable-4.6" in out and "XSA-246" in out and "merged" in out
    code, out, _ = oxt("bump", "xen", "--format", "markdown")
    assert code == 0 and out == ""  # nothing changed: no PR body


def test_markdown_lists_dropped_xsas_with_commits(oxt, upstream):
    code, out, _ = oxt("bump", "xen", "--dry-run", "--format", "markdown")
    assert code == 0
    assert out.startswith("## Xen `stable-4.6`: RELEASE-4.6.6-1-g")
    assert f"| XSA-{F.XSA_ONE} | merged | drop | `{upstream['xsa-one'][:12]}` |" in out
    assert "Upstream shortlog (20 commits)" in out


def test_dry_run_writes_nothing(oxt, xen_checkout):
    before = snapshot(xen_checkout)
    code, out, _ = oxt("bump", "xen", "--dry-run")
    assert code == 0 and "dry run" in out
    assert snapshot(xen_checkout) == before


def test_commit_makes_one_commit(oxt, xen_checkout, upstream):
    repo = git.Repo(xen_checkout)
    head = repo.head.commit.hexsha
    code, out, err = oxt("bump", "xen", "--commit")
    assert code == 0, err
    c = repo.head.commit
    assert c.parents[0].hexsha == head
    subject, _, body = c.message.partition("\n\n")
    assert subject == f"xen: update stable-4.6 to RELEASE-4.6.6-21-g{upstream['tip-466'][:12]}"
    assert f"XSA-{F.XSA_MULTI}: " + ", ".join(upstream[f"xsa-multi-{i}"][:12] for i in range(3)) in body
    assert f"XSA-{F.XSA_PENDING} [not-merged]" in body
    assert f"{upstream['xsa-one'][:12]} gnttab: check the frame before use" in body
    assert repo.is_dirty(untracked_files=True) is False
    assert f"{XSA_DIR}/xsa245.patch" in c.stats.files


def test_to_release_uses_upgrade_subject(oxt, xen_checkout, upstream):
    # the pin is one commit past RELEASE-4.6.6: going back to the release is a downgrade, and says so
    code, out, err = oxt("bump", "xen", "--to", "4.6.6", "--allow-downgrade", "--commit")
    assert code == 0, err
    assert git.Repo(xen_checkout).head.commit.summary == "xen: downgrade 4.6.6-1-g" + upstream["pin"][:12] + " -> 4.6.6"
    code, out, err = oxt("bump", "xen", "--to", "4.6.6", "--commit")
    assert code == 0 and "(unchanged)" in out, err


def test_new_track_for_branch_whose_tip_is_its_tag(oxt, xen_checkout, upstream):
    code, out, err = oxt("bump", "xen", "--new-track", "stable-4.7", "--json")
    assert code == 0, err
    t = json.loads(out)["tracks"][0]
    assert t["new"]["describe"] == "RELEASE-4.7.1" and t["new"]["commit"] == upstream["4.7.1"]
    text = (xen_checkout / "recipes-templates/manifest.yml").read_text()
    assert "branch: stable-4.7" in text and f"srcrev: {upstream['4.7.1']}" in text
    assert f"srcrev: {upstream['pin']}" in text  # the other track untouched


def _assert_user_error(oxt, xen_checkout, *args, match, remote=True):
    before = snapshot(xen_checkout)
    code, out, err = oxt(*args, remote=remote)
    assert code == 2, (out, err)
    assert "Traceback" not in err
    for m in match if isinstance(match, (list, tuple)) else [match]:
        assert m in err, err
    assert snapshot(xen_checkout) == before


def test_unknown_branch(oxt, xen_checkout):
    _assert_user_error(oxt, xen_checkout, "bump", "xen", "--new-track", "stable-9.9", match="no branch 'stable-9.9'")


def test_missing_release_lists_nearest(oxt, xen_checkout):
    _assert_user_error(oxt, xen_checkout, "bump", "xen", "--to", "4.6.2",
                       match=["no tag RELEASE-4.6.2", "RELEASE-4.6.1", "RELEASE-4.6.3"])


def test_downgrade_refused(oxt, xen_checkout):
    _assert_user_error(oxt, xen_checkout, "bump", "xen", "--to", "4.6.5", match="--allow-downgrade")


def test_unreachable_remote(oxt, xen_checkout, tmp_path):
    _assert_user_error(oxt, xen_checkout, "bump", "xen", "--remote", (tmp_path / "gone.git").as_uri(),
                       match="does not appear to be a git repository", remote=False)


def test_commit_on_dirty_tree(oxt, xen_checkout):
    (xen_checkout / "recipes-templates/manifest.yml").write_text(
        (xen_checkout / "recipes-templates/manifest.yml").read_text() + "# local edit\n")
    _assert_user_error(oxt, xen_checkout, "bump", "xen", "--commit", match="uncommitted changes")


def test_stale_xsa_patch(upstream, tmp_path, capsys):
    co = F.make_checkout(tmp_path / "co", upstream, xsas=(F.XSA_ONE,),
                         extra_xsa={F.XSA_STALE: [f"xsa{F.XSA_STALE}.patch"]})
    before = snapshot(co)
    code = main(["--root", str(co), "bump", "xen", "-q", "--remote", upstream.url,
                 "--cache-dir", str(tmp_path / "c.git")])
    err = capsys.readouterr().err
    assert code == 2 and f"xsa{F.XSA_STALE}.patch does not apply" in err
    assert snapshot(co) == before


def test_invalid_manifest(oxt, xen_checkout):
    m = xen_checkout / "recipes-templates/manifest.yml"
    m.write_text(m.read_text().replace("mode: git", "mode: svn"))
    _assert_user_error(oxt, xen_checkout, "bump", "xen", match=["manifest.yml", "mode"])


def test_interrupted_fetch(oxt, xen_checkout, tmp_path, monkeypatch):
    for key, value in upload_pack.env(upload_pack.failing(tmp_path / "dying")).items():
        monkeypatch.setenv(key, value)
    _assert_user_error(oxt, xen_checkout, "bump", "xen", match="left consistent")


def test_xsa_add_and_status(oxt, xen_checkout, upstream, tmp_path):
    src = tmp_path / "adv" / "xsa999.patch"
    src.parent.mkdir()
    src.write_text(F.pending_patch("xen/common/event.c", "step_11"))
    code, out, err = oxt("xsa", "add", "999", str(src))
    assert code == 0, err
    assert (xen_checkout / XSA_DIR / "xsa999.patch").read_bytes() == src.read_bytes()
    assert "number: 999" in (xen_checkout / "recipes-templates/manifest.yml").read_text()
    code, out, err = oxt("xsa", "status", "--to", "tip")
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if "XSA-245" in ln)
    assert "merged" in line and upstream["xsa-one"][:12] in line
    assert "not-merged" in next(ln for ln in out.splitlines() if "XSA-999" in ln)


def test_xsa_add_refuses_a_copy_of_a_queued_advisory(oxt, xen_checkout, upstream, tmp_path):
    """XSA-999 comes after XSA-300 in the recipe: the same change again would fail do_patch."""
    src = tmp_path / "xsa999.patch"
    src.write_text((upstream.patches / f"xsa{F.XSA_PENDING}.patch").read_text())
    _assert_user_error(oxt, xen_checkout, "xsa", "add", "999", str(src),
                       match="a patch queued before it already makes this change")


def test_xsa_add_rejects_non_patch(oxt, xen_checkout, upstream):
    _assert_user_error(oxt, xen_checkout, "xsa", "add", "998", str(upstream.patches / "not-a-patch.txt"),
                       match="not-a-patch.txt")


def test_xsa_add_rejects_patch_that_does_not_apply(oxt, xen_checkout, upstream, tmp_path):
    bad = tmp_path / f"xsa{F.XSA_STALE}.patch"
    bad.write_text((upstream.patches / f"xsa{F.XSA_STALE}.patch").read_text().replace("step_4();", "step_4_x();"))
    _assert_user_error(oxt, xen_checkout, "xsa", "add", str(F.XSA_STALE), str(bad), match="does not apply")


def test_license_md5_is_of_the_exact_copying_bytes(oxt, xen_checkout):
    """bitbake's LIC_FILES_CHKSUM hashes the file as is, trailing newline included."""
    import hashlib

    code, out, err = oxt("bump", "xen", "--json")
    assert code == 0, err
    (t,) = json.loads(out)["tracks"]
    assert not any("COPYING changed" in w for w in t["warnings"]), "COPYING is the same at pin and tip"
    exact = hashlib.md5(b"GNU GENERAL PUBLIC LICENSE\nVersion 2\n").hexdigest()  # as the fixture writes it
    assert f"license_md5: {exact}" in (xen_checkout / "recipes-templates/manifest.yml").read_text()
    recipe = (xen_checkout / "meta-openxt/recipes-extended/xen/xen_4.6.bb").read_text()
    assert f"file://COPYING;md5={exact}" in recipe


def test_emptying_the_xsa_queue_keeps_the_manifest_comments(upstream, tmp_path, capsys):
    """The comments after the XSA list ride on its last entry in ruamel: queueing
    an XSA and then dropping it again must give back the manifest's comments."""
    co = F.make_checkout(tmp_path / "co", upstream, xsas=())
    manifest = co / "recipes-templates/manifest.yml"
    text = manifest.read_text()
    assert text.count("      patches: []\n") == 1
    manifest.write_text(text.replace("      patches: []\n", "      # OpenXT's own patches, applied last\n"
                                                              "      patches: []\n"))
    git.Repo(co).git.commit("-qam", "comment")
    before = manifest.read_text()
    common = ["--root", str(co)]
    tail = ["--remote", upstream.url, "--cache-dir", str(tmp_path / "c"), "-q"]
    patch = upstream.patches / F.QUEUE[F.XSA_ONE][0]
    assert main([*common, "xsa", "add", str(F.XSA_ONE), str(patch), *tail]) == 0, capsys.readouterr().err
    assert f"number: {F.XSA_ONE}" in manifest.read_text()
    assert main([*common, "bump", "xen", *tail]) == 0, capsys.readouterr().err
    after = manifest.read_text()
    assert "xsa: []" in after, "the queued XSA was merged upstream and dropped"
    assert "      # OpenXT's own patches, applied last\n      patches: []\n" in after
    comments = [line for line in before.splitlines() if line.strip().startswith("#")]
    assert [line for line in after.splitlines() if line.strip().startswith("#")] == comments


def test_release_to_release_is_an_upgrade(upstream, tmp_path, capsys):
    co = F.make_checkout(tmp_path / "co", upstream, xsas=())
    args = ["--root", str(co), "bump", "xen", "--remote", upstream.url, "--cache-dir", str(tmp_path / "c"), "-q"]
    assert main([*args, "--to", "4.6.5", "--allow-downgrade", "--commit"]) == 0, capsys.readouterr().err
    assert git.Repo(co).head.commit.summary == f"xen: downgrade 4.6.6-1-g{upstream['pin'][:12]} -> 4.6.5"
    assert main([*args, "--to", "4.6.6", "--commit"]) == 0, capsys.readouterr().err
    assert git.Repo(co).head.commit.summary == "xen: upgrade 4.6.5 -> 4.6.6"


# -- which tracks a command works on (no upstream needed) -----------------------------


@pytest.mark.parametrize("kwargs, error", [
    ({"new_track": "stable-4.20", "track": "stable-4.19"}, "--new-track and --track cannot be combined"),
    ({"new_track": "4.20"}, "--new-track 4.20: expected stable-X.Y"),
    ({"new_track": "stable-4.19"}, "already has that track; use --track stable-4.19"),
    ({"track": "stable-4.7"}, "--track stable-4.7: "),
    ({"to": "4.19.7"}, "--to 4.19.7 needs --track (the manifest has 2 tracks)"),
])
def test_bump_track_selection_errors(tmp_path, kwargs, error):
    from fixtures.recipes import rich_checkout
    from oxt.errors import OxtUserError
    from oxt.manifest import load_manifest
    from oxt.xen.tracks import for_bump

    manifest = load_manifest(rich_checkout(tmp_path / "co"))
    args = {"track": None, "new_track": None, "to": "tip", "mode": None, **kwargs}
    with pytest.raises(OxtUserError, match=re.escape(error)):
        for_bump(manifest, **args)


def test_bump_and_xsa_track_selection(tmp_path):
    from fixtures.recipes import rich_checkout
    from oxt.errors import OxtUserError
    from oxt.manifest import load_manifest
    from oxt.xen.tracks import for_bump, pick_one

    manifest = load_manifest(rich_checkout(tmp_path / "co"))
    assert [(t.branch, new) for t, new in for_bump(manifest, track=None, new_track=None, to="tip", mode=None)] == [
        ("stable-4.19", False), ("stable-4.18", False)]
    ((added, new),) = for_bump(manifest, track=None, new_track="stable-4.20", to="tip", mode="tarball")
    assert (added.branch, added.mode, added.license_md5, new) == ("stable-4.20", "tarball", "", True)
    assert pick_one(manifest, "stable-4.18").mode == "tarball"
    with pytest.raises(OxtUserError, match=r"the manifest has 2 tracks \(stable-4.19, stable-4.18\); pass --track"):
        pick_one(manifest, None)


def test_xsa_add_replace_with_renamed_files(oxt, xen_checkout, upstream, tmp_path):
    """--replace swaps the queued files for the new ones, also when their names differ."""
    src = tmp_path / "adv" / f"xsa{F.XSA_ONE}-4.6.patch"
    src.parent.mkdir()
    src.write_bytes((upstream.patches / f"xsa{F.XSA_ONE}.patch").read_bytes())
    code, out, err = oxt("xsa", "add", str(F.XSA_ONE), str(src), "--replace", "--no-check",
                         "--origin", "https://example.org/xsa-245-for-4.6")
    assert code == 0, err
    assert out == f"queued XSA-{F.XSA_ONE} for stable-4.6: xsa{F.XSA_ONE}-4.6.patch\n"
    text = (xen_checkout / "recipes-templates/manifest.yml").read_text()
    assert f"- xsa{F.XSA_ONE}-4.6.patch" in text and f"xsa{F.XSA_ONE}.patch" not in text
    assert "origin: https://example.org/xsa-245-for-4.6" in text
    assert not (xen_checkout / XSA_DIR / f"xsa{F.XSA_ONE}.patch").exists()
    assert (xen_checkout / XSA_DIR / f"xsa{F.XSA_ONE}-4.6.patch").read_bytes() == src.read_bytes()
