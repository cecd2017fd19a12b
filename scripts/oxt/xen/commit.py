"""The one commit `bump xen --commit` makes in this repository.

Subject follows the devtool/auto-upgrade-helper habit: ``xen: upgrade
4.19.5 -> 4.19.6`` when the new pin is a release, else ``xen: update
stable-4.19 to RELEASE-4.19.6-3-g<sha12>``. The body lists the upstream
shortlog old..new, the dropped XSAs with their upstream commits and the
kept ones, so the history says why every XSA file disappeared.
"""

from __future__ import annotations

from pathlib import Path

import git

from oxt.errors import GitError
from oxt.xen.plan import TrackPlan
from oxt.xen.versions import describe_parts


def _short(describe: str | None, commit: str | None) -> str:
    if not describe:
        return (commit or "")[:12]
    tag, dist, sha = describe_parts(describe)
    ver = tag.removeprefix("RELEASE-")
    return ver if not dist else f"{ver}-{dist}-g{sha}"


def subject_for(plan: TrackPlan) -> str:
    new_exact = plan.new.version or (plan.new.describe and describe_parts(plan.new.describe)[1] == 0)
    if plan.old_track is None:
        return f"xen: add track {plan.branch} at {plan.new.describe or plan.new.commit[:12]}"
    if new_exact:
        old = plan.old.version or _short(plan.old.describe, plan.old.commit)
        new = plan.new.version or _short(plan.new.describe, plan.new.commit)
        verb = "downgrade" if plan.downgrade else "upgrade"
        return f"xen: {verb} {old} -> {new}"
    return f"xen: update {plan.branch} to {plan.new.describe or plan.new.commit[:12]}"


def message_for(plans: list[TrackPlan]) -> str:
    changed = [p for p in plans if p.changed]
    if len(changed) == 1:
        subject = subject_for(changed[0])
    else:
        subject = "xen: update " + ", ".join(
            f"{p.branch} to {p.new.version or p.new.describe or p.new.commit[:12]}" for p in changed)
    body = []
    for p in changed:
        body.append(f"{p.branch} ({p.mode}): {p.old.label} -> {p.new.label}")
        body.append(f"  {p.old.commit or '(new track)'}..{p.new.commit}")
        if p.mode == "git" and p.new.signature:
            body.append(f"  signature: {p.new.signature}")
        if p.new.sha256:
            body.append(f"  tarball {p.new.url}")
            body.append(f"  sha256 {p.new.sha256} (signature {p.new.signature or 'unchanged'})")
        body.append("")
        if p.dropped:
            body.append("Dropped XSAs (carried upstream):")
            for d in p.dropped:
                shas = ", ".join(c.sha[:12] for c in d.upstream)
                body.append(f"  XSA-{d.number}: {shas} ({len(d.patches)} patch file(s) removed)")
            body.append("")
        if p.kept:
            body.append("Kept XSAs:")
            for d in p.kept:
                body.append(f"  XSA-{d.number} [{d.status}]: {d.note}")
            body.append("")
        body += _series_lines(p)
        body.append(f"Upstream shortlog ({len(p.commits)} commits):")
        body += [f"  {c.sha[:12]} {c.subject}" for c in p.commits]
        body.append("")
    broken = [p.branch for p in changed if p.series and p.series.broken]
    # a trailer the tracker workflow reads (git log --format='%(trailers:key=Patch-Series,valueonly)')
    trailer = f"\n\nPatch-Series: broken ({', '.join(broken)})" if broken else ""
    return subject + "\n\n" + "\n".join(body).rstrip() + trailer + "\n"


def _series_lines(p: TrackPlan) -> list[str]:
    s = p.series
    if s is None:
        return []
    if not s.broken:
        counts = [f"the {len(r.results)} patches of {recipe}" if i == 0 else f"the {len(r.results)} of {recipe}"
                  for i, (recipe, r) in enumerate(s.results)]
        listed = counts[0] if len(counts) == 1 else ", ".join(counts[:-1]) + " and " + counts[-1]
        return [f"Patch series: {listed} apply at the new pin (OpenXT queue clean or offset).", ""]
    return ["Patch series BROKEN at the new pin (written with --allow-broken-series):",
            *(f"  {line.split(': ', 1)[1]}" for line in s.stop_lines(p.branch)), ""]


def ensure_clean(root: Path, paths: list[Path]) -> git.Repo:
    """The checkout's repo; GitError when it or the paths we write are dirty."""
    try:
        repo = git.Repo(root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError(f"{root}: not a git repository; --commit needs the meta-openxt git checkout") from None
    rel = [str(Path(p).relative_to(root)) for p in paths]
    dirty = repo.git.status("--porcelain", "--untracked-files=all", "--", *rel).splitlines()
    staged = repo.git.diff("--cached", "--name-only").splitlines()
    if dirty or staged:
        names = ", ".join(sorted({ln[3:] for ln in dirty} | set(staged)))
        raise GitError(f"--commit: the tree has uncommitted changes ({names}); commit or stash them first "
                       "so the bump commit holds only the bump")
    return repo
