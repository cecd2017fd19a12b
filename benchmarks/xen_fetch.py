#!/usr/bin/env python3
"""Benchmark: the bump's shallow range fetch vs a naive full clone of xen.git.

Measures, against a xen.git served through file:// (default: the local mirror
/work/.mirror/xen-project+xen/repo; any URL with --remote):

- cold: `UpstreamCache.ensure_range` into an empty cache for the range
  RELEASE-<base>..<branch tip> (what `oxt bump xen` fetches),
- warm: the same again (nothing new upstream: ls-remote + local checks),
- naive: `git clone --bare` of the whole repository,

printing wall time, objects and pack bytes of each, and the ratios.

    .venv/bin/python benchmarks/xen_fetch.py [--remote URL] [--branch stable-4.19] [--base RELEASE-4.19.0]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

from oxt.xen.cache import UpstreamCache  # noqa: E402
from oxt.xen.upstream import ls_remote  # noqa: E402
from oxt.xen.versions import Version  # noqa: E402

MIRROR = Path("/work/.mirror/xen-project+xen/repo")


def pack_stats(git_dir: Path) -> tuple[int, int]:
    out = subprocess.run(["git", "count-objects", "-v"], cwd=git_dir, capture_output=True, text=True,
                         check=True).stdout
    kv = dict(line.split(": ") for line in out.splitlines())
    return int(kv["count"]) + int(kv["in-pack"]), (int(kv["size"]) + int(kv["size-pack"])) * 1024


def run_bump_fetch(url: str, branch: str, base: str, cache: Path) -> tuple[float, int]:
    t = time.monotonic()
    refs = ls_remote(url)
    series = branch.removeprefix("stable-")
    newer = [v.tag for v in refs.releases(series) if v > Version.from_tag(base)]
    with UpstreamCache(cache, url, progress=False) as c:
        c.ensure_range(branch, refs.branch(branch), base_tag=base, base_commit=refs.tags[base],
                       tags=newer, need=[])
        tip = refs.branch(branch)
        described = c.describe(tip)
        n = len(c.commits(refs.tags[base], tip))
        fetches = c.stats.fetches
    print(f"  {described}, {n} commits in range, {fetches} fetch(es)")
    return time.monotonic() - t, n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--remote", default=MIRROR.as_uri())
    ap.add_argument("--branch", default="stable-4.19")
    ap.add_argument("--base", default="RELEASE-4.19.0")
    ap.add_argument("--skip-naive", action="store_true", help="do not time the full clone")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="oxt-bench-") as tmp:
        cache = Path(tmp) / "xen.git"
        print(f"remote {args.remote}, {args.branch} from {args.base}")
        print("cold shallow range fetch:")
        cold, _ = run_bump_fetch(args.remote, args.branch, args.base, cache)
        cold_objs, cold_bytes = pack_stats(cache)
        print(f"  {cold:.2f} s, {cold_objs} objects, {cold_bytes / 1e6:.1f} MB")
        print("warm (nothing new upstream):")
        warm, _ = run_bump_fetch(args.remote, args.branch, args.base, cache)
        print(f"  {warm:.2f} s")
        if args.skip_naive:
            return 0
        print("naive full clone (git clone --bare):")
        full = Path(tmp) / "full.git"
        t = time.monotonic()
        subprocess.run(["git", "clone", "-q", "--bare", "--no-local", args.remote, str(full)], check=True)
        naive = time.monotonic() - t
        full_objs, full_bytes = pack_stats(full)
        print(f"  {naive:.2f} s, {full_objs} objects, {full_bytes / 1e6:.1f} MB")
        print("ratios (naive / bump):")
        print(f"  time cold {naive / cold:.1f}x, time warm {naive / warm:.1f}x, "
              f"objects {full_objs / max(cold_objs, 1):.1f}x, bytes {full_bytes / max(cold_bytes, 1):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
