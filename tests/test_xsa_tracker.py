"""The scheduled advisory tracker (.github/workflows/xsa-tracker.yml), run for real.

The `run:` scripts of its list and per-advisory steps are executed as GitHub
would (bash -eo pipefail, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / RUNNER_TEMP)
in a two-track fixture checkout, against a fixture feed on a loopback HTTP
server. Only the sources differ: the checkout's `.venv/bin/oxt` is a wrapper
adding `--feed`, `--remote` and the test signing key (the workflow imports the
Xen.org signing key and passes --require-signature).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import git
import pytest
import fixtures.xen_upstream as F
import fixtures.xsa_feed as X
import yaml
from conftest import REPO_ROOT
from fixtures.workflow_runner import Runner, head, install_oxt

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "xsa-tracker.yml"
OXT = Path(sys.executable).parent / "oxt"
pytestmark = pytest.mark.skipif(shutil.which("gpg") is None,
                                reason="gpg is not installed: the tracker requires signed advisories (.ci/run "
                                       "installs gpg)")
BOT = {
    "GIT_AUTHOR_NAME": "github-actions[bot]",
    "GIT_AUTHOR_EMAIL": "41898282+github-actions[bot]@users.noreply.github.com",
    "GIT_COMMITTER_NAME": "github-actions[bot]",
    "GIT_COMMITTER_EMAIL": "41898282+github-actions[bot]@users.noreply.github.com",
}


def step(job: str, prefix: str) -> dict:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"][job]["steps"]
    return next(s for s in steps if s.get("name", "").startswith(prefix))


@pytest.fixture(scope="module")
def signer(tmp_path_factory):
    with X.signing_key(tmp_path_factory.mktemp("xsa-tr-gpg") / "g") as key:
        yield key


@pytest.fixture(scope="module")
def feed(upstream, signer, tmp_path_factory):
    """470: applies on both tracks; 474: no patch for either; 476: clashes with the queued
    XSA-300 on 4.6 (manual backport) but applies on 4.7; 473: embargoed. Signed."""
    work = tmp_path_factory.mktemp("xsa-tr-feed")
    b = X.FeedBuilder(upstream, work, signer[0])
    b.simple(470)
    b.add(X.Advisory(474, "only newer Xen", {"4.19": [("xsa474-4.19.patch", b.patch(474, "4.7", b.next_slot()))]}))
    b.add(X.Advisory(476, "clashes with XSA-300 on 4.6", {
        "4.6": [("xsa476-4.6.patch", b.patch(476, "4.6", ("xen/common/grant_table.c", 8)))],
        "4.7": [("xsa476-4.7.patch", b.patch(476, "4.7", b.next_slot()))]}))
    b.simple(473, public_time=dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
    b.write(work / "www")
    b.close()
    with X.FeedServer(work / "www") as server:
        yield server


@pytest.fixture(scope="module")
def template(upstream, tmp_path_factory):
    co = X.two_track_checkout(tmp_path_factory.mktemp("xsa-tr-co") / "meta-openxt", upstream, xsas=(F.XSA_PENDING,))
    shutil.copytree(REPO_ROOT / ".github" / "scripts", co / ".github" / "scripts")
    repo = git.Repo(co)
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "the CI scripts")
    repo.close()
    return co


@pytest.fixture
def tracker(template, upstream, feed, signer, tmp_path, monkeypatch):
    checkout = tmp_path / "meta-openxt"
    shutil.copytree(template, checkout)
    install_oxt(checkout, "--remote", upstream.url, "--feed", feed.url, "--gpg-home", str(signer[0]),
                "--signing-key", signer[1])
    monkeypatch.setenv("OXT_XEN_CACHE", str(tmp_path / "cache" / "xen.git"))
    monkeypatch.setenv("OXT_XSA_CACHE", str(tmp_path / "cache" / "xsa"))
    return Runner(checkout, tmp_path)


def test_list_step_names_the_advisories_that_need_a_pull_request(tracker):
    before = head(tracker.checkout)
    result, outputs, summary = tracker.run(step("advisories", "Advisories that need")["run"], {"ONLY": ""})
    assert result.returncode == 0, result.stderr
    # 470 queues on both tracks, 476 needs a manual backport on 4.6; 474 has no patch, 473 is embargoed
    assert json.loads(outputs["xsas"]) == [470, 476]
    assert "| XSA-476 | `stable-4.6` | does-not-apply |" in summary
    assert "| XSA-470 | `stable-4.7` | would-queue |" in summary
    assert head(tracker.checkout) == before and not git.Repo(tracker.checkout).is_dirty()
    plan = json.loads((tracker.tmp / "runner-temp" / "plan.json").read_text())
    assert plan["dry_run"] is True
    # a manual dispatch for one advisory
    result, outputs, _ = tracker.run(step("advisories", "Advisories that need")["run"], {"ONLY": "470"})
    assert result.returncode == 0, result.stderr
    assert json.loads(outputs["xsas"]) == [470]


def test_advisory_step_commits_and_writes_the_pull_request(tracker, feed, signer):
    before = head(tracker.checkout)
    result, outputs, summary = tracker.run(step("advisory", "oxt xsa sync")["run"], {"XSA": "470", **BOT})
    assert result.returncode == 0, result.stderr
    repo = git.Repo(tracker.checkout)
    commit = repo.head.commit
    assert commit.parents[0].hexsha == before and commit.author.name == "github-actions[bot]"
    assert not repo.is_dirty(untracked_files=False)
    assert outputs == {"status": "0", "changed": "true", "title": "xen: queue XSA-470 on stable-4.6, stable-4.7"}
    assert tracker.body == summary and tracker.body.startswith("## XSA-470 — test issue 470\n")
    assert "| `stable-4.6` | ✅ queued | [`xsa470-4.6.patch`](" + feed.url + "xsa470-4.6.patch)" in tracker.body
    assert f"- signature: verified ({signer[1]})" in tracker.body
    # the next hour: nothing left to do for it, no commit, no pull request content
    again, outputs, _ = tracker.run(step("advisory", "oxt xsa sync")["run"], {"XSA": "470", **BOT})
    assert again.returncode == 0, again.stderr
    assert outputs == {"status": "0", "changed": "false"} and head(tracker.checkout) == commit.hexsha
    assert "XSA-470: nothing to queue on any track; no pull request" in again.stdout


def test_a_manual_backport_opens_the_pull_request_then_fails_the_job(tracker):
    result, outputs, _ = tracker.run(step("advisory", "oxt xsa sync")["run"], {"XSA": "476", **BOT})
    assert result.returncode == 0, result.stderr
    assert outputs["status"] == "1" and outputs["changed"] == "true", "4.7 got it: the pull request has a diff"
    # marked as xen-tracker marks a broken series: the tool's trailer, read by the workflow
    assert outputs["title"] == "[needs backport] xen: queue XSA-476 on stable-4.7"
    commit = git.Repo(tracker.checkout).head.commit
    assert commit.message.rstrip().endswith("Needs-Backport: XSA-476 (stable-4.6, does-not-apply)")
    assert "| `stable-4.6` | ❌ manual backport |" in tracker.body
    fail = step("advisory", "A track needs a manual backport")
    assert fail["if"] == "${{ steps.sync.outputs.status == '1' }}"
    result, _, _ = tracker.run(fail["run"], {"XSA": "476"})
    assert result.returncode == 1 and "::error title=XSA-476 needs a manual backport::" in result.stdout


def test_an_unreachable_feed_fails_the_list_step(tracker, feed):
    wrapper = tracker.checkout / ".venv" / "bin" / "oxt"
    wrapper.write_text(wrapper.read_text().replace(feed.url, X.closed_port_url()))
    result, outputs, _ = tracker.run(step("advisories", "Advisories that need")["run"], {"ONLY": ""})
    assert result.returncode == 2 and "xsas" not in outputs
    assert "cannot download" in result.stderr and "Traceback" not in result.stderr
