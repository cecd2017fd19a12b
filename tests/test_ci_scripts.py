"""The scripts the CI workflows run (.github/scripts/), run for real, offline.

Each is executed as the workflow runs it (a subprocess, the environment the
workflow sets) against fixtures built here: bitbake console logs, deploy
directories with bitbake's symlinks, git upstreams and reference clones, a
fake kas-container and a fake gh that record what they were asked to do.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import git
import pytest

from fixtures.ci import deploy_fixture
from conftest import REPO_ROOT

SCRIPTS = REPO_ROOT / ".github" / "scripts"
ALLOW_LIST = REPO_ROOT / ".github" / "ci" / "warnings-allowed.txt"
BIN = Path(sys.executable).parent


def run(argv: list, env: dict | None = None, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    full = dict(os.environ)
    full.pop("GITHUB_STEP_SUMMARY", None)
    full.pop("GITHUB_OUTPUT", None)
    full.update(env or {})
    return subprocess.run([str(a) for a in argv], env=full, cwd=cwd, capture_output=True, text=True,
                          timeout=120, **kwargs)


def import_script(name: str):
    """A .github/scripts/<name>.py module, for its data (not to run it)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def py(script: str, *args, **kwargs) -> subprocess.CompletedProcess:
    return run([sys.executable, SCRIPTS / script, *args], **kwargs)


