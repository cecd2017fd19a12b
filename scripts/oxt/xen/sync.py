"""`oxt xsa sync`: read the advisory feed, decide per advisory and track
(:mod:`.sync_plan`), check the candidates on each track's whole patch series at
its pin with the series engine (:mod:`.sync_check`), then queue what applies
through the one queue write path (:func:`oxt.xen.queue.plan_queue`, written by
:func:`oxt.changeset.write`: all or nothing), optionally as one commit.

Everything that can fail (the feed, a signature, a sha256, a malformed
``.meta``, the upstream remote, the edited manifest) fails before the first
write, so an error leaves the tree as it was. A patch that does not apply as
the recipe applies it is not an error: it is reported (``does-not-apply``,
``needs-refresh``, ``breaks-series``), the others are queued, and the run exits
1 so a person backports it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

from oxt import changeset
from oxt.errors import OxtUserError
from oxt.manifest import Manifest, XenTrack, Xsa, XsaSource
from oxt.manifest_edit import ManifestDocument
from oxt.repo import Checkout
from oxt.xen import sync_plan as sp_
from oxt.xen.defaults import DEFAULT_FEED, XEN_SIGNING_KEY
from oxt.xen.feed import PUBLIC, WITHDRAWN, Feed, expand
from oxt.xen.patchfile import lint


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
    key: str = XEN_SIGNING_KEY
    remote: str | None = None
    cache_dir: Path | None = None  # the shallow xen.git
    feed_cache: Path | None = None
    refetch: bool = False  # fetch every .meta and advisory text again
    refresh: bool = False  # queue a patch that needs fuzz rewritten to apply exactly (as xsa add --refresh)
    meta_virt: str | None = None  # where meta-virtualization's Xen patches are (oxt.xen.metavirt)
    progress: bool = True
    now: dt.datetime | None = None


@dataclass
class SyncResult:
    plan: sp_.SyncPlan
    data: dict
    exit_code: int
    commit: str | None = None


def _selected(manifest: Manifest, names: tuple[str, ...]) -> list[XenTrack]:
    tracks = list(manifest.xen.tracks)
    unknown = [n for n in names if manifest.xen.find(n) is None]
    if unknown:
        raise OxtUserError(f"--track {unknown[0]}: {manifest.path} has no such track "
                           f"(tracks: {', '.join(manifest.xen.branches)})")
    return [manifest.xen.track(n) for n in names] if names else tracks


def _needs_upstream(metas: dict, tracks: list[XenTrack]) -> list[XenTrack]:
    """Tracks for which some advisory has a recipe and is not queued yet: only they need
    the pin in the cache (a run with nothing new never talks to the Xen remote)."""
    out = []
    for t in tracks:
        queued = {x.number for x in t.xsa}
        if any(m and m.recipe(t.series) and n not in queued for n, m in metas.items()):
            out.append(t)
    return out


def _published(text, action: sp_.Action) -> tuple[str, ...]:
    """The sha256s the advisory lists for the action's patch files, in apply order."""
    names = expand(action.recipe.patterns, list(text.sha256), f"XSA-{action.xsa} {action.version} patches")
    return tuple(text.sha256[n] for n in names)


def _read_feed(feed: Feed, tracks: list[XenTrack], options: SyncOptions):
    """The index and the .meta of every selected public advisory and of their prerequisites."""
    entries = feed.index()
    targets = [e for e in sp_.select(entries, since=options.since, only=options.only) if e.state == PUBLIC]
    metas = feed.metas(targets)
    while more := sp_.prerequisites_to_fetch(entries, metas, tracks):
        metas.update(feed.metas([e for e in entries if e.number in more]))
    return entries, metas


def _fetch(feed: Feed, texts: dict):
    def fetch(number: int, recipe) -> tuple:
        files = tuple(feed.patches(texts[number], recipe))
        for f in files:
            lint(f.path)  # a verified file that is not a patch fit to queue: stop (PatchFileError)
        return files
    return fetch


