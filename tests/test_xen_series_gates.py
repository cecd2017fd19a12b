"""`bump xen` and `xsa add` on the series engine, end to end on the fixture upstream of
tests/fixtures/xen_series.py, where every patch state happens at a known commit:
a bump stops on a broken OpenXT queue (exit 1, tree unchanged) naming the patch,
the hunk and the upstream commit that broke it, unless --allow-broken-series; its
summary always carries the series table; `xsa add` checks an advisory behind the
XSAs queued before it and offers --refresh when only fuzz stands in the way."""

from __future__ import annotations

import json
import shutil

import git
import pytest
from fixtures import xen_series as SF
from fixtures import xen_upstream as XF
from fixtures.checkout import snapshot
from oxt.cli import main

XSA_DIR = "meta-openxt/recipes-extended/xen/files/xsa"
OPENXT = "meta-openxt/recipes-extended/xen/files/openxt"
BROKEN = [SF.CLEAN_PATCH, SF.OFFSET_PATCH, SF.FAIL_PATCH, SF.FUZZ_PATCH]  # the last two break before the tip


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    return SF.build(tmp_path_factory.mktemp("gates-up") / "xen.git")


def _template(upstream, tmp_path_factory, name, *, pin, queue, xsa=()):
    root = XF.make_checkout(tmp_path_factory.mktemp(name) / "co", upstream, xsas=(), pin_label=pin)
    if queue or xsa:
        SF.queue_patches(root, upstream, queue, xsa=list(xsa))
    return root


@pytest.fixture(scope="module")
def templates(upstream, tmp_path_factory):
    return {
        "broken": _template(upstream, tmp_path_factory, "broken", pin="4.6.1", queue=BROKEN, xsa=[SF.XSA_PATCH]),
        "good": _template(upstream, tmp_path_factory, "good", pin="4.6.1", queue=[SF.CLEAN_PATCH, SF.OFFSET_PATCH]),
        "empty": _template(upstream, tmp_path_factory, "empty", pin="tip", queue=[]),
        "xsa400": _template(upstream, tmp_path_factory, "xsa400", pin="tip", queue=[], xsa=[SF.XSA_PATCH]),
    }


@pytest.fixture
def checkout(templates, tmp_path):
    def copy(name):
        dest = tmp_path / name
        shutil.copytree(templates[name], dest, symlinks=True)
        return dest
    return copy


@pytest.fixture
def oxt(upstream, tmp_path, capsys):
    def run(root, *args):
        code = main(["--root", str(root), *args, "--remote", upstream.url, "--cache-dir", str(tmp_path / "cache"),
                     "-q"])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def _head(root):
    return git.Repo(root).head.commit.hexsha


# -- bump xen ---------------------------------------------------------------------------------------

def test_bump_stops_on_a_broken_openxt_queue_naming_patch_hunk_and_breaking_commit(oxt, checkout, upstream):
    root = checkout("broken")
    before, head = snapshot(root), _head(root)
    code, out, err = oxt(root, "bump", "xen", "--commit")
    assert code == 1
    assert snapshot(root) == before and _head(root) == head, "a stopped bump writes nothing"
    lines = [ln for ln in err.splitlines() if ln.startswith("oxt bump: error: stable-4.6: ")]
    assert len(lines) == 2, err
    fail = next(ln for ln in lines if SF.FAIL_PATCH in ln)
    assert f"openxt/{SF.FAIL_PATCH} fails at RELEASE-4.6.4-6-g" in fail
    assert "(xen/common/fail.c:7 hunk #1)" in fail
    assert f'broken by upstream {upstream["fail"][:12]} "fail: rewrite line 10"' in fail
    fuzz = next(ln for ln in lines if SF.FUZZ_PATCH in ln)
    assert "fuzz 1" in fuzz and f'broken by upstream {upstream["fuzz"][:12]} "fuzz: reword line 17"' in fuzz
    assert "--allow-broken-series" in err.splitlines()[-1] and "Traceback" not in err
    # the summary on stdout says why, with the series table
    assert "stopped, nothing written" in out
    assert f"openxt/{SF.OFFSET_PATCH}" in out and "offset 3" in out


