"""Crash-safe multi-file writes: every byte first, then a journal, the writes, the journal last.

Every command that writes more than one file (``bump xen``, ``xsa add``,
``render``, ...) collects its writes in a :class:`Transaction` and applies it
in one go::

    tx = Transaction(checkout.root, "oxt bump xen")
    tx.write(path, data)                      # create or replace (bytes or str)
    tx.delete(path, prune_below=xsa_dir)      # ...and the directories it empties below xsa_dir
    tx.commit_when_done(message)              # optional: one git commit of exactly these files
    tx.apply()                                # WriteError (exit 2) on failure, tree as it was

and every command first calls :func:`recover` (``cli.main`` does), which
finishes an operation a killed run left half-done and says so.

How: the journal lives in the checkout's git directory (``.git/oxt-journal/``;
``.oxt-journal/`` in a checkout that is not a git repository):

1. ``blobs/<sha256>``: the new and the old content of every file, fsync'ed;
2. ``journal.json``, written atomically (temp file, fsync, rename): per path
   its old and new sha256 (``null``: absent), the optional commit, and the
   direction ("forward"). Its rename is the point of no return;
3. the writes and deletions, each file atomically, then the commit;
4. ``journal.json`` removed, then the blobs.

A kill before 2 leaves the tree untouched; after 4 it is complete; in
between, the journal says what every file must become, and :func:`recover`
writes what is still missing (forward). Forward is impossible only when a
new blob is gone or damaged: then it restores the old files (back). A
Python error during 3 (a full disk, a read-only file) rolls back at once; if
even that fails, the journal is turned around ("back") and the next command
finishes the rollback. A file that is neither its old nor its new content
was changed by hand since: nothing is overwritten and the command stops,
naming it.

One writer at a time: the checkout's root directory is ``flock``-ed while a
transaction or a recovery runs, and the git commands of the commit hold the
lock too (:mod:`oxt.locking`).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from oxt import gitcommit
from oxt.errors import OxtUserError
from oxt.fsutil import TMP_SUFFIX, atomic_write, fsync_dir, tmp_prefix
from oxt.locking import HeldLock

JOURNAL_DIR = "oxt-journal"
# what the journal calls the running command; cli.main sets it from the command line
command_line = "oxt"
FORMAT = 1
# room for journal.json, the temporary files of the atomic writes and directory blocks
_SPACE_MARGIN = 64 * 1024


class WriteError(OxtUserError):
    """The checkout cannot be written (full disk, read-only, permissions); it was left as it was."""


class JournalConflict(OxtUserError):
    """An interrupted operation cannot be finished: a file it covers was changed since."""


def git_dir(root: Path) -> Path | None:
    """The git directory of the checkout at *root* (``.git``, or where a worktree's ``.git`` file points)."""
    dot = Path(root) / ".git"
    if dot.is_dir():
        return dot
    if dot.is_file():
        text = dot.read_text(errors="replace").strip()
        if text.startswith("gitdir:"):
            target = Path(text.removeprefix("gitdir:").strip())
            return target if target.is_absolute() else (Path(root) / target).resolve()
    return None


def journal_dir(root: Path) -> Path:
    gd = git_dir(root)
    return gd / JOURNAL_DIR if gd else Path(root) / f".{JOURNAL_DIR}"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


@dataclass
class _Entry:
    path: str  # relative to the root
    new: bytes | None
    old: bytes | None = None
    mode: int | None = None  # old permissions, restored on the way back
    mtime_ns: int | None = None  # old modification time, restored on the way back
    prune_below: str | None = None  # deletions: remove emptied directories up to (not including) this one


@dataclass
class Transaction:
    """Writes and deletions under *root*, applied all or nothing by :meth:`apply`."""

    root: Path
    command: str = ""  # default: the command line being run (command_line)
    stream: object = None
    entries: dict[str, _Entry] = field(default_factory=dict)
    message: str | None = None  # commit message, when the operation ends in a git commit

    def __post_init__(self):
        self.root = Path(self.root).resolve()
        self.command = self.command or command_line

    def _rel(self, path: Path) -> str:
        path = Path(path)
        full = path if path.is_absolute() else self.root / path
        try:
            return full.resolve().relative_to(self.root).as_posix()
        except ValueError:
            raise ValueError(f"{path} is outside the checkout {self.root}") from None

    def write(self, path: Path, data: bytes | str) -> None:
        raw = data.encode() if isinstance(data, str) else bytes(data)
        rel = self._rel(path)
        self.entries[rel] = _Entry(rel, raw)

    def delete(self, path: Path, *, prune_below: Path | None = None) -> None:
        rel = self._rel(path)
        self.entries[rel] = _Entry(rel, None, prune_below=self._rel(prune_below) if prune_below else None)

    def commit_when_done(self, message: str) -> None:
        """End the operation with one git commit of exactly the files it writes and deletes."""
        self.message = message

    @property
    def paths(self) -> list[Path]:
        return [self.root / rel for rel in sorted(self.entries)]

    # -- applying ---------------------------------------------------------------
    def apply(self) -> str | None:
        """Write everything (journaled); the new commit when :meth:`commit_when_done` asked for one."""
        with HeldLock(self.root, what=f"the checkout {self.root}", stream=self.stream or sys.stderr) as lock:
            _recover_locked(self.root, self.stream, lock.fd)  # an API caller may not have called recover()
            self._read_old()
            changes = [e for e in self.entries.values() if e.old != e.new]
            if not changes:  # nothing to write, and nothing to commit
                return None
            base = gitcommit.head(self.root) if self.message is not None else None
            self._preflight(changes)
            jdir = journal_dir(self.root)
            record = self._record(changes, base)
            try:
                _write_journal(jdir, changes, record)
            except OSError as err:
                shutil.rmtree(jdir, ignore_errors=True)
                raise _write_error(err, self.root, jdir, rolled_back=True) from None
            try:
                _forward(self.root, record, {e.path: e.new for e in changes if e.new is not None})
                if base:
                    record["commit"]["begun"] = True  # from here on git's lock files may be ours
                    _write_record(jdir, record)
                new = _finish_commit(self.root, record, lock.fd) if base else None
            except (OSError, OxtUserError) as err:
                if base and record["commit"]["moved"]:
                    # the branch moved: only forward is left, and the next command finishes it
                    if isinstance(err, OSError):
                        raise _write_error(err, self.root, jdir, rolled_back=False, forward=True) from None
                    raise
                self._roll_back(jdir, record, changes, err)
            _done(jdir, self.root, record)
            return new

    def _read_old(self) -> None:
        for e in self.entries.values():
            path = self.root / e.path
            if path.is_dir():
                raise WriteError(f"{e.path}: is a directory where oxt must write a file; move it away")
            e.old = _read(path)
            if e.old is not None:
                st = path.stat()
                e.mode, e.mtime_ns = st.st_mode & 0o7777, st.st_mtime_ns

    def _record(self, changes: list[_Entry], base: str | None) -> dict:
        files = [{"path": e.path, "old": _sha(e.old) if e.old is not None else None,
                  "new": _sha(e.new) if e.new is not None else None, "mode": e.mode, "mtime_ns": e.mtime_ns,
                  "prune_below": e.prune_below} for e in changes]
        record = {"format": FORMAT, "command": self.command, "pid": os.getpid(), "started": time.time(),
                  "direction": "forward", "files": files, "commit": None}
        if base is not None:
            record["commit"] = {"base": base, "message": self.message, "paths": sorted(self.entries),
                                "begun": False, "moved": False}
        return record

    def _preflight(self, changes: list[_Entry]) -> None:
        """Refuse before the first byte when the tree is read-only or the disk too full."""
        jdir = journal_dir(self.root)
        for target in [*(self.root / e.path for e in changes), jdir / "journal.json"]:
            probe = target.parent
            while not probe.exists() and probe != probe.parent:
                probe = probe.parent
            if not os.access(probe, os.W_OK):
                code = errno.EROFS if _read_only_fs(probe) else errno.EACCES
                raise _write_error(OSError(code, os.strerror(code), str(target)), self.root, jdir,
                                   rolled_back=True)
        probe = jdir.parent if jdir.parent.exists() else self.root
        st = os.statvfs(probe)
        block = st.f_frsize or 4096

        def blocks(n: int) -> int:  # a file takes whole blocks (a tmpfs page, an ext4 block)
            return (n // block + 1) * block

        blobs = {_sha(b): len(b) for e in changes for b in (e.old, e.new) if b is not None}
        need = (sum(blocks(n) for n in blobs.values()) + sum(blocks(len(e.new)) for e in changes if e.new is not None)
                + _SPACE_MARGIN)
        free = st.f_bavail * st.f_frsize
        if free < need:
            raise WriteError(f"{self.root}: not enough free space to write the change safely: it needs "
                             f"{_kib(need)} (the new files and the journal), {_kib(free)} are free; the checkout "
                             "is unchanged — free some space and rerun")

    def _roll_back(self, jdir: Path, record: dict, changes: list[_Entry], err: Exception) -> None:
        record["direction"] = "back"
        try:
            _write_record(jdir, record)  # if restoring fails too, the next command goes on backwards
            _backward(self.root, record, {e.path: e.old for e in changes if e.old is not None})
            _done(jdir, self.root, record)
            rolled_back = True
        except OSError:
            rolled_back = False
        if isinstance(err, OSError):
            raise _write_error(err, self.root, jdir, rolled_back=rolled_back) from None
        raise err


# -- the journal on disk --------------------------------------------------------


def _write_journal(jdir: Path, changes: list[_Entry], record: dict) -> None:
    if jdir.exists():
        shutil.rmtree(jdir)  # leftovers of a run killed before its journal was complete
    blobs = jdir / "blobs"
    blobs.mkdir(parents=True)
    for data in {_sha(b): b for e in changes for b in (e.old, e.new) if b is not None}.items():
        sha, raw = data
        atomic_write(blobs / sha, raw, durable=True)
    fsync_dir(blobs)
    _write_record(jdir, record)


def _write_record(jdir: Path, record: dict) -> None:
    atomic_write(jdir / "journal.json", json.dumps(record, indent=1, sort_keys=True) + "\n", durable=True)
    fsync_dir(jdir)


def _blob(jdir: Path, sha: str) -> bytes | None:
    data = _read(jdir / "blobs" / sha)
    return data if data is not None and _sha(data) == sha else None


def _current(root: Path, rel: str) -> str | None:
    data = _read(root / rel)
    return _sha(data) if data is not None else None


def _clear_tmp(path: Path) -> None:
    """Temporary files of an atomic write a kill interrupted (``.name.XXXX.tmp``)."""
    if path.parent.is_dir():
        for tmp in path.parent.glob(f"{tmp_prefix(path)}*{TMP_SUFFIX}"):
            tmp.unlink(missing_ok=True)


def _put(root: Path, f: dict, sha: str | None, data: bytes | None) -> None:
    path = root / f["path"]
    if sha is None:
        path.unlink(missing_ok=True)
        if f.get("prune_below"):
            stop = root / f["prune_below"]
            parent = path.parent
            while parent != stop and parent.is_relative_to(stop) and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
    else:
        atomic_write(path, data, durable=True, mode=f.get("mode") if f.get("mode") is not None else None)


def _towards(side: str, root: Path, record: dict, data: dict[str, bytes]) -> list[str]:
    """Make every file its *side* ("new": forward, "old": back) content; the paths that needed it."""
    done = []
    for f in record["files"]:
        _clear_tmp(root / f["path"])
        if _current(root, f["path"]) != f[side]:
            _put(root, f, f[side], data.get(f["path"]))
            done.append(f["path"])
        if side == "old" and f["old"] is not None and f.get("mtime_ns") is not None:  # content and time
            os.utime(root / f["path"], ns=(f["mtime_ns"], f["mtime_ns"]))
    return done


def _forward(root: Path, record: dict, data: dict[str, bytes]) -> list[str]:
    return _towards("new", root, record, data)


def _backward(root: Path, record: dict, data: dict[str, bytes]) -> list[str]:
    return _towards("old", root, record, data)


def _finish_commit(root: Path, record: dict, fd: int) -> str:
    c = record["commit"]
    jdir = journal_dir(root)
    new = gitcommit.already_committed(root, c["base"], c["message"])
    if new is None:
        new = gitcommit.commit(root, c["base"], c["paths"], c["message"], index_file=jdir / "index", fds=(fd,))
    c["moved"] = True  # from here on only forward is possible
    gitcommit.refresh_index(root, c["paths"], fds=(fd,))
    return new


def _done(jdir: Path, root: Path, record: dict) -> None:
    for d in sorted({(root / f["path"]).parent for f in record["files"]}):
        if d.is_dir():
            fsync_dir(d)
    (jdir / "journal.json").unlink(missing_ok=True)
    fsync_dir(jdir)
    shutil.rmtree(jdir, ignore_errors=True)


# -- recovery --------------------------------------------------------------------


def recover(root: Path, stream=None) -> str | None:
    """Finish (or undo) an operation a killed oxt left in *root*; what was done, None if nothing was pending."""
    root = Path(root).resolve()
    if not journal_dir(root).exists():
        return None
    with HeldLock(root, what=f"the checkout {root}", stream=stream or sys.stderr) as lock:
        return _recover_locked(root, stream, lock.fd)


def _recover_locked(root: Path, stream, fd: int) -> str | None:
    jdir = journal_dir(root)
    if not jdir.exists():
        return None
    record_path = jdir / "journal.json"
    out = stream or sys.stderr
    if not record_path.exists():
        # killed while writing the blobs (nothing written yet) or after the end (everything written)
        shutil.rmtree(jdir, ignore_errors=True)
        return None
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError) as err:
        raise JournalConflict(f"{record_path}: the journal of an interrupted oxt run is unreadable ({err}); "
                              f"check `git status`, restore what it lists, then delete {jdir}") from None
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record["started"]))
    who = f"`{record['command']}` (pid {record['pid']}, started {started})"
    files = record["files"]
    new_data = {f["path"]: _blob(jdir, f["new"]) for f in files if f["new"]}
    old_data = {f["path"]: _blob(jdir, f["old"]) for f in files if f["old"]}
    direction = record.get("direction", "forward")
    if direction == "forward" and any(v is None for v in new_data.values()):
        direction = "back"  # a new content is lost: forward is impossible
        if record.get("commit") and record["commit"].get("moved"):
            raise JournalConflict(f"the interrupted {who} committed but its journal in {jdir} is damaged; "
                                  f"check the commit (git show) and delete {jdir}")
    wanted = "new" if direction == "forward" else "old"
    data = new_data if direction == "forward" else old_data
    if direction == "back" and any(v is None for v in old_data.values()):
        raise JournalConflict(f"the interrupted {who} can be neither finished nor undone: its journal in {jdir} "
                              f"is damaged; check `git status` and `git diff`, restore the files, then delete {jdir}")
    conflicts = [f["path"] for f in files if _current(root, f["path"]) not in (f["old"], f["new"])]
    if conflicts:
        raise JournalConflict(
            f"an interrupted {who} left its journal in {jdir}, but {', '.join(conflicts)} changed since; "
            f"to let oxt {'finish' if direction == 'forward' else 'undo'} it, put back what you changed "
            f"(e.g. git checkout -- {' '.join(conflicts)}) and rerun; to drop it, delete {jdir} and sort the "
            "half-written files out yourself (git status)")
    git = record.get("commit")
    if direction == "forward" and git and git.get("begun"):
        for lock in gitcommit.stale_locks(root, record["started"]):
            lock.unlink(missing_ok=True)
            print(f"oxt: removed {lock}, left by the interrupted run's git", file=out)
    try:
        changed = (_forward if direction == "forward" else _backward)(root, record, data)
        commit = _finish_commit(root, record, fd) if direction == "forward" and git else None
        _done(jdir, root, record)
    except OSError as err:
        where, what, fix = _cause(err, root)
        raise WriteError(f"an interrupted {who} is pending in {jdir} and cannot be "
                         f"{'finished' if direction == 'forward' else 'undone'} now: {where}: {what} — {fix}; "
                         "every oxt command tries again first") from None
    verb = "finished" if direction == "forward" else "undid"
    detail = f"{len(changed)} of {len(files)} file(s) still to {'write' if wanted == 'new' else 'restore'}"
    if commit:
        detail += f", commit {commit[:12]}"
    message = f"oxt: {verb} the interrupted {who}: {detail}"
    print(message, file=out)
    return message


