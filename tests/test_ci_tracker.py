"""The scheduled Xen tracker (.github/workflows/xen-tracker.yml), run for real.

The `run:` scripts of the workflow's list and bump steps are executed as
GitHub would (bash -eo pipefail, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY /
RUNNER_TEMP files) in a fixture meta-openxt checkout whose Xen track pins
the fixture upstream of the bump-xen tests. Only the remote differs: the
checkout's `.venv/bin/oxt` is a wrapper adding `--remote file://…`.
"""

from __future__ import annotations

import json
import re

import git
import pytest
import yaml
from conftest import REPO_ROOT
from fixtures.xen_upstream import (
    OPENXT_BROKEN_AT_TIP,
    OPENXT_HEADER,
    XSA_LATER_TOUCHED,
    XSA_MULTI,
    XSA_ONE,
    XSA_PARTIAL,
    XSA_PENDING,
    XSA_SILENT,
    build_upstream,
    make_checkout,
    pending_patch,
)
from fixtures.workflow_runner import Runner, head, install_oxt

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "xen-tracker.yml"
TRACK = "stable-4.6"
BOT = {
    "GIT_AUTHOR_NAME": "github-actions[bot]",
    "GIT_AUTHOR_EMAIL": "41898282+github-actions[bot]@users.noreply.github.com",
    "GIT_COMMITTER_NAME": "github-actions[bot]",
    "GIT_COMMITTER_EMAIL": "41898282+github-actions[bot]@users.noreply.github.com",
}


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def step(job: str, step_id: str) -> dict:
    for s in workflow()["jobs"][job]["steps"]:
        if s.get("id") == step_id:
            return s
    raise AssertionError(f"xen-tracker.yml: job {job} has no step id {step_id}")


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    return build_upstream(tmp_path_factory.mktemp("upstream") / "xen.git")


ALL_SHAPES = (XSA_ONE, XSA_LATER_TOUCHED, XSA_MULTI, XSA_PARTIAL, XSA_PENDING, XSA_SILENT)
# merged ones and one that still applies: after one bump the queue is settled
SETTLED = (XSA_ONE, XSA_MULTI, XSA_PENDING)


BROKEN_QUEUE = {OPENXT_BROKEN_AT_TIP: pending_patch("xen/common/memory.c", "step_6", header=OPENXT_HEADER)}


@pytest.fixture
def tracker(request, tmp_path, upstream, monkeypatch):
    xsas, openxt = getattr(request, "param", (ALL_SHAPES, None))
    checkout = make_checkout(tmp_path / "meta-openxt", upstream, xsas=xsas, openxt=openxt)
    # The workflow calls .venv/bin/oxt (installed by `make`); here it is this
    # interpreter's oxt pointed at the fixture remote. .venv is untracked, as
    # in a real checkout (.gitignore).
    install_oxt(checkout, "--remote", upstream.url)
    monkeypatch.setenv("OXT_XEN_CACHE", str(tmp_path / "cache" / "xen.git"))
    monkeypatch.setenv("OXT_XEN_DOWNLOADS", str(tmp_path / "cache" / "downloads"))
    return Runner(checkout, tmp_path)


def test_list_step_gives_the_matrix_its_tracks(tracker):
    result, outputs, _ = tracker.run(step("tracks", "list")["run"], {"ONLY": ""})
    assert result.returncode == 0, result.stderr
    # fromJSON(needs.tracks.outputs.tracks): a JSON array of track names
    assert workflow()["jobs"]["bump"]["strategy"]["matrix"]["track"] == "${{ fromJSON(needs.tracks.outputs.tracks) }}"
    assert json.loads(outputs["tracks"]) == [TRACK]
    plan = json.loads((tracker.tmp / "runner-temp" / "plan.json").read_text())
    assert plan["dry_run"] is True


def test_list_step_refuses_an_unknown_track_from_the_dispatch_input(tracker):
    before = head(tracker.checkout)
    result, outputs, _ = tracker.run(step("tracks", "list")["run"], {"ONLY": "stable-9.9"})
    assert result.returncode == 2
    assert "stable-9.9" in result.stderr and TRACK in result.stderr
    assert "Traceback" not in result.stderr
    assert "tracks" not in outputs
    assert head(tracker.checkout) == before


