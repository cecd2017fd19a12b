"""What happens to each queued XSA when a track moves to a new commit.

The commit-message index (:mod:`.xsa_index`) is the main signal; applying
the queued patches on the new commit with the series engine (:mod:`.series`,
GNU patch as do_patch runs it), forwards and undone, is the cross-check:

- **merged**: the index names the XSA with at least as many upstream
  commits as we queue patch files -> drop the files, record the commits.
  Whether the patches still reverse-apply is reported, never required:
  on real history later commits often touch the same lines.
- **not merged**: the index is silent and the patches do not reverse-apply
  -> keep them; they must apply forwards on the new commit, else the bump
  stops with an error naming the patch.
- **unsure**: fewer upstream commits than patch files, or the index is
  silent but the patches reverse-apply cleanly -> keep them and warn.

Nothing is decided silently: every entry carries a note for the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oxt.xen.series import SeriesPatch, check_series
from oxt.xen.xsa_index import XsaCommit, XsaIndex

MERGED = "merged"
NOT_MERGED = "not-merged"
UNSURE = "unsure"


@dataclass
class XsaDecision:
    number: int
    status: str
    patches: list[str]
    upstream: list[XsaCommit] = field(default_factory=list)
    reverse_clean: bool | None = None
    forward_clean: bool | None = None
    note: str = ""
    failed_patch: str | None = None
    failure: str = ""

    @property
    def drop(self) -> bool:
        return self.status == MERGED

    @property
    def blocking(self) -> bool:
        """Kept but no longer applies: the bump cannot go on."""
        return self.status == NOT_MERGED and self.forward_clean is False


def _apply_series(repo: Path, commit: str, patches: list[Path], names: list[str], reverse: bool):
    """(clean, failing patch name, where it fails) for the series applied in order (or undone)."""
    series = [SeriesPatch.from_file(p, kind="xsa", name=n) for p, n in zip(patches, names)]
    result = check_series(repo, commit, series, reverse=reverse)
    failing = next((r for r in result.results if not r.ok), None)
    if failing is None:
        return True, None, ""
    return False, failing.name, f"{failing.label}: {failing.detail}"


def decide(number: int, names: list[str], paths: list[Path], index: XsaIndex, repo: Path,
           commit: str) -> XsaDecision:
    upstream = index.get(number)
    d = XsaDecision(number=number, status=UNSURE, patches=list(names), upstream=list(upstream))
    rev_ok, _, _ = _apply_series(repo, commit, paths, names, reverse=True)
    d.reverse_clean = rev_ok
    n_up, n_files = len(upstream), len(names)
    if upstream and n_up >= n_files:
        d.status = MERGED
        d.note = (f"upstream carries it in {n_up} commit(s) for {n_files} patch file(s); "
                  + ("patches reverse-apply cleanly" if rev_ok else
                     "patches no longer reverse-apply (later upstream changes touch the same code)"))
        return d
    fwd_ok, failing, msg = _apply_series(repo, commit, paths, names, reverse=False)
    d.forward_clean = fwd_ok
    if upstream:
        d.status = UNSURE
        d.note = (f"upstream names it in only {n_up} commit(s) for {n_files} patch file(s); kept — "
                  "check whether the rest is merged and drop the files by hand if so")
        if not fwd_ok:
            d.note += f"; {failing} no longer applies forwards"
        return d
    if rev_ok:
        d.status = UNSURE
        d.note = ("no upstream commit names it, but the patches reverse-apply cleanly: "
                  "upstream may carry it under another message; kept")
        return d
    d.status = NOT_MERGED
    if fwd_ok:
        d.note = "not upstream yet; patches apply on the new commit"
    else:
        d.failed_patch = failing
        d.failure = msg
        d.note = f"not upstream, and {failing} does not apply on the new commit"
    return d
