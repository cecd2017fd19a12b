#!/usr/bin/env python3
"""Parse cost of multilib (lib32), measured with real bitbake (../shared/harness/bbcheck.sh).

Multilib makes bitbake parse every target recipe a second time (its lib32-
variant), in each configuration that enables it. OpenXT enables it in the
ndvm multiconfig only (lib32-network-slave). Three cold `bitbake -p` of the
whole kas build (kas/openxt.yml, five multiconfigs), `--fresh` each:

  no-multilib       this checkout with ndvm's multilib lines removed
  ndvm-multilib     this checkout as committed (ours)
  every-vm-multilib the naive way: multilib for the whole build, from a kas
                    local_conf_header (skip with --no-naive)

and prints the parse seconds and the ratios to no-multilib (goal for ours:
<= 1.3). The variants are scratch copies of the committed tree (HEAD) in
the work dir; the checkout itself is not touched. Run as root under the
harness lock, e.g.

    flock /tmp/oxt/harness.lock python3 benchmarks/multilib_parse.py [--runs N] [--no-naive]

A cold parse of the five multiconfigs takes 10-20 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

from bbcheck_run import ROOT, cannot_run, cold_parse

WORK = Path(os.environ.get("BBCHECK_BENCH_WORK", "/tmp/bbh/bench-multilib"))
MULTILIB_LINE = re.compile(r"^(require conf/multilib\.conf|MULTILIBS\b|DEFAULTTUNE:virtclass-multilib-)")
LIB32_PACKAGE = re.compile(r"\s*\blib32-[\w.+-]+")
NAIVE_FRAGMENT = """\
# Benchmark only: multilib for every configuration of the build.
header:
  version: 14
local_conf_header:
  zz-every-vm-multilib: |
    require conf/multilib.conf
    MULTILIBS = "multilib:lib32"
    DEFAULTTUNE:virtclass-multilib-lib32 = "x86"
"""


def export_head(dest: Path) -> Path:
    """The committed tree as its own git repository (kas needs one for the layer repo)."""
    if dest.exists():
        subprocess.run(["rm", "-rf", str(dest)], check=True)
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def commit_all(repo: Path, message: str) -> None:
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", message], check=True)
    subprocess.run(["chmod", "-R", "a+rX", str(repo)], check=True)


def strip_multilib(repo: Path) -> list[str]:
    """Remove multilib from every multiconfig and lib32- packages from every image; what changed."""
    changed = []
    for conf in sorted((repo / "meta-openxt/conf/multiconfig").glob("*.conf")):
        lines = conf.read_text().splitlines(keepends=True)
        kept = [line for line in lines if not MULTILIB_LINE.match(line)]
        if kept != lines:
            conf.write_text("".join(kept))
            changed.append(str(conf.relative_to(repo)))
    for image in sorted((repo / "meta-openxt/recipes-images/images").glob("*.bb")):
        text = image.read_text()
        new = "".join(
            LIB32_PACKAGE.sub("", line) if line.startswith("IMAGE_INSTALL") else line
            for line in text.splitlines(keepends=True)
        )
        if new != text:
            image.write_text(new)
            changed.append(str(image.relative_to(repo)))
    return changed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=1, help="parses per variant (default 1)")
    ap.add_argument("--no-naive", action="store_true", help="skip the every-VM multilib variant")
    args = ap.parse_args()
    problem = cannot_run()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    WORK.mkdir(parents=True, exist_ok=True)

    plain = export_head(WORK / "src-no-multilib")
    changed = strip_multilib(plain)
    if not changed:
        print("HEAD enables no multilib in any multiconfig: nothing to compare", file=sys.stderr)
        return 2
    commit_all(plain, "benchmark: no multilib")
    print(f"no-multilib variant: removed multilib from {', '.join(changed)}")
    variants = [
        ("no-multilib", str(plain / "kas/openxt.yml")),
        ("ndvm-multilib", str(export_head(WORK / "src-ours") / "kas/openxt.yml")),
    ]
    commit_all(WORK / "src-ours", "benchmark: HEAD")
    if not args.no_naive:
        naive = export_head(WORK / "src-naive")
        (naive / "kas/zz-every-vm-multilib.yml").write_text(NAIVE_FRAGMENT)
        commit_all(naive, "benchmark: multilib everywhere")
        variants.append(("every-vm-multilib", f"{naive / 'kas/openxt.yml'}:{naive / 'kas/zz-every-vm-multilib.yml'}"))

    times: dict[str, list[float]] = {name: [] for name, _ in variants}
    details: dict[str, str] = {}
    for _ in range(args.runs):
        for name, spec in variants:
            seconds, details[name] = cold_parse(WORK, name, [spec])
            times[name].append(seconds)

    base = statistics.median(times["no-multilib"])
    print("\nkas build kas/openxt.yml, cold `bitbake -p` (median of runs):")
    for name, _ in variants:
        median = statistics.median(times[name])
        print(f"  {name:<18} {median:7.1f} s  ratio {median / base:5.2f}  ({details[name]}; runs {times[name]})")
    print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
