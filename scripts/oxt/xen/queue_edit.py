"""`oxt xen patch add|remove`: the OpenXT patch queue of a Xen track.

A patch is queued with its one-line purpose (the manifest's ``purpose``,
given as ``--why``) under ``meta-openxt/recipes-extended/xen/files/openxt/``,
after the track's XSA queue (the renderer's SRC_URI order). Before anything
is written, every file is checked: a patch (not empty, not binary, no CRLF,
paths inside the tree, -p1), with an ``Upstream-Status:`` OE's patch QA
accepts, not queued already — and, unless ``--no-check``, pushed on top of
the track's whole series at the pinned commit: it must apply clean or with an
offset (``--refresh`` rewrites one needing fuzz), must not create a file that
exists, and must not be carried upstream already.

Every refusal is an :class:`~oxt.errors.OxtUserError` (exit 2) raised before
the first write; the write itself (manifest, patch files, re-rendered
recipes) is all or nothing (:func:`oxt.changeset.write`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from oxt.errors import OxtUserError
from oxt.repo import Checkout
from oxt.xen.patchfile import DEV_NULL, ParsedPatch, lint
from oxt.xen.series import CARRIED, FAILS, FUZZ, OFFSET, SeriesEngine, SeriesPatch
from oxt.xen.series_ops import Options, fetch, load_target, subject_carrier, _start_of_range


@dataclass
class Added:
    name: str
    source: Path
    data: bytes
    status: str = "unchecked"  # clean / offset N / refreshed from fuzz N / unchecked
    notes: list[str] = field(default_factory=list)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _why(text: str | None) -> str:
    why = " ".join((text or "").split())
    if not why:
        raise OxtUserError('--why "…" is required: say in one line why OpenXT carries the patch '
                           "(it goes into the manifest and the recipe)")
    if "\n" in (text or "").strip():
        raise OxtUserError("--why must be one line; details belong in the patch header")
    return why


def _queued(manifest, track) -> dict[str, tuple[str, Path]]:
    """sha256 -> (queue name, path) of every patch file the track already applies."""
    out = {}
    for x in track.xsa:
        for f in x.patches:
            p = manifest.xsa_patch_path(f)
            if p.is_file():
                out[_sha(p.read_bytes())] = (f"xsa/{f}", p)
    for q in track.patches:
        p = manifest.xen_patch_path(q.file)
        if p.is_file():
            out[_sha(p.read_bytes())] = (f"openxt/{q.file}", p)
    return out


def plan_add(checkout: Checkout, opts: Options, files: list[Path], why: str | None, *, check: bool = True,
             refresh: bool = False) -> tuple[object, object, list[Added]]:
    """Validate and check *files*; returns (manifest, track, what to add). Nothing is written."""
    _why(why)
    if opts.series_file is not None:
        raise OxtUserError("patch add edits the manifest's queue; --series is for series and survey")
    target = load_target(checkout, opts)
    manifest, track = target.manifest, target.track
    queued = _queued(manifest, track)
    names_queued = {q.file for q in track.patches}
    added: list[Added] = []
    parsed: dict[str, ParsedPatch] = {}
    for f in files:
        f = Path(f)
        p = lint(f, require_status=True)
        name = f.name
        if name in names_queued:
            raise OxtUserError(f"{f}: {name} is already in {track.branch}'s OpenXT queue; remove it first "
                               f"(oxt xen patch remove {name}) or rename the new one")
        if p.digest in queued:
            raise OxtUserError(f"{f}: the same patch is already queued for {track.branch} as "
                               f"{queued[p.digest][0]}; nothing to add")
        for a in added:
            if a.name == name:
                raise OxtUserError(f"{f}: given twice (or two files named {name}); queue each patch once")
            if _sha(a.data) == p.digest:
                raise OxtUserError(f"{f}: same content as {a.source}, given twice; queue each patch once")
        dest = manifest.xen_patch_path(name)
        if dest.exists() and _sha(dest.read_bytes()) != p.digest:
            raise OxtUserError(f"{f}: {dest.relative_to(checkout.root)} already exists with other content "
                               "(another track's patch or a leftover); rename yours or remove that file")
        added.append(Added(name, f, p.data))
        parsed[name] = p
    if check:
        _check_on_queue(checkout, opts, target, added, parsed, refresh=refresh)
    return manifest, track, added


def _raw_exists(engine: SeriesEngine, commit: str, parsed: ParsedPatch) -> str | None:
    """A -p0 patch: a path that is missing when stripped but exists as written."""
    for s in parsed.sections:
        if s.creates:
            continue
        stripped = [c for c in (s.old, s.new) if c]
        if any(engine.exists(commit, c) for c in stripped):
            continue
        for raw in (s.raw_old, s.raw_new):
            if raw and raw != DEV_NULL and engine.exists(commit, raw):
                return raw
    return None


def _check_on_queue(checkout, opts, target, added: list[Added], parsed, *, refresh: bool) -> None:
    ref = target.pin_ref
    r = fetch(target, opts, [ref])
    try:
        commit = r.resolved[ref]
        start = _start_of_range(r, commit)
        carrier = subject_carrier(r.repo, start, commit) if start else None
        new_patches = [SeriesPatch(f"openxt/{a.name}", a.data, "openxt", 1, a.source) for a in added]
        where = f"{target.branch} at {r.describe(commit) or commit[:12]}"
        for rec in target.series:
            patches = rec.patches + new_patches
            first_new = len(rec.patches)
            with SeriesEngine(r.repo, patches) as engine:
                result = engine.evaluate(commit, carried_by=carrier(engine) if carrier else None)
                for i, (a, res) in enumerate(zip(added, result.results[first_new:]), start=first_new):
                    if res.status == FAILS:
                        raw = _raw_exists(engine, commit, parsed[a.name])
                        if raw:
                            raise OxtUserError(f"{a.source}: a -p0 patch: {raw} exists in the tree but do_patch "
                                               "strips one directory (-p1); regenerate it with a/ b/ prefixes")
                        created = [h for h in res.rejects if "already exists" in h.reason]
                        if created:
                            raise OxtUserError(f"{a.source}: creates {created[0].file}, which already exists "
                                               f"on {where} (after the queue before it); drop that part or "
                                               "make it modify the file")
                        raise OxtUserError(f"{a.source}: does not apply on top of {rec.recipe}'s series on {where}: "
                                           f"{res.detail}; rebase it on the pinned commit with the queue applied")
                    if res.status == CARRIED:
                        raise OxtUserError(f"{a.source}: upstream already carries it on {where} "
                                           f"({res.carried_by}); nothing to queue")
                    if res.status == FUZZ and a.status.startswith("refreshed"):
                        continue  # rewritten on the first recipe's series already
                    if res.status == FUZZ:
                        if not refresh:
                            raise OxtUserError(
                                f"{a.source}: applies only with fuzz {res.fuzz} on {where} ({res.detail}); "
                                "OE's patch QA rejects fuzz (patch-fuzz is in ERROR_QA) — pass --refresh to "
                                "queue it rewritten to apply exactly, or rebase it")
                        from oxt.xen.refresh import rebuild

                        before, after = engine.contents_around(commit, i)
                        a.data = rebuild(patches[i], before, after)
                        a.status = f"refreshed (was fuzz {res.fuzz})"
                    elif not a.status.startswith(("refreshed", "offset")):
                        a.status = res.label if res.status == OFFSET else "clean"
    finally:
        r.cache.__exit__(None, None, None)


def write_add(checkout: Checkout, manifest, track, added: list[Added], why: str) -> list[str]:
    from oxt import changeset
    from oxt.manifest import Patch
    from oxt.manifest_edit import ManifestDocument

    purpose = _why(why)
    doc = ManifestDocument.load(checkout)
    queue = [*track.patches, *(Patch(a.name, purpose) for a in added)]
    doc.set_patch_queue(track.branch, queue)
    add = {manifest.xen_patch_path(a.name): a.data for a in added}
    changeset.write(changeset.plan_changes(checkout, doc, add=add))
    return []


def remove(checkout: Checkout, opts: Options, names: list[str]) -> tuple[object, list[str], list[str]]:
    """Drop *names* from the track's OpenXT queue (and their files, unless another track uses them)."""
    from oxt import changeset
    from oxt.manifest import load_manifest
    from oxt.manifest_edit import ManifestDocument

    manifest = load_manifest(checkout)
    track = manifest.xen.track(opts.track) if opts.track else manifest.xen.preferred_track
    queued = [q.file for q in track.patches]
    drop = []
    for n in names:
        key = Path(str(n)).name if Path(str(n)).name in queued else str(n).removeprefix("openxt/")
        if key not in queued:
            listing = ", ".join(queued) or "none"
            raise OxtUserError(f"{n}: not in {track.branch}'s OpenXT queue (queued: {listing})")
        if key in drop:
            raise OxtUserError(f"{n}: given twice")
        drop.append(key)
    doc = ManifestDocument.load(checkout)
    doc.set_patch_queue(track.branch, [q for q in track.patches if q.file not in drop])
    used_elsewhere = {q.file for t in manifest.xen.tracks if t.branch != track.branch for q in t.patches}
    files = [manifest.xen_patch_path(f) for f in drop if f not in used_elsewhere]
    changeset.write(changeset.plan_changes(checkout, doc, remove=files))
    return track, drop, []
