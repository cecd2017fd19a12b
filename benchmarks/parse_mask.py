#!/usr/bin/env python3
"""Whole-build parse with the per-multiconfig parse masks, without them, and one configuration.

Three cold parses (`bitbake -p`, `--fresh`: nothing cached) of the committed
HEAD through ../shared/harness/bbcheck.sh in kas mode, one after the other:

masked    kas/openxt.yml: five multiconfigs, each parsing only the upstream
          recipes its images need (conf/multiconfig/parsemask/<mc>.inc,
          `oxt parsemask`), the default configuration masked whole;
single    one plain configuration of the same stack: kas/openxt.yml with the
          multiconfigs, the default mask and the parse masks switched off
          (a fragment this script writes into its snapshot), MACHINE
          openxt-dom0: what one configuration costs, nothing masked;
unmasked  kas/openxt.yml:kas/nomask.yml: the five multiconfigs parsing
          everything (what the build cost before the masks; the slow one,
          15-25 minutes on 2 cores, so it runs last).

It prints each parse's wall time and bitbake's recipe/target counts, then
masked / single (goal <= 1.5) and unmasked / single. Needs root (the harness
drops to its build user), OE_MIRRORS (the harness's mirrors) and a mirror of
meta-security's scarthgap branch (BBCHECK_KAS_PREMIRRORS_EXTRA, by default
$OE_MIRRORS/MontaVista-OpenSourceTechnology+meta-security/repo).

    sudo OE_MIRRORS=/work/.mirror nice -n 5 python3 benchmarks/parse_mask.py [--skip unmasked]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from bbcheck_run import ROOT, cannot_run, cold_parse

WORK = Path(os.environ.get("BBCHECK_BENCH_WORK", "/tmp/bbh/bench-parsemask"))
META_SECURITY = "MontaVista-OpenSourceTechnology+meta-security"

# kas/openxt.yml as one configuration: its blocks of the same names replaced
SINGLE = """\
# One configuration of kas/openxt.yml's stack (benchmarks/parse_mask.py):
# no multiconfigs, the default configuration is dom0's machine, nothing masked.
header:
  version: 23
target:
  - openxt-dom0-image
local_conf_header:
  openxt-default-config: |
    # the default configuration parses everything
  openxt-multiconfig: |
    BBMULTICONFIG = ""
  openxt-parse-mask: |
    # nothing masked
"""


def snapshot(work: Path) -> Path:
    """A clone of HEAD the build user can read (the worktree may change while the parses run)."""
    dest = work / "src"
    subprocess.run(["rm", "-rf", str(dest)], check=True)
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True)
    head = subprocess.run(["git", "-C", str(dest), "log", "--oneline", "-1"], capture_output=True, text=True,
                          check=True).stdout.strip()
    (dest / "kas" / "bench-single.yml").write_text(SINGLE)
    subprocess.run(["chmod", "-R", "a+rX", str(dest)], check=True)
    print(f"snapshot of HEAD {head} in {dest}", flush=True)
    return dest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip", action="append", default=[], choices=("masked", "single", "unmasked"),
                    help="leave a variant out (repeatable)")
    args = ap.parse_args()
    problem = cannot_run()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    mirrors = os.environ.get("OE_MIRRORS")
    if not mirrors or not Path(mirrors).is_dir():
        print("set OE_MIRRORS to the harness's mirror directory (e.g. /work/.mirror)", file=sys.stderr)
        return 2
    if not os.environ.get("BBCHECK_KAS_PREMIRRORS_EXTRA"):
        security = Path(mirrors) / META_SECURITY / "repo"
        if not security.is_dir():
            print(f"no meta-security mirror {security}: set BBCHECK_KAS_PREMIRRORS_EXTRA", file=sys.stderr)
            return 2
        os.environ["BBCHECK_KAS_PREMIRRORS_EXTRA"] = (
            rf"^(https?|git)://git\.yoctoproject\.org/(git/)?meta-security(\.git)?/?$ file://{security}")
    WORK.mkdir(parents=True, exist_ok=True)
    src = snapshot(WORK)
    kas = src / "kas"
    variants = {
        "masked": f"{kas / 'openxt.yml'}",
        "single": f"{kas / 'openxt.yml'}:{kas / 'bench-single.yml'}",
        "unmasked": f"{kas / 'openxt.yml'}:{kas / 'nomask.yml'}",
    }
    results: dict[str, tuple[float, str]] = {}
    started = time.monotonic()
    for name, spec in variants.items():
        if name in args.skip:
            continue
        print(f"{name}: cold parse of {spec}", flush=True)
        results[name] = cold_parse(WORK, name, [spec])
    print(f"\nwhole run {time.monotonic() - started:.0f} s; cold parse wall times (bbcheck parse step):")
    for name, (secs, detail) in results.items():
        print(f"  {name:<9} {secs:8.1f} s  {detail}")
    single = results.get("single")
    for name in ("masked", "unmasked"):
        if single and name in results:
            goal = "  (goal <= 1.5)" if name == "masked" else ""
            print(f"  ratio {name} / single = {results[name][0] / single[0]:.2f}{goal}")
    if "masked" in results and "unmasked" in results:
        print(f"  ratio unmasked / masked = {results['unmasked'][0] / results['masked'][0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
