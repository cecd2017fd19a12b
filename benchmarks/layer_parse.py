#!/usr/bin/env python3
"""Parse cost of meta-openxt, measured with real bitbake (../shared/harness/bbcheck.sh).

Two figures, both from cold parses (`--fresh`, nothing cached):

layer   `bitbake -p` of the upstream stack (oe-core, meta-oe/-python/-networking/
        -filesystems, meta-virtualization; MACHINE qemux86-64, DISTRO nodistro)
        plus meta-openxt and meta-openxt-haskell, against the same stack plus an empty layer (the naive
        baseline: what the stack costs without our recipes). Goal: ratio <= 1.05.

default kas mode, kas/openxt.yml (five multiconfigs; the default configuration
        is masked) against kas/openxt.yml:kas/debug.yml (the same plus a full
        default configuration, i.e. what bitbake parses when nothing is done
        about it): the saving of masking the default configuration.

Each variant runs --runs times (alternating, to spread machine noise); the
median wall time of the parse step is reported. Needs root (the harness drops
to its build user) and takes many minutes: a cold parse is ~2.5 min per
configuration on 2 cores.

    sudo python3 benchmarks/layer_parse.py [--runs N] [--only layer|default]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bbcheck_run import ROOT, cannot_run, cold_parse

WORK = Path(os.environ.get("BBCHECK_BENCH_WORK", "/tmp/bbh/bench"))

DUMMY_LAYER_CONF = """\
BBPATH .= ":${LAYERDIR}"
BBFILES += "${LAYERDIR}/recipes-*/*/*.bb ${LAYERDIR}/recipes-*/*/*.bbappend"
BBFILE_COLLECTIONS += "dummy"
BBFILE_PATTERN_dummy = "^${LAYERDIR}/"
BBFILE_PRIORITY_dummy = "6"
LAYERDEPENDS_dummy = "core"
LAYERSERIES_COMPAT_dummy = "scarthgap"
"""


def compare(title: str, base: tuple[str, list[str]], ours: tuple[str, list[str]], runs: int) -> None:
    times: dict[str, list[float]] = {base[0]: [], ours[0]: []}
    for _ in range(runs):
        for name, args in (base, ours):
            times[name].append(cold_parse(WORK, name, args)[0])
    b, o = statistics.median(times[base[0]]), statistics.median(times[ours[0]])
    print(f"\n{title}")
    print(f"  {base[0]:<28} median {b:7.1f} s  runs {times[base[0]]}")
    print(f"  {ours[0]:<28} median {o:7.1f} s  runs {times[ours[0]]}")
    print(f"  ratio {ours[0]} / {base[0]} = {o / b:.3f}\n", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=1, help="parses per variant (default 1)")
    ap.add_argument("--only", choices=("layer", "default"), help="run one comparison only")
    args = ap.parse_args()
    problem = cannot_run()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "layer"):
        dummy = Path(tempfile.mkdtemp(prefix="dummy-", dir=WORK)) / "meta-dummy"
        (dummy / "conf").mkdir(parents=True)
        (dummy / "conf" / "layer.conf").write_text(DUMMY_LAYER_CONF)
        subprocess.run(["chmod", "-R", "a+rX", str(dummy.parent)], check=True)
        compare(
            "layer mode: parse cost of meta-openxt's recipes",
            ("stack+empty-layer", [str(dummy)]),
            # both of our layers: the kas build always carries the Haskell one too
            ("stack+meta-openxt(+haskell)", [str(ROOT / "meta-openxt"), str(ROOT / "meta-openxt-haskell")]),
            args.runs,
        )
    if args.only in (None, "default"):
        kas = ROOT / "kas"
        compare(
            "kas mode: masking the default configuration",
            ("openxt+full-default", [f"{kas / 'openxt.yml'}:{kas / 'debug.yml'}"]),
            ("openxt-default-masked", [str(kas / "openxt.yml")]),
            args.runs,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