def test_bump_step_commits_and_writes_the_pull_request(tracker, upstream):
    before = head(tracker.checkout)
    result, outputs, summary = tracker.run(step("bump", "bump")["run"], {"TRACK": TRACK, **BOT})
    assert result.returncode == 0, result.stderr

    repo = git.Repo(tracker.checkout)
    commit = repo.head.commit
    assert commit.hexsha != before and commit.parents[0].hexsha == before
    assert commit.author.name == "github-actions[bot]"
    assert not repo.is_dirty(untracked_files=False)
    assert outputs["changed"] == "true"
    # PR title = the commit subject
    assert outputs["title"] == commit.summary
    assert re.fullmatch(rf"xen: update {TRACK} to RELEASE-4\.6\.6-\d+-g[0-9a-f]{{12}}", outputs["title"])

    body = tracker.body
    assert body == summary, "the job summary shows the same markdown"
    assert body.startswith(f"## Xen `{TRACK}`: ")
    tip = upstream["tip-466"]
    assert f"commit `{tip}`" in body

    def row(xsa: int) -> str:
        found = [line for line in body.splitlines() if line.startswith(f"| XSA-{xsa} |")]
        assert len(found) == 1, body
        return found[0]

    # dropped XSAs are listed with the upstream commits that carry them
    assert "| merged | drop |" in row(XSA_ONE) and f"`{upstream['xsa-one'][:12]}`" in row(XSA_ONE)
    for i in range(3):
        assert f"`{upstream[f'xsa-multi-{i}'][:12]}`" in row(XSA_MULTI)
    assert "| merged | drop |" in row(XSA_MULTI)
    assert "| merged | drop |" in row(XSA_LATER_TOUCHED)
    # kept ones are listed too, with why
    assert "| not-merged | keep |" in row(XSA_PENDING)
    assert "| unsure | keep |" in row(XSA_PARTIAL)
    assert "| unsure | keep |" in row(XSA_SILENT)
    # the unsure ones are also called out as warnings, one list item each
    warned = [line for line in body.splitlines() if line.startswith("> - ")]
    assert sorted(int(re.search(r"XSA-(\d+)", w).group(1)) for w in warned) == sorted((XSA_PARTIAL, XSA_SILENT))
    # the shortlog names the upstream commits old..new
    assert f"`{tip[:12]}` tools: tidy after the XSA batch" in body

    # dropped patch files left the tree in the same commit
    xsa_dir = "meta-openxt/recipes-extended/xen/files/xsa"
    removed = {d.a_path for d in commit.parents[0].diff(commit) if d.deleted_file}
    assert f"{xsa_dir}/xsa{XSA_ONE}.patch" in removed
    assert f"{xsa_dir}/xsa{XSA_PENDING}.patch" not in removed


@pytest.mark.parametrize("tracker", [(SETTLED, None)], indirect=True)
def test_no_change_means_no_pull_request_content(tracker):
    first, _, _ = tracker.run(step("bump", "bump")["run"], {"TRACK": TRACK, **BOT})
    assert first.returncode == 0, first.stderr
    bumped = head(tracker.checkout)

    again, outputs, summary = tracker.run(step("bump", "bump")["run"], {"TRACK": TRACK, **BOT})
    assert again.returncode == 0, again.stderr
    assert head(tracker.checkout) == bumped, "nothing to do must not commit"
    assert outputs == {"changed": "false"}
    assert tracker.body == "" and summary == ""
    assert f"{TRACK} is up to date; no pull request" in again.stdout


