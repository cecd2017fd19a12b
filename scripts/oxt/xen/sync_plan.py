"""What `oxt xsa sync` does with each published advisory, per Xen track:
pure functions over the feed data, the tracks, the XSAs each track's pin
already carries upstream and the XSAs already queued.

Two steps, both free of I/O (the caller injects what needs git or the network):

1. :func:`plan` decides per (advisory, track) from the feed alone:

   ============== ==========================================================
   status          when
   ============== ==========================================================
   queue           public, a ``xen`` recipe for exactly the track's version,
                   every prerequisite queued, carried or queued by this run
   already-queued  the track's XSA queue has it
   carried         upstream names it in a commit of the pin (the bump's index),
                   or an earlier run found its patches reverse-apply on this pin
   no-patch        no recipe for the track's version ("no patch published
                   for 4.x"): never a master or other-version set
   other-tree      a recipe, but only for other trees (qemu-xen, ...)
   blocked         a prerequisite cannot be queued (embargoed, withdrawn, no
                   patch for this version, or blocked itself)
   ============== ==========================================================

   Embargoed and withdrawn advisories, and those without a ``.meta``, get no
   per-track action at all: they are never touched.

2. :func:`settle` checks each track's queue candidates with injected
   ``fetch`` (the verified patch files) and ``check`` (the candidates put in
   the track's queue, the whole series the recipe applies pushed on the pin:
   a :class:`Verdict` per candidate, and the patches after them it breaks —
   :class:`oxt.xen.sync_check.SyncUpstream`, on the series engine). First
   everything at once (one check: the usual case); if anything is refused,
   one by one, prerequisites first: each candidate becomes ``queued``,
   ``carried``, ``does-not-apply``, ``needs-refresh`` (only fuzz stands in
   the way: OE's patch QA refuses fuzz) or ``breaks-series`` (it applies, but
   a patch after it no longer does), and ``blocked`` for whatever depends on
   one that was not queued.

:func:`to_data` turns the result into the report every output format renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from oxt.manifest import XenTrack as Track
from oxt.xen.feed import PUBLIC, IndexEntry, Meta, TreeRecipe

QUEUE = "queue"
QUEUED = "queued"
ALREADY = "already-queued"
CARRIED = "carried"
NO_PATCH = "no-patch"
OTHER_TREE = "other-tree"
BLOCKED = "blocked"
FAILS = "does-not-apply"
FUZZY = "needs-refresh"  # applies only with fuzz: OE refuses it; --refresh queues it rewritten
BREAKS = "breaks-series"  # applies, but a patch the recipe applies after it no longer does
NO_META = "no-meta"
LISTED = "listed"
UPDATED = "updated"  # queued, but the advisory now publishes other patches
# a person must backport (or re-queue) by hand: the run exits 1
MANUAL = (FAILS, FUZZY, BREAKS, BLOCKED, UPDATED)
_OK_FOR_DEPENDENTS = (QUEUE, QUEUED, ALREADY, CARRIED)


@dataclass(frozen=True)
class Action:
    """One advisory on one track."""

    xsa: int
    track: str
    version: str
    status: str
    note: str = ""
    recipe: TreeRecipe | None = None
    upstream: tuple[str, ...] = ()  # commits of the pin that carry it
    files: tuple = ()  # feed.PatchFile, once fetched
    prereqs: tuple[int, ...] = ()  # of the recipe for this version
    data: tuple[bytes, ...] = ()  # what gets queued, per file (refreshed with --refresh), once checked


@dataclass(frozen=True)
class Candidate:
    """An advisory's patch files on their way into a track's queue."""

    xsa: int
    files: tuple  # feed.PatchFile, in apply order
    data: tuple[bytes, ...] = ()  # their bytes as they would be queued; empty: as published


@dataclass(frozen=True)
class Verdict:
    """What the series check says of one candidate."""

    status: str  # QUEUED, CARRIED, FAILS or FUZZY
    note: str = ""
    data: tuple[bytes, ...] = ()  # the bytes to queue (QUEUED)


@dataclass(frozen=True)
class AdvisoryPlan:
    entry: IndexEntry
    status: str  # listed | embargoed | withdrawn | no-meta
    meta: Meta | None = None
    target: bool = True  # selected by the filters, not only pulled in as a prerequisite
    actions: tuple[Action, ...] = ()
    signature: str = ""  # of the advisory text, once read
    version: int | None = None  # the advisory's own version (v1, v2, ...), once read

    @property
    def number(self) -> int:
        return self.entry.number


@dataclass(frozen=True)
class SyncPlan:
    advisories: tuple[AdvisoryPlan, ...]
    order: dict[str, tuple[int, ...]] = field(default_factory=dict)  # track -> candidates, prerequisites first

    def advisory(self, number: int) -> AdvisoryPlan | None:
        return next((a for a in self.advisories if a.number == number), None)

    def action(self, number: int, track: str) -> Action | None:
        adv = self.advisory(number)
        return next((a for a in adv.actions if a.track == track), None) if adv else None

    @property
    def manual(self) -> list[Action]:
        return [a for adv in self.advisories for a in adv.actions if a.status in MANUAL]


def select(entries: list[IndexEntry], *, since: int | None = None, only: tuple[int, ...] = ()) -> list[IndexEntry]:
    """The advisories the run is about (before prerequisites are added)."""
    return [e for e in entries if (not only or e.number in only) and (since is None or e.number >= since)]


def prerequisites_to_fetch(entries: list[IndexEntry], metas: dict[int, Meta | None],
                           tracks: list[Track]) -> set[int]:
    """Public advisories named as prerequisites for a tracked version whose .meta is not loaded yet."""
    public = {e.number for e in entries if e.state == PUBLIC}
    wanted = set()
    for meta in metas.values():
        for t in tracks:
            recipe = meta.recipe(t.series) if meta else None
            wanted |= set(recipe.prereqs if recipe else ())
    return {n for n in wanted if n in public and n not in metas}


def _unavailable(number: int, entries: dict[int, IndexEntry], metas: dict[int, Meta | None]) -> str | None:
    entry = entries.get(number)
    if entry is None:
        return "not in the feed's index"
    if entry.state != PUBLIC:
        return entry.state
    if metas.get(number) is None:
        return "no .meta published"
    return None


def _decide(number: int, track: Track, ctx: dict, stack: tuple[int, ...] = ()) -> Action:
    memo = ctx["memo"]
    if (number, track.branch) in memo:
        return memo[(number, track.branch)]
    version = track.series
    carried = ctx["carried"].get(track.branch, {})
    queued = {x.number for x in track.xsa}
    meta = ctx["metas"].get(number)
    recipe = meta.recipe(version) if meta else None
    if number in queued:
        action = Action(number, track.branch, version, ALREADY, "in the track's XSA queue", recipe=recipe)
    elif number in carried:  # named by upstream commits, or (no commits) found to reverse-apply before
        note = (f"upstream carries it in the pin ({len(carried[number])} commit(s))" if carried[number] else
                "its patches reverse-apply on the pin: upstream carries it (found by an earlier run)")
        action = Action(number, track.branch, version, CARRIED, note, recipe=recipe,
                        upstream=tuple(carried[number]))
    elif why := _unavailable(number, ctx["entries"], ctx["metas"]):
        action = Action(number, track.branch, version, BLOCKED, why)
    else:
        action = _decide_recipe(number, track, ctx, stack)
    memo[(number, track.branch)] = action
    return action


def _decide_recipe(number: int, track: Track, ctx: dict, stack: tuple[int, ...]) -> Action:
    meta: Meta = ctx["metas"][number]
    version = track.series
    recipe = meta.recipe(version)
    if recipe is None:
        trees = sorted(meta.recipes.get(version, {}))
        if trees:
            return Action(number, track.branch, version, OTHER_TREE,
                          f"patches for {', '.join(trees)} only, none for xen.git: not handled here")
        covered = ", ".join(meta.recipes) or "none"
        return Action(number, track.branch, version, NO_PATCH,
                      f"no patch published for {version} (the advisory has patches for: {covered}); "
                      f"check whether {version} is affected and backport by hand if so")
    if not recipe.patterns:
        return Action(number, track.branch, version, NO_PATCH, f"the {version} recipe lists no patch file",
                      recipe=recipe)
    for p in recipe.prereqs:
        if p in stack or p == number:
            return Action(number, track.branch, version, BLOCKED, f"prerequisite cycle through XSA-{p}",
                          recipe=recipe, prereqs=recipe.prereqs)
        pre = _decide(p, track, ctx, stack + (number,))
        if pre.status not in _OK_FOR_DEPENDENTS:
            reason = pre.note if pre.status in (BLOCKED, NO_PATCH) else pre.status
            return Action(number, track.branch, version, BLOCKED, f"prerequisite XSA-{p}: {reason}",
                          recipe=recipe, prereqs=recipe.prereqs)
    extra = sorted(t for t in meta.recipes.get(version, {}) if t != "xen")
    note = f"also has patches for {', '.join(extra)}: not handled here" if extra else ""
    return Action(number, track.branch, version, QUEUE, note, recipe=recipe, prereqs=recipe.prereqs)


def _queue_order(track: str, numbers: list[int], memo: dict) -> tuple[int, ...]:
    """The track's queue candidates, each after its prerequisites (depth first), else by number."""
    seq: list[int] = []

    def visit(n: int) -> None:
        action = memo.get((n, track))
        if action is None or action.status != QUEUE or n in seq:
            return
        for p in action.prereqs:
            visit(p)
        seq.append(n)

    for n in numbers:
        visit(n)
    return tuple(seq)


