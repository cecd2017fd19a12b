"""Bad inputs of the commands that write (issue 14): each exits 2 with a message naming what is wrong
and what to do, and leaves the checkout byte for byte (content and mtimes) as it was."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import git
import pytest

from fixtures import xen_upstream as F
from fixtures.checkout import snapshot
from fixtures.sandbox import in_namespace, unshare_prefix
from oxt import journal
from oxt.cli import main

MANIFEST = "recipes-templates/manifest.yml"
XSA_DIR = "meta-openxt/recipes-extended/xen/files/xsa"
OXT = Path(sys.executable).with_name("oxt")


@pytest.fixture(scope="module")
def template(upstream, tmp_path_factory):
    return F.make_checkout(tmp_path_factory.mktemp("bad-inputs") / "co", upstream)


@pytest.fixture
def co(template, tmp_path) -> Path:
    dest = tmp_path / "co"
    shutil.copytree(template, dest, symlinks=True)
    return dest


@pytest.fixture
def patch(upstream, tmp_path) -> Path:
    """An advisory's patch file, as `xsa add` takes it."""
    src = tmp_path / "adv" / "xsa999.patch"
    src.parent.mkdir()
    src.write_text((upstream.patches / f"xsa{F.XSA_PENDING}.patch").read_text())
    return src


COMMANDS = {
    "bump": lambda up, cache, patch: ["bump", "xen", "-q", "--remote", up.url, "--cache-dir", str(cache)],
    "xsa add": lambda up, cache, patch: ["xsa", "add", "999", str(patch), "-q", "--remote", up.url, "--cache-dir",
                                         str(cache)],
    "render": lambda up, cache, patch: ["render"],
}


def refused(co: Path, argv: list[str], capsys, *, match: list[str]) -> str:
    before = snapshot(co)
    code = main(["--root", str(co), *argv])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err
    for m in match:
        assert m in err, err
    assert snapshot(co) == before
    assert not journal.journal_dir(co).exists()
    return err


# -- the manifest -------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("breakage, expected", [
    (("number: 254", "number: two-five-four"), "xen.tracks[0].xsa[2].number: expected the XSA number"),
    (("number: 254", "number: 245"), "xen.tracks[0].xsa[2].number: XSA-245 is queued twice (also [0])"),
    # a line deleted (the file stays behind, applied by no recipe), or deleted badly (two entries folded into one)
    (("            - xsa254-4.6-2.patch\n", ""), f"{XSA_DIR}/xsa254-4.6-2.patch: not in any track's XSA queue"),
    (("    - xsa254-4.6-2.patch\n", ""), "xen.tracks[0].xsa[2].patches[0]: XSA patch file 'xsa254-4.6-1.patch - "
                                       "xsa254-4.6-3.patch' not found"),
])
def test_a_manifest_broken_by_hand_in_the_middle_of_the_queue(co, upstream, tmp_path, patch, capsys, command,
                                                             breakage, expected):
    m = co / MANIFEST
    text = m.read_text()
    assert text.count(breakage[0]) == 1
    m.write_text(text.replace(*breakage))
    line = text[:text.index(breakage[0])].count("\n") + 1 - breakage[0].startswith("    - ")  # the folded line
    err = refused(co, COMMANDS[command](upstream, tmp_path / "cache", patch), capsys, match=[expected])
    if "xsa[2]" in expected:
        assert f"{MANIFEST}:{line}: " in err  # the file and the line of the broken entry


KILLED_BUMP = textwrap.dedent("""
        import os, sys
        from oxt import journal
        from oxt.cli import main
        real, calls = journal._put, []
        def dying(*args):
            calls.append(1)
            if len(calls) > 2:
                os._exit(137)
            real(*args)
        journal._put = dying
        main(sys.argv[1:])
    """)


def killed_bump(co: Path, upstream, cache: Path) -> None:
    """A bump killed (os._exit, no cleanup) after writing two files: its journal is pending."""
    argv = ["--root", str(co), *COMMANDS["bump"](upstream, cache, None)]
    assert subprocess.run([sys.executable, "-c", KILLED_BUMP, *argv], capture_output=True).returncode == 137
    assert (journal.journal_dir(co) / "journal.json").is_file()


def test_a_manifest_edited_while_an_interrupted_bump_is_pending(co, upstream, tmp_path, capsys):
    """A bump killed mid-write, then the manifest edited by hand: no command may finish the bump over
    the edit (nor undo it): each stops, naming the file, and changes nothing."""
    killed_bump(co, upstream, tmp_path / "cache")
    (co / MANIFEST).write_text((co / MANIFEST).read_text() + "# my edit\n")
    for command in (COMMANDS["bump"](upstream, tmp_path / "cache", None), ["render", "--check"]):
        before = snapshot(co)
        code = main(["--root", str(co), *command])
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err
        assert "an interrupted `oxt --root" in err and f"but {MANIFEST} changed since" in err
        assert f"git checkout -- {MANIFEST}" in err
        assert snapshot(co) == before