def fake_program(directory: Path, name: str, record: Path) -> Path:
    """An executable that appends its argv (one JSON list per call) and chosen env to *record*."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"with open({str(record)!r}, 'a') as out:\n"
        "    env = {k: v for k, v in os.environ.items() if k.startswith(('OXT_', 'BB_', 'KAS_', 'DL_DIR', 'SSTATE_DIR', 'GH_'))}\n"
        "    out.write(json.dumps({'argv': sys.argv[1:], 'env': env}) + '\\n')\n"
        "print('NOTE: fake ' + os.path.basename(sys.argv[0]))\n"
    )
    path.chmod(0o755)
    return path


def calls(record: Path) -> list[dict]:
    return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []


# --- warnings gate ----------------------------------------------------------------------

KNOTTY_LOG = """\
2026-01-01 10:00:00 - INFO     - kas 5.5 started
NOTE: Resolving any missing task queue dependencies
WARNING: Failed to fetch URL https://example.org/a.tar.gz, attempting MIRRORS if available
NOTE: Running task 1 of 2 (mc:dom0:/layers/xen_4.19.bb:do_fetch)
\x1b[1;33mWARNING\x1b[0m: \x1b[33mxen-tools-4.19-r0 do_package_qa: QA Issue: xen-tools: ELF binary has relocations in .text [textrel]\x1b[0m
NOTE: Tasks Summary: Attempted 2 tasks of which 0 didn't need to be rerun and all succeeded.

Summary: There were 2 WARNING messages.
"""


def gate(tmp_path: Path, log_text: str, allow: Path = ALLOW_LIST, summary: bool = False):
    log = tmp_path / "kas-build.log"
    log.write_text(log_text)
    env = {}
    if summary:
        env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")
    return py("warnings_gate.py", "--allow", allow, log, env=env)


def test_warnings_gate_fails_on_a_new_warning_and_names_it(tmp_path):
    result = gate(tmp_path, KNOTTY_LOG, summary=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert ("::error title=New bitbake warning::xen-tools-4.19-r0 do_package_qa: QA Issue: "
            "xen-tools: ELF binary has relocations in .text [textrel]") in result.stdout
    # the fetch fallback is on the committed allow-list, with its line
    assert "allowed (line " in result.stdout and "attempting MIRRORS" in result.stdout
    assert "2 warning(s), 1 allowed, 1 new" in result.stdout
    summary = (tmp_path / "summary.md").read_text()
    assert "**1 new**" in summary and "[textrel]" in summary


def test_warnings_gate_passes_when_every_warning_is_allowed(tmp_path):
    allow = tmp_path / "allow.txt"
    allow.write_text(ALLOW_LIST.read_text() + "\n# Relocations in Xen's tools: issue 99.\n\\[textrel\\]$\n")
    result = gate(tmp_path, KNOTTY_LOG, allow=allow)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 warning(s), 2 allowed, 0 new" in result.stdout


def test_warnings_gate_passes_a_clean_build(tmp_path):
    result = gate(tmp_path, "NOTE: Tasks Summary: Attempted 5 tasks\n")
    assert result.returncode == 0 and "0 warning(s)" in result.stdout


def test_warnings_gate_refuses_an_entry_without_its_reason(tmp_path):
    allow = tmp_path / "allow.txt"
    allow.write_text("# header\n\n.*\n")
    result = gate(tmp_path, KNOTTY_LOG, allow=allow)
    assert result.returncode == 2
    assert "allow.txt:3: entry '.*' has no reason" in result.stderr


def test_warnings_gate_refuses_a_missing_log_and_a_bad_pattern(tmp_path):
    result = py("warnings_gate.py", "--allow", ALLOW_LIST, tmp_path / "missing.log")
    assert result.returncode == 2 and "cannot read the build log" in result.stderr
    allow = tmp_path / "allow.txt"
    allow.write_text("# why\n(unclosed\n")
    result = gate(tmp_path, KNOTTY_LOG, allow=allow)
    assert result.returncode == 2 and "is not a regular expression" in result.stderr


def test_warnings_gate_cross_checks_bitbakes_own_count(tmp_path):
    """Fewer 'WARNING: ' lines than knotty's summary counts: the parser is wrong, not the build."""
    result = gate(tmp_path, "WARNING: one\n\nSummary: There were 3 WARNING messages.\n")
    assert result.returncode == 2 and "bitbake counted 3 warnings but only 1" in result.stderr


def test_the_allow_list_entries_all_have_reasons():
    entries = import_script("warnings_gate").load_allow_list(ALLOW_LIST)
    assert entries and all(e.reason for e in entries)


# --- image staging: each file once, no symlink duplicates --------------------------------

def staged(dest: Path) -> dict[str, bytes]:
    return {str(p.relative_to(dest)): p.read_bytes() for p in sorted(dest.rglob("*")) if p.is_file()}


def test_collect_images_stages_each_image_file_once_under_its_stable_name(tmp_path):
    build = tmp_path / "build"
    expected = deploy_fixture(build)
    result = py("collect_images.py", build, tmp_path / "images")
    assert result.returncode == 0, result.stderr
    files = staged(tmp_path / "images")
    assert files == expected
    assert not any(p.is_symlink() for p in (tmp_path / "images").rglob("*"))
    digests = [hashlib.sha256(v).hexdigest() for v in files.values()]
    assert len(digests) == len(set(digests)), "a file was staged twice"
    assert f"collect_images: {len(expected)} files" in result.stdout


def test_collect_images_fails_without_images(tmp_path):
    (tmp_path / "build" / "tmp-dom0" / "deploy" / "images" / "openxt-dom0").mkdir(parents=True)
    result = py("collect_images.py", tmp_path / "build", tmp_path / "images")
    assert result.returncode == 1 and "no image" in result.stderr


# --- release assets ----------------------------------------------------------------------

def test_release_assets_compress_flatten_and_sum(tmp_path):
    images = tmp_path / "images"
    (images / "openxt-dom0").mkdir(parents=True)
    (images / "openxt-stubdomain").mkdir()
    (images / "openxt-dom0" / "a.rootfs.wic").write_bytes(b"\0" * 100000)
    (images / "openxt-stubdomain" / "b.cpio.gz").write_bytes(b"already compressed")
    result = py("release_assets.py", images, tmp_path / "assets")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "assets"
    assert sorted(p.name for p in out.iterdir()) == ["SHA256SUMS", "a.rootfs.wic.zst", "b.cpio.gz"]
    restored = subprocess.run(["zstd", "-dc", out / "a.rootfs.wic.zst"], capture_output=True, check=True).stdout
    assert restored == b"\0" * 100000
    sums = (out / "SHA256SUMS").read_text().splitlines()
    assert f"{hashlib.sha256((out / 'b.cpio.gz').read_bytes()).hexdigest()}  b.cpio.gz" in sums


def test_release_assets_refuse_what_github_would_refuse(tmp_path):
    images = tmp_path / "images" / "openxt-dom0"
    images.mkdir(parents=True)
    (images / "big.ext4.gz").write_bytes(os.urandom(4096))
    result = py("release_assets.py", tmp_path / "images", tmp_path / "assets", "--max-bytes", "1024")
    assert result.returncode != 0 and "big.ext4.gz is 4096 bytes" in result.stderr


# --- reference clones: refreshed under a lock --------------------------------------------

def upstream_repo(path: Path, branch: str = "scarthgap") -> git.Repo:
    repo = git.Repo.init(path, initial_branch=branch)
    (path / "README").write_text("one\n")
    repo.index.add(["README"])
    repo.index.commit("one")
    return repo


def kas_file(path: Path, urls: dict[str, str]) -> Path:
    body = "header:\n  version: 23\nrepos:\n  meta-openxt:\n"
    for name, url in urls.items():
        body += f"  {name}:\n    url: {url}\n    branch: scarthgap\n"
    path.write_text(body)
    return path


def refs_env(tmp_path: Path, refdir: Path) -> dict[str, str]:
    # the fixture upstreams stand in for the real hosts, as kas would map them
    return {"KAS_REPO_REF_DIR": str(refdir),
            "KAS_PREMIRRORS": f"https://git.example.org/(.*) file://{tmp_path}/upstream/\\1"}


def test_repo_refs_are_created_then_updated_with_branches_and_tags(tmp_path):
    from kas.repos import Repo
    from types import SimpleNamespace

    up = upstream_repo(tmp_path / "upstream" / "meta-x")
    url = "https://git.example.org/meta-x"
    config = kas_file(tmp_path / "openxt.yml", {"meta-x": url})
    refdir = tmp_path / "refs"
    refdir.mkdir()
    env = refs_env(tmp_path, refdir)
    first = py("update_repo_refs.py", config, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    clone = refdir / Repo.qualified_name.fget(SimpleNamespace(url=url))  # the name kas looks for
    assert clone.name == "git.example.org.meta-x"
    assert git.Repo(clone).bare

    (tmp_path / "upstream" / "meta-x" / "README").write_text("two\n")
    up.index.add(["README"])
    tip = up.index.commit("two").hexsha
    up.create_tag("yocto-5.0.9")
    second = py("update_repo_refs.py", config, env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    ref = git.Repo(clone)
    # a plain `git fetch` in a bare clone would only have moved FETCH_HEAD
    assert ref.git.rev_parse("refs/heads/scarthgap") == tip
    assert ref.git.rev_parse("refs/tags/yocto-5.0.9^{commit}") == tip
    assert "reference clones up to date" in second.stdout


def test_repo_refs_wait_for_the_lock_and_give_up_visibly(tmp_path):
    upstream_repo(tmp_path / "upstream" / "meta-x")
    config = kas_file(tmp_path / "openxt.yml", {"meta-x": "https://git.example.org/meta-x"})
    refdir = tmp_path / "refs"
    refdir.mkdir()
    with open(refdir / ".update.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        start = time.monotonic()
        result = py("update_repo_refs.py", config, "--timeout", "2", env=refs_env(tmp_path, refdir))
        waited = time.monotonic() - start
    assert result.returncode == 0
    assert waited >= 2, "it must wait for the other refresh"
    assert "::warning title=Reference clones not refreshed::" in result.stdout and "locked" in result.stdout
    assert not (refdir / "git.example.org.meta-x").exists(), "nothing is touched without the lock"


def test_repo_refs_report_a_failed_fetch_without_failing_the_build(tmp_path):
    config = kas_file(tmp_path / "openxt.yml", {"gone": "https://git.example.org/gone"})
    refdir = tmp_path / "refs"
    refdir.mkdir()
    result = py("update_repo_refs.py", config, env=refs_env(tmp_path, refdir))
    assert result.returncode == 0
    assert "::warning title=Reference clones not refreshed::https://git.example.org/gone" in result.stdout
    assert list(refdir.iterdir()) == [refdir / ".update.lock"], "a failed clone leaves no half directory"


def test_repo_refs_need_their_directory(tmp_path):
    config = kas_file(tmp_path / "openxt.yml", {})
    result = py("update_repo_refs.py", config, env={"KAS_REPO_REF_DIR": ""})
    assert result.returncode == 2 and "KAS_REPO_REF_DIR is not set" in result.stderr


def test_repo_refs_cover_every_upstream_of_the_release_build():
    from oxt.kasfiles import compose

    urls = import_script("update_repo_refs").repo_urls(str(REPO_ROOT / "kas" / "openxt.yml"))
    comp = compose([REPO_ROOT / "kas" / "openxt.yml"], REPO_ROOT)
    assert set(urls) == {r.url for r in comp.repos if not r.local}


# --- the pull-request plan: who gets the build runner -------------------------------------

def pr_repo(tmp_path: Path, changed: dict[str, str]) -> tuple[Path, str]:
    """origin with main, and a clone whose HEAD is a pull-request commit changing *changed*."""
    origin = tmp_path / "origin"
    repo = git.Repo.init(origin, initial_branch="main")
    (origin / "README.md").write_text("x\n")
    repo.index.add(["README.md"])
    repo.index.commit("base")
    clone = git.Repo.clone_from(origin, tmp_path / "pr")
    for rel, text in changed.items():
        path = tmp_path / "pr" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        clone.index.add([rel])
    head = clone.index.commit("pull request").hexsha
    # main moves on after the branch point: only the pull request's own changes count
    (origin / "kas").mkdir()
    (origin / "kas" / "later.yml").write_text("x\n")
    repo.index.add(["kas/later.yml"])
    repo.index.commit("main moved")
    clone.remotes.origin.fetch()
    return tmp_path / "pr", head


PR_ENV = {"REPOSITORY": "openxt/meta-openxt", "DEFAULT_BRANCH": "main", "WR_EVENT": "pull_request",
          "WR_CONCLUSION": "success", "WR_HEAD_REPOSITORY": "openxt/meta-openxt"}


def plan(tmp_path: Path, env: dict) -> tuple[subprocess.CompletedProcess, dict]:
    output = tmp_path / "github_output"
    output.write_text("")
    result = py("ci_plan.py", env={**env, "GITHUB_OUTPUT": str(output)})
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return result, outputs


def test_plan_builds_xen_for_this_repositorys_pull_request_that_changes_it(tmp_path):
    checkout, head = pr_repo(tmp_path, {"meta-openxt/recipes-extended/xen/xen_4.19.bb": "SRCREV = \"x\"\n"})
    result, out = plan(tmp_path, {**PR_ENV, "WR_HEAD_SHA": head, "PR_CHECKOUT": str(checkout)})
    assert result.returncode == 0, result.stderr
    assert out["mode"] == "xen" and out["ref"] == head and out["status"] == "pending"
    assert "meta-openxt/recipes-extended/xen/xen_4.19.bb" in out["reason"]


def test_plan_reports_success_without_building_when_xen_is_untouched(tmp_path):
    checkout, head = pr_repo(tmp_path, {"README.md": "docs\n"})
    _, out = plan(tmp_path, {**PR_ENV, "WR_HEAD_SHA": head, "PR_CHECKOUT": str(checkout)})
    assert out["mode"] == "none" and out["status"] == "success" and out["ref"] == head
    assert "no Xen change" in out["reason"]


@pytest.mark.parametrize("change, why", [
    ({"WR_HEAD_REPOSITORY": "mallory/meta-openxt"}, "fork mallory/meta-openxt"),
    ({"WR_CONCLUSION": "failure"}, "concluded failure"),
    ({"WR_EVENT": "push"}, "push event"),
])
def test_plan_never_builds_forks_failed_checks_or_pushes(tmp_path, change, why):
    # no PR_CHECKOUT: the workflow does not check a fork out, and the plan must not need it
    result, out = plan(tmp_path, {**PR_ENV, "WR_HEAD_SHA": "a" * 40, **change})
    assert result.returncode == 0, result.stderr
    assert out["mode"] == "none" and out["status"] == "" and why in out["reason"]


# --- kas-build: the command line, the caches, the history ---------------------------------

def kas_build(tmp_path: Path, **env) -> tuple[subprocess.CompletedProcess, list[dict]]:
    record = tmp_path / "calls.jsonl"
    fake = fake_program(tmp_path / "bin", "kas-container", record)
    base = {"SRC": str(REPO_ROOT), "KAS_WORK_DIR": str(tmp_path / "work"), "KAS_CONTAINER": str(fake),
            "DL_DIR": str(tmp_path / "dl"), "SSTATE_DIR": str(tmp_path / "sstate"),
            "KAS_REPO_REF_DIR": str(tmp_path / "refs"), "BB_HASHSERVE_DB_DIR": str(tmp_path / "hashserv"),
            "OXT_SSTATE_MIRROR": "", "OXT_HASHSERV": "", "HISTORY_DIR": "", "TARGETS": ""}
    base.update(env)
    (tmp_path / "work").mkdir(exist_ok=True)
    return run([SCRIPTS / "kas-build"], env=base), calls(record)


def test_kas_build_composes_fragments_and_keeps_the_log(tmp_path):
    result, invoked = kas_build(tmp_path, FRAGMENTS="ci:debug")
    assert result.returncode == 0, result.stderr
    argv = invoked[0]["argv"]
    kas = REPO_ROOT / "kas"
    assert argv[-2:] == ["build", f"{kas}/openxt.yml:{kas}/ci.yml:{kas}/debug.yml"]
    assert argv[0] == "--runtime-args" and "-e OXT_SSTATE_MIRROR -e OXT_HASHSERV" in argv[1]
    assert "/buildhistory" not in argv[1], "no persistent history unless asked"
    log = (tmp_path / "work" / "kas-build.log").read_text()
    assert "NOTE: fake kas-container" in log, "kas's output is in the log the warnings gate reads"
    for name in ("dl", "sstate", "refs", "hashserv"):
        assert (tmp_path / name).is_dir(), f"{name} is created for kas-container, which needs it"


def test_kas_build_builds_only_the_given_targets(tmp_path):
    _, invoked = kas_build(tmp_path, FRAGMENTS="ci", TARGETS="mc:dom0:xen mc:dom0:xen-tools")
    argv = invoked[0]["argv"]
    assert argv[2:7] == ["build", "--target", "mc:dom0:xen", "--target", "mc:dom0:xen-tools"]


def test_kas_build_mounts_the_persistent_history(tmp_path):
    history = tmp_path / "history" / "ci"
    _, invoked = kas_build(tmp_path, FRAGMENTS="ci", HISTORY_DIR=str(history))
    assert f"-v {history}:/buildhistory:rw -e OXT_BUILDHISTORY_DIR=/buildhistory" in invoked[0]["argv"][1]
    assert history.is_dir()


def test_kas_build_checks_the_layers_with_the_trusted_script_in_kas_shell(tmp_path):
    result, invoked = kas_build(tmp_path, FRAGMENTS="ci", CHECK_LAYERS="true")
    assert result.returncode == 0, result.stderr
    assert len(invoked) == 1, "no build next to the check"
    kas = REPO_ROOT / "kas"
    argv = invoked[0]["argv"]
    assert argv[2:] == ["shell", f"{kas}/openxt.yml:{kas}/ci.yml",
                        "-c", "/work/yocto_check_layers.py --repo /repo --build /work/yocto-check-layer"]
    # /work is KAS_WORK_DIR inside the container: the script there is this
    # (trusted) checkout's, next to kas-build, not one of the commit checked.
    copied = tmp_path / "work" / "yocto_check_layers.py"
    assert copied.read_bytes() == (SCRIPTS / "yocto_check_layers.py").read_bytes()
    assert copied.stat().st_mode & 0o111
    assert "NOTE: fake kas-container" in (tmp_path / "work" / "kas-build.log").read_text()


def test_kas_build_fails_when_the_layer_check_fails(tmp_path):
    failing = fake_program(tmp_path / "failing", "kas-container", tmp_path / "failing.jsonl")
    failing.write_text(failing.read_text() + "sys.exit(1)\n")
    result, _ = kas_build(tmp_path, FRAGMENTS="ci", CHECK_LAYERS="true", KAS_CONTAINER=str(failing))
    assert result.returncode != 0


@pytest.mark.parametrize("env, message", [
    ({"FRAGMENTS": "ci:nosuch"}, "kas/nosuch.yml does not exist"),
    ({"FRAGMENTS": "ci:../../etc/x"}, "is not a kas/<name>.yml name"),
    ({"FRAGMENTS": "ci", "DL_DIR": "/srv/my downloads"}, "contains a blank"),
])
def test_kas_build_refuses_bad_input_before_running_kas(tmp_path, env, message):
    result, invoked = kas_build(tmp_path, **env)
    assert result.returncode == 2 and message in result.stderr
    assert invoked == []


# --- commit status and bot token ------------------------------------------------------------

def test_commit_status_posts_the_status_with_gh(tmp_path):
    record = tmp_path / "gh.jsonl"
    fake_program(tmp_path / "bin", "gh", record)
    env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "GH_TOKEN": "t", "REPO": "o/r", "SHA": "b" * 40,
           "CONTEXT": "openxt/xen-build", "TARGET_URL": "https://example.invalid/run/1"}
    result = run([SCRIPTS / "commit-status", "pending", "x" * 200], env=env)
    assert result.returncode == 0, result.stderr
    argv = calls(record)[0]["argv"]
    assert argv[:4] == ["api", "--method", "POST", f"repos/o/r/statuses/{'b' * 40}"]
    assert "state=pending" in argv and "context=openxt/xen-build" in argv
    assert f"description={'x' * 140}" in argv, "GitHub refuses longer descriptions"
    bad = run([SCRIPTS / "commit-status", "green", "x"], env=env)
    assert bad.returncode == 2 and "not one of" in bad.stderr
    assert len(calls(record)) == 1


@pytest.mark.parametrize("env, ok, says", [
    ({}, False, "No bot token"),
    ({"APP_CLIENT_ID": "Iv1.abc"}, False, "OXT_BOT_PRIVATE_KEY"),
    ({"APP_CLIENT_ID": "Iv1.abc", "APP_PRIVATE_KEY": "k"}, True, "GitHub App"),
    ({"PAT": "github_pat_x"}, True, "OXT_BOT_TOKEN"),
])
def test_bot_jobs_fail_without_a_token_that_starts_the_checks(env, ok, says):
    base = {"APP_CLIENT_ID": "", "APP_PRIVATE_KEY": "", "PAT": ""}
    result = run([SCRIPTS / "require-bot-token"], env={**base, **env})
    assert (result.returncode == 0) is ok
    assert says in result.stdout
    if not ok:
        assert result.stdout.startswith("::error title=Bot token missing::")
        assert "README.md, CI" in result.stdout


# --- the scripts are lint-clean --------------------------------------------------------------

def test_shell_scripts_are_shellcheck_clean():
    shell = [p for p in SCRIPTS.iterdir() if p.suffix != ".py"]
    assert shell
    result = run([BIN / "shellcheck", *shell])
    assert result.returncode == 0, result.stdout


def test_python_scripts_are_ruff_clean():
    python = sorted(SCRIPTS.glob("*.py")) + [REPO_ROOT / "benchmarks" / "ci_tracker.py"]
    result = run([BIN / "ruff", "check", "--no-cache", *python])
    assert result.returncode == 0, result.stdout


def test_every_script_is_executable():
    for path in SCRIPTS.iterdir():
        assert os.access(path, os.X_OK), f"{path.name} is not executable"
