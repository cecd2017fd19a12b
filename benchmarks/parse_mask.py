#!/usr/bin/env python3
"""Whole-build parse with the per-multiconfig parse masks, without them, and one configuration.

Three cold parses (`bitbake -p`, `--fresh`: nothing cached) of the committed
HEAD through ../shared/harness/bbcheck.sh in kas mode, one after the other,
all of kas/openxt.yml:kas/testimage.yml (the release build plus the boot
test: the composition the masks are generated for; testimage.yml only sets
variables of dom0's image, so the same recipe files parse as for
kas/openxt.yml):

masked    five multiconfigs, each parsing only the upstream recipes its
          images need (conf/multiconfig/parsemask/<mc>.inc, `oxt parsemask`),
          the default configuration masked whole; then `bitbake -g` of every
          image target, and of a recipe the stubdomain's mask hides (it must
          fail, naming the regeneration command);
single    one plain configuration of the same stack: the multiconfigs, the
          default mask and the parse masks switched off (a fragment this
          script writes into its snapshot), MACHINE openxt-dom0: what one
          configuration costs, nothing masked;
unmasked  + kas/nomask.yml: the five multiconfigs parsing everything (the
          build before the masks; 15-25 minutes on 2 cores, so it runs last),
          then `bitbake -g` of the same targets.

It prints each parse's wall time and bitbake's counts, masked / single (goal
<= 1.5) and unmasked / single, and `oxt parsemask --compare` of the two task
graphs (they must be the same). Needs root (the harness drops to its build
user), OE_MIRRORS (the harness's mirrors) and a mirror of meta-security's
scarthgap branch (BBCHECK_KAS_PREMIRRORS_EXTRA, by default
$OE_MIRRORS/MontaVista-OpenSourceTechnology+meta-security/repo).

    sudo OE_MIRRORS=/work/.mirror nice -n 5 .venv/bin/python benchmarks/parse_mask.py [--skip unmasked]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bbcheck_run import HARNESS, ROOT, cannot_run, cold_parse, work_dir

WORK = Path(os.environ.get("BBCHECK_BENCH_WORK", "/tmp/bbh/bench-parsemask"))
META_SECURITY = "MontaVista-OpenSourceTechnology+meta-security"
OXT = Path(sys.executable).parent / "oxt"
TARGETS = " ".join([
    *(f"mc:{vm}:openxt-{vm}-image" for vm in ("dom0", "ndvm", "uivm", "syncvm", "stubdomain")),
    "mc:dom0:openxt-dom0-image:do_testimage", "mc:syncvm:openxt-syncvm-image:do_populate_sdk",
])
# a recipe no stubdomain task comes from (its mask hides it): asking for it must fail loudly
HIDDEN = "mc:stubdomain:strace"

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
    shutil.rmtree(dest, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True)
    head = subprocess.run(["git", "-C", str(dest), "log", "--oneline", "-1"], capture_output=True, text=True,
                          check=True).stdout.strip()
    (dest / "kas" / "bench-single.yml").write_text(SINGLE)
    subprocess.run(["chmod", "-R", "a+rX", str(dest)], check=True)
    print(f"snapshot of HEAD {head} in {dest}", flush=True)
    return dest


def graph_of(name: str) -> Path:
    """The task graph of a variant, kept beside its work dir (a later `bitbake -g` there overwrites it)."""
    return WORK / f"{name}-task-depends.dot"


def keep_graph(name: str) -> None:
    shutil.copyfile(work_dir(WORK, name) / "kas-openxt" / "build" / "task-depends.dot", graph_of(name))


def hidden_fails(spec: str) -> bool:
    """`bitbake -g` of a hidden recipe in the masked build (warm cache): fails, naming the regeneration?"""
    cmd = [str(HARNESS), "-g", "-t", HIDDEN, "-w", str(work_dir(WORK, "masked")), spec]
    print(f"  running {' '.join(cmd)}", flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    logs = sorted(work_dir(WORK, "masked").glob("logs/*/task-graph.log"))
    log = logs[-1].read_text(errors="replace") if logs else ""
    errors = [line for line in log.splitlines() if line.startswith("ERROR:")]
    print("\n".join(f"    | {line}" for line in errors), flush=True)
    failed = re.search(r"^task-graph\s+FAIL", out, re.M) is not None
    return failed and any("oxt parsemask" in e for e in errors)


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
    kas = snapshot(WORK) / "kas"
    base = f"{kas / 'openxt.yml'}:{kas / 'testimage.yml'}"
    variants = {
        "masked": (base, TARGETS),
        "single": (f"{base}:{kas / 'bench-single.yml'}", None),
        "unmasked": (f"{base}:{kas / 'nomask.yml'}", TARGETS),
    }
    results: dict[str, tuple[float, str]] = {}
    hidden = None
    started = time.monotonic()
    for name, (spec, graph) in variants.items():
        if name in args.skip:
            continue
        print(f"{name}: cold parse of {spec}", flush=True)
        results[name] = cold_parse(WORK, name, [spec], graph)
        if graph:
            keep_graph(name)
        if name == "masked":
            hidden = hidden_fails(spec)
            print(f"  {HIDDEN} with the masks: {'fails, naming oxt parsemask' if hidden else 'DID NOT FAIL AS IT MUST'}",
                  flush=True)
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
        print("task graphs without and with the masks:", flush=True)
        compared = subprocess.run([str(OXT), "parsemask", "--compare", str(graph_of("unmasked")),
                                   str(graph_of("masked"))], check=False)
        return compared.returncode or (0 if hidden else 1)
    return 0 if hidden in (None, True) else 1


if __name__ == "__main__":
    sys.exit(main())
