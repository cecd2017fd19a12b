#!/usr/bin/env python3
"""Benchmark: `oxt xsa sync` of a 20-advisory feed, cold and warm, against the
manual way (`oxt xsa add` per advisory and track).

Builds, in a temp dir, the test suite's fixture upstream (tests/fixtures/xen_upstream.py),
a two-track meta-openxt checkout (stable-4.6, stable-4.7) and a feed of
--advisories advisories (default 20), each with one patch per track made on
that track's pin, clear-signed with a throwaway gpg key when gpg is installed
(so every run also verifies 20 signatures), served by a loopback HTTP server.
Then times, through the real CLI (a subprocess: Python start-up included), the
median of --runs runs of:

- cold: empty feed cache and empty xen.git cache, a fresh checkout: index, 20
  .meta, 20 signed texts, 40 patches downloaded, ls-remote and the shallow
  fetch, each track's whole patch series with its 20 new advisories pushed on
  its pin by the series engine (one evaluation per track and recipe), one
  write of 40 patches;
- warm, queue all: the caches kept (as the tracker restores them), a fresh
  checkout: the same decisions and checks, nothing downloaded but xsa.json;
- warm, nothing to do: the checkout already has every advisory (the common
  hourly run): one conditional request for xsa.json, no git at all;
- manual: `oxt xsa add N FILE --track T` for each of the 40 (advisory,
  track) pairs on a fresh checkout, files already on disk, warm xen.git cache
  — the person's way without the feed (and without reading 20 advisories).

    .venv/bin/python benchmarks/xsa_sync.py [--advisories 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import fixtures.xen_upstream as F  # noqa: E402 - the test suite's fixture upstream
import fixtures.xsa_feed as X  # noqa: E402 - and its advisory feed

OXT = Path(sys.executable).parent / "oxt"


def timed(argv: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - start, result


def fresh_checkout(template: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(template, dest)
    return dest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--advisories", type=int, default=20, help="advisories in the feed (at most 24)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is printed)")
    args = parser.parse_args()
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@localhost",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@localhost")
    os.environ.update({k: v for k, v in env.items() if k.startswith("GIT_")})
    with tempfile.TemporaryDirectory(prefix="oxt-bench-xsa-") as tmp:
        base = Path(tmp)
        print("building the fixture upstream, checkout and feed …", file=sys.stderr)
        upstream = F.build_upstream(base / "xen.git")
        home, fpr = (base / "gnupg", None)
        if shutil.which("gpg"):
            fpr = X.make_gpg_home(home)
        builder = X.FeedBuilder(upstream, base, home if fpr else None)
        numbers = [500 + i for i in range(args.advisories)]
        for n in numbers:
            builder.simple(n)
        builder.write(base / "www")
        builder.close()
        template = X.two_track_checkout(base / "template", upstream)
        sign = ["--gpg-home", str(home), "--signing-key", fpr, "--require-signature"] if fpr else []
        figures: dict[str, list[float]] = {"cold": [], "warm, queue all": [], "warm, nothing to do": [],
                                           "manual (xsa add x 40)": []}
        with X.FeedServer(base / "www") as server:
            def sync(checkout: Path, cache: Path) -> tuple[float, subprocess.CompletedProcess]:
                return timed([str(OXT), "--root", str(checkout), "xsa", "sync", "-q", "--feed", server.url,
                              "--remote", upstream.url, "--cache-dir", str(cache / "xen.git"),
                              "--feed-cache", str(cache / "xsa"), *sign], env)

            for run in range(args.runs):
                cache = base / f"cache-{run}"
                co = fresh_checkout(template, base / "co")
                seconds, result = sync(co, cache)
                assert result.returncode == 0, result.stderr
                assert result.stdout.count(" queued ") == 2 * args.advisories, result.stdout
                figures["cold"].append(seconds)
                co = fresh_checkout(template, base / "co")
                before = len(server.requests)
                seconds, result = sync(co, cache)
                assert result.returncode == 0 and server.requests[before:] == ["/xsa/xsa.json"], result.stderr
                figures["warm, queue all"].append(seconds)
                before = len(server.requests)
                seconds, result = sync(co, cache)
                assert result.returncode == 0 and "already-queued" in result.stdout, result.stdout
                assert server.requests[before:] == ["/xsa/xsa.json"]
                figures["warm, nothing to do"].append(seconds)
                # the manual way: one `xsa add` per advisory and track, files at hand
                co = fresh_checkout(template, base / "co")
                total = 0.0
                for n in numbers:
                    for version in ("4.6", "4.7"):
                        seconds, result = timed(
                            [str(OXT), "--root", str(co), "xsa", "add", str(n),
                             str(base / "www" / "xsa" / f"xsa{n}-{version}.patch"), "--track", f"stable-{version}",
                             "-q", "--remote", upstream.url, "--cache-dir", str(cache / "xen.git")], env)
                        assert result.returncode == 0, result.stderr
                        total += seconds
                figures["manual (xsa add x 40)"].append(total)
        if fpr:
            X.stop_gpg_agent(home)
    manual = statistics.median(figures["manual (xsa add x 40)"])
    print(f"oxt xsa sync, {args.advisories} advisories x 2 tracks "
          f"({'signed, verified' if fpr else 'unsigned: gpg not installed'}), "
          f"median of {args.runs} run(s), {os.cpu_count()} CPU(s):")
    print(f"  {'':24} {'seconds':>8} {'manual/this':>12}")
    for name, values in figures.items():
        median = statistics.median(values)
        print(f"  {name:24} {median:8.2f} {manual / median:11.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
