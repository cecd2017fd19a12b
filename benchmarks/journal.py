#!/usr/bin/env python3
"""What crash safety costs: a bump's writes through the journal vs written one by one.

Takes the change a real `oxt bump xen` makes on the test suite's fixture (the
manifest, two rendered recipes and openxt-versions.inc rewritten, five XSA
files removed), and times, median of --runs runs on fresh copies of the
checkout:

  plain           each file written atomically (temp file + rename), the removed
                  ones unlinked: the naive way, what `oxt` did before the journal
  journal         oxt.journal.Transaction.apply(): blobs and journal.json fsync'ed,
                  every file fsync'ed and renamed, the journal removed
  plain + commit  the same, then `git add` + `git commit` of those paths
  journal+commit  the same transaction ending in its re-doable plumbing commit

and prints the times and the ratio journal / plain. The disk decides most of
it (fsync); a tmpfs hides that cost, a slow disk shows it.

    .venv/bin/python benchmarks/journal.py [--runs 15] [--dir DIR (default: a temp dir)]
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

from fixtures.xen_upstream import build_upstream, make_checkout  # noqa: E402
from oxt.fsutil import atomic_write  # noqa: E402
from oxt.journal import Transaction  # noqa: E402

ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost", "GIT_COMMITTER_NAME": "bench",
       "GIT_COMMITTER_EMAIL": "bench@localhost"}


def the_change(work: Path) -> tuple[Path, dict[str, bytes | None]]:
    """A fixture checkout and the bytes a bump to the branch tip gives each path it touches (None: removed)."""
    upstream = build_upstream(work / "xen.git")
    template = make_checkout(work / "template", upstream)
    done = work / "done"
    shutil.copytree(template, done, symlinks=True)
    subprocess.run([sys.executable, "-m", "oxt", "--root", str(done), "bump", "xen", "-q", "--remote", upstream.url,
                    "--cache-dir", str(work / "cache")], check=True, capture_output=True)
    changed = subprocess.run(["git", "-C", str(done), "status", "--porcelain", "--untracked-files=all"],
                             check=True, capture_output=True, text=True).stdout.splitlines()
    change = {}
    for line in changed:
        rel = line[3:]
        change[rel] = (done / rel).read_bytes() if (done / rel).exists() else None
    return template, change


def plain(root: Path, change: dict[str, bytes | None], commit: bool) -> None:
    for rel, data in change.items():
        if data is None:
            (root / rel).unlink()
        else:
            atomic_write(root / rel, data)
    if commit:
        subprocess.run(["git", "-C", str(root), "add", "-A", "--", *change], check=True, env={**os.environ, **ENV})
        subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "bench", "--", *change], check=True,
                       env={**os.environ, **ENV})


def journaled(root: Path, change: dict[str, bytes | None], commit: bool) -> None:
    tx = Transaction(root, "benchmark")
    for rel, data in change.items():
        if data is None:
            tx.delete(root / rel)
        else:
            tx.write(root / rel, data)
    if commit:
        tx.commit_when_done("bench\n")
    tx.apply()


def timed(fn, template: Path, work: Path, change, commit: bool, runs: int) -> float:
    times = []
    for i in range(runs):
        root = work / f"run-{fn.__name__}-{commit}-{i}"
        shutil.copytree(template, root, symlinks=True)
        t0 = time.perf_counter()
        fn(root, change, commit)
        times.append(time.perf_counter() - t0)
        shutil.rmtree(root)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--dir", type=Path, help="work here (its file system is what is measured)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="oxt-journal-bench-", dir=args.dir))
    os.environ.update(ENV)
    try:
        template, change = the_change(work)
        size = sum(len(d) for d in change.values() if d)
        print(f"a bump's change: {len(change)} paths ({sum(d is None for d in change.values())} removed), "
              f"{size / 1024:.1f} KiB written; median of {args.runs} runs in {work.parent}")
        for commit in (False, True):
            p = timed(plain, template, work, change, commit, args.runs)
            j = timed(journaled, template, work, change, commit, args.runs)
            label = " + commit" if commit else ""
            print(f"  plain{label:9} {p * 1000:7.1f} ms")
            print(f"  journal{label:7} {j * 1000:7.1f} ms   {j / p:5.2f}x plain")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
