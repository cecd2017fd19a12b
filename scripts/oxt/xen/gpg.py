"""Xen.org signatures, checked with gpg: release tarballs' ``.sig`` and signed ``RELEASE-*`` tags.

Xen publishes each release as a tag ``RELEASE-X.Y.Z`` in xen.git and as a
tarball with a detached ``.sig``, both signed with the "Xen.org Xen tree code
signing" key (``pgp@xen.org``) whose fingerprint is pinned in
:mod:`oxt.xen.defaults` (the same key clear-signs the advisories). Where it
comes from: all 122 annotated ``RELEASE-*`` tags of xen.git (RELEASE-4.1.5,
and every release from 4.2.2 to 4.22.0) are signed by key id
``83FE14C957E82BD9``, those since RELEASE-4.8.5 with the issuer fingerprint
subpacket ``23E3222C145F4475FA8060A783FE14C957E82BD9`` (``git cat-file tag
RELEASE-4.19.0 | gpg --list-packets``); the 20 older ones (2.0.0 to 4.2.1) are
lightweight. Distributions pin the same fingerprint for the tarballs (e.g. the
Arch Linux xen PKGBUILDs' ``validpgpkeys``).

A signature is checked when gpg is installed and the key is in the keyring gpg
uses (``GNUPGHOME``, or ``--gpg-home``). A signature that does not verify, or
was made by another key, is always an error; "cannot check" is an error only
with ``--require-signature``. Both checks read gpg's machine-readable status
lines through :func:`judge`: ``gpg --status-fd 1 --verify`` for a tarball,
``--decrypt`` for a clear-signed advisory, ``git verify-tag --raw`` for a tag.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from oxt.errors import OxtUserError
from oxt.xen.defaults import (
    XEN_SIGNING_KEY,  # the pin and where it comes from: oxt.xen.defaults
)

# What the summary, the pull-request body and the commit message say about a git-mode target.
VERIFIED = "signed tag verified"
BRANCH_TIP = "unsigned (branch tip)"
COMMIT = "unsigned (commit)"
UNSIGNED_TAG = "unsigned tag"
NO_KEY = "not checked (no key)"
NO_GPG = "not checked (gpg not installed)"


class SignatureError(OxtUserError):
    """A signature is bad or made by another key, or one is required and cannot be checked."""


def judge(status: str, *, key: str, what: str) -> tuple[bool | None, str]:
    """gpg status lines -> (True, signer fingerprint) | (None, why it cannot be checked).

    SignatureError when the signature is bad or not made by *key* (primary or subkey).
    """
    kinds: dict[str, list[str]] = {}
    for line in status.splitlines():
        if line.startswith("[GNUPG:] "):
            fields = line.split()[1:]
            if fields:
                kinds.setdefault(fields[0], fields[1:])
    if "BADSIG" in kinds:
        raise SignatureError(f"{what}: BAD signature; it is corrupt or was tampered with")
    if "VALIDSIG" in kinds:
        fields = kinds["VALIDSIG"]
        fpr = fields[0].upper()
        primary = fields[-1].upper() if len(fields) >= 10 else fpr
        if key.upper() not in (fpr, primary):
            raise SignatureError(f"{what}: signed by {primary}, not by the Xen.org key {key}")
        return True, primary
    if "NO_PUBKEY" in kinds or "ERRSIG" in kinds:
        return None, f"signing key not in the gpg keyring (import the Xen.org key {key})"
    if "NODATA" in kinds:
        return None, "no signature found"
    return None, "gpg gave no verdict"


def _env(gpg_home: Path | None) -> dict:
    env = dict(os.environ)
    if gpg_home:
        env["GNUPGHOME"] = str(gpg_home)
    return env


def verify_detached(file: Path, sig: Path, *, key: str = XEN_SIGNING_KEY,
                    gpg_home: Path | None = None) -> tuple[bool | None, str]:
    """A detached signature: (True, fpr) good; (None, why) cannot check; SignatureError if bad."""
    gpg = shutil.which("gpg")
    if not gpg:
        return None, "gpg is not installed"
    proc = subprocess.run([gpg, "--batch", "--no-tty", "--status-fd", "1", "--verify", str(sig), str(file)],
                          capture_output=True, text=True, env=_env(gpg_home), check=False)
    ok, detail = judge(proc.stdout, key=key, what=f"{file.name} ({sig.name})")
    if ok is None and detail == "gpg gave no verdict":
        detail = f"gpg could not check the signature: {proc.stderr.strip().splitlines()[-1:] or 'no status'}"
    return ok, detail


def verify_clearsigned(path: Path, *, key: str = XEN_SIGNING_KEY,
                       gpg_home: Path | None = None) -> tuple[bool | None, str, str | None]:
    """A clear-signed text (an advisory): (True, fpr, the signed text) good; (None, why, None) cannot
    check; SignatureError if bad or by another key."""
    gpg = shutil.which("gpg")
    if not gpg:
        return None, "gpg is not installed", None
    with tempfile.TemporaryDirectory(prefix="oxt-gpg-") as tmp:
        out = Path(tmp) / "signed.txt"
        proc = subprocess.run([gpg, "--batch", "--no-tty", "--status-fd", "1", "--output", str(out),
                               "--decrypt", str(path)], capture_output=True, text=True, env=_env(gpg_home),
                              check=False)
        ok, detail = judge(proc.stdout, key=key, what=path.name)
        if ok:
            return True, detail, out.read_text(encoding="utf-8", errors="replace")
    if detail == "gpg gave no verdict":
        last = proc.stderr.strip().splitlines()[-1:] or ["no signature found"]
        detail = f"gpg could not check it: {last[0]}"
    return None, detail, None


@dataclass(frozen=True)
class TagSignature:
    state: str  # one of VERIFIED, UNSIGNED_TAG, NO_KEY, NO_GPG
    detail: str = ""

    @property
    def verified(self) -> bool:
        return self.state == VERIFIED

    def __str__(self) -> str:
        return f"{self.state} ({self.detail})" if self.detail else self.state


def verify_tag(repo_dir: Path, tag: str, *, key: str = XEN_SIGNING_KEY, gpg_home: Path | None = None,
               fds: tuple[int, ...] = ()) -> TagSignature:
    """``git verify-tag`` of refs/tags/*tag* in *repo_dir*; SignatureError if bad or by another key."""
    if not shutil.which("gpg"):
        return TagSignature(NO_GPG)
    kind = subprocess.run(["git", "-C", str(repo_dir), "cat-file", "-t", f"refs/tags/{tag}"], capture_output=True,
                          text=True, check=False, pass_fds=fds).stdout.strip()
    if kind != "tag":
        return TagSignature(UNSIGNED_TAG, f"{tag} is a lightweight tag")
    proc = subprocess.run(["git", "-C", str(repo_dir), "-c", "gpg.program=gpg", "verify-tag", "--raw",
                           f"refs/tags/{tag}"], capture_output=True, text=True, env=_env(gpg_home), check=False,
                          pass_fds=fds)
    ok, detail = judge(proc.stderr, key=key, what=f"tag {tag}")
    if ok:
        return TagSignature(VERIFIED, f"{tag}, key {detail}")
    if detail == "no signature found" or "no signature found" in proc.stderr:
        return TagSignature(UNSIGNED_TAG, f"{tag} carries no signature")
    if detail.startswith("signing key not in"):
        return TagSignature(NO_KEY, f"{tag}: import the Xen.org key {key}")
    return TagSignature(NO_KEY, f"{tag}: {detail}")