def plan(entries: list[IndexEntry], metas: dict[int, Meta | None], tracks: list[Track],
         carried: dict[str, dict[int, tuple[str, ...]]], *, since: int | None = None,
         only: tuple[int, ...] = ()) -> SyncPlan:
    """Decide every (advisory, track) from the feed alone (see the module docstring).

    *carried*: per track, the XSAs its pin carries -> the upstream commits naming them
    (empty when an earlier run found the patches reverse-apply on this pin)."""
    by_number = {e.number: e for e in entries}
    ctx = {"entries": by_number, "metas": metas, "carried": carried, "memo": {}}
    targets = select(entries, since=since, only=only)
    advisories: dict[int, AdvisoryPlan] = {}
    for e in targets:
        if e.state != PUBLIC:
            advisories[e.number] = AdvisoryPlan(e, e.state)
        elif metas.get(e.number) is None:
            advisories[e.number] = AdvisoryPlan(e, NO_META)
        else:
            advisories[e.number] = AdvisoryPlan(e, LISTED, metas[e.number],
                                                actions=tuple(_decide(e.number, t, ctx) for t in tracks))
    order = {t.branch: _queue_order(t.branch, sorted(advisories), ctx["memo"]) for t in tracks}
    # prerequisites pulled in from outside the selection get their own (non-target) entry
    for t in tracks:
        for n in order[t.branch]:
            if n not in advisories:
                advisories[n] = AdvisoryPlan(by_number[n], LISTED, metas[n], target=False)
            adv = advisories[n]
            if not any(a.track == t.branch for a in adv.actions):
                advisories[n] = replace(adv, actions=adv.actions + (ctx["memo"][(n, t.branch)],))
    return SyncPlan(tuple(advisories[n] for n in sorted(advisories)), order)


