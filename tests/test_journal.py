"""The journal: a write killed at any point is finished (or undone) by the next command, which says so.

Kills are real: a child process runs a transaction and dies with os._exit -- no Python cleanup,
as SIGKILL -- at the chosen point; the test then recovers as the next `oxt` command would.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import git
import pytest

from fixtures.checkout import snapshot
from oxt import journal
from oxt.journal import JournalConflict, Transaction, WriteError

OLD = {"manifest.yml": "tracks: [4.6]\n", "recipes/xen.bb": "SRCREV = old\n",
       "xsa/xsa245.patch": "diff 245\n", "xsa/xsa254/1.patch": "diff 254-1\n", "xsa/xsa254/2.patch": "diff 254-2\n"}
NEW = {"manifest.yml": "tracks: [4.6] # bumped\n", "recipes/xen.bb": "SRCREV = new\n",
       "recipes/xen-tools.bb": "SRCREV = new\n"}  # xen-tools.bb created; every xsa/ file removed
MESSAGE = "xen: update stable-4.6\n\nthree XSAs dropped\n"

# The child: build the transaction, arrange to die at POINT (os._exit: no cleanup at all), apply.
CHILD = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from oxt import gitcommit, journal
    root, point, n, commit = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "commit"
    new = {NEW!r}
    old = {OLD!r}
    calls = []
    def dying(real):
        def wrapper(*args, **kwargs):
            calls.append(1)
            if len(calls) > n:
                if point == "half-file":  # killed inside an atomic write: a temp file is left
                    f = args[1]
                    target = root / f["path"]
                    (target.parent / f".{{target.name}}.x1y2z3.tmp").write_text("half")
                os._exit(137)
            return real(*args, **kwargs)
        return wrapper
    if point in ("file", "half-file"):
        journal._put = dying(journal._put)
    elif point == "record":  # before journal.json is complete: n=0 its first write, n=1 the 'commit begun' one
        journal._write_record = dying(journal._write_record)
    elif point == "after-update-ref":  # HEAD moved; git's index.lock held when the kill came
        real_commit = gitcommit.commit
        def commit_then_die(*args, **kwargs):
            real_commit(*args, **kwargs)
            (root / ".git" / "index.lock").write_text("")
            os._exit(137)
        journal.gitcommit.commit = commit_then_die
    tx = journal.Transaction(root, "oxt test-write")
    for rel, text in new.items():
        tx.write(root / rel, text)
    for rel in old:
        if rel.startswith("xsa/"):
            tx.delete(root / rel, prune_below=root / "xsa")
    if commit:
        tx.commit_when_done({MESSAGE!r})
    tx.apply()
""").format(NEW=NEW, OLD=OLD, MESSAGE=MESSAGE)


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "co"
    for rel, text in OLD.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "xsa" / "README").write_text("kept: not in the change\n")
    repo = git.Repo.init(root, initial_branch="main")
    repo.git.add("-A")
    repo.git.commit("-qm", "base")
    repo.close()
    return root


def files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def expected_new(root: Path) -> dict[str, str]:
    return {**NEW, "xsa/README": "kept: not in the change\n"}


def kill_at(root: Path, point: str, n: int, *, commit: bool = False) -> int:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(root), point, str(n), "commit" if commit else "-"],
                          capture_output=True, text=True, timeout=60)
    return proc.returncode


def test_a_transaction_writes_deletes_prunes_and_cleans_up(tree):
    tx = Transaction(tree, "oxt test")
    for rel, text in NEW.items():
        tx.write(tree / rel, text)
    for rel in OLD:
        if rel.startswith("xsa/"):
            tx.delete(tree / rel, prune_below=tree / "xsa")
    tx.apply()
    assert files(tree) == expected_new(tree)
    assert not (tree / "xsa" / "xsa254").exists(), "the emptied advisory directory is pruned"
    assert not journal.journal_dir(tree).exists()


N_FILE_OPS = len(NEW) + 3  # 3 writes, 3 deletions


@pytest.mark.parametrize("point", ["file", "half-file"])
@pytest.mark.parametrize("n", range(N_FILE_OPS))
def test_killed_while_writing_is_finished_by_the_next_command(tree, point, n):
    assert kill_at(tree, point, n) == 137
    state = files(tree)
    assert state != expected_new(tree) or n == N_FILE_OPS - 1
    assert (journal.journal_dir(tree) / "journal.json").is_file()
    said = journal.recover(tree)
    assert said.startswith("oxt: finished the interrupted `oxt test-write` (pid ")
    assert f"{N_FILE_OPS - n} of {N_FILE_OPS} file(s) still to write" in said
    assert files(tree) == expected_new(tree), "complete, and no temporary file left"
    assert not journal.journal_dir(tree).exists()
    assert journal.recover(tree) is None  # nothing pending any more


def test_killed_before_the_journal_was_complete_leaves_the_tree_untouched(tree):
    before = snapshot(tree)
    assert kill_at(tree, "record", 0) == 137
    assert journal.journal_dir(tree).is_dir() and not (journal.journal_dir(tree) / "journal.json").exists()
    assert journal.recover(tree) is None  # leftovers removed quietly: nothing had been written
    assert snapshot(tree) == before and not journal.journal_dir(tree).exists()


