"""`oxt xsa sync`: read the advisory feed, decide per advisory and track
(:mod:`.sync_plan`), check the patches on the pinned commits in the shallow
cache, then queue what applies through :mod:`.queue` — one atomic write,
optionally one commit.

Everything that can fail (the feed, a signature, a sha256, a malformed
``.meta``, the upstream remote) fails before the first write, so an error
leaves the tree as it was. A patch that does not apply is not an error: it
is reported (``does-not-apply``), the others are queued, and the run exits 1
so a person backports it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path

from oxt.errors import OxtUserError
from oxt.fsutil import atomic_write
from oxt.repo import Checkout
from oxt.xen import manifest_io
from oxt.xen import sync_plan as sp_
from oxt.xen.feed import DEFAULT_FEED, PUBLIC, WITHDRAWN, XEN_SECURITY_KEY, Feed, expand
from oxt.xen.model import GIT, Track, XsaEntry
from oxt.xen.patches import changed_files, queue_name


@dataclass
class SyncOptions:
    feed: str = DEFAULT_FEED
    tracks: tuple[str, ...] = ()
    since: int | None = None
    only: tuple[int, ...] = ()
    dry_run: bool = False
    commit: bool = False
    require_signature: bool = False
    gpg_home: Path | None = None
    key: str = XEN_SECURITY_KEY
    remote: str | None = None
    cache_dir: Path | None = None  # the shallow xen.git
    feed_cache: Path | None = None
    refresh: bool = False
    progress: bool = True
    now: dt.datetime | None = None


@dataclass
class SyncResult:
    plan: sp_.SyncPlan
    data: dict
    exit_code: int
    commit: str | None = None


def _selected(tracks: list[Track], names: tuple[str, ...], path) -> list[Track]:
    if not names:
        return tracks
    by_branch = {t.branch: t for t in tracks}
    unknown = [n for n in names if n not in by_branch]
    if unknown:
        raise OxtUserError(f"--track {unknown[0]}: {path} has no such track (tracks: {', '.join(by_branch)})")
    return [by_branch[n] for n in names]


def _needs_upstream(metas: dict, tracks: list[Track]) -> list[Track]:
    """Tracks for which some advisory has a recipe and is not queued yet: only they need
    the pin in the cache (a run with nothing new never talks to the Xen remote)."""
    out = []
    for t in tracks:
        queued = {x.number for x in t.xsas}
        if any(m and m.recipe(t.series) and n not in queued for n, m in metas.items()):
            out.append(t)
    return out


class _Upstream:
    """The pins of the tracks in the shallow cache: carried index and apply checks."""

    def __init__(self, cache, xsa_dir: Path):
        self.cache = cache
        self.xsa_dir = xsa_dir
        self.pins: dict[str, str] = {}

    def carried_index(self, track: Track, refs) -> dict[int, tuple[str, ...]]:
        from oxt.xen.queue import pin_of
        from oxt.xen.xsa_index import build_index

        pin, base = pin_of(track, refs, self.cache)
        self.pins[track.branch] = pin
        if track.mode != GIT or not base or base == pin or not self.cache.is_ancestor(base, pin):
            return {}
        index = build_index(self.cache.commits(base, pin))
        return {n: tuple(c.sha for c in cs) for n, cs in index.commits.items()}

    def reverse_applies(self, track: Track, files) -> bool:
        ok, _ = self.cache.apply_series(self.pins[track.branch], [f.path for f in files], reverse=True)
        return ok

    # "these patches reverse-apply on this pin" does not change: kept beside the cache, so
    # the advisories an old pin already carries are not checked again every run
    def _verdicts_path(self) -> Path:
        return self.cache.path / "oxt-xsa-carried.json"

    def known_carried(self, sp: sp_.SyncPlan, texts: dict) -> dict[str, dict[int, tuple[str, ...]]]:
        try:
            known = set(json.loads(self._verdicts_path().read_text()))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        out: dict[str, dict[int, tuple[str, ...]]] = {}
        for branch, numbers in sp.order.items():
            for n in numbers:
                action = sp.action(n, branch)
                if f"{self.pins[branch]}:{','.join(_published(texts[n], action))}" in known:
                    out.setdefault(branch, {})[n] = ()
        return out

    def remember_carried(self, sp: sp_.SyncPlan) -> None:
        new = {f"{self.pins[a.track]}:{','.join(f.sha256 for f in a.files)}"
               for adv in sp.advisories for a in adv.actions if a.status == sp_.CARRIED and a.files}
        if new:
            try:
                new |= set(json.loads(self._verdicts_path().read_text()))
            except (FileNotFoundError, json.JSONDecodeError):
                pass
            atomic_write(self._verdicts_path(), json.dumps(sorted(new), indent=0))

    def series_applies(self, track: Track, series) -> tuple[bool, str]:
        """The track's XSA queue with *series* merged in, in SRC_URI order (by number), on the pin."""
        new = {n: [f.path for f in files] for n, files in series}
        queue = {x.number: [self.xsa_dir / p for p in x.patches] for x in track.xsas}
        queue.update(new)
        paths = [p for n in sorted(queue) for p in queue[n]]
        ok, msg = self.cache.apply_series(self.pins[track.branch], paths)
        return ok, (msg if ok else f"the series does not apply on {track.branch} at "
                    f"{self.pins[track.branch][:12]}: {msg}")


