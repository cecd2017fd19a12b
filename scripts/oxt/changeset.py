"""Plan, then write: a manifest edit with its patch files and re-rendered recipes.

A command that changes the checkout (``oxt bump xen``, ``oxt xsa add``) first
computes everything -- the edited manifest (validated as if the new patch files
were there and the dropped ones gone), the files to add and remove, the
rendered recipes -- into a :class:`ChangeSet`, and only then writes it with
:func:`write`: all or nothing. If a write fails midway, every file touched so
far is put back byte for byte::

    doc = ManifestDocument.load(checkout)
    doc.put_track(new_track)
    changes = plan_changes(checkout, doc, add={dest: data}, remove=[old_patch])  # nothing written yet
    rendered = write(changes)                  # manifest, patch files, recipes
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oxt.fsutil import atomic_write
from oxt.manifest import XEN_XSA_DIR, Manifest, manifest_path
from oxt.manifest_edit import ManifestDocument
from oxt.render import XEN_DIR, VERSIONS_INC, apply_plan, plan_render
from oxt.repo import Checkout


@dataclass(frozen=True)
class ChangeSet:
    """Everything one command writes, computed before the first write."""

    checkout: Checkout
    manifest_text: str
    manifest: Manifest  # the validated model of manifest_text: what gets rendered
    add: dict[Path, bytes] = field(default_factory=dict)  # new files (XSA patches) and their bytes
    remove: tuple[Path, ...] = ()  # files to delete (XSA patches upstream now carries)


def touched_paths(checkout: Checkout) -> list[Path]:
    """What a manifest change may write: the manifest, the XSA files, the rendered Xen recipes."""
    root = checkout.root
    paths = [manifest_path(checkout), root / XEN_XSA_DIR, root / XEN_DIR, root / VERSIONS_INC]
    return [p for i, p in enumerate(paths) if i == 0 or p.exists()]


def plan_changes(checkout: Checkout, doc: ManifestDocument, *, add: dict[Path, bytes] | None = None,
                 remove: list[Path] = ()) -> ChangeSet:
    """Validate the edited *doc* as if *add* existed and *remove* did not (ConfigError if invalid)."""
    added, removed = set(add or {}), set(remove)
    manifest = doc.validate(exists=lambda p: Path(p) in added or (Path(p).is_file() and Path(p) not in removed))
    return ChangeSet(checkout, doc.dumps(), manifest, dict(add or {}), tuple(remove))


def write(changes: ChangeSet) -> list[Path]:
    """Write the change set and re-render; returns the rendered files created, updated or deleted."""
    checkout = changes.checkout
    render_plan = plan_render(checkout, changes.manifest)  # refuses hand-written files before any write
    roots = touched_paths(checkout) + list(changes.add)
    saved = _snapshot(roots)
    try:
        for dest, data in changes.add.items():
            atomic_write(dest, data)
        atomic_write(manifest_path(checkout), changes.manifest_text)
        for path in changes.remove:
            _remove(path, checkout.root / XEN_XSA_DIR)
        apply_plan(render_plan)
    except BaseException:
        _restore(saved, [r for r in roots if r.is_dir()])
        raise
    return [checkout.root / p for p in (*render_plan.created, *render_plan.updated, *render_plan.deleted)]


def _remove(path: Path, stop: Path) -> None:
    """Delete *path* and the directories below *stop* it leaves empty (an advisory's xsaN-X.Y/)."""
    path.unlink(missing_ok=True)
    parent = path.parent
    while parent != stop and parent.is_relative_to(stop) and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def _snapshot(paths: list[Path]) -> dict[Path, bytes | None]:
    snap: dict[Path, bytes | None] = {}
    for p in paths:
        if p.is_dir():
            snap.update({f: f.read_bytes() for f in p.rglob("*") if f.is_file()})
        else:
            snap[p] = p.read_bytes() if p.is_file() else None
    return snap


def _restore(snap: dict[Path, bytes | None], roots: list[Path]) -> None:
    for root in roots:
        if root.is_dir():
            for f in root.rglob("*"):
                if f.is_file() and f not in snap:
                    f.unlink()
    for p, data in snap.items():
        if data is None:
            p.unlink(missing_ok=True)
        elif not p.is_file() or p.read_bytes() != data:
            atomic_write(p, data)