def _set(sp: SyncPlan, action: Action) -> SyncPlan:
    advs = []
    for adv in sp.advisories:
        if adv.number == action.xsa:
            adv = replace(adv, actions=tuple(action if a.track == action.track else a for a in adv.actions))
        advs.append(adv)
    return replace(sp, advisories=tuple(advs))


def settle(sp: SyncPlan, tracks: list[Track], *,
           fetch: Callable[[int, TreeRecipe], tuple],
           check: Callable[[Track, list[Candidate]], tuple[dict[int, Verdict], list[str]]],
           read: Callable[[int], tuple[str, int | None]] | None = None) -> SyncPlan:
    """Check every queue candidate on its track (see the module docstring).

    ``fetch(xsa, recipe)`` gives the verified patch files; ``check(track,
    candidates)`` pushes the track's series with *candidates* queued (in
    number order, the recipe's) on the pin: ``({xsa: Verdict}, [patch after
    them that no longer applies, with why])``. ``read(xsa)`` gives the
    advisory's (signature status, version) for the report.
    """
    fetched: dict[tuple[int, str], tuple] = {}
    for number in sorted({n for seq in sp.order.values() for n in seq}):
        adv = sp.advisory(number)
        if read:
            signature, version = read(number)
            sp = replace(sp, advisories=tuple(replace(a, signature=signature, version=version)
                                              if a.number == number else a for a in sp.advisories))
        for action in adv.actions:
            if action.status == QUEUE:
                fetched[(number, action.track)] = fetch(number, action.recipe)
    for t in tracks:
        order = sp.order.get(t.branch, ())
        whole = [Candidate(n, fetched[(n, t.branch)]) for n in sorted(order)]
        verdicts, breaks = check(t, whole) if whole else ({}, [])
        if not breaks and all(v.status == QUEUED for v in verdicts.values()):  # the common case, one check
            for n, v in verdicts.items():
                sp = _record(sp, sp.action(n, t.branch), fetched[(n, t.branch)], v)
            continue
        accepted: list[Candidate] = []
        for number in order:
            action, files = sp.action(number, t.branch), fetched[(number, t.branch)]
            failed = [p for p in action.prereqs if (pa := sp.action(p, t.branch)) and pa.status in MANUAL]
            if failed:
                sp = _set(sp, replace(action, status=BLOCKED, files=files,
                                      note=f"prerequisite XSA-{failed[0]} is not queued: "
                                           f"{sp.action(failed[0], t.branch).status}"))
                continue
            verdict = _alone(check, t, accepted, Candidate(number, files))
            if verdict.status == QUEUED:
                accepted.append(Candidate(number, files, verdict.data))
            sp = _record(sp, action, files, verdict)
    return sp


