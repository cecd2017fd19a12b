"""Git mode: the target RELEASE tag's signature, checked with `git verify-tag` against the pinned
Xen.org key. A test key generated here signs tags of a copy of the fixture upstream; each state
the summary can report is produced for real."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import git
import pytest

from fixtures import xen_upstream as F
from fixtures.checkout import snapshot
from oxt.cli import main
from oxt.xen import gpg

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg not installed")]


def _gpg(home, *args, **kw):
    return subprocess.run(["gpg", "--batch", "--no-tty", *args], env={**os.environ, "GNUPGHOME": str(home)},
                          check=True, capture_output=True, text=True, **kw)


def _new_key(home, uid) -> str:
    _gpg(home, "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")
    listing = _gpg(home, "--with-colons", "--list-secret-keys", uid).stdout
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """A keyring with two test keys: "xen" (stands in for Xen.org) and "other"."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    fprs = {"xen": _new_key(home, "Test Xen.org <pgp@xen.invalid>"),
            "other": _new_key(home, "Someone Else <other@xen.invalid>")}
    yield home, fprs
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env={**os.environ, "GNUPGHOME": str(home)}, check=False)


@pytest.fixture(scope="module")
def signed(upstream, keys, tmp_path_factory):
    """The fixture upstream with RELEASE-4.7.1 (the tip of stable-4.7) signed by the "xen" key,
    RELEASE-4.6.5 signed by "other" and RELEASE-4.6.3 tampered with after signing."""
    home, fprs = keys
    path = tmp_path_factory.mktemp("signed") / "xen.git"
    git.Repo.clone_from(str(upstream.path), str(path), bare=True, mirror=True).close()
    env = {**os.environ, "GNUPGHOME": str(home)}

    def sign(tag, who):
        subprocess.run(["git", "-C", str(path), "-c", f"user.signingkey={fprs[who]}", "tag", "-f", "-s", tag,
                        "-m", f"Xen {tag}", f"{tag}^{{commit}}"], env=env, check=True, capture_output=True)

    sign("RELEASE-4.7.1", "xen")
    sign("RELEASE-4.6.5", "other")
    sign("RELEASE-4.6.3", "xen")
    body = subprocess.run(["git", "-C", str(path), "cat-file", "tag", "RELEASE-4.6.3"], check=True,
                          capture_output=True, text=True).stdout
    forged = subprocess.run(["git", "-C", str(path), "mktag"], input=body.replace("Xen RELEASE-4.6.3",
                            "Xen RELEASE-4.6.3, trust me"), check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run(["git", "-C", str(path), "update-ref", "refs/tags/RELEASE-4.6.3", forged], check=True)
    return path.resolve().as_uri()


@pytest.fixture
def run(signed, upstream, keys, tmp_path, capsys):
    co = F.make_checkout(tmp_path / "co", upstream, xsas=())

    def oxt(*args, gpg_home=None):
        home = gpg_home if gpg_home is not None else keys[0]
        before = snapshot(co)
        code = main(["--root", str(co), "bump", "xen", "-q", "--remote", signed, "--cache-dir",
                     str(tmp_path / "cache"), "--gpg-home", str(home), *args])
        out, err = capsys.readouterr()
        return code, out, err, snapshot(co) == before
    return oxt


@pytest.fixture
def pinned_test_key(keys, monkeypatch):
    """The "xen" test key stands in for Xen.org's pinned fingerprint."""
    monkeypatch.setattr(gpg, "XEN_SIGNING_KEY", keys[1]["xen"])
    return keys[1]["xen"]


def test_a_release_signed_by_the_pinned_key_is_verified(run, pinned_test_key):
    code, out, err, _ = run("--new-track", "stable-4.7", "--json")
    assert code == 0, err
    (t,) = json.loads(out)["tracks"]
    assert t["new"]["describe"] == "RELEASE-4.7.1"
    assert t["new"]["signature"] == f"signed tag verified (RELEASE-4.7.1, key {pinned_test_key})"
    code, out, err, _ = run("--track", "stable-4.7", "--dry-run", "--format", "markdown", "--require-signature")
    assert code == 0 and out == "", err  # no change: no pull-request body, and the signature still required


def test_the_summary_and_the_pull_request_body_say_it(run, pinned_test_key, signed, upstream, tmp_path):
    code, out, err, _ = run("--new-track", "stable-4.7", "--dry-run", "--format", "markdown")
    assert code == 0, err
    assert f"- signature: signed tag verified (RELEASE-4.7.1, key {pinned_test_key})" in out
    code, out, err, _ = run("--new-track", "stable-4.7", "--commit")
    assert code == 0, err
    assert "stable-4.7: signature: signed tag verified" in out
    co = tmp_path / "co"
    assert "  signature: signed tag verified (RELEASE-4.7.1" in git.Repo(co).head.commit.message


def test_without_the_key_it_is_not_checked_and_required_it_fails(run, pinned_test_key, tmp_path):
    empty = tmp_path / "empty-gnupg"
    empty.mkdir(mode=0o700)
    code, out, err, _ = run("--new-track", "stable-4.7", "--dry-run", "--json", gpg_home=empty)
    assert code == 0, err
    assert json.loads(out)["tracks"][0]["new"]["signature"].startswith("not checked (no key)")
    code, out, err, unchanged = run("--new-track", "stable-4.7", "--require-signature", gpg_home=empty)
    assert code == 2 and unchanged and "Traceback" not in err
    assert "--require-signature: track stable-4.7: the target RELEASE-4.7.1 is not checked (no key)" in err


def test_a_branch_tip_is_unsigned(run, pinned_test_key):
    code, out, err, _ = run("--dry-run", "--format", "markdown")
    assert code == 0, err
    assert "- signature: unsigned (branch tip)" in out
    code, out, err, unchanged = run("--require-signature")
    assert code == 2 and unchanged
    assert "is unsigned (branch tip); bump to a release signed by Xen.org (--to X.Y.Z)" in err


def test_unsigned_and_lightweight_release_tags(run, pinned_test_key):
    code, out, err, _ = run("--to", "4.6.6", "--allow-downgrade", "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(out)["tracks"][0]["new"]["signature"] == "unsigned tag (RELEASE-4.6.6 carries no signature)"
    code, out, err, _ = run("--to", "4.6.4", "--allow-downgrade", "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(out)["tracks"][0]["new"]["signature"] == "unsigned tag (RELEASE-4.6.4 is a lightweight tag)"
    code, out, err, unchanged = run("--to", "4.6.6", "--allow-downgrade", "--require-signature")
    assert code == 2 and unchanged and "is unsigned tag" in err


def test_a_tag_signed_by_another_key_is_refused(run, pinned_test_key, keys):
    code, out, err, unchanged = run("--to", "4.6.5", "--allow-downgrade")
    assert code == 2 and unchanged and "Traceback" not in err
    assert f"tag RELEASE-4.6.5: signed by {keys[1]['other']}, not by the Xen.org key {pinned_test_key}" in err


def test_the_real_pinned_key_is_xen_orgs(run, keys):
    """Without the stand-in, a tag signed by any other key -- our test key -- is refused."""
    assert gpg.XEN_SIGNING_KEY == "23E3222C145F4475FA8060A783FE14C957E82BD9"
    code, out, err, unchanged = run("--new-track", "stable-4.7")
    assert code == 2 and unchanged
    assert f"signed by {keys[1]['xen']}, not by the Xen.org key 23E3222C145F4475FA8060A783FE14C957E82BD9" in err


def test_a_tampered_tag_is_refused(run, pinned_test_key):
    code, out, err, unchanged = run("--to", "4.6.3", "--allow-downgrade")
    assert code == 2 and unchanged
    assert "tag RELEASE-4.6.3: BAD signature" in err


def test_without_gpg_it_is_not_checked(run, pinned_test_key, monkeypatch):
    monkeypatch.setattr(gpg.shutil, "which", lambda name: None)
    code, out, err, _ = run("--new-track", "stable-4.7", "--json")
    assert code == 0, err
    assert json.loads(out)["tracks"][0]["new"]["signature"] == "not checked (gpg not installed)"
