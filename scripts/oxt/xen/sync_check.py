"""`oxt xsa sync` against upstream: each track's pin in the cache, the advisories
the pin already carries, and the candidates checked with the series engine.

A candidate is checked as bitbake will apply it: put in the track's XSA queue
the way :func:`oxt.xen.queue.queued_track` puts it there (number order), the
recipes' whole series read from the renderer's SRC_URI
(:func:`oxt.xen.track_series.track_series`: XSA queue, meta-virtualization's
``upstream_patches``, OpenXT queue) and pushed on the pin with do_patch's
semantics (:func:`oxt.xen.series_check.judge_new`, the same judge as ``xsa
add``): clean or offset is fine, fuzz is refused (OE's ``patch-fuzz`` QA) unless
``--refresh`` rewrites the patch, a patch that upstream already has is
*carried*. A patch after the candidates that applied before them and no longer
does is reported too: queuing would break the build::

    with UpstreamContext(remote, cache_dir) as up:
        pins = SyncUpstream(up, checkout, manifest, meta_virt=None, refresh=False)
        carried = pins.carried_index(track)          # XSA -> upstream commits of base..pin naming it
        verdicts, breaks = pins.check(track, [Candidate(470, files)])
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from oxt.fsutil import atomic_write
from oxt.manifest import Manifest, XenTrack, Xsa
from oxt.repo import Checkout
from oxt.xen.context import FetchedRange, UpstreamContext
from oxt.xen.metavirt import meta_virt_reader
from oxt.xen.patches import queue_name
from oxt.xen.queue import queued_track
from oxt.xen.refs import parse_ref, pin_text
from oxt.xen.series_check import CARRIED, FUZZ, Hints, NewPatch, evaluate_at, judge_new
from oxt.xen.sync_plan import CARRIED as SYNC_CARRIED
from oxt.xen.sync_plan import FAILS, FUZZY, QUEUED, Candidate, SyncPlan, Verdict
from oxt.xen.track_series import needs_meta_virt, track_series
from oxt.xen.xsa_index import build_index

HINTS = Hints(fails="a person must backport it",
              fuzz="review the fuzz, then rerun with --refresh to queue it rewritten to apply exactly (or backport it)")
VERDICTS = "oxt-xsa-carried.json"  # beside the cache: "these patches reverse-apply on this pin"


def queue_names(files) -> list[str]:
    """The names an advisory's published files get under files/xsa/ (as ``xsa add`` names them)."""
    return [queue_name(Path(f.name)) for f in files]


