#!/usr/bin/env python3
"""Benchmark: `oxt xen survey` (bisection + per-patch memo) vs the naive linear walk.

Synthetic (default): builds with `git fast-import`, in a temp dir, an upstream
branch of --commits commits (default 200) over --files C files, with RELEASE
tags every 40 commits, and a queue of --patches patches (default 100) made
against the first commit. Upstream commits hit the queue's files in every way:
lines inserted above a hunk (offset), a context line reworded (fuzz), a changed
line rewritten (fails), a patch's own change committed (carried upstream), and
many commits touch no queued file at all. Then times, in-process:

- survey:  run_survey(), -j 2 (the `oxt xen survey` engine), cold memo;
- naive:   the whole series applied at every commit of the range, no memo
           (what a loop of "checkout, quilt push -a" computes, minus the checkout);

checks both find the same first breaking commit for every patch, and prints
the times, GNU patch invocations and the ratio naive/survey.

Real history (optional): --xen-repo DIR --series FILE --from REF --to REF
runs the same two on a real xen.git (e.g. OpenXT 7's Xen queue, a quilt series
file, on stable-4.6 from RELEASE-4.6.1 to the tip; see the README). With
--quilt, it also times real quilt pushing the series in a full `git archive`
tree at --quilt-samples commits of the range (extrapolated to the whole walk)
and checks that quilt's verdicts agree with the engine's.

    .venv/bin/python benchmarks/xen_series_survey.py [--commits 200] [--patches 100] [--jobs 2]
    .venv/bin/python benchmarks/xen_series_survey.py --xen-repo /srv/xen.git --series /tmp/q/series \\
        --from RELEASE-4.6.1 --to stable-4.6 [--without-xsa] [--quilt]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from oxt.xen.series import SeriesEngine, SeriesPatch  # noqa: E402
from oxt.xen.survey import first_parent_range, linear_walk, run_survey, verdict  # noqa: E402
from oxt.xen.track_series import series_file  # noqa: E402

LINES = 120
AUTHOR = b"Bench <bench@localhost>"


def _text(name: str, lines: list[str]) -> bytes:
    return ("".join(f"{ln}\n" for ln in lines)).encode()


def _unified(rel: str, old: list[str], new: list[str]) -> bytes:
    import difflib

    diff = "".join(difflib.unified_diff([f"{x}\n" for x in old], [f"{x}\n" for x in new], f"a/{rel}", f"b/{rel}"))
    return (f"Subject: [PATCH] bench: change {rel}\n\nUpstream-Status: Pending\n---\n"
            f"diff --git a/{rel} b/{rel}\n{diff}").encode()


def build_synthetic(work: Path, commits: int, files: int, patches: int, seed: int = 7):
    """A bare repo + patch files; returns (repo, [SeriesPatch], {tag: commit}, first, last)."""
    rng = random.Random(seed)
    contents = {f"xen/common/f{i:03d}.c": [f"f{i:03d} line {n}" for n in range(LINES)] for i in range(files)}
    names = sorted(contents)
    # the queue: patch k changes one line of one file (several patches may share a file, at distinct lines)
    queue = []
    for k in range(patches):
        rel = names[(k * 7) % files]
        line = 10 + (k * 13) % (LINES - 20)
        while any(q[0] == rel and abs(q[1] - line) < 8 for q in queue):
            line = 10 + (line + 9) % (LINES - 20)
        queue.append((rel, line))
    base = {rel: list(lines) for rel, lines in contents.items()}
    state = {rel: list(lines) for rel, lines in contents.items()}
    patch_dir = work / "patches"
    patch_dir.mkdir(parents=True)
    series = []
    for k, (rel, line) in enumerate(queue):
        # each patch is made on top of the previous ones (a real queue), against the base tree
        old = state[rel]
        new = list(old)
        new[line] = new[line] + f" patched by {k}"
        (patch_dir / f"{k:04d}.patch").write_bytes(_unified(rel, old, new))
        state[rel] = new
        series.append(SeriesPatch.from_file(patch_dir / f"{k:04d}.patch", name=f"{k:04d}.patch"))

    stream: list[bytes] = []
    ts = 1_500_000_000
    mark = 0

    def commit(msg: str, changes: dict[str, list[str]], ref=b"refs/heads/stable-4.6"):
        nonlocal ts, mark
        mark += 1
        ts += 60
        stream.append(b"commit %s\nmark :%d\nauthor %s %d +0000\ncommitter %s %d +0000\n" % (
            ref, mark, AUTHOR, ts, AUTHOR, ts))
        m = msg.encode()
        stream.append(b"data %d\n%s\n" % (len(m), m))
        if mark > 1:
            stream.append(b"from :%d\n" % (mark - 1))
        for rel, lines in changes.items():
            data = _text(rel, lines)
            stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (rel.encode(), len(data), data))
        return mark

    tags = {}
    commit("initial import", base)
    tags[1] = "RELEASE-4.6.0"
    tree = {rel: list(lines) for rel, lines in base.items()}
    hit = [q for q in queue]
    rng.shuffle(hit)
    for n in range(2, commits + 1):
        changes = {}
        kind = rng.random()
        if kind < 0.55:
            # a commit elsewhere: a file no patch touches (or far from any hunk)
            rel = names[rng.randrange(files)]
            if any(q[0] == rel for q in queue):
                tree[rel] = tree[rel] + [f"appended {n}"]  # far below every hunk: no effect on context
            else:
                tree[rel] = [f"{x} v{n}" if i == rng.randrange(LINES) else x for i, x in enumerate(tree[rel])]
            changes[rel] = tree[rel]
            msg = f"misc: commit {n}"
        elif hit:
            rel, line = hit.pop()
            k = queue.index((rel, line))
            pick = rng.random()
            lines = tree[rel]
            if pick < 0.4:
                lines = ["/* header */", "/* more */"] + lines  # offset
                msg = f"{rel}: add a header"
            elif pick < 0.6:
                lines = [f"{x} reworded" if i == line - 3 else x for i, x in enumerate(lines)]  # fuzz 1
                msg = f"{rel}: reword line {line - 3}"
            elif pick < 0.85:
                lines = [f"{x} rewritten" if i == line else x for i, x in enumerate(lines)]  # fails
                msg = f"{rel}: rewrite line {line}"
            else:
                lines = [f"{x} patched by {k}" if i == line else x for i, x in enumerate(lines)]  # carried
                msg = f"bench: change {rel}"
            tree[rel] = lines
            changes[rel] = lines
        else:
            msg = f"docs: commit {n}"
            changes["README"] = [f"readme {n}"]
        commit(msg, changes)
        if n % 40 == 0:
            tags[n] = f"RELEASE-4.6.{n // 40}"
    for n, tag in tags.items():
        stream.append(b"reset refs/tags/%s\nfrom :%d\n\n" % (tag.encode(), n))
    repo = work / "xen.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(stream), check=True)
    shas = {tag: subprocess.run(["git", "-C", str(repo), "rev-parse", tag], capture_output=True, text=True,
                                check=True).stdout.strip() for tag in tags.values()}
    return repo, series, shas, "RELEASE-4.6.0", "refs/heads/stable-4.6"


def first_breaks_from_walk(walk, names):
    out = {}
    for name in names:
        keys = [verdict(next(r for r in res.results if r.name == name)) for _, res in sorted(walk.items())]
        firsts = [i for i in range(1, len(keys)) if keys[i - 1] == "ok" and keys[i] != "ok"]
        out[name] = firsts[0] if firsts else None
    return out


def bench(repo: Path, series: list[SeriesPatch], tags: dict[str, str], start: str, end: str, jobs: int):
    with SeriesEngine(repo, series) as engine:
        t0 = time.perf_counter()
        survey = run_survey(engine, start=start, end=end, checkpoints=tags, jobs=jobs, carried_subjects=False)
        t_survey = time.perf_counter() - t0
        survey_runs = engine.runs
    with SeriesEngine(repo, series, memo=False) as naive:
        t0 = time.perf_counter()
        walk = linear_walk(naive, start=start, end=end)
        t_naive = time.perf_counter() - t0
        naive_runs = naive.runs
    names = [p.name for p in series]
    expected = first_breaks_from_walk(walk, names)
    got = {}
    for name in names:
        t = survey.first_break(name)
        got[name] = t.commit.index if t else None
    agree = sum(1 for n in names if expected[n] == got[n])
    broken = sum(1 for n in names if expected[n] is not None)
    print(f"range: {survey.commits} commits, {survey.relevant} touch the series' {len(series)} patches' files; "
          f"{len(survey.points)} release/end points")
    print(f"survey (bisect + memo, -j {jobs}): {t_survey:7.2f} s  {survey.evaluations:5d} commits evaluated  "
          f"{survey_runs:6d} patch runs")
    print(f"naive linear walk (no memo):   {t_naive:7.2f} s  {len(walk):5d} commits evaluated  "
          f"{naive_runs:6d} patch runs")
    print(f"ratio naive/survey: {t_naive / t_survey:.1f}x time, {naive_runs / max(survey_runs, 1):.1f}x patch runs")
    print(f"first breaking commit agrees with the walk for {agree}/{len(names)} patches ({broken} break in range)")
    return t_survey, t_naive, walk


def quilt_sample(repo: Path, series: list[SeriesPatch], start: str, end: str, samples: int) -> None:
    """Real quilt in a full tree at a few commits: time per commit, and agreement with the engine."""
    quilt = shutil.which("quilt")
    if not quilt:
        print("quilt: not installed; skipped (apt-get install quilt)")
        return
    commits = first_parent_range(repo, subprocess.run(["git", "-C", str(repo), "rev-parse", start], text=True,
                                                      capture_output=True, check=True).stdout.strip(),
                                 subprocess.run(["git", "-C", str(repo), "rev-parse", end], text=True,
                                                capture_output=True, check=True).stdout.strip())
    picks = [commits[round(i * (len(commits) - 1) / max(samples - 1, 1))] for i in range(samples)]
    total, disagree = 0.0, []
    with tempfile.TemporaryDirectory(prefix="oxt-quilt-") as tmp, SeriesEngine(repo, series) as engine:
        for c in picks:
            src = Path(tmp) / "src"
            shutil.rmtree(src, ignore_errors=True)
            src.mkdir()
            t0 = time.perf_counter()
            subprocess.run(f"git -C {repo} archive {c.sha} | tar x -C {src}", shell=True, check=True)
            (src / "patches").mkdir()
            verdicts = {}
            for p in series:
                link = src / "patches" / p.name.replace("/", "_")
                link.write_bytes(p.data)
                with open(src / "patches" / "series", "a") as fh:
                    fh.write(f"{link.name} -p{p.strip}\n")
                proc = subprocess.run([quilt, "--quiltrc", "/dev/null", "push"], cwd=src, capture_output=True,
                                      text=True, env={**os.environ, "LC_ALL": "C"})
                text = proc.stdout + proc.stderr
                if proc.returncode == 0:
                    verdicts[p.name] = "fuzz" if " fuzz " in text and "Hunk " in text else "ok"
                else:
                    verdicts[p.name] = "carried" if "can be reverse-applied" in text else "fails"
                    lines = (src / "patches" / "series").read_text().splitlines()[:-1]
                    (src / "patches" / "series").write_text("".join(f"{ln}\n" for ln in lines))
            total += time.perf_counter() - t0
            for r in engine.evaluate(c.sha).results:
                mine = "ok" if r.ok else ("fuzz" if r.status == "fuzz" else r.status)
                # the engine reports a fuzzy push that also reverse-applies as carried; quilt as fuzz
                if mine != verdicts[r.name] and not (mine == "carried" and verdicts[r.name] == "fuzz"
                                                     and r.reverse_applies):
                    disagree.append((c.sha[:12], r.name, verdicts[r.name], mine))
    per = total / len(picks)
    print(f"quilt push in a full tree: {per:.2f} s per commit ({len(picks)} sampled) -> "
          f"{per * len(commits):.0f} s for the {len(commits)}-commit walk")
    print(f"quilt vs engine verdicts: {'identical' if not disagree else disagree}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--commits", type=int, default=200)
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--patches", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--xen-repo", type=Path, help="a real xen.git (bare or not)")
    ap.add_argument("--series", type=Path, help="quilt series file of the queue to survey (with --xen-repo)")
    ap.add_argument("--from", dest="start", default="RELEASE-4.6.1")
    ap.add_argument("--to", dest="end", default="stable-4.6")
    ap.add_argument("--without-xsa", action="store_true")
    ap.add_argument("--quilt", action="store_true", help="also time real quilt in full trees (sampled)")
    ap.add_argument("--quilt-samples", type=int, default=3)
    args = ap.parse_args()
    print(f"host: {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}, GNU patch "
          f"{subprocess.run(['patch', '--version'], capture_output=True, text=True).stdout.split()[2]}")
    if args.xen_repo:
        if not args.series:
            ap.error("--xen-repo needs --series FILE")
        series = series_file(args.series)
        if args.without_xsa:
            series = [p for p in series if p.kind != "xsa"]
        out = subprocess.run(["git", "-C", str(args.xen_repo), "for-each-ref", "--format=%(refname:short)",
                              "refs/tags/RELEASE-*"], capture_output=True, text=True, check=True).stdout.split()
        tags = {t: subprocess.run(["git", "-C", str(args.xen_repo), "rev-parse", f"{t}^{{commit}}"],
                                  capture_output=True, text=True, check=True).stdout.strip() for t in out}
        print(f"real: {len(series)} patches from {args.series}, {args.start}..{args.end}")
        bench(args.xen_repo, series, tags, args.start, args.end, args.jobs)
        if args.quilt:
            quilt_sample(args.xen_repo, series, args.start, args.end, args.quilt_samples)
        return 0
    with tempfile.TemporaryDirectory(prefix="oxt-series-bench-") as tmp:
        t0 = time.perf_counter()
        repo, series, tags, start, end = build_synthetic(Path(tmp), args.commits, args.files, args.patches)
        print(f"synthetic: {args.commits} commits, {args.files} files, {args.patches} patches "
              f"(built in {time.perf_counter() - t0:.1f} s)")
        t_survey, _, _ = bench(repo, series, tags, start, end, args.jobs)
        print(f"goal: a 100-patch queue over 200 commits in <= 30 s on 2 cores: "
              f"{'met' if t_survey <= 30 else 'NOT met'} ({t_survey:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