def test_bump_json_and_markdown_carry_the_series_and_why_it_stopped(oxt, checkout, upstream):
    root = checkout("broken")
    code, out, _ = oxt(root, "bump", "xen", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["stopped"] and len(data["stopped"]) == 2
    (t,) = data["tracks"]
    s = t["series"]
    assert s["commit"] == upstream["tip"] and s["ok"] is False and s["allowed_broken"] is False
    assert s["recipes"] == ["xen", "xen-tools"]
    rows = {p["patch"]: p for p in s["patches"]}
    assert list(rows) == ["xsa/xsa400.patch", *(f"openxt/{n}" for n in BROKEN)]  # SRC_URI order
    assert rows[f"openxt/{SF.CLEAN_PATCH}"]["results"] == {"xen": "clean", "xen-tools": "clean"}
    assert rows[f"openxt/{SF.OFFSET_PATCH}"]["results"]["xen"] == "offset 3"
    assert rows[f"openxt/{SF.FAIL_PATCH}"]["broken_by"] == {"commit": upstream["fail"], "subject": "fail: rewrite line 10"}
    assert {b["patch"] for b in s["broken"]} == {f"openxt/{SF.FAIL_PATCH}", f"openxt/{SF.FUZZ_PATCH}"}
    code, md, _ = oxt(root, "bump", "xen", "--format", "markdown")
    assert code == 1
    assert "> [!WARNING]" in md and "(nothing written)" in md
    assert f"| openxt/{SF.FAIL_PATCH} | OpenXT | fails | fails | xen/common/fail.c:7 hunk #1 |" in md


def test_allow_broken_series_writes_warns_and_marks_the_summary(oxt, checkout, upstream):
    root = checkout("broken")
    code, out, err = oxt(root, "bump", "xen", "--commit", "--allow-broken-series")
    assert code == 0, err
    commit = git.Repo(root).head.commit
    assert f"srcrev: {upstream['tip']}" in (root / "recipes-templates/manifest.yml").read_text()
    assert f"file://openxt/{SF.FAIL_PATCH}" in (root / "meta-openxt/recipes-extended/xen/xen_4.6.bb").read_text()
    warned = [ln for ln in out.splitlines() if ln.startswith("warning: stable-4.6: written with --allow-broken-series")]
    assert len(warned) == 2 and any("fail: rewrite line 10" in w for w in warned)
    assert "Patch series BROKEN at the new pin" in commit.message
    assert commit.message.rstrip().endswith("Patch-Series: broken (stable-4.6)")


def test_a_bump_whose_queue_survives_carries_the_series_table(oxt, checkout, upstream):
    root = checkout("good")
    code, out, err = oxt(root, "bump", "xen", "--dry-run")
    assert code == 0, err
    assert "patch series at RELEASE-4.6.4-6-g" in out and "2 patches, all apply as do_patch needs" in out
    assert f"openxt/{SF.OFFSET_PATCH}" in out
    code, md, _ = oxt(root, "bump", "xen", "--dry-run", "--format", "markdown")
    assert "[!WARNING]" not in md and "<details><summary>patch series at RELEASE-4.6.4-6-g" in md
    code, out, err = oxt(root, "bump", "xen", "--commit")
    assert code == 0, err
    assert "Patch series: the 2 patches of xen and the 2 of xen-tools apply at the new pin" in git.Repo(root).head.commit.message


def test_a_broken_queue_at_an_unchanged_pin_is_a_warning_not_a_stop(oxt, checkout, upstream):
    """Nothing to bump (pinned at the tip already): the state is reported, the run succeeds."""
    root = checkout("empty")
    SF.queue_patches(root, upstream, [SF.FAIL_PATCH])
    code, out, err = oxt(root, "bump", "xen")
    assert code == 0, err
    assert "(unchanged)" in out
    assert f"warning: stable-4.6: the OpenXT patch series does not apply at the current pin: openxt/{SF.FAIL_PATCH}" \
        in out


# -- xsa add ----------------------------------------------------------------------------------------

def test_xsa_add_checks_the_advisory_behind_the_xsas_queued_before_it(oxt, checkout, upstream):
    """XSA-401 was made on top of XSA-400: alone on the pin it needs fuzz 2 (do_patch would fail);
    the recipe applies it after XSA-400, where it is clean — so it is accepted."""
    alone = checkout("empty")
    before = snapshot(alone)
    code, _, err = oxt(alone, "xsa", "add", "401", str(upstream.patches / SF.XSA_ON_TOP))
    assert code == 2 and snapshot(alone) == before
    assert "applies only with fuzz 2 on top of the series before it" in err
    assert "pass --refresh to queue it rewritten to apply exactly (instead of --no-check)" in err
    behind = checkout("xsa400")
    code, out, err = oxt(behind, "xsa", "add", "401", str(upstream.patches / SF.XSA_ON_TOP))
    assert code == 0, err
    assert "queued XSA-401 for stable-4.6: xsa401.patch" in out
    recipe = (behind / "meta-openxt/recipes-extended/xen/xen_4.6.bb").read_text()
    assert recipe.index("file://xsa/xsa400.patch") < recipe.index("file://xsa/xsa401.patch")


def test_xsa_add_refresh_queues_the_advisory_rewritten_to_apply_exactly(oxt, checkout, upstream):
    root = checkout("empty")
    code, out, err = oxt(root, "xsa", "add", "401", str(upstream.patches / SF.XSA_ON_TOP), "--refresh")
    assert code == 0, err
    assert "xsa/xsa401.patch: refreshed (was fuzz 2)" in out
    original = (upstream.patches / SF.XSA_ON_TOP).read_text()
    queued = (root / XSA_DIR / "xsa401.patch").read_text()
    assert queued != original
    assert queued.startswith(original.split("diff --git", 1)[0])  # the advisory's header kept byte for byte
    code, out, _ = oxt(root, "xen", "series", "--json")
    assert code == 0
    (xen, _tools) = json.loads(out)["recipes"]
    assert [(p["patch"], p["status"]) for p in xen["patches"]] == [("xsa/xsa401.patch", "clean")]


def test_xsa_add_refuses_an_advisory_that_fails_and_says_what_to_do(oxt, checkout, upstream, tmp_path):
    root = checkout("xsa400")
    bad = tmp_path / "xsa402.patch"
    bad.write_text((upstream.patches / SF.FAIL_PATCH).read_text())
    before = snapshot(root)
    code, _, err = oxt(root, "xsa", "add", "402", str(bad))
    assert code == 2 and snapshot(root) == before
    assert "does not apply on top of the series before it on stable-4.6 at RELEASE-4.6.4-6-g" in err
    assert "xen/common/fail.c:7 hunk #1" in err and "take the advisory's patch for this branch" in err


def test_the_commit_message_counts_the_patches_of_every_recipe():
    """xen and xen-tools apply their own series: the message names both counts, not the first one's."""
    from types import SimpleNamespace

    from oxt.xen.commit import _series_lines
    from oxt.xen.series import PatchResult, SeriesResult
    from oxt.xen.series_check import SeriesVerdict

    def result(n):
        return SeriesResult("c" * 40, [PatchResult(f"p{i}.patch", "openxt", "clean") for i in range(n)])

    one = SimpleNamespace(series=SeriesVerdict("c" * 40, None, [("xen", result(3))]))
    assert _series_lines(one)[0] == "Patch series: the 3 patches of xen apply at the new pin (OpenXT queue clean or offset)."
    two = SimpleNamespace(series=SeriesVerdict("c" * 40, None, [("xen", result(3)), ("xen-tools", result(5))]))
    assert _series_lines(two)[0] == ("Patch series: the 3 patches of xen and the 5 of xen-tools apply at the new pin "
                                     "(OpenXT queue clean or offset).")
