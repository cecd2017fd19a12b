"""One cold `bitbake -p` through ../shared/harness/bbcheck.sh, shared by the parse benchmarks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARNESS = Path(os.environ.get("BBCHECK", ROOT.parent / "shared" / "harness" / "bbcheck.sh"))
PARSE_LINE = re.compile(r"^parse\s+(PASS|FAIL)\s+([\d.]+)", re.M)
PARSED = re.compile(r"Parsing of (\d+) \.bb files complete.*?(\d+) targets")


def cannot_run() -> str | None:
    """Why the harness cannot run from here, or None."""
    if os.geteuid() != 0:
        return "run as root: the harness creates/uses its unprivileged build user"
    if not HARNESS.is_file():
        return f"harness not found: {HARNESS} (set BBCHECK)"
    return None


def work_dir(work: Path, name: str) -> Path:
    # oe-core refuses "+" in TMPDIR/COREBASE, so the work dir gets a plain name
    return work / re.sub(r"[^A-Za-z0-9_.-]", "-", name)


def cold_parse(work: Path, name: str, args: list[str], graph: str | None = None) -> tuple[float, str]:
    """Parse wall time of one `--fresh` harness run, and bitbake's recipe/target counts.

    With ``graph`` (targets) the harness runs `bitbake -g` of them after the
    parse (not timed here), and it must pass too. Exits with the harness's
    tail when a step fails: a failed parse has no meaningful time.
    """
    workdir = work_dir(work, name)
    steps = ["-g", "-t", graph] if graph else ["-p"]
    cmd = [str(HARNESS), "--fresh", *steps, "-w", str(workdir), *args]
    print(f"  running {' '.join(cmd)}", flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    match = PARSE_LINE.search(out)
    if not match or match.group(1) != "PASS" or (graph and not re.search(r"^task-graph\s+PASS", out, re.M)):
        sys.exit(f"{name}: parse{' or task graph' if graph else ''} did not pass:\n{out[-3000:]}")
    summary = [line.strip() for line in out.splitlines()
               if re.match(r"^(parse|task-graph)\s+(PASS|FAIL)", line) or "Parsing of" in line]
    print("\n".join(f"    | {line}" for line in summary), flush=True)
    parsed = PARSED.search(out)
    detail = f"{parsed.group(1)} recipe files, {parsed.group(2)} targets" if parsed else ""
    print(f"    parse {float(match.group(2)):.1f} s ({detail})", flush=True)
    return float(match.group(2)), detail
