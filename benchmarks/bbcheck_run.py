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


def cold_parse(work: Path, name: str, args: list[str]) -> tuple[float, str]:
    """Parse wall time of one `--fresh` harness run, and bitbake's recipe/target counts.

    Exits with the harness's tail when the parse fails: a failed parse has no
    meaningful time.
    """
    # oe-core refuses "+" in TMPDIR/COREBASE, so the work dir gets a plain name
    workdir = work / re.sub(r"[^A-Za-z0-9_.-]", "-", name)
    cmd = [str(HARNESS), "--fresh", "-p", "-w", str(workdir), *args]
    print(f"  running {' '.join(cmd)}", flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    match = PARSE_LINE.search(out)
    if not match or match.group(1) != "PASS":
        sys.exit(f"{name}: parse did not pass:\n{out[-3000:]}")
    parsed = PARSED.search(out)
    detail = f"{parsed.group(1)} recipe files, {parsed.group(2)} targets" if parsed else ""
    print(f"    parse {float(match.group(2)):.1f} s ({detail})", flush=True)
    return float(match.group(2)), detail
