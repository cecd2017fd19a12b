#!/usr/bin/env python3
"""Run oe-core's yocto-check-layer on every layer of this repository.

Run it inside `kas shell` of kas/openxt.yml (kas/openxt.yml:kas/ci.yml in CI,
see .github/workflows/kas-build.yml; `make yocto-check-layer` through the
bitbake harness):

    kas shell kas/openxt.yml -c '.github/scripts/yocto_check_layers.py --repo "$PWD"'

From the kas build it learns the stack (`bitbake-layers show-layers`): the
layers under --repo are ours and get checked, all others are the upstream
layers they may depend on (--dependency). yocto-check-layer needs a build
directory whose BBLAYERS holds oe-core alone (it adds each layer's
LAYERDEPENDS, records the world task signatures, then adds the layer and
compares), so one is made beside the kas build: oe-core's defaults (MACHINE
qemux86-64, DISTRO nodistro) with meta-virtualization's distro features,
offline. Each layer is checked on its own, with --no-auto-dependency (our
dependencies are checked as layers of their own) and, for a BSP layer,
--machines with all of its machines (test_machine_world and
test_machine_signatures: the machines must share every task of their common
tune).

Prints yocto-check-layer's own summary line per layer; the full output of each
run is in BUILD/logs/<layer>.log. Exit status: 0 when every layer passes, 1 when
one fails, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# What the base configuration adds to oe-core's defaults. meta-virtualization
# wants its distro features (its recipes and appends are written for them), but
# only when it is in BBLAYERS: yocto-check-layer starts from oe-core alone plus
# the layer's LAYERDEPENDS, and with "xen" but no meta-virtualization oe-core's
# qemu asks for xen-tools, which nothing provides (meta-openxt-bsp depends on
# core alone). The check never fetches or builds, so it runs offline.
LOCAL_CONF = """\
MACHINE ??= "qemux86-64"
DISTRO ?= "nodistro"
PACKAGE_CLASSES ?= "package_rpm"
CONF_VERSION = "2"
BB_NO_NETWORK = "1"
DISTRO_FEATURES:append = "${@bb.utils.contains('BBFILE_COLLECTIONS', 'virtualization-layer', ' xen virtualization', '', d)}"
"""

SHOW_LAYERS = re.compile(r"^(\S+)\s+(/\S*)\s+(\d+)\s*$", re.MULTILINE)
# yocto-check-layer's closing lines: "INFO: <layer> ... PASS|FAIL|SKIPPED (...)"
RESULT = re.compile(r"^INFO: (\S+) \.\.\. (.+)$", re.MULTILINE)


class UsageError(Exception):
    """A mistake of the caller: exit status 2, one line, no traceback."""


@dataclass(frozen=True)
class Layer:
    name: str  # the collection, as bitbake-layers shows it
    path: Path

    def machines(self) -> list[str]:
        """The machines of a BSP layer (conf/machine/*.conf), as yocto-check-layer detects them."""
        return sorted(p.stem for p in (self.path / "conf" / "machine").glob("*.conf"))

    @property
    def dirname(self) -> str:
        return self.path.name


def parse_show_layers(output: str) -> list[Layer]:
    """The (collection, path) rows of `bitbake-layers show-layers`, paths resolved."""
    return [Layer(name, Path(os.path.realpath(path))) for name, path, _ in SHOW_LAYERS.findall(output)]


def split_layers(layers: list[Layer], repo: Path) -> tuple[list[Layer], list[Layer]]:
    """Ours (inside *repo*) and the upstream ones."""
    repo = Path(os.path.realpath(repo))
    ours = [lay for lay in layers if lay.path == repo or repo in lay.path.parents]
    return ours, [lay for lay in layers if lay not in ours]


def core_and_bitbake(upstream: list[Layer]) -> tuple[Path, Path]:
    """oe-core's checkout (holding meta/ and scripts/) and bitbake's (bin/bitbake on PATH)."""
    core = next((lay for lay in upstream if lay.name == "core"), None)
    if core is None:
        raise UsageError("no layer 'core' (oe-core's meta) in the kas build: is this kas shell of kas/openxt.yml?")
    bitbake = shutil.which("bitbake")
    if bitbake is None:
        raise UsageError("bitbake is not on PATH: run this inside `kas shell`")
    return core.path.parent, Path(os.path.realpath(bitbake)).parent.parent


def check_command(oecore: Path, bitbake: Path, build: Path, layer: Layer, dependencies: list[Layer]) -> str:
    """The bash command that sets up *build* and runs yocto-check-layer on *layer*."""
    args = ["yocto-check-layer", "--no-auto", "--no-auto-dependency",
            "--dependency", *(str(d.path) for d in dependencies)]
    machines = layer.machines()
    if machines:
        args += ["--machines", *machines]
    args += ["--", str(layer.path)]
    return (f"source {shlex.quote(str(oecore / 'oe-init-build-env'))} {shlex.quote(str(build))} "
            f"{shlex.quote(str(bitbake))} >/dev/null && {shlex.join(args)}")


def write_build_conf(build: Path, oecore: Path) -> None:
    """A build directory whose BBLAYERS is oe-core alone (yocto-check-layer adds the rest)."""
    conf = build / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "bblayers.conf").write_text(
        'POKY_BBLAYERS_CONF_VERSION = "2"\nBBPATH = "${TOPDIR}"\nBBFILES ?= ""\n'
        f'BBLAYERS ?= "{oecore / "meta"}"\n')
    (conf / "local.conf").write_text(LOCAL_CONF)
    # A leftover from an interrupted run would make the next one start from it.
    backup = conf / "bblayers.conf.backup"
    backup.unlink(missing_ok=True)


def clean_env() -> dict[str, str]:
    """The environment without kas's build directory (oe-init-build-env sets its own)."""
    env = dict(os.environ)
    for var in ("BBPATH", "BUILDDIR", "BBSERVER", "BB_ENV_PASSTHROUGH_ADDITIONS"):
        env.pop(var, None)
    return env


def summary_of(log: str, layer: Layer) -> str:
    """yocto-check-layer's summary line for *layer* (the layer's directory name)."""
    for name, status in RESULT.findall(log):
        if name == layer.dirname:
            return f"{name} ... {status}"
    return f"{layer.dirname} ... FAIL (no summary: see the log)"


def show_layers() -> str:
    try:
        return subprocess.run(["bitbake-layers", "show-layers"], check=True, capture_output=True, text=True).stdout
    except FileNotFoundError:
        raise UsageError("bitbake-layers is not on PATH: run this inside `kas shell`") from None
    except subprocess.CalledProcessError as err:
        raise UsageError(f"bitbake-layers show-layers failed in the kas build:\n{err.stdout}{err.stderr}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run oe-core's yocto-check-layer on every layer of this repository (inside `kas shell`).")
    parser.add_argument("--repo", type=Path, required=True,
                        help="this repository's checkout: the kas build's layers inside it are checked")
    parser.add_argument("--build", type=Path,
                        help="build directory for the check (default: yocto-check-layer/ beside the kas build)")
    parser.add_argument("--layer", action="append", default=[], metavar="DIR",
                        help="check only this layer (its directory name, e.g. meta-openxt-bsp); repeatable")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except UsageError as err:
        print(f"yocto_check_layers.py: {err}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    if "BUILDDIR" not in os.environ:
        raise UsageError("BUILDDIR is not set: run this inside `kas shell kas/openxt.yml -c ...`")
    ours, upstream = split_layers(parse_show_layers(show_layers()), args.repo)
    if not ours:
        raise UsageError(f"no layer of the kas build lies in --repo {args.repo}")
    unknown = set(args.layer) - {lay.dirname for lay in ours}
    if unknown:
        raise UsageError(f"--layer {', '.join(sorted(unknown))}: not a layer of this repository "
                         f"({', '.join(lay.dirname for lay in ours)})")
    oecore, bitbake = core_and_bitbake(upstream)
    build = (args.build or Path(os.environ["BUILDDIR"]).parent / "yocto-check-layer").resolve()
    write_build_conf(build, oecore)
    logs = build / "logs"
    logs.mkdir(exist_ok=True)

    results, failed = [], False
    for layer in ours:
        if args.layer and layer.dirname not in args.layer:
            continue
        others = [lay for lay in ours if lay != layer]
        cmd = check_command(oecore, bitbake, build, layer, upstream + others)
        log = logs / f"{layer.dirname}.log"
        print(f"yocto-check-layer {layer.dirname} (log: {log})", flush=True)
        start = time.monotonic()
        with open(log, "w") as out:
            # The exact command first, so a failure can be rerun by hand.
            out.write(f"$ {cmd}\n")
            out.flush()
            proc = subprocess.run(["bash", "-c", cmd], check=False, stdout=out, stderr=subprocess.STDOUT, env=clean_env(),
                                  cwd=build)
        line = summary_of(log.read_text(errors="replace"), layer)
        failed |= proc.returncode != 0 or not line.endswith(" PASS")
        results.append(f"{line}  ({time.monotonic() - start:.0f} s)")
        print(f"  {results[-1]}", flush=True)
    print("\nSummary of results:")
    print("\n".join(f"  {r}" for r in results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
