"""Survey a patch series along an upstream branch: where does it stop applying?

For a range FROM..TO of the branch (first-parent history, as the stable
branches are linear), the series is evaluated at FROM, at every release tag
in the range and at TO, then bisected between neighbours whose per-patch
verdicts differ, down to the single commit where each verdict changes. Two
facts keep this cheap:

- a patch's result depends only on the files it touches: commits that change
  none of the series' files (one ``git diff-tree --stdin`` over the range)
  cannot change any verdict, so bisection runs over the others only;
- the engine memoises each patch on its exact input blobs, so evaluating a
  commit re-runs GNU patch only where upstream changed a patch's files.

Bisection assumes a verdict changes once between two evaluated points; a
patch that breaks and recovers between two releases is seen at the releases,
not necessarily in between (the naive walk over every commit would).

Verdict classes compared: ok (clean or offset), fuzz, fails, carried.
"""

from __future__ import annotations

import bisect
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import git

from oxt.errors import OxtUserError
from oxt.xen.patchfile import normalize_subject
from oxt.xen.series import OK_STATUSES, PatchResult, SeriesEngine, SeriesResult


def verdict(r: PatchResult) -> str:
    return "ok" if r.status in OK_STATUSES else r.status


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str
    index: int  # position in FROM..TO (0 = FROM)


@dataclass
class Transition:
    patch: str
    commit: Commit
    before: str  # verdict class before
    after: str
    result: PatchResult  # the patch's result at that commit


@dataclass
class Point:
    label: str
    commit: Commit
    result: SeriesResult


@dataclass
class Survey:
    start: Commit
    end: Commit
    points: list[Point]
    transitions: list[Transition]
    patches: list[tuple[str, str]]  # (name, kind) in series order
    commits: int  # commits in FROM..TO (first parent)
    relevant: int  # of those, commits touching the series' files
    evaluations: int = 0
    patch_runs: int = 0
    seconds: float = 0.0
    at_start: dict[str, PatchResult] = field(default_factory=dict)

    def first_fix(self, name: str) -> Transition | None:
        """For a patch broken at the start: the first commit where it applies (clean or offset)."""
        for t in sorted((t for t in self.transitions if t.patch == name), key=lambda t: t.commit.index):
            if t.after == "ok":
                return t
        return None

    def first_break(self, name: str) -> Transition | None:
        """The first commit where *name* goes from ok to fuzz/fails/carried."""
        for t in sorted((t for t in self.transitions if t.patch == name), key=lambda t: t.commit.index):
            if t.before == "ok" and t.after != "ok":
                return t
        return None


def _git(repo) -> git.Git:
    return git.Git(str(repo))


def first_parent_range(repo, start: str, end: str) -> list[Commit]:
    """FROM and every first-parent commit after it up to TO, oldest first, with subjects."""
    g = _git(repo)
    try:
        g.merge_base("--is-ancestor", start, end)
    except git.GitCommandError:
        raise OxtUserError(f"{start[:12]} is not an ancestor of {end[:12]}; --from must be older than --to "
                           "on the same branch") from None
    out = g.log("--first-parent", "--reverse", "--format=%H%x00%s", f"{start}..{end}")
    first = g.log("-1", "--format=%H%x00%s", start)
    commits = []
    for i, line in enumerate([first, *[ln for ln in out.splitlines() if ln]]):
        sha, _, subject = line.partition("\x00")
        commits.append(Commit(sha, subject, i))
    return commits


def touching(repo, commits: list[Commit], paths: tuple[str, ...]) -> list[int]:
    """Indices (into *commits*) of FROM and of every commit that changes one of *paths*."""
    if len(commits) < 2 or not paths:
        return [0]
    pairs = "".join(f"{c.sha} {p.sha}\n" for p, c in zip(commits, commits[1:]))
    out = _diff_tree(repo, pairs, paths)
    index = {c.sha: c.index for c in commits}
    hits = sorted({index[line] for line in out.splitlines() if line in index})
    return [0, *[h for h in hits if h != 0]]


def _diff_tree(repo, pairs: str, paths: tuple[str, ...]) -> str:
    """One ``git diff-tree --stdin`` for every (commit, first parent) pair: prints a commit
    id line before the paths of each commit that changes one of *paths*."""
    proc = subprocess.run(["git", "-C", str(repo), "--literal-pathspecs", "diff-tree", "--stdin", "-r",
                           "--name-only", "--", *paths], input=pairs.encode(), capture_output=True, check=True)
    return proc.stdout.decode("utf-8", "replace")


