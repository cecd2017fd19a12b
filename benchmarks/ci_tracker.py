#!/usr/bin/env python3
"""How long one Xen-tracker run takes, to choose its schedule (issue 15).

Runs the `run:` scripts of .github/workflows/xen-tracker.yml's list and bump
steps as the Actions runner does (bash -eo pipefail, RUNNER_TEMP,
GITHUB_OUTPUT) in a fixture checkout whose track pins the bump tests' fixture
upstream (tests/fixtures/xen_upstream.py), and prints the median of --runs runs of:

  list              the `tracks` job's step (oxt bump xen --dry-run --json)
  bump, new commits the `bump` job's step when upstream moved (commit + body)
  bump, no change   the same when nothing moved: the common case of a
                    frequent schedule (ls-remote, warm cache, no commit)

and what a day costs at each schedule: the tool's seconds, and the jobs
GitHub bills (two jobs per run for one track, each billed as at least one
minute) against the daily run this replaces (the ratio column). The fixture
has a handful of commits: the real xen.git adds the network (ls-remote and a
shallow range fetch; benchmarks/xen_fetch.py), and each hosted job adds its
setup (checkout, Python, installing the tool), which this does not measure.

    .venv/bin/python benchmarks/ci_tracker.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.xen_upstream import build_upstream, make_checkout

WORKFLOW = ROOT / ".github" / "workflows" / "xen-tracker.yml"
OXT = Path(sys.executable).parent / "oxt"
BOT = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@localhost",
}
SCHEDULES = {"daily": 1, "every 4 h": 6, "every 2 h": 12, "hourly": 24}


def step(job: str, step_id: str) -> str:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"][job]["steps"]
    return next(s["run"] for s in steps if s.get("id") == step_id)


def checkout(base: Path, upstream) -> Path:
    root = make_checkout(base, upstream)
    wrapper = root / ".venv" / "bin" / "oxt"
    wrapper.parent.mkdir(parents=True)
    wrapper.write_text(f'#!/bin/sh\nexec "{OXT}" "$@" --remote "{upstream.url}"\n')
    wrapper.chmod(0o755)
    (wrapper.parent / "python").symlink_to(sys.executable)
    (root / ".git" / "info" / "exclude").write_text(".venv/\n")
    return root


def run_step(script: str, root: Path, tmp: Path, env: dict[str, str]) -> float:
    temp = tmp / "runner-temp"
    temp.mkdir(exist_ok=True)
    for name in ("github_output", "step_summary"):
        (tmp / name).write_text("")
    full = dict(os.environ, RUNNER_TEMP=str(temp), GITHUB_OUTPUT=str(tmp / "github_output"),
                GITHUB_STEP_SUMMARY=str(tmp / "step_summary"), **env)
    start = time.perf_counter()
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                            check=False, cwd=root, env=full, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode:
        raise SystemExit(f"step failed ({result.returncode}):\n{result.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"list": [], "bump, new commits": [], "bump, no change": []}
    with tempfile.TemporaryDirectory(prefix="ci-tracker-") as tmpdir:
        tmp = Path(tmpdir)
        upstream = build_upstream(tmp / "upstream" / "xen.git")
        os.environ["OXT_XEN_DOWNLOADS"] = str(tmp / "downloads")
        for i in range(args.runs):
            work = tmp / f"run{i}"
            work.mkdir()
            os.environ["OXT_XEN_CACHE"] = str(work / "cache" / "xen.git")  # cold for each run's first bump
            root = checkout(work / "meta-openxt", upstream)
            times["list"].append(run_step(step("tracks", "list"), root, work, {"ONLY": ""}))
            env = {"TRACK": "stable-4.6", **BOT}
            times["bump, new commits"].append(run_step(step("bump", "bump"), root, work, env))
            times["bump, no change"].append(run_step(step("bump", "bump"), root, work, env))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"Xen tracker steps on the fixture upstream, median of {args.runs} runs:")
    for name, value in median.items():
        print(f"  {name:<18} {value:6.2f} s")
    quiet = median["list"] + median["bump, no change"]
    print("\nPer day, one track, nothing new upstream (the tool only; two hosted jobs a run):")
    print(f"  {'schedule':<10} {'runs':>4} {'tool s/day':>10} {'billed min/day':>14} {'x daily':>8}")
    for name, runs in SCHEDULES.items():
        print(f"  {name:<10} {runs:>4} {runs * quiet:>10.1f} {runs * 2:>14} {runs:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