# -- the XSA directory -------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreferenced_file_in_the_xsa_directory(co, upstream, tmp_path, patch, capsys, command):
    shutil.copy(upstream.patches / f"xsa{F.XSA_STALE}.patch", co / XSA_DIR / "xsa302.patch")
    refused(co, COMMANDS[command](upstream, tmp_path / "cache", patch), capsys,
            match=[f"{XSA_DIR}/xsa302.patch: not in any track's XSA queue (no recipe applies it); queue it for "
                   "its track (oxt xsa add N FILE) or delete it (git rm)"])


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_file_of_the_xsa_queue(co, upstream, tmp_path, patch, capsys, command):
    (co / XSA_DIR / "xsa300.patch").unlink()
    refused(co, COMMANDS[command](upstream, tmp_path / "cache", patch), capsys,
            match=["XSA patch file 'xsa300.patch' not found at meta-openxt/recipes-extended/xen/files/xsa/xsa300.patch",
                   "add the file there (git add it) or remove the entry"])


# -- the cache directory -------------------------------------------------------------


def test_a_cache_directory_that_is_not_a_git_repository(co, upstream, tmp_path, capsys):
    mine = tmp_path / "downloads"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine\n")
    refused(co, ["bump", "xen", "--remote", upstream.url, "--cache-dir", str(mine)], capsys,
            match=[f"cache {mine}: exists and is not a git repository (it holds notes.txt)"])
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_a_cache_directory_of_another_remote(co, upstream, tmp_path, capsys):
    other = tmp_path / "other.git"
    git.Repo.init(other, bare=True).close()
    (other / "x").mkdir()  # anything, so it is not empty
    subprocess.run(["git", "config", "--file", str(other / "config"), "remote.upstream.url",
                    "https://example.org/linux.git"], check=True)
    refused(co, ["bump", "xen", "--remote", upstream.url, "--cache-dir", str(other)], capsys,
            match=[f"cache {other}: belongs to the remote https://example.org/linux.git, not {upstream.url}"])


def test_a_cache_directory_that_is_some_other_git_repository(co, upstream, tmp_path, patch, capsys):
    work = tmp_path / "project"
    git.Repo.init(work).close()
    refused(co, ["xsa", "add", "999", str(patch), "--remote", upstream.url, "--cache-dir", str(work)], capsys,
            match=[f"cache {work}: is a git repository but not an oxt cache of xen.git"])


# -- a full disk ---------------------------------------------------------------------


def test_a_full_disk_midway_through_the_writes(co, upstream, tmp_path, capsys, monkeypatch):
    real, calls = journal._put, []

    def disk_full(root, f, sha, data):
        calls.append(f["path"])
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(root / f["path"]))
        real(root, f, sha, data)

    monkeypatch.setattr(journal, "_put", disk_full)
    refused(co, COMMANDS["bump"](upstream, tmp_path / "cache", None), capsys,
            match=["no space left on the device (No space left on device); the checkout is unchanged — free some "
                   "space and rerun"])


def test_too_little_space_is_refused_before_the_first_write(co, upstream, tmp_path, capsys, monkeypatch):
    real = os.statvfs

    def nearly_full(path):
        st = real(path)
        return os.statvfs_result((st.f_bsize, st.f_frsize, st.f_blocks, 1, 1, st.f_files, st.f_ffree, st.f_favail,
                                  st.f_flag, st.f_namemax))

    monkeypatch.setattr(journal.os, "statvfs", nearly_full)
    refused(co, COMMANDS["bump"](upstream, tmp_path / "cache", None), capsys,
            match=["not enough free space to write the change safely: it needs", "the checkout is unchanged"])


FULL_DISK = textwrap.dedent("""
    import hashlib, json, os, shutil, subprocess, sys
    src, mnt, oxt, leave, *command = sys.argv[1:]
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt], check=True)
    co = os.path.join(mnt, "co")
    shutil.copytree(src, co, symlinks=True)
    def tree():
        out = {}
        for d, _, names in os.walk(co):
            for n in names:
                p = os.path.join(d, n)
                with open(p, "rb") as fh:
                    out[os.path.relpath(p, co)] = (hashlib.sha256(fh.read()).hexdigest(), os.stat(p).st_mtime_ns)
        return out
    st = os.statvfs(mnt)
    with open(os.path.join(mnt, "filler"), "wb") as fh:
        fh.write(b"\\0" * (st.f_bavail * st.f_frsize - int(leave)))
    before = tree()
    r = subprocess.run([oxt, "--root", co, *command], capture_output=True, text=True)
    print(json.dumps({"rc": r.returncode, "err": r.stderr, "same": tree() == before,
                      "journal": os.path.exists(os.path.join(co, ".git", "oxt-journal"))}))
""")


