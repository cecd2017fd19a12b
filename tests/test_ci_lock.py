"""The weekly lock refresh (.github/workflows/lock.yml), run for real, offline.

The workflow's `kas lock --update` and pull-request-body steps run as GitHub
would (bash -eo pipefail, RUNNER_TEMP) in a copy of this checkout whose
upstream layers are small fixture repositories (KAS_PREMIRRORS), locked one
commit behind their branch tips: the lock must move to the tips, nothing
else may change, and the body must carry kas's account of what moved. A
second run (nothing new upstream) leaves the lock as it is, so
create-pull-request sees no diff and opens nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import git
import pytest
import yaml

from fixtures.checkout import copy_checkout, dump_yaml, load_yaml
from conftest import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "lock.yml"
BIN = Path(sys.executable).parent


def step(name_part: str) -> str:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["refresh"]["steps"]
    return next(s["run"] for s in steps if name_part in s.get("name", ""))


def fixture_upstreams(base: Path, release: dict) -> dict[str, tuple[str, str]]:
    """Per upstream repo of kas/openxt.yml: a repo on its branch with two commits -> (old, tip)."""
    shas = {}
    for name, spec in release["repos"].items():
        if not spec or "url" not in spec:
            continue
        repo = git.Repo.init(base / Path(spec["url"]).name, initial_branch=str(spec["branch"]))
        for layer in spec.get("layers") or {".": None}:
            conf = Path(repo.working_dir) / layer / "conf" / "layer.conf"
            conf.parent.mkdir(parents=True, exist_ok=True)
            conf.write_text(f'BBFILE_COLLECTIONS += "{name}"\n')
        repo.git.add("-A")
        old = repo.index.commit(f"{name}: fixture").hexsha
        (Path(repo.working_dir) / "NEWS").write_text("moved on\n")
        repo.git.add("-A")
        tip = repo.index.commit(f"{name}: a week of upstream work").hexsha
        shas[name] = (old, tip)
    return shas


def premirrors(base: Path, release: dict) -> str:
    hosts = {re.match(r"(https://[^/]+)/", s["url"]).group(1) for s in release["repos"].values() if s and "url" in s}
    return "\n".join(f"{re.escape(h)}/(.*) file://{base}/\\1" for h in sorted(hosts))


@pytest.fixture
def stale_checkout(tmp_path):
    """A copy of this checkout whose lock pins every upstream one commit behind."""
    root = copy_checkout(tmp_path / "co")
    release = load_yaml(root / "kas" / "openxt.yml")
    shas = fixture_upstreams(tmp_path / "upstream", release)
    lock = root / "kas" / "openxt.lock.yml"
    data = load_yaml(lock)
    for name, (old, _) in shas.items():
        data["overrides"]["repos"][name]["commit"] = old
    dump_yaml(lock, data)
    (root / ".venv" / "bin").mkdir(parents=True)
    for tool in ("kas", "oxt"):
        (root / ".venv" / "bin" / tool).symlink_to(BIN / tool)
    (root / ".git" / "info" / "exclude").write_text(".venv/\n")
    repo = git.Repo(root)
    repo.git.add("-A")
    repo.index.commit("lock one week behind")
    env = dict(
        os.environ,
        KAS_PREMIRRORS=premirrors(tmp_path / "upstream", release),
        RUNNER_TEMP=str(tmp_path / "runner-temp"),
    )
    (tmp_path / "runner-temp").mkdir()
    return root, shas, env


def run_step(script: str, root: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.slow
def test_lock_refresh_moves_the_lock_and_explains_it(stale_checkout):
    root, shas, env = stale_checkout
    env["KAS_WORK_DIR"] = str(Path(env["RUNNER_TEMP"]) / "kas-work")
    result = run_step(step("kas lock --update"), root, env)
    assert result.returncode == 0, result.stdout + result.stderr

    repo = git.Repo(root)
    assert [d.a_path for d in repo.index.diff(None)] == ["kas/openxt.lock.yml"], "only the lock may change"
    locked = load_yaml(root / "kas" / "openxt.lock.yml")["overrides"]["repos"]
    assert {name: pin["commit"] for name, pin in locked.items()} == {name: tip for name, (_, tip) in shas.items()}

    # the updated lock is still a valid composition (the workflow runs oxt check next)
    from oxt.kasfiles import compose

    comp = compose([root / "kas" / "openxt.yml"], root)
    assert {r.name: r.commit for r in comp.repos if not r.local} == {n: t for n, (_, t) in shas.items()}

    body_result = run_step(step("Pull request body"), root, env)
    assert body_result.returncode == 0, body_result.stderr
    body = (Path(env["RUNNER_TEMP"]) / "pr-body.md").read_text()
    assert body.startswith("`kas lock --update kas/openxt.yml` moved")
    for name, (old, tip) in shas.items():
        assert f"Updating lock of {name}: {old} -> {tip}" in body
    assert body.rstrip().endswith("```")


@pytest.mark.slow
def test_nothing_new_upstream_leaves_the_lock_alone(stale_checkout):
    root, _, env = stale_checkout
    env["KAS_WORK_DIR"] = str(Path(env["RUNNER_TEMP"]) / "kas-work")
    first = run_step(step("kas lock --update"), root, env)
    assert first.returncode == 0, first.stderr
    refreshed = (root / "kas" / "openxt.lock.yml").read_bytes()
    again = run_step(step("kas lock --update"), root, env)
    assert again.returncode == 0, again.stderr
    assert (root / "kas" / "openxt.lock.yml").read_bytes() == refreshed
    assert "Updating lock" not in again.stdout