@pytest.mark.parametrize("tracker", [(SETTLED, BROKEN_QUEUE)], indirect=True)
def test_a_broken_openxt_queue_still_opens_a_marked_pull_request(tracker, upstream):
    """Upstream broke OpenXT's own patch: no red cron nobody reads, but a pull request that says so."""
    listed, outputs, _ = tracker.run(step("tracks", "list")["run"], {"ONLY": ""})
    assert listed.returncode == 0, listed.stderr
    assert json.loads(outputs["tracks"]) == [TRACK]
    before = head(tracker.checkout)
    result, outputs, summary = tracker.run(step("bump", "bump")["run"], {"TRACK": TRACK, **BOT})
    assert result.returncode == 0, result.stderr
    commit = git.Repo(tracker.checkout).head.commit
    assert commit.parents[0].hexsha == before
    assert outputs["changed"] == "true"
    assert outputs["title"] == f"[patch series broken] {commit.summary}"
    assert commit.message.rstrip().endswith(f"Patch-Series: broken ({TRACK})")
    body = tracker.body
    assert body == summary and body.startswith(f"## Xen `{TRACK}`: ")
    callout = body.split("> [!WARNING]\n", 1)[1].split("\n\n", 1)[0]
    assert "written with `--allow-broken-series`" in callout
    broke = upstream["xsa-multi-0"]
    assert (f"> - `openxt/{OPENXT_BROKEN_AT_TIP}` fails: xen/common/memory.c:" in callout
            and f'broken by upstream {broke[:12]} "memory: harden step_5"' in callout)
    row = next(line for line in body.splitlines() if f"| openxt/{OPENXT_BROKEN_AT_TIP} | OpenXT |" in line)
    assert "| fails | fails |" in row and f"{broke[:12]} memory: harden step_5" in row
    # the broken patch was written all the same: the fix goes on the pull request's branch
    assert f"file://openxt/{OPENXT_BROKEN_AT_TIP}" in (
        tracker.checkout / "meta-openxt/recipes-extended/xen/xen_4.6.bb").read_text()


def test_pull_request_step_uses_the_bump_results():
    """Title from the commit subject, body from the tool, one branch per track."""
    cpr = next(s for s in workflow()["jobs"]["bump"]["steps"] if "create-pull-request" in s.get("uses", ""))
    assert cpr["with"]["branch"] == "xen-tracker/${{ matrix.track }}"
    assert cpr["with"]["base"] == "main"
    assert cpr["with"]["body-path"] == "${{ runner.temp }}/pr-body.md"
    assert cpr["with"]["title"].startswith("${{ steps.bump.outputs.title")
    bump_run = step("bump", "bump")["run"]
    assert "--commit --allow-broken-series --format markdown" in bump_run and '"$RUNNER_TEMP/pr-body.md"' in bump_run
    job = workflow()["jobs"]["bump"]
    assert job["concurrency"] == {"group": "xen-tracker-${{ matrix.track }}", "cancel-in-progress": False}


def test_a_successful_bump_is_a_fixpoint(tracker):
    """Two daily runs with a quiet upstream in between, on the full queue (one XSA
    'unsure' and kept although part of it is upstream): the first bumps, the
    second must succeed and change nothing instead of failing every day."""
    first, _, _ = tracker.run(step("bump", "bump")["run"], {"TRACK": TRACK, **BOT})
    assert first.returncode == 0, first.stderr
    assert f"| XSA-{XSA_PARTIAL} | unsure | keep |" in tracker.body
    bumped = head(tracker.checkout)
    again, outputs, _ = tracker.run(step("bump", "bump")["run"], {"TRACK": TRACK, **BOT})
    assert again.returncode == 0, again.stderr
    assert head(tracker.checkout) == bumped and outputs == {"changed": "false"}


def test_the_cached_paths_are_where_the_tool_keeps_its_caches(monkeypatch, tmp_path):
    """actions/cache saves ~/.cache/oxt: the shallow xen.git and the tarball downloads."""
    from oxt.xen.cache import default_cache_dir
    from oxt.xen.tarball import default_download_dir

    cache = next(s for s in workflow()["jobs"]["bump"]["steps"] if "actions/cache@" in s.get("uses", ""))
    assert cache["with"]["path"] == "~/.cache/oxt"
    assert "${{ matrix.track }}" in cache["with"]["key"]
    home = tmp_path / "home" / "runner"
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CACHE_HOME", "OXT_XEN_CACHE", "OXT_XEN_DOWNLOADS"):
        monkeypatch.delenv(var, raising=False)
    saved = home / ".cache" / "oxt"
    assert default_cache_dir().is_relative_to(saved)
    assert default_download_dir().is_relative_to(saved)
