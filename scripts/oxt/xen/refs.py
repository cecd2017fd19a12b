"""What a user's ref names on a track's branch: ``tip``, a release or a commit.

``oxt bump xen --to``, ``oxt xen series --at`` and ``oxt xen survey
--from/--to`` take the same texts — ``tip``, ``X.Y.Z``, ``RELEASE-X.Y.Z`` or
a commit id (7-40 hex digits) — and refuse anything else the same way.
Which commit a text names is answered by :class:`.context.UpstreamContext`
(it needs the remote's refs and the cache).
"""

from __future__ import annotations

from dataclasses import dataclass

from oxt.errors import OxtUserError
from oxt.patterns import COMMIT_PREFIX, FULL_COMMIT
from oxt.xen.versions import Version, branch_series


@dataclass(frozen=True)
class Ref:
    """One parsed ref text: exactly one of tip, version and commit is set."""

    text: str
    option: str = ""  # the option that gave it (--to, --at, …), for messages
    tip: bool = False
    version: Version | None = None
    commit: str | None = None  # lowercase hex as typed, full or abbreviated

    @property
    def label(self) -> str:
        return f"{self.option} {self.text}".strip()

    @property
    def full(self) -> str | None:
        """The commit id when it is a full one (no lookup needed)."""
        return self.commit if self.commit and FULL_COMMIT.fullmatch(self.commit) else None


def parse_ref(text: str, branch: str, *, option: str) -> Ref:
    """*text* as a ref of *branch*; OxtUserError (naming *option*) for anything else."""
    series = branch_series(branch) or branch.removeprefix("stable-")
    if text == "tip":
        return Ref(text, option, tip=True)
    version = Version.parse(text) or Version.from_tag(text)
    if version is not None:
        if version.series != series:
            raise OxtUserError(f"{option} {text}: not a release of {branch} (it is Xen {version.series}); "
                               f"name a {series}.N release, a commit of {branch} or tip, "
                               f"or use --track stable-{version.series}")
        return Ref(text, option, version=version)
    if COMMIT_PREFIX.fullmatch(text.lower()):
        return Ref(text, option, commit=text.lower())
    raise OxtUserError(f"{option} {text}: not a ref oxt understands; use tip, X.Y.Z, RELEASE-X.Y.Z or a "
                       f"commit id (7-40 hex digits) of {branch}")


def pin_text(track) -> str:
    """A track's pin as a ref text: its commit (git mode) or its tarball's release (tarball mode)."""
    return track.srcrev if track.mode == "git" else str(track.version)
