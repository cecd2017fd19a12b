"""Xen release tarballs: download with progress into a cache, sha256, and
the detached ``.sig`` checked with gpg.

Upstream publishes ``xen-X.Y.Z.tar.gz`` and ``xen-X.Y.Z.tar.gz.sig`` signed
with the Xen.org code signing key (:mod:`.gpg`: its pinned fingerprint, the
checks shared with the signed RELEASE-* tags of git mode). The signature is
checked when gpg is installed and the key is in the keyring gpg uses
(``GNUPGHOME`` or ``--gpg-home``); ``--require-signature`` turns "cannot
check" into an error. A bad signature is always an error.
"""

from __future__ import annotations

import glob
import hashlib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from oxt.errors import OxtUserError
from oxt.fsutil import TMP_SUFFIX, ShortRead, atomic_write_stream, tmp_prefix
from oxt.locking import HeldLock
from oxt.xen.defaults import XEN_SIGNING_KEY, default_download_dir
from oxt.xen.gpg import SignatureError, verify_detached
from oxt.xen.progress import DownloadProgress

DEFAULT_URL = "https://downloads.xenproject.org/release/xen/{version}/xen-{version}.tar.gz"
CHUNK = 1 << 16


class DownloadError(OxtUserError):
    """A tarball or its signature cannot be fetched or does not verify."""


@dataclass
class Tarball:
    url: str
    path: Path
    sha256: str
    signature: str  # "verified (<fpr>)", "not checked: <why>"


def url_for(template: str, version: str) -> str:
    return template.format(version=version)


def _download(url: str, dest: Path, progress: bool, timeout: float = 60) -> None:
    """Stream *url* into *dest* atomically (temp file in the same dir, then rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        resp = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - URL given by the user
    except urllib.error.HTTPError as err:
        raise DownloadError(f"cannot download {url}: HTTP {err.code} {err.reason}; "
                            "check the version and --tarball-url") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise DownloadError(f"cannot download {url}: {reason}; check the network and --tarball-url") from None
    total = resp.headers.get("Content-Length")
    bar = DownloadProgress(f"download {dest.name}", int(total) if total else None, enabled=progress)
    try:
        with resp:
            atomic_write_stream(dest, resp, expected=int(total) if total else None, on_chunk=bar.advance, chunk=CHUNK)
    except ShortRead as err:
        raise DownloadError(f"download of {url} was cut short ({err}); rerun") from None
    bar.finish()


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def verify_signature(tarball: Path, sig: Path, *, key: str = XEN_SIGNING_KEY,
                     gpg_home: Path | None = None) -> tuple[bool | None, str]:
    """(True, fpr) good; (None, why) cannot check; raises DownloadError on a bad signature."""
    try:
        return verify_detached(tarball, sig, key=key, gpg_home=gpg_home)
    except SignatureError as err:
        if "BAD signature" in str(err):
            raise DownloadError(f"{tarball.name}: BAD signature in {sig.name}; the download is corrupt or tampered "
                                f"with — delete {tarball} and retry") from None
        raise DownloadError(f"{tarball.name}: {str(err).split(': ', 1)[1]}") from None


def fetch_release(version: str, *, url_template: str = DEFAULT_URL, download_dir: Path | None = None,
                  progress: bool = True, require_signature: bool = False,
                  key: str = XEN_SIGNING_KEY, gpg_home: Path | None = None) -> Tarball:
    url = url_for(url_template, version)
    ddir = Path(download_dir) if download_dir else default_download_dir()
    dest = ddir / Path(url).name
    sig = ddir / (dest.name + ".sig")
    # one oxt per download directory: what a killed run left half-written is ours to sweep
    with HeldLock(ddir / ".lock", what=f"the download directory {ddir}"):
        for name in (dest.name, sig.name):
            for stale in ddir.glob(f"{glob.escape(tmp_prefix(ddir / name))}*{TMP_SUFFIX}"):
                stale.unlink(missing_ok=True)
        return _fetch_locked(url, dest, sig, progress=progress, require_signature=require_signature,
                             key=key, gpg_home=gpg_home)


def _fetch_locked(url: str, dest: Path, sig: Path, *, progress: bool, require_signature: bool, key: str,
                  gpg_home: Path | None) -> Tarball:
    if not dest.exists():
        _download(url, dest, progress)
    signature: str
    try:
        if not sig.exists():
            _download(url + ".sig", sig, progress=False)
        ok, detail = verify_signature(dest, sig, key=key, gpg_home=gpg_home)
        signature = f"verified ({detail})" if ok else f"not checked: {detail}"
    except DownloadError as err:
        if "BAD signature" in str(err) or "not by the Xen.org key" in str(err):
            dest.unlink(missing_ok=True)  # never keep a tampered file in the cache
            sig.unlink(missing_ok=True)
            raise
        ok, signature = None, f"not checked: {err}"
    if require_signature and not ok:
        raise DownloadError(f"--require-signature: signature of {dest.name} {signature.removeprefix('not checked: ')}")
    return Tarball(url=url, path=dest, sha256=sha256_of(dest), signature=signature)
