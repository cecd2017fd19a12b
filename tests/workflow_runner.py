"""Run a workflow's `run:` scripts the way the GitHub Actions runner does:
``bash --noprofile --norc -eo pipefail`` (GitHub's ``shell: bash``), with
RUNNER_TEMP, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, in a checkout.
Used by the tests of the scheduled bots (xen-tracker, xsa-tracker)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path


def parse_github_output(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: name=value lines and name<<DELIM blocks."""
    out, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            block = []
            for body in lines:
                if body == delim:
                    break
                block.append(body)
            else:
                raise AssertionError(f"unterminated {name}<<{delim} in GITHUB_OUTPUT")
            out[name] = "\n".join(block)
        elif line:
            name, value = line.split("=", 1)
            out[name] = value
    return out


class Runner:
    """Runs workflow step scripts in *checkout* the way the Actions runner does."""

    def __init__(self, checkout: Path, tmp: Path):
        self.checkout = checkout
        self.tmp = tmp

    def run(self, script: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, dict, str]:
        temp = self.tmp / "runner-temp"
        temp.mkdir(exist_ok=True)
        output = self.tmp / "github_output"
        summary = self.tmp / "step_summary"
        output.write_text("")
        summary.write_text("")
        script_file = self.tmp / "step.sh"
        script_file.write_text(script)
        full_env = dict(os.environ)
        full_env.update(env)
        full_env.update(RUNNER_TEMP=str(temp), GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary))
        # GitHub runs `shell: bash` as: bash --noprofile --norc -eo pipefail {0}
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
            cwd=self.checkout,
            env=full_env,
            capture_output=True,
            text=True,
            check=False,
        )
        return result, parse_github_output(output.read_text()), summary.read_text()

    @property
    def body(self) -> str:
        return (self.tmp / "runner-temp" / "pr-body.md").read_text()


def install_oxt(checkout: Path, *extra: str) -> Path:
    """The checkout's ``.venv/bin/oxt`` (what ``make`` installs, what the workflows run):
    this interpreter's oxt with *extra* arguments appended (a fixture remote, feed, ...),
    and ``.venv/bin/python``; .venv stays untracked, as in a real checkout."""
    wrapper = checkout / ".venv" / "bin" / "oxt"
    wrapper.parent.mkdir(parents=True)
    oxt = Path(sys.executable).parent / "oxt"
    wrapper.write_text(f'#!/bin/sh\nexec "{oxt}" "$@" {shlex.join(extra)}\n')
    wrapper.chmod(0o755)
    (wrapper.parent / "python").symlink_to(sys.executable)
    (checkout / ".git" / "info" / "exclude").write_text(".venv/\n")
    return wrapper