@pytest.mark.skipif(unshare_prefix() is None, reason="no private mount namespace here (unshare -m / -rm): "
                                                      "test_a_full_disk_midway_through_the_writes covers it")
def test_a_real_full_disk(co, upstream, tmp_path):
    """The checkout on a 2 MiB tmpfs filled up to 24 KiB: too little for the bump's files and journal."""
    (tmp_path / "mnt").mkdir()
    r = in_namespace([sys.executable, "-c", FULL_DISK, str(co), str(tmp_path / "mnt"), str(OXT), str(24 * 1024),
                      *COMMANDS["bump"](upstream, tmp_path / "cache", None)])
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["rc"] == 2 and result["same"] and not result["journal"], result
    assert "not enough free space to write the change safely" in result["err"] and "Traceback" not in result["err"]


# -- a read-only checkout -----------------------------------------------------------


READ_ONLY = textwrap.dedent("""
    import json, subprocess, sys
    co, oxt, *command = sys.argv[1:]
    subprocess.run(["mount", "--bind", co, co], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", co], check=True)
    r = subprocess.run([oxt, "--root", co, *command], capture_output=True, text=True)
    print(json.dumps({"rc": r.returncode, "err": r.stderr}))
""")


@pytest.mark.parametrize("command", ["bump", "render"])
def test_a_read_only_checkout(co, upstream, tmp_path, patch, command):
    argv = COMMANDS[command](upstream, tmp_path / "cache", patch)
    if command == "render":  # something to render: a stale recipe
        (co / "meta-openxt/recipes-extended/xen/xen_4.6.bb").write_text(
            (co / "meta-openxt/recipes-extended/xen/xen_4.6.bb").read_text() + "# stale\n")
    before = snapshot(co)
    if unshare_prefix() is not None:  # a read-only mount: what a CI cache or a shared checkout is
        r = in_namespace([sys.executable, "-c", READ_ONLY, str(co), str(OXT), *argv])
        assert r.returncode == 0, r.stderr
        result = json.loads(r.stdout)
        expected = "the checkout is on a read-only file system; the checkout is unchanged — run oxt in a writable clone"
    elif os.geteuid() != 0:  # no namespace: a checkout this user may not write
        subprocess.run(["chmod", "-R", "a-w", str(co)], check=True)
        try:
            r = subprocess.run([str(OXT), "--root", str(co), *argv], capture_output=True, text=True, timeout=300)
        finally:
            subprocess.run(["chmod", "-R", "u+w", str(co)], check=True)
        result = {"rc": r.returncode, "err": r.stderr}
        expected = "permission denied; the checkout is unchanged — make the checkout writable for this user"
    else:
        pytest.skip("root without a private mount namespace cannot make a checkout read-only")
    assert result["rc"] == 2 and "Traceback" not in result["err"], result
    assert expected in result["err"]
    assert snapshot(co) == before


@pytest.mark.skipif(unshare_prefix() is None, reason="no private mount namespace here (unshare -m / -rm)")
def test_an_interrupted_bump_pending_in_a_read_only_checkout(co, upstream, tmp_path):
    killed_bump(co, upstream, tmp_path / "cache")
    before = snapshot(co)
    r = in_namespace([sys.executable, "-c", READ_ONLY, str(co), str(OXT), "render", "--check"])
    result = json.loads(r.stdout)
    assert result["rc"] == 2 and "Traceback" not in result["err"], result
    assert "is pending in" in result["err"] and "cannot be finished now" in result["err"]
    assert "the checkout is on a read-only file system — run oxt in a writable clone" in result["err"]
    assert snapshot(co) == before
    assert "finished the interrupted" in subprocess.run([str(OXT), "--root", str(co), "render", "--check"],
                                                        capture_output=True, text=True).stderr  # writable again


# -- a remote that is a web page ------------------------------------------------------


@pytest.fixture
def html_remote():
    """A loopback server answering everything with a login page (a captive portal, a proxy)."""
    servers = []

    def serve(status: int) -> str:
        class Page(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                body = b"<!DOCTYPE html><html><head><title>Sign in to the guest network</title></head>" \
                       b"<body>Please sign in</body></html>"
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/git-http/xen.git"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status, said", [
    (200, "lists no branches or tags (the server answered with an HTML page, HTTP 200, titled 'Sign in to the "
          "guest network', not git); it is not xen.git"),
    (503, "The requested URL returned error: 503 (the server answered with an HTML page, HTTP 503, titled 'Sign in "
          "to the guest network', not git)"),
])
def test_a_remote_answering_with_an_html_page(co, tmp_path, html_remote, capsys, status, said):
    url = html_remote(status)
    refused(co, ["bump", "xen", "--remote", url, "--cache-dir", str(tmp_path / "cache")], capsys,
            match=[url, said])
    assert not (tmp_path / "cache").exists(), "refused before the cache was made"