def _alone(check, track: Track, accepted: list[Candidate], candidate: Candidate) -> Verdict:
    """*candidate*'s verdict on top of those already accepted; refused too when it breaks them or
    the patches the recipe applies after it."""
    verdicts, breaks = check(track, sorted([*accepted, candidate], key=lambda c: c.xsa))
    verdict = verdicts[candidate.xsa]
    broken = breaks + [f"XSA-{n} ({v.note})" for n, v in verdicts.items() if n != candidate.xsa and v.status != QUEUED]
    if verdict.status != QUEUED or not broken:
        return verdict
    return Verdict(BREAKS, f"it applies, but the recipe's series after it no longer does: {'; '.join(broken)}; "
                           "backport it (or rebase those patches) by hand")


def _record(sp: SyncPlan, action: Action, files: tuple, verdict: Verdict) -> SyncPlan:
    note = "; ".join(n for n in (action.note, verdict.note) if n)
    return _set(sp, replace(action, status=verdict.status, files=files, data=verdict.data, note=note))


def mark_updates(sp: SyncPlan, tracks: list[Track], published: dict[tuple[int, str], tuple[str, ...]]) -> SyncPlan:
    """Queued advisories whose published patches (sha256s, by (xsa, track)) are no longer
    the ones recorded in the manifest's ``sources`` when they were queued: ``updated``."""
    by_branch = {t.branch: t for t in tracks}
    for adv in sp.advisories:
        for action in adv.actions:
            now = published.get((action.xsa, action.track))
            entry = next((x for x in by_branch[action.track].xsa if x.number == action.xsa), None)
            if action.status != ALREADY or now is None or not entry or not entry.sources:
                continue
            if sorted(now) != sorted(s.sha256 for s in entry.sources):
                sp = _set(sp, replace(action, status=UPDATED,
                                      note=f"the advisory now publishes other {action.version} patches than the "
                                           f"queued ones (advisory version {adv.version or '?'}); re-queue them: "
                                           f"oxt xsa add {action.xsa} FILE… --replace"))
    return sp


# -- the report ------------------------------------------------------------------------------


def _action_data(a: Action, dry_run: bool) -> dict:
    status = a.status
    if status == QUEUED and dry_run:
        status = "would-queue"
    return {
        "track": a.track, "version": a.version, "status": status, "note": a.note, "manual": a.status in MANUAL,
        "prerequisites": list(a.prereqs),
        "published": a.recipe is not None,  # the advisory has a xen.git patch for this version
        "stable_ref": a.recipe.stable_ref if a.recipe else "",
        "upstream": list(a.upstream),
        "patches": [{"file": f.name, "url": f.url, "sha256": f.sha256} for f in a.files],
    }


def to_data(sp: SyncPlan, *, feed: str, dry_run: bool, commit: str | None = None) -> dict:
    advisories = []
    for adv in sp.advisories:
        e = adv.entry
        advisories.append({
            "xsa": e.number, "title": e.title, "cves": list(e.cves),
            "public_time": e.public_time.isoformat() if e.public_time else None,
            "state": adv.status, "target": adv.target, "signature": adv.signature or None,
            "advisory_version": adv.version,
            "tracks": [_action_data(a, dry_run) for a in adv.actions],
        })
    queued = [a for adv in sp.advisories for a in adv.actions if a.status == QUEUED]
    return {"feed": feed, "dry_run": dry_run, "commit": commit, "changed": bool(queued) and not dry_run,
            "manual": len(sp.manual), "advisories": advisories}