class SyncUpstream:
    """The tracks' pins in the shallow cache (lock held by *up*) and the series checks on them."""

    def __init__(self, up: UpstreamContext, checkout: Checkout, manifest: Manifest, *, meta_virt: str | None,
                 refresh: bool, progress: bool = False):
        self.up, self.manifest, self.refresh = up, manifest, refresh
        say = (lambda text: print(text, file=sys.stderr)) if progress else None
        self.reader = meta_virt_reader(checkout, meta_virt, progress=say)  # opened on first use only
        self.spans: dict[str, FetchedRange] = {}
        self._baselines: dict[str, set[tuple[str, str]]] = {}

    def pin(self, branch: str) -> str:
        span = self.spans[branch]
        return span.commits[pin_text(span.track)]

    def carried_index(self, track: XenTrack) -> dict[int, tuple[str, ...]]:
        """Fetch *track*'s pin; the XSAs upstream commits since its base release name -> those commits."""
        span = self.up.fetch_refs(track, [parse_ref(pin_text(track), track.branch, option=f"{track.branch} pin")])
        self.spans[track.branch] = span
        pin = self.pin(track.branch)
        start = span.base_commit_before(pin)
        if not start or start == pin:
            return {}
        index = build_index(self.up.cache.commits(start, pin))
        return {n: tuple(c.sha for c in cs) for n, cs in index.commits.items()}

    # -- the series check ----------------------------------------------------------------------------

    def check(self, track: XenTrack, candidates: list[Candidate]) -> tuple[dict[int, Verdict], list[str]]:
        """The recipes' series with *candidates* queued, on the pin: a verdict per candidate, and the
        patches after them that applied before and no longer do."""
        entries, files, new = [], {}, {}
        for c in candidates:
            names = queue_names(c.files)
            data = c.data or tuple(f.path.read_bytes() for f in c.files)
            entries.append(Xsa(c.xsa, tuple(names), f"https://xenbits.xen.org/xsa/advisory-{c.xsa}.html"))
            new[c.xsa] = [NewPatch(f"xsa/{n}", Path(f.name), d) for n, f, d in zip(names, c.files, data)]
            files.update({self.manifest.xsa_patch_path(n): d for n, d in zip(names, data)})
        edited = queued_track(track, entries)
        series = track_series(self.manifest.with_track(edited), edited, files=files,
                              meta_virt=self.reader if needs_meta_virt(track) else None)
        patches = [p for ps in new.values() for p in ps]
        results = judge_new(self.spans[track.branch], self.pin(track.branch), series, patches,
                            refresh=self.refresh, hints=HINTS)
        return {n: _verdict(n, ps) for n, ps in new.items()}, self._broken(track, results, {p.name for p in patches})

    def _broken(self, track: XenTrack, results, new: set[str]) -> list[str]:
        bad = {(recipe, r.name): r for recipe, result in results for r in result.results
               if r.name not in new and not r.ok}
        if not bad:
            return []
        before = self._baseline(track)
        lines = {name: f"{name} {r.label} ({r.detail})" for (recipe, name), r in bad.items()
                 if (recipe, name) not in before}
        return list(lines.values())

    def _baseline(self, track: XenTrack) -> set[tuple[str, str]]:
        """(recipe, patch) that do not apply at the pin already, before anything is queued."""
        if track.branch not in self._baselines:
            series = track_series(self.manifest, track, meta_virt=self.reader if needs_meta_virt(track) else None)
            results = evaluate_at(self.spans[track.branch], self.pin(track.branch), series)
            self._baselines[track.branch] = {(recipe, r.name) for recipe, result in results
                                             for r in result.results if not r.ok}
        return self._baselines[track.branch]

    # -- "these patches reverse-apply on this pin" does not change: kept beside the cache, so the
    #    advisories an old pin already carries are not checked again every run --------------------

    def _verdicts(self) -> set[str]:
        try:
            return set(json.loads((self.up.cache.path / VERDICTS).read_text()))
        except (FileNotFoundError, json.JSONDecodeError):
            return set()

    def known_carried(self, published: dict[tuple[int, str], tuple[str, ...]]) -> dict[str, dict[int, tuple]]:
        """Per track, the candidates (*published*: (xsa, track) -> their sha256s) an earlier run found carried."""
        known, out = self._verdicts(), {}
        for (n, branch), shas in published.items():
            if f"{self.pin(branch)}:{','.join(shas)}" in known:
                out.setdefault(branch, {})[n] = ()
        return out

    def remember_carried(self, sp: SyncPlan) -> None:
        new = {f"{self.pin(a.track)}:{','.join(f.sha256 for f in a.files)}"
               for adv in sp.advisories for a in adv.actions if a.status == SYNC_CARRIED and a.files}
        if new - (known := self._verdicts()):
            atomic_write(self.up.cache.path / VERDICTS, json.dumps(sorted(new | known), indent=0))


def _verdict(number: int, patches: list[NewPatch]) -> Verdict:
    """One advisory's verdict from its patches' (all must apply for it to be queued)."""
    refused = [p for p in patches if not p.ok]
    if not refused:
        refreshed = [f"{p.source.name} {p.status}" for p in patches if p.status.startswith("refreshed")]
        note = f"queued rewritten to apply exactly: {', '.join(refreshed)}" if refreshed else ""
        return Verdict(QUEUED, note, tuple(p.data for p in patches))
    kinds = {p.refused for p in refused}
    if kinds == {CARRIED} and len(refused) == len(patches):
        return Verdict(SYNC_CARRIED, refused[0].problem)
    if kinds == {FUZZ}:
        return Verdict(FUZZY, refused[0].problem)
    return Verdict(FAILS, f"{refused[0].problem} (then: oxt xsa add {number} FILE…)")