# -- messages --------------------------------------------------------------------


def _kib(n: int) -> str:
    return f"{(n + 1023) // 1024} KiB"


def _read_only_fs(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _cause(err: OSError, root: Path) -> tuple[str, str, str]:
    """(the file, what went wrong, what to do) for an OSError while writing the checkout."""
    where = err.filename or str(root)
    try:
        where = str(Path(where).resolve().relative_to(root))
    except ValueError:
        pass
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return where, f"no space left on the device ({err.strerror})", "free some space and rerun"
    if err.errno == errno.EROFS:
        return where, "the checkout is on a read-only file system", ("run oxt in a writable clone, or remount it "
                                                                     "read-write")
    if err.errno in (errno.EACCES, errno.EPERM):
        return where, "permission denied", (f"make the checkout writable for this user "
                                            f"(ls -ld {Path(where).parent if where != str(root) else root})")
    return where, f"cannot write: {err.strerror or err}", "fix that and rerun"


def _write_error(err: OSError, root: Path, jdir: Path, *, rolled_back: bool, forward: bool = False) -> WriteError:
    where, what, fix = _cause(err, root)
    if forward:
        state = f"the commit is made; the next oxt command finishes the rest (journal {jdir})"
    elif rolled_back:
        state = "the checkout is unchanged"
    else:
        state = f"the change is half undone: the next oxt command finishes undoing it (journal {jdir})"
    return WriteError(f"{where}: {what}; {state} — {fix}")
