#!/usr/bin/env python3
"""Fail a build whose bitbake output has a WARNING the allow-list does not name.

    warnings_gate.py --allow .github/ci/warnings-allowed.txt kas-build.log

Reads the console output of `kas build` (bitbake's knotty prints every
warning as a line starting with "WARNING: ", task warnings prefixed with
the recipe and task). Each warning is searched with the allow-list's regular
expressions; one that no entry matches is new and fails the gate (exit 1),
listed as a GitHub error annotation and in the job summary. Exit 2: the
allow-list or the log is unusable (missing, an entry without its reason, a
bad expression, or fewer warnings found than bitbake's own summary counts,
which means this parser missed some).

The allow-list: one Python regular expression per line; the comment lines
(`# ...`) directly above an entry are its reason, and an entry without one
is refused. Standard library only: the runner host's python3 runs it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\x1b\]8;;[^\x1b]*\x1b\\")
WARNING = re.compile(r"^WARNING: (.*)$")
# knotty's closing summary (bb/ui/knotty.py): "There was 1 WARNING message." /
# "There were N WARNING messages."
SUMMARY = re.compile(r"^Summary: There (?:was|were) (\d+) WARNING messages?\.")


class GateError(Exception):
    """The allow-list or the log cannot be used; exit 2."""


@dataclass(frozen=True)
class Entry:
    pattern: re.Pattern
    reason: str
    line: int


def load_allow_list(path: Path) -> list[Entry]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise GateError(f"{path}: cannot read the allow-list ({err.strerror}); "
                        "create it (an empty file allows nothing)") from err
    entries, reason = [], []
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            reason = []
        elif line.startswith("#"):
            reason.append(line.lstrip("#").strip())
        else:
            if not any(reason):
                raise GateError(f"{path}:{number}: entry {line!r} has no reason; "
                                "write why it is allowed in '#' lines directly above it")
            try:
                pattern = re.compile(line)
            except re.error as err:
                raise GateError(f"{path}:{number}: {line!r} is not a regular expression: {err}") from err
            entries.append(Entry(pattern, " ".join(r for r in reason if r), number))
            reason = []
    return entries


def read_warnings(log: Path) -> tuple[list[str], int | None]:
    """The text of every WARNING line, and the count of bitbake's summary (None: no summary)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise GateError(f"{log}: cannot read the build log ({err.strerror}); "
                        "the build step must tee kas's output there") from err
    found, summary = [], None
    for raw in text.splitlines():
        line = ANSI.sub("", raw).rstrip("\r")
        match = WARNING.match(line)
        if match:
            found.append(match.group(1).strip())
            continue
        match = SUMMARY.match(line)
        if match:
            summary = int(match.group(1))
    return found, summary


def classify(warnings: list[str], entries: list[Entry]) -> tuple[list[tuple[str, Entry]], list[str]]:
    allowed, new = [], []
    for text in warnings:
        entry = next((e for e in entries if e.pattern.search(text)), None)
        if entry is None:
            new.append(text)
        else:
            allowed.append((text, entry))
    return allowed, new


def annotation(text: str) -> str:
    # Workflow commands: %, CR and LF must be escaped in the message.
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::error title=New bitbake warning::{escaped}"


def summary_markdown(allowed, new, allow_path: Path) -> str:
    out = ["## Bitbake warnings", ""]
    if new:
        out += [f"**{len(new)} new** (not in `{allow_path}`): fix them, or add an entry with its reason.", ""]
        out += [f"- `{w}`" for w in new]
        out.append("")
    if allowed:
        out += [f"{len(allowed)} allowed:", ""]
        out += [f"- `{w}` (entry on line {e.line}: {e.reason})" for w, e in allowed]
        out.append("")
    if not new and not allowed:
        out.append("None.")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--allow", type=Path, required=True, help="the allow-list file")
    parser.add_argument("log", type=Path, help="the console output of kas build")
    args = parser.parse_args(argv)
    try:
        entries = load_allow_list(args.allow)
        warnings, summary = read_warnings(args.log)
        if summary is not None and len(warnings) < summary:
            raise GateError(f"{args.log}: bitbake counted {summary} warnings but only {len(warnings)} "
                            "'WARNING: ' lines were found; the log format changed, fix this gate")
    except GateError as err:
        print(f"warnings gate: {err}", file=sys.stderr)
        return 2
    allowed, new = classify(warnings, entries)
    for text, entry in allowed:
        print(f"allowed (line {entry.line}): {text}")
    for text in new:
        print(annotation(text))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as out:
            out.write(summary_markdown(allowed, new, args.allow))
    print(f"warnings gate: {len(warnings)} warning(s), {len(allowed)} allowed, {len(new)} new")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