def test_a_commit_interrupted_before_head_moved_is_made_by_the_next_command(tree):
    base = git.Repo(tree).head.commit.hexsha
    assert kill_at(tree, "record", 1, commit=True) == 137  # files written, commit about to begin
    said = journal.recover(tree)
    assert "finished the interrupted" in said and ", commit " in said
    repo = git.Repo(tree)
    assert repo.head.commit.parents[0].hexsha == base and repo.head.commit.message == MESSAGE
    assert not repo.is_dirty(untracked_files=True)
    assert files(tree) == expected_new(tree)


def test_a_commit_killed_after_head_moved_is_not_made_twice_and_its_stale_lock_goes(tree, capsys):
    base = git.Repo(tree).head.commit.hexsha
    assert kill_at(tree, "after-update-ref", 0, commit=True) == 137
    assert (tree / ".git" / "index.lock").exists()
    said = journal.recover(tree)
    assert "finished the interrupted" in said
    assert "index.lock, left by the interrupted run's git" in capsys.readouterr().err
    repo = git.Repo(tree)
    assert repo.head.commit.parents[0].hexsha == base, "one commit, not two"
    assert repo.git.status("--porcelain") == "", "the index agrees with the commit"


def test_forward_impossible_goes_back(tree):
    before = snapshot(tree, mtimes=False)
    assert kill_at(tree, "file", 1) == 137
    jdir = journal.journal_dir(tree)
    record = json.loads((jdir / "journal.json").read_text())
    lost = next(f["new"] for f in record["files"] if f["path"] == "recipes/xen-tools.bb")
    (jdir / "blobs" / lost).write_text("damaged")
    said = journal.recover(tree)
    assert said.startswith("oxt: undid the interrupted `oxt test-write`")
    assert snapshot(tree, mtimes=False) == before


def test_a_file_changed_since_stops_the_recovery_and_names_it(tree):
    assert kill_at(tree, "file", 2) == 137
    (tree / "manifest.yml").write_text("tracks: [] # edited by hand meanwhile\n")
    during = snapshot(tree)
    with pytest.raises(JournalConflict) as err:
        journal.recover(tree)
    assert "manifest.yml changed since" in str(err.value)
    assert "git checkout -- manifest.yml" in str(err.value) and str(journal.journal_dir(tree)) in str(err.value)
    assert snapshot(tree) == during, "nothing overwritten"
    (tree / "manifest.yml").write_text(OLD["manifest.yml"])  # put back: then it can finish
    assert "finished the interrupted" in journal.recover(tree)
    assert files(tree) == expected_new(tree)


def test_a_failed_write_rolls_back_at_once_and_a_failed_rollback_is_finished_next_time(tree, monkeypatch):
    before = snapshot(tree, mtimes=False)
    real_put, calls = journal._put, []

    def disk_full_after_two(root, f, sha, data):
        calls.append(sha)
        if len(calls) == 3 or (len(calls) > 3 and sha is not None and len(calls) < 6):
            raise OSError(28, "No space left on device", str(root / f["path"]))
        real_put(root, f, sha, data)

    monkeypatch.setattr(journal, "_put", disk_full_after_two)
    tx = Transaction(tree, "oxt test")
    for rel, text in NEW.items():
        tx.write(tree / rel, text)
    with pytest.raises(WriteError, match="no space left on the device .*half undone: the next oxt command finishes "
                                         "undoing it"):
        tx.apply()
    monkeypatch.setattr(journal, "_put", real_put)  # space freed
    assert journal.recover(tree).startswith("oxt: undid the interrupted `oxt test`")
    assert snapshot(tree, mtimes=False) == before


def test_one_writer_at_a_time(tree):
    """A second transaction waits while the checkout's lock is held -- here by a git child of the first."""
    from oxt.locking import HeldLock, LockedGit

    with HeldLock(tree, what="the checkout") as lock:
        child = LockedGit(tree, lock.fd).execute(["sleep", "1"], as_process=True)
    # the lock's owner is gone, its child still holds it
    tx = Transaction(tree, "oxt test", stream=io.StringIO())
    tx.write(tree / "manifest.yml", "waited\n")
    assert child.proc.poll() is None
    tx.apply()
    assert child.proc.poll() is not None, "apply() waited for the child to end"
    err = tx.stream.getvalue()
    assert "waiting for another oxt (or a git command it started) using the checkout" in err
    child.proc.wait()
    assert (tree / "manifest.yml").read_text() == "waited\n"


def test_every_command_finishes_an_interrupted_operation_first(tree, tmp_path):
    """The CLI recovers before the command itself runs, and says so on stderr."""
    from fixtures.checkout import REPO_ROOT

    (tree / "meta-openxt" / "conf").mkdir(parents=True)
    (tree / "meta-openxt" / "conf" / "layer.conf").write_text("# a checkout marker\n")
    assert kill_at(tree, "file", 1) == 137
    exe = Path(sys.executable).with_name("oxt")
    proc = subprocess.run([str(exe), "--root", str(tree), "render", "--check"], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120)
    assert "oxt: finished the interrupted `oxt test-write`" in proc.stderr
    assert proc.returncode == 2 and "manifest" in proc.stderr  # then render itself runs (and finds no manifest)
    assert {k: v for k, v in files(tree).items() if not k.startswith("meta-openxt")} == expected_new(tree)