class _Surveyor:
    def __init__(self, engine: SeriesEngine, commits: list[Commit], relevant: list[int], jobs: int,
                 carried_subjects: bool, progress):
        self.engine = engine
        self.commits = commits
        self.relevant = relevant
        self.jobs = max(1, jobs)
        self.progress = progress
        self.cache: dict[int, SeriesResult] = {}
        self.subject_index: dict[str, Commit] = {}
        if carried_subjects:
            for c in commits[1:]:
                self.subject_index.setdefault(normalize_subject(c.subject), c)
        self.subjects = [normalize_subject(p.subject) for p in engine.parsed]

    def floor(self, index: int) -> int:
        """Position in self.relevant of the last relevant commit at or before *index*."""
        return bisect.bisect_right(self.relevant, index) - 1

    def evaluate_many(self, indices: list[int]) -> None:
        todo = sorted({i for i in indices if i not in self.cache})
        if not todo:
            return

        def one(i: int) -> tuple[int, SeriesResult]:
            def carried_by(pi: int, _r: PatchResult) -> str:
                hit = self.subject_index.get(self.subjects[pi]) if self.subjects[pi] else None
                if hit is not None and hit.index <= i:
                    return f"{hit.sha[:12]} {hit.subject}"
                return ""
            return i, self.engine.evaluate(self.commits[i].sha, carried_by=carried_by)

        if self.jobs == 1 or len(todo) == 1:
            results = [one(i) for i in todo]
        else:
            with ThreadPoolExecutor(max_workers=self.jobs) as pool:
                results = list(pool.map(one, todo))
        for i, r in results:
            self.cache[i] = r
        if self.progress:
            self.progress(f"survey: {len(self.cache)} commits evaluated, {self.engine.runs} patch runs")

    def keys(self, i: int) -> list[str]:
        return [verdict(r) for r in self.cache[i].results]

    def bisect(self, points: list[int]) -> list[Transition]:
        transitions: list[Transition] = []
        intervals = [(a, b) for a, b in zip(points, points[1:]) if self.keys(a) != self.keys(b)]
        while intervals:
            mids, next_round = [], []
            for a, b in intervals:
                ra, rb = self.floor(a), self.floor(b)
                if rb - ra <= 1:
                    # b's state first appears at the relevant commit right after a
                    at = self.relevant[rb] if rb > ra else b
                    self.evaluate_many([at])
                    for pi, (ka, kb) in enumerate(zip(self.keys(a), self.keys(b))):
                        if ka != kb:
                            r = self.cache[at].results[pi]
                            transitions.append(Transition(r.name, self.commits[at], ka, kb, r))
                    continue
                mid = self.relevant[(ra + rb) // 2]
                mids.append(mid)
                next_round.append((a, mid, b))
            self.evaluate_many(mids)
            intervals = []
            for a, mid, b in next_round:
                if self.keys(a) != self.keys(mid):
                    intervals.append((a, mid))
                if self.keys(mid) != self.keys(b):
                    intervals.append((mid, b))
        return transitions


def run_survey(engine: SeriesEngine, *, start: str, end: str, checkpoints: dict[str, str] | None = None,
               jobs: int = 2, carried_subjects: bool = True, progress=None,
               labels: tuple[str, str] | None = None) -> Survey:
    """Survey *engine*'s series over START..END (commits or refs of engine.repo).

    *checkpoints* maps labels (release tags) to commits that must be
    evaluated; those outside the range are ignored (a checkpoint's label wins
    over *labels*, the names shown for START and END). *progress* is called
    with one-line status texts.
    """
    began = time.monotonic()
    start_sha, end_sha = engine.resolve(start), engine.resolve(end)
    commits = first_parent_range(engine.repo, start_sha, end_sha)
    by_sha = {c.sha: c for c in commits}
    relevant = touching(engine.repo, commits, engine.paths)
    if progress:
        progress(f"survey: {len(commits) - 1} commits after {start_sha[:12]}, {len(relevant) - 1} touch "
                 f"the {len(engine.paths)} files of the series")
    labelled: dict[int, str] = {0: (labels or (start, end))[0], len(commits) - 1: (labels or (start, end))[1]}
    for label, sha in (checkpoints or {}).items():
        c = by_sha.get(sha)
        if c is not None:
            labelled[c.index] = label
    surveyor = _Surveyor(engine, commits, relevant, jobs, carried_subjects, progress)
    points = sorted(labelled)
    surveyor.evaluate_many(points)
    transitions = surveyor.bisect(points)
    names = [(p.name, p.kind) for p in engine.patches]
    survey = Survey(
        start=commits[0], end=commits[-1],
        points=[Point(labelled[i], commits[i], surveyor.cache[i]) for i in points],
        transitions=sorted(transitions, key=lambda t: (t.commit.index, t.patch)),
        patches=names, commits=len(commits) - 1, relevant=len(relevant) - 1,
        evaluations=len(surveyor.cache), patch_runs=engine.runs,
        seconds=time.monotonic() - began,
        at_start={r.name: r for r in surveyor.cache[0].results},
    )
    return survey


def linear_walk(engine: SeriesEngine, *, start: str, end: str) -> dict[int, SeriesResult]:
    """The naive way, for benchmarks: evaluate the series at every commit of START..END."""
    commits = first_parent_range(engine.repo, engine.resolve(start), engine.resolve(end))
    return {c.index: engine.evaluate(c.sha) for c in commits}


def stderr_progress(quiet: bool):
    if quiet:
        return None

    def say(text: str) -> None:
        print(text, file=sys.stderr)
    return say
