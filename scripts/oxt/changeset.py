"""Plan, then write: a manifest edit with its patch files and re-rendered recipes.

A command that changes the checkout (``oxt bump xen``, ``oxt xsa add``) first
computes everything -- the edited manifest (validated as if the new patch files
were there and the dropped ones gone), the files to add and remove, the
rendered recipes -- into a :class:`ChangeSet`, and only then writes it with
:func:`write`: all or nothing, through the journal of :mod:`oxt.journal` (a
write that fails midway is undone at once; a run killed midway is finished by
the next oxt command)::

    doc = ManifestDocument.load(checkout)
    doc.put_track(new_track)
    changes = plan_changes(checkout, doc, add={dest: data}, remove=[old_patch])  # nothing written yet
    rendered = write(changes)                  # manifest, patch files, recipes
    write(changes, commit_message=msg)         # ...and one git commit, in the same journaled operation
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oxt.journal import Transaction
from oxt.manifest import XEN_XSA_DIR, Manifest, manifest_path
from oxt.manifest_edit import ManifestDocument
from oxt.render import XEN_DIR, VERSIONS_INC, generated_files, plan_render, stage
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
    """What a manifest change may write: the manifest, the XSA files, the rendered Xen recipes and
    every other rendered file (a change re-renders them all: an uncommitted edit of, say, the BSP
    layer's kernel recipe would be overwritten and land in the bump's commit)."""
    root = checkout.root
    paths = [manifest_path(checkout), root / XEN_XSA_DIR, root / XEN_DIR, root / VERSIONS_INC]
    listed = [p for i, p in enumerate(paths) if i == 0 or p.exists()]
    others = sorted(root / rel for rel in generated_files(root) if not (root / rel).is_relative_to(root / XEN_DIR))
    return listed + [p for p in others if p not in listed]


def plan_changes(checkout: Checkout, doc: ManifestDocument, *, add: dict[Path, bytes] | None = None,
                 remove: list[Path] = ()) -> ChangeSet:
    """Validate the edited *doc* as if *add* existed and *remove* did not (ConfigError if invalid)."""
    added, removed = set(add or {}), set(remove)
    manifest = doc.validate(exists=lambda p: Path(p) in added or (Path(p).is_file() and Path(p) not in removed))
    return ChangeSet(checkout, doc.dumps(), manifest, dict(add or {}), tuple(remove))


def write(changes: ChangeSet, *, commit_message: str | None = None) -> list[Path]:
    """Write the change set and re-render, journaled (:mod:`oxt.journal`): all or nothing, also
    when the process is killed midway. With *commit_message*, one git commit of exactly the files
    written and removed ends the same journaled operation. Returns the rendered files created,
    updated or deleted."""
    checkout = changes.checkout
    render_plan = plan_render(checkout, changes.manifest)  # refuses hand-written files before any write
    tx = Transaction(checkout.root)
    for dest, data in changes.add.items():
        tx.write(dest, data)
    tx.write(manifest_path(checkout), changes.manifest_text)
    for path in changes.remove:
        tx.delete(path, prune_below=checkout.root / XEN_XSA_DIR)  # and an advisory's emptied xsaN-X.Y/
    stage(render_plan, tx)
    if commit_message is not None:
        tx.commit_when_done(commit_message)
    tx.apply()
    return [checkout.root / p for p in (*render_plan.created, *render_plan.updated, *render_plan.deleted)]