def _published(text, action: sp_.Action) -> tuple[str, ...]:
    """The sha256s the advisory lists for the action's patch files, in apply order."""
    names = expand(action.recipe.patterns, list(text.sha256), f"XSA-{action.xsa} {action.version} patches")
    return tuple(text.sha256[n] for n in names)


def _read_texts(feed: Feed, sp: sp_.SyncPlan, options: SyncOptions) -> dict:
    numbers = sorted({n for seq in sp.order.values() for n in seq})
    return {n: feed.advisory(sp.advisory(n).entry, key=options.key, gpg_home=options.gpg_home,
                             require_signature=options.require_signature) for n in numbers}


def _queued_entries(sp: sp_.SyncPlan, feed: Feed, existing: dict[str, set[str]]):
    from oxt.xen.queue import Queued

    out = []
    for adv in sp.advisories:
        for a in adv.actions:
            if a.status != sp_.QUEUED:
                continue
            names = [queue_name(Path(f.name)) for f in a.files]
            clash = [n for n in names if n in existing.get(a.track, set())] or \
                [n for n in names if names.count(n) > 1]
            if clash:
                raise OxtUserError(f"XSA-{a.xsa}: {clash[0]} would overwrite another queued patch file of "
                                   f"{a.track}; queue it by hand (oxt xsa add) under another name")
            for f in a.files:
                changed_files(f.path)  # a verified file that is not a patch: stop (PatchError)
            entry = XsaEntry(a.xsa, tuple(names), feed.advisory_page(a.xsa),
                             tuple((n, f.url, f.sha256) for n, f in zip(names, a.files)))
            out.append(Queued(a.track, entry, {n: f.path.read_bytes() for n, f in zip(names, a.files)}))
    return out


