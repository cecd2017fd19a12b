#!/usr/bin/env python3
"""Kill `oxt bump xen` at random moments and count what each kill leaves behind (issue 14).

Builds the test suite's fixture upstream (tests/fixtures/xen_upstream.py) and a
checkout pinning it with six queued XSAs, so a bump to the branch tip drops
three XSAs (five patch files), rewrites the manifest and three rendered files.
Then, --kills times per kind, on a fresh copy of that checkout:

1. starts `oxt bump xen` (every other run with --commit, as the CI tracker
   runs it) in its own process group, with a shallow cache that is empty or
   whatever the previous iteration left behind (possibly killed mid-fetch);
2. after a random delay kills, with SIGKILL, either the whole process group
   (a CI timeout, Ctrl-C) or only the `oxt` process (its git children live
   on, as orphans);
3. classifies the checkout as the kill left it: *untouched* (every file as
   before), *complete* (every file as a finished bump writes it) or
   *partial*, and whether an interrupted operation's journal is pending;
4. runs `oxt render --check` (any command first finishes an interrupted
   operation) and classifies again: a partial tree here is a real failure.
   A kill that left the tree untouched or complete with no journal pending
   gives that command nothing to do, so it is skipped there (a third of an
   iteration's time; --always-check runs it anyway);
5. runs the same bump again, unkilled: it must exit 0 and leave exactly the
   complete tree (with --commit: one bump commit on the base, nothing left
   uncommitted). Anything else is a *next-run failure*.

Delays: by default half the kills are uniform over a whole run (calibrated
first), half wait for the journal to appear and kill within the write phase,
which a uniform delay rarely hits (it is a few percent of a run).

    .venv/bin/python benchmarks/kill_test.py [--kills 200] [--kind group|parent|both] [--seed N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures import upload_pack  # noqa: E402
from fixtures.xen_upstream import build_upstream, make_checkout  # noqa: E402

OXT = Path(sys.executable).parent / "oxt"
JOURNAL = Path(".git") / "oxt-journal"
MANIFEST = Path("recipes-templates") / "manifest.yml"
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "kill test", "GIT_AUTHOR_EMAIL": "kill@localhost",
    "GIT_COMMITTER_NAME": "kill test", "GIT_COMMITTER_EMAIL": "kill@localhost",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}


def tree(root: Path) -> dict[str, str]:
    """sha256 of every file outside .git."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and ".git" not in rel.parts:
            out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=ENV,
                          check=True).stdout.strip()


