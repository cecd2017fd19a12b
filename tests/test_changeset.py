"""Plan, then write: a change set is validated before the first write, and a write
that fails midway puts every file back byte for byte."""

from __future__ import annotations

import re

import pytest

from fixtures.checkout import MANIFEST, snapshot
from fixtures.recipes import rich_checkout
from oxt import changeset
from oxt.errors import ConfigError, OxtUserError
from oxt.manifest_edit import ManifestDocument
from oxt.render import generated_files, render

XSA = "meta-openxt/recipes-extended/xen/files/xsa"


@pytest.fixture
def rich(tmp_path):
    co = rich_checkout(tmp_path / "co")
    render(co)
    return co


def _queue_472(co):
    """Queue XSA-472 on stable-4.19 in place of XSA-471: one file added, one removed."""
    doc = ManifestDocument.load(co)
    track = doc.validate().xen.track("stable-4.19")
    from dataclasses import replace

    from oxt.manifest import Xsa
    new = Xsa(472, ("xsa472-4.19.patch",), "https://xenbits.xen.org/xsa/advisory-472.html")
    doc.put_track(replace(track, xsa=(new, *track.xsa[1:])))
    return doc, {co.root / XSA / "xsa472-4.19.patch": b"diff\n"}, [co.root / XSA / "xsa471-4.19.patch"]


def test_plan_validates_as_if_the_new_files_existed(rich):
    doc, add, remove = _queue_472(rich)
    with pytest.raises(ConfigError, match="xsa472-4.19.patch"):
        changeset.plan_changes(rich, doc)  # without the file it names
    changes = changeset.plan_changes(rich, doc, add=add, remove=remove)
    assert [x.number for x in changes.manifest.xen.track("stable-4.19").xsa] == [472, 470]
    assert "number: 472" in changes.manifest_text


def test_write_adds_removes_and_renders(rich):
    doc, add, remove = _queue_472(rich)
    rendered = changeset.write(changeset.plan_changes(rich, doc, add=add, remove=remove))
    assert (rich.root / XSA / "xsa472-4.19.patch").read_bytes() == b"diff\n"
    assert not (rich.root / XSA / "xsa471-4.19.patch").exists()
    xen = rich.layer / "recipes-extended/xen"
    assert rendered == [xen / "xen_4.19.bb", xen / "xen-tools_4.19.bb", xen / "xen-libxenstore_4.19.bb"]
    assert "file://xsa/xsa472-4.19.patch" in rendered[0].read_text()


def test_a_write_failing_midway_leaves_the_tree_as_it_was(rich, monkeypatch):
    from oxt import journal

    doc, add, remove = _queue_472(rich)
    changes = changeset.plan_changes(rich, doc, add=add, remove=remove)
    before = snapshot(rich.root, mtimes=False)
    real_put, calls = journal._put, []

    def disk_fills_up(root, f, sha, data):  # the first recipe is half written when the disk fills up
        calls.append(f["path"])
        if f["path"].endswith(".bb") and len([c for c in calls if c.endswith(".bb")]) == 1:
            (root / f["path"]).write_bytes(data[:10])
            raise OSError(28, "No space left on device", str(root / f["path"]))
        real_put(root, f, sha, data)

    monkeypatch.setattr(journal, "_put", disk_fills_up)
    with pytest.raises(journal.WriteError, match="no space left on the device .*the checkout is unchanged"):
        changeset.write(changes)
    assert len(calls) > 3, "the files already written were put back"
    assert snapshot(rich.root, mtimes=False) == before
    assert not journal.journal_dir(rich.root).exists()


def test_a_hand_written_file_stops_the_write_before_anything_is_written(rich):
    doc, add, remove = _queue_472(rich)
    changes = changeset.plan_changes(rich, doc, add=add, remove=remove)
    (rich.root / "meta-openxt/recipes-extended/xen/xen_4.19.bb").write_text("# my own recipe\n")
    before = snapshot(rich.root)
    with pytest.raises(OxtUserError, match="hand-written"):
        changeset.write(changes)
    assert snapshot(rich.root) == before


def test_touched_paths_are_what_a_manifest_change_writes(rich):
    rel = [str(p.relative_to(rich.root)) for p in changeset.touched_paths(rich)]
    assert rel[:4] == [str(MANIFEST), XSA, "meta-openxt/recipes-extended/xen",
                       "meta-openxt/conf/distro/include/openxt-versions.inc"]
    # every other rendered file too (a manifest change re-renders them all): the BSP kernel, icbinn
    rendered = {str(p) for p in generated_files(rich.root)}
    assert set(rel[4:]) == {p for p in rendered if not p.startswith("meta-openxt/recipes-extended/xen/")} - set(rel[:4])
    assert any(p.startswith("meta-openxt-bsp/recipes-kernel/linux/") for p in rel[4:])
    assert len(rel) == len(set(rel))


def test_a_dirty_kernel_recipe_stops_a_committing_change(rich):
    """ensure_clean sees every rendered file: an uncommitted edit of the kernel recipe is not overwritten."""
    import git

    from oxt.errors import GitError
    from oxt.xen.commit import ensure_clean

    repo = git.Repo.init(rich.root)
    repo.git.add("-A")
    repo.index.commit("rendered")
    kernel = next(rich.root / p for p in generated_files(rich.root) if "recipes-kernel/linux" in str(p))
    kernel.write_text(kernel.read_text() + "# my uncommitted tweak\n")
    with pytest.raises(GitError, match=re.escape(str(kernel.relative_to(rich.root)))):
        ensure_clean(rich.root, changeset.touched_paths(rich))
