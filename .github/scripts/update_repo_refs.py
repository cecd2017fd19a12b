#!/usr/bin/env python3
"""Refresh the reference clones in KAS_REPO_REF_DIR, under a lock.

    KAS_REPO_REF_DIR=/srv/yocto/repo-ref update_repo_refs.py kas/openxt.yml[:kas/ci.yml ...]

kas clones every layer repository from a bare "reference" clone in
KAS_REPO_REF_DIR (named as kas names it) when one exists, and creates the
clone once, but never updates it: as upstream moves on, every build fetches
more from upstream. This script, run before each build (as meta-arm's
ci/update-repos), fetches the branches and tags of every repository the kas
files name into its reference clone, creating missing ones the way kas does
(a bare clone in a temporary directory, renamed into place).

A bare clone has no fetch refspec, so a plain `git fetch` there only updates
FETCH_HEAD; the branches and tags are mapped explicitly here. Objects are
never pruned (`gc.auto=0`): running builds borrow them through
`git clone --reference`.

One refresh at a time: an exclusive lock on KAS_REPO_REF_DIR/.update.lock
(waits up to --timeout seconds). A busy lock or a failed fetch is reported
as a GitHub warning annotation and does not fail the build (kas then fetches
what is missing from upstream itself); exit 2 for a usage error.

Runs with the python of the kas installation (kas and PyYAML), and uses
kas's own naming of reference clones and its KAS_PREMIRRORS rewriting.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import yaml
from kas.repos import Repo

REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")


class UsageError(Exception):
    pass


def repo_urls(config: str) -> list[str]:
    """URLs of the repos of a kas config chain (`a.yml:b.yml`), first occurrence order."""
    urls: list[str] = []
    for name in config.split(":"):
        path = Path(name)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as err:
            raise UsageError(f"{path}: cannot read the kas file: {err}") from err
        for spec in (data.get("repos") or {}).values():
            url = (spec or {}).get("url")
            if url and url not in urls:
                urls.append(url)
    return urls


def ref_name(url: str) -> str:
    """The directory kas looks for in KAS_REPO_REF_DIR (kas.repos.Repo.qualified_name)."""
    return Repo.qualified_name.fget(SimpleNamespace(url=url))


def fetch_url(url: str) -> str:
    """The URL kas clones from (KAS_PREMIRRORS applied, kas.repos.Repo.effective_url)."""
    return Repo.effective_url.fget(SimpleNamespace(url=url))


def git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], check=False, cwd=cwd, capture_output=True, text=True)


def refresh(refdir: Path, url: str) -> str | None:
    """Create or update one reference clone; the error text on failure."""
    target = refdir / ref_name(url)
    source = fetch_url(url)
    if not target.exists():
        # As kas does: clone next to the final name, then rename (atomic; kas may race us).
        tmp = tempfile.mkdtemp(prefix=target.name + ".", dir=refdir)
        result = git("clone", "--bare", "--quiet", source, tmp)
        if result.returncode:
            shutil.rmtree(tmp, ignore_errors=True)
            return result.stderr.strip()
        try:
            os.rename(tmp, target)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # kas created it meanwhile
        print(f"created {target.name} from {source}")
        return None
    before = git("for-each-ref", "--format=%(objectname) %(refname)", cwd=target).stdout
    result = git("-c", "gc.auto=0", "fetch", "--quiet", "--tags", source, *REFSPECS, cwd=target)
    if result.returncode:
        return result.stderr.strip()
    after = git("for-each-ref", "--format=%(objectname) %(refname)", cwd=target).stdout
    moved = len(set(after.splitlines()) - set(before.splitlines()))
    print(f"updated {target.name} from {source}: {moved} ref(s) moved")
    return None


def lock(path: Path, timeout: float):
    handle = open(path, "a")  # noqa: SIM115 - held until the process exits
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                return None
            time.sleep(1)


def warn(message: str) -> None:
    print(f"::warning title=Reference clones not refreshed::{message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", help="kas config as given to kas build (files joined with ':')")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the lock (default 600)")
    args = parser.parse_args(argv)
    try:
        value = os.environ.get("KAS_REPO_REF_DIR", "")
        if not value:
            raise UsageError("KAS_REPO_REF_DIR is not set; point it at the persistent reference-clone directory")
        refdir = Path(value)
        if not refdir.is_dir():
            raise UsageError(f"KAS_REPO_REF_DIR={refdir} is not a directory; create it (see README, CI)")
        urls = repo_urls(args.config)
    except UsageError as err:
        print(f"update_repo_refs: {err}", file=sys.stderr)
        return 2
    held = lock(refdir / ".update.lock", args.timeout)
    if held is None:
        warn(f"{refdir} is locked by another refresh for more than {args.timeout:.0f} s; skipped")
        return 0
    failed = 0
    with held:
        for url in urls:
            error = refresh(refdir, url)
            if error:
                failed += 1
                warn(f"{url}: {error}")
    print(f"update_repo_refs: {len(urls) - failed} of {len(urls)} reference clones up to date in {refdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
