"""What a Xen remote offers, from one ``git ls-remote`` (no objects fetched).

Annotated tags are resolved to the commit they point at through the
``refs/tags/X^{}`` lines ls-remote prints; lightweight tags already name
their commit.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import git

from oxt.errors import GitError
from oxt.xen.versions import Version, branch_series, nearest, series_tags


class UnknownRefError(GitError):
    """A branch, tag or version the remote does not have."""


@dataclass(frozen=True)
class RemoteRefs:
    url: str
    heads: dict[str, str] = field(default_factory=dict)  # branch -> commit
    tags: dict[str, str] = field(default_factory=dict)  # tag -> commit (peeled)
    annotated: frozenset[str] = frozenset()

    def branch(self, name: str) -> str:
        if name not in self.heads:
            stable = sorted((b for b in self.heads if branch_series(b)), key=_branch_key)
            hint = ", ".join(stable[-6:]) or "none"
            raise UnknownRefError(
                f"remote {self.url} has no branch {name!r} (newest stable branches: {hint}); "
                "check --track / --new-track or the track's branch in the manifest"
            )
        return self.heads[name]

    def releases(self, series: str) -> list[Version]:
        return series_tags(self.tags, series)

    def release(self, version: Version) -> str:
        """Commit of RELEASE-<version>; a clear error listing the nearest tags if missing."""
        tag = version.tag
        if tag not in self.tags:
            existing = self.releases(version.series)
            near = ", ".join(v.tag for v in nearest(existing, version)) or "none in this series"
            raise UnknownRefError(
                f"remote {self.url} has no tag {tag} (Xen {version} was never released); "
                f"nearest existing tags: {near}; pass one of them to --to"
            )
        return self.tags[tag]


def _branch_key(name: str):
    series = branch_series(name) or "0.0"
    return tuple(int(p) for p in series.split("."))


def ls_remote(url: str) -> RemoteRefs:
    """Branches and tags of *url*; GitError when it cannot be reached or is not a git repository."""
    try:
        out = git.cmd.Git().ls_remote("--heads", "--tags", url)
    except git.GitCommandError as err:
        raise GitError(
            f"cannot list refs of remote {url}: {git_reason(err.stderr)}{_html_hint(url)}; "
            "check the URL and the network, or pass --remote URL"
        ) from None
    if not out.strip():
        # git takes an HTML page served with status 200 (a proxy's or a captive portal's) for an
        # empty "dumb" repository: no error, no refs
        raise GitError(f"remote {url} lists no branches or tags{_html_hint(url) or ''}; it is not xen.git — "
                       "check the URL (and any proxy or network login), or pass --remote URL")
    heads: dict[str, str] = {}
    tags: dict[str, str] = {}
    peeled: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.startswith("refs/heads/"):
            heads[ref[len("refs/heads/"):]] = sha
        elif ref.startswith("refs/tags/"):
            name = ref[len("refs/tags/"):]
            if name.endswith("^{}"):
                peeled[name[:-3]] = sha
            else:
                tags[name] = sha
    annotated = frozenset(peeled)
    tags.update(peeled)
    return RemoteRefs(url=url, heads=heads, tags=tags, annotated=annotated)


def _html_hint(url: str) -> str:
    """For an http(s) remote that answers with a web page instead of git: say so, with the page title."""
    if not url.startswith(("http://", "https://")):
        return ""
    probe = url.rstrip("/") + "/info/refs?service=git-upload-pack"
    try:
        resp = urllib.request.urlopen(probe, timeout=10)  # noqa: S310 - the user's remote
        status, ctype, body = resp.status, resp.headers.get("Content-Type", ""), resp.read(65536)
    except urllib.error.HTTPError as err:
        status, ctype, body = err.code, err.headers.get("Content-Type", ""), err.read(65536)
    except (urllib.error.URLError, OSError, ValueError):
        return ""
    if "html" not in ctype.lower() and not body.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return ""
    title = re.search(rb"<title[^>]*>(.*?)</title>", body, re.IGNORECASE | re.DOTALL)
    named = f", titled {' '.join(title.group(1).decode(errors='replace').split())!r}" if title else ""
    return f" (the server answered with an HTML page, HTTP {status}{named}, not git)"


def git_reason(text: str | None) -> str:
    """git's reason for a failure: its first "fatal:"/"error:" line, else its last line.

    (git's last line is often advice, e.g. "and the repository exists.")
    """
    lines = [ln.strip().removeprefix("stderr: ").strip("'").strip() for ln in (text or "").splitlines()]
    lines = [ln for ln in lines if ln]
    for ln in lines:
        if ln.startswith(("fatal:", "error:")):
            return ln
    return lines[-1] if lines else "unknown error"
