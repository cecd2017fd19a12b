"""Tarball mode: download from a loopback HTTP server the test starts, sha256,
signature handling, and `bump xen --mode tarball` end to end."""

import functools
import hashlib
import http.server
import json
import shutil
import threading

import pytest

from fixtures import xen_upstream as F
from fixtures.checkout import snapshot
from oxt.cli import main
from oxt.xen.tarball import DownloadError, fetch_release


@pytest.fixture
def http_root(tmp_path):
    root = tmp_path / "www"
    for v in ("4.6.6", "4.7.1"):
        (root / v).mkdir(parents=True)
        (root / v / f"xen-{v}.tar.gz").write_bytes(f"tarball of xen {v}\n".encode() * 5000)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/{{version}}/xen-{{version}}.tar.gz"
    server.shutdown()
    server.server_close()


def test_download_sha256_and_unsigned(http_root, tmp_path):
    root, template = http_root
    tb = fetch_release("4.6.6", url_template=template, download_dir=tmp_path / "dl", progress=False)
    assert tb.sha256 == hashlib.sha256((root / "4.6.6" / "xen-4.6.6.tar.gz").read_bytes()).hexdigest()
    assert tb.signature.startswith("not checked")
    with pytest.raises(DownloadError, match="--require-signature"):
        fetch_release("4.6.6", url_template=template, download_dir=tmp_path / "dl", progress=False,
                      require_signature=True)


def test_missing_tarball_is_a_user_error(http_root, tmp_path):
    _, template = http_root
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch_release("4.6.5", url_template=template, download_dir=tmp_path / "dl", progress=False)
    assert [p.name for p in (tmp_path / "dl").iterdir()] == [".lock"]  # the directory's lock, nothing downloaded


def test_bump_switches_track_to_tarball(http_root, upstream, tmp_path, capsys):
    root, template = http_root
    co = F.make_checkout(tmp_path / "co", upstream, xsas=(F.XSA_PENDING,))
    code = main(["--root", str(co), "bump", "xen", "-q", "--json", "--mode", "tarball", "--to", "4.6.6",
                 "--allow-downgrade", "--remote", upstream.url, "--cache-dir", str(tmp_path / "c.git"),
                 "--tarball-url", template, "--download-dir", str(tmp_path / "dl")])
    out, err = capsys.readouterr()
    assert code == 0, err
    t = json.loads(out)["tracks"][0]
    sha = hashlib.sha256((root / "4.6.6" / "xen-4.6.6.tar.gz").read_bytes()).hexdigest()
    assert t["mode"] == "tarball" and t["new"]["version"] == "4.6.6" and t["new"]["sha256"] == sha
    text = (co / "recipes-templates/manifest.yml").read_text()
    assert "mode: tarball" in text and f"sha256: {sha}" in text and "version: 4.6.6" in text
    assert "srcrev:" not in text.split("linux:")[0]


def test_require_signature_without_key_changes_nothing(http_root, upstream, tmp_path, capsys):
    _, template = http_root
    co = F.make_checkout(tmp_path / "co", upstream, xsas=())
    before = snapshot(co)
    code = main(["--root", str(co), "bump", "xen", "-q", "--mode", "tarball", "--to", "4.6.6",
                 "--allow-downgrade", "--require-signature", "--remote", upstream.url,
                 "--cache-dir", str(tmp_path / "c.git"), "--tarball-url", template,
                 "--download-dir", str(tmp_path / "dl"), "--gpg-home", str(tmp_path / "gnupg")])
    err = capsys.readouterr().err
    assert code == 2 and "--require-signature" in err and "Traceback" not in err
    assert snapshot(co) == before


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg not installed")
def test_good_and_bad_signature(http_root, tmp_path):
    import subprocess

    root, template = http_root
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
    try:
        _signature_cases(subprocess, env, home, root, template, tmp_path)
    finally:  # gpg starts an agent per home: stop it, or it outlives the test run
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False)


def _signature_cases(subprocess, env, home, root, template, tmp_path):
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Test Xen <t@x.invalid>",
                    "ed25519", "sign", "never"], env=env, check=True, capture_output=True)
    fpr = subprocess.run(["gpg", "--batch", "--with-colons", "--list-keys"], env=env, check=True,
                         capture_output=True, text=True).stdout.split("fpr:::::::::")[1].split(":")[0]
    tar = root / "4.6.6" / "xen-4.6.6.tar.gz"
    subprocess.run(["gpg", "--batch", "--detach-sign", "-o", f"{tar}.sig", str(tar)], env=env, check=True)
    tb = fetch_release("4.6.6", url_template=template, download_dir=tmp_path / "dl", progress=False,
                       require_signature=True, key=fpr, gpg_home=home)
    assert tb.signature == f"verified ({fpr})"
    # the default key (Xen.org's) did not sign it: refused even though gpg knows the signer
    with pytest.raises(DownloadError, match="not by the Xen.org key"):
        fetch_release("4.6.6", url_template=template, download_dir=tmp_path / "dl2", progress=False,
                      gpg_home=home)
    tar.write_bytes(tar.read_bytes() + b"tampered")
    with pytest.raises(DownloadError, match="BAD signature"):
        fetch_release("4.6.6", url_template=template, download_dir=tmp_path / "dl3", progress=False,
                      key=fpr, gpg_home=home)
    assert not (tmp_path / "dl3" / "xen-4.6.6.tar.gz").exists()


def test_a_killed_downloads_temp_file_is_swept(http_root, tmp_path):
    """A SIGKILLed download leaves .NAME.XXXX.tmp behind; the next run (holding the directory's lock) removes it."""
    root, template = http_root
    ddir = tmp_path / "dl"
    ddir.mkdir()
    stale = [ddir / ".xen-4.6.6.tar.gz.k1ll3d.tmp", ddir / ".xen-4.6.6.tar.gz.sig.k1ll3d.tmp"]
    for path in stale:
        path.write_bytes(b"half a tarball")
    other = ddir / ".xen-4.7.1.tar.gz.busy.tmp"  # another file's: not this run's to judge
    other.write_bytes(b"x")
    tb = fetch_release("4.6.6", url_template=template, download_dir=ddir, progress=False)
    assert tb.path.read_bytes() == (root / "4.6.6" / "xen-4.6.6.tar.gz").read_bytes()
    assert not any(p.exists() for p in stale) and other.exists()
    assert sorted(p.name for p in ddir.iterdir()) == [".lock", ".xen-4.7.1.tar.gz.busy.tmp", "xen-4.6.6.tar.gz"]
