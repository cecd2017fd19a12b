#!/usr/bin/env python3
"""How long `oxt render` and `oxt render --check` take for the whole manifest.

Works on a throw-away copy of the checkout (nothing here is written) and
prints, per operation, the median of N in-process runs and the wall time of
the real CLI (new interpreter, imports included, i.e. what CI pays):

  render (fresh)     every file created
  render (no-op)     tree already rendered: read, compare, write nothing
  render --check     clean tree: plan + compare, exit 0
  naive render       what a simple script would do: re-read the templates
                     and rewrite every file on every run (the ratio column)

Goals (issue 3): render <= 0.3 s, render --check <= 0.5 s.

    .venv/bin/python benchmarks/render.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jinja2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from oxt.fsutil import atomic_write  # noqa: E402
from oxt.manifest import load_manifest  # noqa: E402
from oxt.render import apply_plan, header, outputs, plan_render  # noqa: E402
from oxt.repo import Checkout  # noqa: E402


def copy_checkout(dest: Path) -> Checkout:
    for part in ("meta-openxt", "recipes-templates"):
        shutil.copytree(ROOT / part, dest / part)
    return Checkout(dest)


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def naive_render(co: Checkout) -> None:
    """No planning: fresh environment, render everything, rewrite every file."""
    m = load_manifest(co)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(co.templates)), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    for out in outputs(m):
        text = env.get_template(out.template).render(header=header(out.template), **out.context)
        atomic_write(co.root / out.path, text)


def cli_seconds(root: Path, *args: str, render_plugin_only: bool = False) -> float:
    """Wall time of `oxt render` in a new interpreter (optionally loading no other plugin)."""
    prelude = "import oxt.cli as c; " + ("c.PLUGINS = ['render']; " if render_plugin_only else "")
    code = prelude + f"raise SystemExit(c.main({['--root', str(root), 'render', '-q', *args]!r}))"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="in-process runs per figure (median), default 20")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="oxt-render-bench-") as tmp:
        fresh_roots = []

        def fresh():
            root = Path(tempfile.mkdtemp(dir=tmp))
            co = copy_checkout(root)
            for rel in [o.path for o in outputs(load_manifest(co))]:
                (co.root / rel).unlink(missing_ok=True)
            fresh_roots.append(co)
            return co

        pool = [fresh() for _ in range(args.runs)]
        t_fresh = median_seconds(lambda: apply_plan(plan_render(pool.pop())), args.runs)

        co = copy_checkout(Path(tmp) / "steady")
        t_noop = median_seconds(lambda: apply_plan(plan_render(co)), args.runs)
        t_check = median_seconds(lambda: plan_render(co).changed, args.runs)
        t_naive = median_seconds(lambda: naive_render(co), args.runs)
        cli_render = statistics.median(cli_seconds(co.root) for _ in range(5))
        cli_check = statistics.median(cli_seconds(co.root, "--check") for _ in range(5))
        own_render = statistics.median(cli_seconds(co.root, render_plugin_only=True) for _ in range(5))
        own_check = statistics.median(cli_seconds(co.root, "--check", render_plugin_only=True) for _ in range(5))
        files = len(outputs(load_manifest(co)))

    print(f"manifest renders {files} files; median of {args.runs} in-process runs, 5 CLI runs")
    print(f"{'operation':22} {'in-process':>11} {'CLI wall':>10} {'render-only CLI':>16} {'vs naive':>9}")
    print(f"{'render (fresh tree)':22} {t_fresh * 1000:9.1f}ms {'':>10} {'':>16} {t_fresh / t_naive:8.2f}x")
    print(f"{'render (no changes)':22} {t_noop * 1000:9.1f}ms {cli_render:9.3f}s {own_render:15.3f}s "
          f"{t_noop / t_naive:8.2f}x")
    print(f"{'render --check':22} {t_check * 1000:9.1f}ms {cli_check:9.3f}s {own_check:15.3f}s "
          f"{t_check / t_naive:8.2f}x")
    print(f"{'naive render (rewrite)':22} {t_naive * 1000:9.1f}ms {'':>10} {'':>16} {1:8.2f}x")
    print("CLI wall: `oxt render` as shipped, i.e. including the import cost of every other plugin;")
    print("render-only CLI: the same with only the render plugin registered (the renderer's own cost).")
    for label, seconds in (("full CLI", (cli_render, cli_check)), ("render-only CLI", (own_render, own_check))):
        ok = seconds[0] <= 0.3 and seconds[1] <= 0.5
        print(f"goal render <= 0.3 s, --check <= 0.5 s, {label}: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
