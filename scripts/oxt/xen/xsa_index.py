"""Which XSAs a range of upstream commits fixes, read from commit messages.

Xen's security team ends every XSA commit with an identification sentence;
the real shapes found in xen.git history are, for example::

    This is XSA-245.                         This is XSA-308        (no stop)
    This is part of XSA-254.                 This patch is part of XSA-133.
    This is CVE-2017-15597 / XSA-236.        This is CVE-2021-28704 and CVE-2021-28707 / part of XSA-388.
    This is XSA-425/CVE-2022-42330.          This is part of XSA-297, CVE-2018-12126, CVE-2018-12127.
    This is part of CVE-2022-33746 / XSA-410.
    This is part of XSA155.                  (typo, no dash)
    This is CVE-2026-62435.  …  Everything together is XSA-501.   (CVE per commit, XSA once)
    Denial of Service against Xen.  This is XSA-18 / CVE-2012-3516.  (mid-paragraph)
    This is a security problem, XSA-20 / CVE-2012-4535.   (2012-13 wording)
    This is CVE-2015-8339 + CVE-2015-8340 / XSA-159.

inside squashed messages these lines are indented, and long ones wrap.
Mentions that are *not* an identification must not count: "Fix livelock
with XSA-304 fix", "This is a followup to XSA-175 and XSA-178.", "as
described in XSA-299", "(or XSA-93 re-born)" after the real number.

So a commit is indexed under an XSA only when a sentence *starts* with
``This is`` / ``This patch is`` / ``Everything together is``, optionally
names CVEs (joined by ``/``, ``,`` or ``and``), optionally says ``part
of``, and then names ``XSA-N``. Paragraphs are unwrapped first, so
indentation and line breaks do not matter.

Backports carry trailers naming the master commit: ``master commit: <sha>``
(stable-branch backport script) or ``(cherry picked from commit <sha>)``;
both are recorded so a report can link to the original fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CVE = r"CVE-\d{4}-\d{4,}"
_CVES = rf"{_CVE}(?:\s*(?:/|,|\+|\band\b)\s*{_CVE})*"
_IDENT = re.compile(
    r"(?:^|(?<=[.!?])\s+)"  # a sentence start: paragraph start or after a full stop
    r"(?:This(?:\s+patch)?\s+is|Everything\s+together\s+is)\s+"
    rf"(?:(?:part\s+of\s+)?{_CVES}\s*(?:/|,)\s*)?"  # "CVE-A and CVE-B / "
    r"(?:(?:also\s+)?part\s+of\s+)?"
    r"(?:(?:the\s+fix\s+to\s+)?a\s+security\s+(?:issue|problem|vulnerability),\s*)?"  # 2012-13 style
    r"(?:part\s+of\s+)?"
    r"XSA-?(\d+)\b",
    re.IGNORECASE,
)
_MASTER_COMMIT = re.compile(r"^\s*master commit:\s*([0-9a-f]{7,40})\b", re.MULTILINE | re.IGNORECASE)
_CHERRY_PICK = re.compile(r"\(cherry picked from commit ([0-9a-f]{7,40})\)", re.IGNORECASE)


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    subject: str
    message: str


@dataclass(frozen=True)
class XsaCommit:
    sha: str
    subject: str
    backport_of: str | None = None  # the master commit a stable backport names


@dataclass
class XsaIndex:
    """XSA number -> the commits of the range that fix it (oldest first)."""

    commits: dict[int, list[XsaCommit]] = field(default_factory=dict)

    def get(self, number: int) -> list[XsaCommit]:
        return self.commits.get(number, [])

    def __contains__(self, number: int) -> bool:
        return number in self.commits

    def numbers(self) -> list[int]:
        return sorted(self.commits)


def _paragraphs(message: str) -> list[str]:
    paras, current = [], []
    for line in message.splitlines():
        if line.strip():
            current.append(line.strip())
        elif current:
            paras.append(" ".join(current))
            current = []
    if current:
        paras.append(" ".join(current))
    return paras


def xsas_in_message(message: str) -> list[int]:
    """XSA numbers a commit message identifies itself as (in order, unique)."""
    found: list[int] = []
    for para in _paragraphs(message):
        for m in _IDENT.finditer(para):
            number = int(m.group(1))
            if number not in found:
                found.append(number)
    return found


def backport_of(message: str) -> str | None:
    """The master commit a stable-branch backport names, if any."""
    m = _MASTER_COMMIT.search(message) or _CHERRY_PICK.search(message)
    return m.group(1) if m else None


def build_index(commits) -> XsaIndex:
    """Index *commits* (CommitInfo, oldest first) by the XSAs they identify."""
    index = XsaIndex()
    for c in commits:
        for number in xsas_in_message(c.message):
            index.commits.setdefault(number, []).append(
                XsaCommit(sha=c.sha, subject=c.subject, backport_of=backport_of(c.message))
            )
    return index
