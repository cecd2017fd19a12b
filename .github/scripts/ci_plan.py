#!/usr/bin/env python3
"""Decide whether a pull request gets Xen compiled on the build runner.

xen-pr.yml runs this on a GitHub-hosted runner, from the default branch's
checkout, when the checks workflow completed (workflow_run). It reads the
event from the environment and writes its decision to GITHUB_OUTPUT:

  mode      xen    a pull request from this repository whose checks passed
                   and that changes Xen: compile mc:dom0:xen and
                   mc:dom0:xen-tools at its head
            none   nothing (not a pull request, a fork's pull request,
                   checks not passed, no Xen change)
  ref       the pull request's head commit
  status    the commit status to set now on that commit (pending for a
            build, success when there is no Xen change; empty: none)
  reason    one line saying why

Environment (from the workflow): REPOSITORY, DEFAULT_BRANCH, WR_EVENT,
WR_CONCLUSION, WR_HEAD_REPOSITORY, WR_HEAD_SHA, and PR_CHECKOUT (a checkout
of the pull request's head with the default branch fetched, made only for
pull requests from this repository). A fork's code is never checked out,
built or run: only pull requests whose head is in this repository are built
(whoever can push there can open a pull request to main anyway), and only
after the checks passed on them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# What a pull request must touch to have Xen compiled before merge. The Xen
# recipes are rendered and committed (oxt render --check keeps them equal to
# the manifest), so a manifest or template change that affects Xen shows up
# in their directory.
XEN_PATHS = (
    "meta-openxt/recipes-extended/xen/",  # xen/xen-tools recipes, XSA and OpenXT patch queues
    "meta-openxt/conf/",  # distro, multiconfigs: how Xen is configured and built
    "meta-openxt-bsp/conf/",  # the machines: tune and features Xen is built for
    "kas/",  # upstream pins (meta-virtualization's xen.inc, the toolchain) and the CI fragment
)


@dataclass
class Plan:
    mode: str
    reason: str
    ref: str = ""
    status: str = ""

    def outputs(self) -> dict[str, str]:
        return {"mode": self.mode, "ref": self.ref, "status": self.status, "reason": self.reason}


def changed_paths(checkout: Path, default_branch: str) -> list[str]:
    """Files the pull request changes: its head against its merge base with the default branch."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(checkout), *args], check=True,
                              capture_output=True, text=True).stdout

    base = git("merge-base", f"origin/{default_branch}", "HEAD").strip()
    return git("diff", "--name-only", base, "HEAD").splitlines()


def touches_xen(paths: list[str]) -> list[str]:
    return [p for p in paths if p.startswith(XEN_PATHS)]


def plan(env: dict[str, str]) -> Plan:
    if env.get("WR_EVENT") != "pull_request":
        return Plan("none", f"the checks ran for a {env.get('WR_EVENT') or 'missing'} event, not a pull request")
    head = env.get("WR_HEAD_SHA", "")
    if env.get("WR_HEAD_REPOSITORY") != env["REPOSITORY"]:
        return Plan("none", f"pull request from the fork {env.get('WR_HEAD_REPOSITORY')}: "
                            "not built on the runner (a maintainer can push it to a branch here)")
    if env.get("WR_CONCLUSION") != "success":
        return Plan("none", f"the checks concluded {env.get('WR_CONCLUSION')}: nothing to compile until they pass")
    xen = touches_xen(changed_paths(Path(env["PR_CHECKOUT"]), env.get("DEFAULT_BRANCH") or "main"))
    if not xen:
        return Plan("none", "no Xen change: nothing to compile", ref=head, status="success")
    shown = ", ".join(xen[:5]) + (f" and {len(xen) - 5} more" if len(xen) > 5 else "")
    return Plan("xen", f"changes {shown}", ref=head, status="pending")


def main() -> int:
    try:
        result = plan(dict(os.environ))
    except KeyError as err:
        print(f"ci_plan: {err.args[0]} is not set", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as err:
        print(f"ci_plan: {' '.join(err.cmd)} failed: {err.stderr.strip()}", file=sys.stderr)
        return 2
    print(f"ci_plan: {result.mode}: {result.reason}")
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as out:
            out.writelines(f"{name}={value.replace(chr(10), ' ')}\n" for name, value in result.outputs().items())
    return 0


if __name__ == "__main__":
    sys.exit(main())