def run(checkout: Checkout, options: SyncOptions) -> SyncResult:
    from oxt.xen import apply as xen_apply
    from oxt.xen.commit import ensure_clean, make_commit
    from oxt.xen.sync_report import commit_message

    manifest, all_tracks = manifest_io.load(checkout)
    tracks = _selected(all_tracks, options.tracks, manifest.path)
    repo = None
    if options.commit and not options.dry_run:
        repo = ensure_clean(checkout.root, xen_apply.touched_paths(checkout))
    with Feed(options.feed, cache_dir=options.feed_cache, progress=options.progress, refresh=options.refresh,
              now=options.now) as feed:
        entries = feed.index()
        targets = [e for e in sp_.select(entries, since=options.since, only=options.only) if e.state == PUBLIC]
        metas = feed.metas(targets)
        while more := sp_.prerequisites_to_fetch(entries, metas, tracks):
            metas.update(feed.metas([e for e in entries if e.number in more]))
        upstream_tracks = _needs_upstream(metas, tracks)
        if not upstream_tracks:
            sp = sp_.plan(entries, metas, tracks, {}, since=options.since, only=options.only)
            sp = _updates(sp, feed, tracks, options)
            return _finish(sp, feed, options, None, 1 if sp.manual else 0)
        from oxt.xen.cache import UpstreamCache
        from oxt.xen.upstream import ls_remote

        remote = options.remote or manifest.remote
        refs = ls_remote(remote)
        with UpstreamCache(options.cache_dir, remote, progress=options.progress) as cache:
            up = _Upstream(cache, manifest_io.xsa_dir(checkout))
            carried = {t.branch: up.carried_index(t, refs) for t in upstream_tracks}
            sp = sp_.plan(entries, metas, tracks, carried, since=options.since, only=options.only)
            texts = _read_texts(feed, sp, options)
            withdrawn = {n for n, text in texts.items() if text.withdrawn}
            known = up.known_carried(sp, texts)
            if withdrawn or known:  # withdrawn by the text although not by the index: never touch it
                entries = [replace(e, state=WITHDRAWN) if e.number in withdrawn else e for e in entries]
                carried = {b: {**carried.get(b, {}), **known.get(b, {})} for b in carried}
                sp = sp_.plan(entries, metas, tracks, carried, since=options.since, only=options.only)
            sp = sp_.settle(sp, upstream_tracks,
                            fetch=lambda n, recipe: tuple(feed.patches(texts[n], recipe)),
                            carried=up.reverse_applies, check=up.series_applies,
                            read=lambda n: (texts[n].signature, texts[n].version))
            up.remember_carried(sp)
        sp = _updates(sp, feed, tracks, options)
        existing = {t.branch: {p for x in t.xsas for p in x.patches} for t in all_tracks}
        additions = _queued_entries(sp, feed, existing)
        sha = None
        if additions and not options.dry_run:
            from oxt.xen.queue import write_queue

            _, touched = write_queue(checkout, manifest, all_tracks, additions)
            if repo is not None:
                sha = make_commit(repo, checkout.root, xen_apply.touched_paths(checkout) + touched,
                                  commit_message(sp))
        return _finish(sp, feed, options, sha, 1 if sp.manual else 0)


def _updates(sp: sp_.SyncPlan, feed: Feed, tracks: list[Track], options: SyncOptions) -> sp_.SyncPlan:
    """Compare what sync queued earlier (the manifest's sources) with what the advisory
    publishes now; texts come from the cache unless the advisory changed or is recent."""
    recorded = {(x.number, t.branch) for t in tracks for x in t.xsas if x.sources}
    published: dict[tuple[int, str], tuple[str, ...]] = {}
    for adv in sp.advisories:
        for a in adv.actions:
            if a.status == sp_.ALREADY and (a.xsa, a.track) in recorded and a.recipe:
                text = feed.advisory(adv.entry, key=options.key, gpg_home=options.gpg_home,
                                     require_signature=options.require_signature)
                published[(a.xsa, a.track)] = _published(text, a)
                if not adv.signature:
                    sp = replace(sp, advisories=tuple(replace(x, signature=text.signature, version=text.version)
                                                      if x.number == adv.number else x for x in sp.advisories))
    return sp_.mark_updates(sp, tracks, published)


def _finish(sp: sp_.SyncPlan, feed: Feed, options: SyncOptions, sha: str | None, code: int) -> SyncResult:
    data = sp_.to_data(sp, feed=feed.base, dry_run=options.dry_run, commit=sha)
    data["requests"] = feed.requests
    return SyncResult(sp, data, code, sha)
