#!/usr/bin/env python3
"""Benchmark: `oxt bump xen` on a large synthetic upstream vs a naive full clone.

Builds (with `git fast-import`, in a temp dir) a xen.git-shaped repository of
--commits commits (default 20,000) on master, a `stable-4.6` branch forked near
its end carrying annotated RELEASE-4.6.x tags, XSA-fix messages and a tip some
commits past the last tag, plus a meta-openxt checkout whose only Xen track is
pinned at RELEASE-4.6.<--pin> with an empty XSA queue. Then times, through the
real CLI (`oxt bump xen --dry-run --remote file://…`):

- cold: empty upstream cache (ls-remote, shallow range fetch, XSA index, plan),
- warm: the same again (the cache already holds the range),
- naive: `git clone --bare --no-local` of the whole upstream,

and prints the times, objects/bytes fetched and the ratios naive/bump.
For the real xen.git history see benchmarks/xen_fetch.py.

    .venv/bin/python benchmarks/xen_bump_synthetic.py [--commits 20000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # make_checkout: the test suite's checkout builder

from xen_fetch import pack_stats  # noqa: E402 - objects and bytes of a repository, as for the real xen.git

FILES = 400          # xen/common/fNNN.c, one rewritten per commit
STABLE_COMMITS = 400  # on stable-4.6 after the fork
RELEASE_EVERY = 60    # stable commits between RELEASE-4.6.x tags (4.6.0 .. 4.6.5)
MASTER_AFTER_FORK = 1000
AUTHOR = b"Bench <bench@localhost>"


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def _file_body(commit_no: int, file_no: int) -> bytes:
    # ~2 KB of C-ish text that changes a little per commit, so packs delta like real code
    lines = [b"/* f%03d.c */" % file_no]
    lines += [b"static int f%03d_%02d(int x) { return x * %d + %d; }" % (file_no, i, i, commit_no % (i + 7))
              for i in range(40)]
    return b"\n".join(lines) + b"\n"


def fast_import_stream(n_master: int) -> tuple[bytes, int]:
    """The fast-import stream of the whole upstream, and the total number of commits."""
    out: list[bytes] = []
    ts = 1_400_000_000
    mark = 0
    fork_at = n_master - MASTER_AFTER_FORK

    def commit(ref: bytes, message: bytes, path: bytes, body: bytes, from_mark: int | None = None) -> int:
        nonlocal mark, ts
        mark += 1
        ts += 60
        sig = b"%s %d +0000" % (AUTHOR, ts)
        out.append(b"commit %s\nmark :%d\nauthor %s\ncommitter %s\n" % (ref, mark, sig, sig))
        out.append(_data(message))
        if from_mark:
            out.append(b"from :%d\n" % from_mark)
        out.append(b"M 100644 inline %s\n" % path)
        out.append(_data(body))
        return mark

    def tag(name: bytes, target: int) -> None:
        out.append(b"tag %s\nfrom :%d\ntagger %s %d +0000\n" % (name, target, AUTHOR, ts))
        out.append(_data(b"Xen " + name))

    master = b"refs/heads/master"
    fork_mark = 0
    for i in range(n_master):
        if i == 0:
            m = commit(master, b"Initial import", b"COPYING", b"GNU GENERAL PUBLIC LICENSE\nVersion 2\n")
            continue
        msg = b"common: change %d" % i
        if i % 97 == 0:
            msg += b"\n\nThis is XSA-%d." % (100 + i // 97)
        m = commit(master, msg, b"xen/common/f%03d.c" % (i % FILES), _file_body(i, i % FILES))
        if i == fork_at:
            fork_mark = m
    stable = b"refs/heads/stable-4.6"
    release = 0
    for j in range(STABLE_COMMITS):
        msg = b"stable-4.6: backport %d" % j
        if j % 20 == 5:
            msg += b"\n\nThis is XSA-%d." % (400 + j // 20)
        m = commit(stable, msg, b"xen/common/f%03d.c" % (j % FILES), _file_body(n_master + j, j % FILES),
                   from_mark=fork_mark if j == 0 else None)
        # tags every RELEASE_EVERY commits; the tip stays ~40 commits past the last one
        if j % RELEASE_EVERY == 0 and j + 40 < STABLE_COMMITS:
            tag(b"RELEASE-4.6.%d" % release, m)
            release += 1
    out.append(b"done\n")
    return b"".join(out), n_master + STABLE_COMMITS


def build_upstream(path: Path, n_master: int):
    from fixtures.xen_upstream import Upstream

    stream, total = fast_import_stream(n_master)
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    subprocess.run(["git", "fast-import", "--quiet", "--done"], cwd=path, input=stream, check=True)
    subprocess.run(["git", "repack", "-adq"], cwd=path, check=True)
    (path.parent / "patches").mkdir(exist_ok=True)
    return Upstream(path=path, url=path.as_uri(), patches=path.parent / "patches"), total


def rev(path: Path, ref: str) -> str:
    return subprocess.run(["git", "rev-parse", f"{ref}^{{commit}}"], cwd=path, capture_output=True, text=True,
                          check=True).stdout.strip()


def timed_bump(checkout: Path, url: str, cache: Path) -> tuple[float, str]:
    oxt = Path(sys.executable).parent / "oxt"
    env = dict(os.environ, OXT_XEN_CACHE=str(cache))
    t = time.monotonic()
    result = subprocess.run([str(oxt), "bump", "xen", "--dry-run", "-q", "--remote", url], cwd=checkout,
                            env=env, capture_output=True, text=True)
    seconds = time.monotonic() - t
    if result.returncode != 0:
        sys.exit(f"oxt bump xen failed ({result.returncode}):\n{result.stderr}")
    lines = result.stdout.splitlines()
    return seconds, "\n  ".join(lines[:2])  # the summary table's header and the track's row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=20_000, help="commits on master (default 20000)")
    ap.add_argument("--pin", type=int, default=3, help="the track's pin: RELEASE-4.6.PIN (default 3)")
    ap.add_argument("--keep", type=Path, metavar="DIR", help="build in DIR and keep it (default: a temp dir)")
    args = ap.parse_args()
    if args.commits <= MASTER_AFTER_FORK:
        ap.error(f"--commits must exceed {MASTER_AFTER_FORK}")

    from fixtures.xen_upstream import make_checkout

    tmp = args.keep or Path(tempfile.mkdtemp(prefix="oxt-bench-synth-"))
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        t = time.monotonic()
        upstream, total = build_upstream(tmp / "xen.git", args.commits)
        objects, size = pack_stats(upstream.path)
        print(f"synthetic upstream: {total} commits, {objects} objects, {size / 1e6:.1f} MB "
              f"(built in {time.monotonic() - t:.1f} s)")
        pin_tag = f"RELEASE-4.6.{args.pin}"
        upstream.commits["pin"] = rev(upstream.path, pin_tag)
        checkout = make_checkout(tmp / "meta-openxt", upstream, xsas=())
        print(f"track stable-4.6 pinned at {pin_tag}; bump to the branch tip")

        cache = tmp / "cache" / "xen.git"
        cold, line = timed_bump(checkout, upstream.url, cache)
        cold_objects, cold_bytes = pack_stats(cache)
        print(f"  {line}")
        print(f"cold bump (empty cache): {cold:6.2f} s  {cold_objects} objects, {cold_bytes / 1e6:.1f} MB fetched")
        warm, _ = timed_bump(checkout, upstream.url, cache)
        print(f"warm bump (cache kept):  {warm:6.2f} s")

        full = tmp / "full.git"
        t = time.monotonic()
        subprocess.run(["git", "clone", "-q", "--bare", "--no-local", upstream.url, str(full)], check=True)
        naive = time.monotonic() - t
        full_objects, full_bytes = pack_stats(full)
        print(f"naive full clone:        {naive:6.2f} s  {full_objects} objects, {full_bytes / 1e6:.1f} MB")
        print(f"ratios naive/bump: time cold {naive / cold:.1f}x, warm {naive / warm:.1f}x; "
              f"objects {full_objects / max(cold_objects, 1):.0f}x, bytes {full_bytes / max(cold_bytes, 1):.0f}x")
        print("(the cold bump also indexes XSAs, plans and renders; the clone only transfers)")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
