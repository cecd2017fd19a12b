"""Xen release tag names (``RELEASE-X.Y.Z``) and their ordering.

Upstream tags each release ``RELEASE-X.Y.Z`` on the ``stable-X.Y`` branch;
release candidates and other tags (``4.6.0-rc1``, ``RELEASE-4.6.0-rc1``,
``qemu-xen-…``) are noise for version purposes. Releases can be skipped
(there is no RELEASE-4.6.2), so "the next version" is never computed, only
looked up among the tags that exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from oxt.patterns import DESCRIBE, RELEASE_TAG, RELEASE_VERSION, STABLE_BRANCH

TAG_PREFIX = "RELEASE-"


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> "Version | None":
        m = RELEASE_VERSION.fullmatch(text.strip())
        return cls(*map(int, m.groups())) if m else None

    @classmethod
    def from_tag(cls, tag: str) -> "Version | None":
        m = RELEASE_TAG.fullmatch(tag)
        return cls(*map(int, m.groups())) if m else None

    @property
    def series(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def tag(self) -> str:
        return f"{TAG_PREFIX}{self}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def branch_series(branch: str) -> str | None:
    """``stable-4.19`` -> ``4.19``; None for anything else."""
    m = STABLE_BRANCH.fullmatch(branch)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def series_tags(tag_names, series: str) -> list[Version]:
    """Release versions of *series* among *tag_names*, oldest first."""
    out = []
    for name in tag_names:
        v = Version.from_tag(name)
        if v and v.series == series:
            out.append(v)
    return sorted(set(out))


def nearest(versions: list[Version], wanted: Version, count: int = 2) -> list[Version]:
    """The existing versions closest to *wanted*: the ones just below and above it."""
    below = [v for v in versions if v < wanted][-count:]
    above = [v for v in versions if v > wanted][:count]
    return below + above


def describe_parts(described: str) -> tuple[str, int, str | None]:
    """Split ``RELEASE-4.19.6-3-gabc`` into (tag, distance, abbrev sha)."""
    m = DESCRIBE.fullmatch(described)
    if m:
        return m.group(1), int(m.group(2)), m.group(3)
    return described, 0, None