def _settle(feed: Feed, pins, entries, metas, tracks: list[XenTrack], needed: list[XenTrack],
            options: SyncOptions) -> sp_.SyncPlan:
    """Plan with what the pins carry, read the candidates' texts, check them on the series."""
    carried = {t.branch: pins.carried_index(t) for t in needed}
    sp = sp_.plan(entries, metas, tracks, carried, since=options.since, only=options.only)
    numbers = sorted({n for seq in sp.order.values() for n in seq})
    texts = {n: feed.advisory(sp.advisory(n).entry, key=options.key, gpg_home=options.gpg_home,
                              require_signature=options.require_signature) for n in numbers}
    withdrawn = {n for n, text in texts.items() if text.withdrawn}
    known = pins.known_carried({(n, b): _published(texts[n], sp.action(n, b))
                                for b, seq in sp.order.items() for n in seq})
    if withdrawn or known:  # withdrawn by the text although not by the index: never touch it
        entries = [replace(e, state=WITHDRAWN) if e.number in withdrawn else e for e in entries]
        carried = {b: {**carried.get(b, {}), **known.get(b, {})} for b in carried}
        sp = sp_.plan(entries, metas, tracks, carried, since=options.since, only=options.only)
    sp = sp_.settle(sp, needed, fetch=_fetch(feed, texts), check=pins.check,
                    read=lambda n: (texts[n].signature, texts[n].version))
    pins.remember_carried(sp)
    return sp


def _queued_entries(sp: sp_.SyncPlan, feed: Feed, manifest: Manifest):
    from oxt.xen.queue import Queued
    from oxt.xen.sync_check import queue_names

    out = []
    for adv in sp.advisories:
        for a in adv.actions:
            if a.status != sp_.QUEUED:
                continue
            names = queue_names(a.files)
            existing = {p for x in manifest.xen.track(a.track).xsa for p in x.patches}
            clash = [n for n in names if n in existing] or [n for n in names if names.count(n) > 1]
            if clash:
                raise OxtUserError(f"XSA-{a.xsa}: {clash[0]} would overwrite another queued patch file of "
                                   f"{a.track}; queue it by hand (oxt xsa add) under another name")
            sources = tuple(XsaSource(n, f.url, f.sha256) for n, f in zip(names, a.files))
            entry = Xsa(a.xsa, tuple(names), feed.advisory_page(a.xsa), sources)
            out.append(Queued(a.track, entry, dict(zip(names, a.data))))
    return out


def run(checkout: Checkout, options: SyncOptions) -> SyncResult:
    from oxt.xen.commit import ensure_clean, make_commit
    from oxt.xen.context import UpstreamContext
    from oxt.xen.queue import plan_queue
    from oxt.xen.sync_check import SyncUpstream
    from oxt.xen.sync_report import commit_message

    doc = ManifestDocument.load(checkout)
    manifest = doc.validate()
    tracks = _selected(manifest, options.tracks)
    repo = None
    if options.commit and not options.dry_run:
        repo = ensure_clean(checkout.root, changeset.touched_paths(checkout))
    with Feed(options.feed, cache_dir=options.feed_cache, progress=options.progress, refresh=options.refetch,
              now=options.now) as feed:
        entries, metas = _read_feed(feed, tracks, options)
        needed = _needs_upstream(metas, tracks)
        if not needed:
            sp = sp_.plan(entries, metas, tracks, {}, since=options.since, only=options.only)
            return _finish(_updates(sp, feed, tracks, options), feed, options, None)
        with UpstreamContext(options.remote or manifest.xen.remote, options.cache_dir,
                             progress=options.progress) as up:
            pins = SyncUpstream(up, checkout, manifest, meta_virt=options.meta_virt, refresh=options.refresh,
                                progress=options.progress)
            sp = _settle(feed, pins, entries, metas, tracks, needed, options)
        sp = _updates(sp, feed, tracks, options)
        additions = _queued_entries(sp, feed, manifest)
        sha = None
        if additions and not options.dry_run:
            changes = plan_queue(checkout, doc, manifest, additions)  # validated before any write
            rendered = changeset.write(changes)
            if repo is not None:
                touched = changeset.touched_paths(checkout) + list(changes.add) + list(changes.remove) + rendered
                sha = make_commit(repo, checkout.root, touched, commit_message(sp))
        return _finish(sp, feed, options, sha)


def _updates(sp: sp_.SyncPlan, feed: Feed, tracks: list[XenTrack], options: SyncOptions) -> sp_.SyncPlan:
    """Compare what sync queued earlier (the manifest's sources) with what the advisory
    publishes now; texts come from the cache unless the advisory changed or is recent."""
    recorded = {(x.number, t.branch) for t in tracks for x in t.xsa if x.sources}
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


def _finish(sp: sp_.SyncPlan, feed: Feed, options: SyncOptions, sha: str | None) -> SyncResult:
    data = sp_.to_data(sp, feed=feed.base, dry_run=options.dry_run, commit=sha)
    data["requests"] = feed.requests
    return SyncResult(sp, data, 1 if sp.manual else 0, sha)