class Bench:
    def __init__(self, work: Path, seed: int, targeted_share: float, slow_fetch: bool,
                 skip_clean_checks: bool = True):
        self.work = work
        self.skip_clean_checks = skip_clean_checks
        if slow_fetch:  # the pack in 1 KiB pieces, 20 ms apart
            ENV.update(upload_pack.env(upload_pack.upload_pack(work / "slow-upload-pack", chunk=1024, delay=0.02)))
        self.targeted_share = targeted_share
        self.rng = random.Random(seed)
        for old in ("template", "cache", "run"):
            shutil.rmtree(work / old, ignore_errors=True)
        upstream = build_upstream(work / "xen.git")
        self.url = upstream.url
        self.template = make_checkout(work / "template", upstream)
        self.base_head = git(self.template, "rev-parse", "HEAD")
        self.untouched = tree(self.template)
        times, windows = [], []
        for n in range(5):
            done = self._copy("calibrate")
            shutil.rmtree(work / "calibrate-cache", ignore_errors=True)
            started = time.monotonic()
            proc = subprocess.Popen(self._argv(done, work / "calibrate-cache", n % 2 == 1), env=ENV,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            writing = self._wait_for_writes(done, proc)
            assert proc.wait() == 0, proc.stderr.read()
            proc.stderr.close()
            times.append(time.monotonic() - started)
            windows.append(time.monotonic() - writing)
        self.duration = sorted(times)[2]
        self.window = sorted(windows)[2]  # from the first sign of writing to the end, --commit included
        self.complete = tree(done)
        assert self.complete != self.untouched
        self.cache = work / "cache"  # carried from one iteration to the next, kills and all

    @staticmethod
    def _wait_for_writes(checkout: Path, proc: subprocess.Popen) -> float:
        """Poll until the run starts writing (its journal appears, or the manifest is replaced)."""
        manifest = checkout / MANIFEST
        inode = manifest.stat().st_ino
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if (checkout / JOURNAL).exists() or manifest.stat().st_ino != inode:
                break
            time.sleep(0.0005)
        return time.monotonic()

    def _copy(self, name: str) -> Path:
        dest = self.work / name
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(self.template, dest, symlinks=True)
        return dest

    def _argv(self, checkout: Path, cache: Path, commit: bool) -> list[str]:
        argv = [str(OXT), "--root", str(checkout), "bump", "xen", "-q", "--remote", self.url,
                "--cache-dir", str(cache)]
        return argv + (["--commit"] if commit else [])

    def _bump(self, checkout: Path, cache: Path, commit: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run(self._argv(checkout, cache, commit), capture_output=True, text=True, env=ENV,
                              timeout=300)

    def state(self, checkout: Path) -> str:
        now = tree(checkout)
        return "untouched" if now == self.untouched else "complete" if now == self.complete else "partial"

    def once(self, kind: str, i: int) -> dict:
        started = time.monotonic()
        checkout = self._copy("run")
        if self.rng.random() < 0.5:
            shutil.rmtree(self.cache, ignore_errors=True)  # cold: the kill may land in the fetch
        commit = i % 2 == 1
        targeted = self.rng.random() < self.targeted_share
        proc = subprocess.Popen(self._argv(checkout, self.cache, commit), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=ENV, start_new_session=True)
        if targeted:
            self._wait_for_writes(checkout, proc)
            time.sleep(self.rng.uniform(0, self.window))
        else:
            time.sleep(self.rng.uniform(0, self.duration))
        finished_first = proc.poll() is not None
        try:
            if kind == "group":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        proc.stderr.close()
        result = {"finished_first": finished_first, "commit": commit, "targeted": targeted}
        result["raw"] = self.state(checkout)
        result["journal"] = (checkout / JOURNAL / "journal.json").exists()
        if result["journal"] or result["raw"] == "partial" or not self.skip_clean_checks:
            check = subprocess.run([str(OXT), "--root", str(checkout), "render", "--check", "-q"],
                                   capture_output=True, text=True, env=ENV, timeout=300)
            result["after"] = self.state(checkout)
            result["said"] = "interrupted" in check.stderr
            check_err = check.stderr
        else:  # untouched or complete and nothing pending: the next command has nothing to recover
            result["after"], result["said"], check_err = result["raw"], False, ""
        nxt = self._bump(checkout, self.cache, commit)
        ok = nxt.returncode == 0 and self.state(checkout) == "complete"
        if ok and commit:
            ok = (git(checkout, "rev-parse", "HEAD~1") == self.base_head
                  and git(checkout, "status", "--porcelain", "--untracked-files=all") == "")
        result["next_ok"] = ok
        result["waited"] = "waiting for another oxt" in nxt.stderr or "waiting for another oxt" in check_err
        result["repaired"] = "was interrupted; checking" in nxt.stderr or "rebuilding it" in nxt.stderr
        if not ok:
            result["next_err"] = (nxt.stderr.strip().splitlines() or ["(no stderr)"])[-1][:300]
        try:  # orphans of a parent-only kill that are still running: they were ours
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        result["seconds"] = time.monotonic() - started
        return result


def report(kind: str, results: list[dict]) -> None:
    raw = Counter(r["raw"] for r in results)
    after = Counter(r["after"] for r in results)
    pending = sum(r["journal"] for r in results)
    partial_no_journal = sum(r["raw"] == "partial" and not r["journal"] for r in results)
    failures = [r for r in results if not r["next_ok"]]
    landed = [r for r in results if not r["finished_first"]]
    print(f"\nkill {kind}: {len(landed)} kills of a running oxt ({sum(r['targeted'] for r in landed)} aimed at the "
          f"write phase, {sum(r['commit'] for r in landed)} with --commit); {len(results) - len(landed)} more runs "
          "had ended before their kill (counted below too)")
    print(f"  as the kill left it   untouched {raw['untouched']:4}  complete {raw['complete']:4}  "
          f"partial {raw['partial']:4}  (journal pending {pending}, partial without journal {partial_no_journal})")
    print(f"  at the next command   untouched {after['untouched']:4}  complete {after['complete']:4}  "
          f"partial {after['partial']:4}  (said it finished an interrupted run: {sum(r['said'] for r in results)})")
    print(f"  next run              waited for a killed run's git {sum(r['waited'] for r in results)}, "
          f"checked or rebuilt the cache {sum(r['repaired'] for r in results)}")
    print(f"  next-run failures     {len(failures)}")
    mean = statistics.mean(r["seconds"] for r in results)
    print(f"  {sum(r['seconds'] for r in results) / 60:.1f} min, {mean:.1f} s per run "
          "(kill, check when something is pending, next run)")
    for r in failures[:10]:
        print(f"    {r.get('next_err')}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=200,
                    help="kills of a running oxt of each kind (default 200); runs that end first do not count")
    ap.add_argument("--kind", choices=("group", "parent", "both"), default="both")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--targeted", type=float, default=0.5, metavar="SHARE",
                    help="share of kills aimed at the write phase (default 0.5)")
    ap.add_argument("--slow-fetch", action="store_true",
                    help="serve the fixture's packs slowly, as a real remote would (kills land in fetches)")
    ap.add_argument("--always-check", action="store_true",
                    help="run the in-between `oxt render --check` after every kill, also when nothing is pending")
    ap.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="oxt-kill-"))
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(work, args.seed, args.targeted, args.slow_fetch, skip_clean_checks=not args.always_check)
    changed = sum(bench.untouched.get(k) != v for k, v in bench.complete.items())
    changed += len(set(bench.untouched) - set(bench.complete))
    print(f"fixture bump: {bench.duration:.2f} s unkilled (cold cache), write phase {bench.window * 1000:.0f} ms; "
          f"{len(bench.untouched)} files, {changed} changed by the bump")
    kinds = ["group", "parent"] if args.kind == "both" else [args.kind]
    failed = False
    for kind in kinds:
        results, i = [], 0
        while sum(not r["finished_first"] for r in results) < args.kills:
            results.append(bench.once(kind, i))
            i += 1
            if i % 25 == 0:
                print(f"  {kind}: {i} runs", file=sys.stderr, flush=True)
        report(kind, results)
        failed |= any(r["after"] == "partial" or not r["next_ok"] for r in results)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
