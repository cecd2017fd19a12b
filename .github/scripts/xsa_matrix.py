#!/usr/bin/env python3
"""The XSA tracker's matrix: which advisories get a job (and a pull request).

Reads the report of `oxt xsa sync --dry-run --json` and prints a JSON array
of the advisory numbers that need something on some track: a patch that
would be queued, or one that needs a person (the row's ``manual``: does
not apply, needs fuzz, breaks a patch after it, a prerequisite cannot be
queued, or the advisory now publishes other patches than the queued ones).
Advisories already queued, carried upstream or without a patch for the
tracked versions get no job. A markdown summary
of the decision goes to the file given second (the job summary).

    xsa_matrix.py plan.json [summary.md]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def needs_a_job(row: dict) -> bool:
    """A patch to queue, or a track left to a person (the report's own ``manual`` flag)."""
    return row["status"] == "would-queue" or row["manual"]


def advisories_to_act_on(report: dict) -> list[int]:
    return [a["xsa"] for a in report["advisories"] if a["target"] and any(needs_a_job(t) for t in a["tracks"])]


def summary(report: dict, chosen: list[int]) -> str:
    lines = ["## Advisories", "", f"Feed: {report['feed']}", ""]
    if not chosen:
        lines.append("Nothing to do: every published advisory is queued, carried upstream or has no "
                     "patch for the tracked versions.")
        return "\n".join(lines) + "\n"
    lines += ["| XSA | track | status | note |", "|---|---|---|---|"]
    for a in report["advisories"]:
        if a["xsa"] in chosen:
            for t in a["tracks"]:
                note = t["note"].replace("|", "/") or "–"
                lines.append(f"| XSA-{a['xsa']} | `{t['track']}` | {t['status']} | {note} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    report = json.loads(Path(argv[1]).read_text())
    chosen = advisories_to_act_on(report)
    if len(argv) == 3:
        with open(argv[2], "a", encoding="utf-8") as out:
            out.write(summary(report, chosen))
    print(json.dumps(chosen))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
