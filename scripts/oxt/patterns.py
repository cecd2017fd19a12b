"""Name shapes shared by the kas checks, the manifest and the Xen tracker.

Use them with ``fullmatch`` (``RELEASE_TAG.fullmatch("RELEASE-4.19.6")``):
one definition each, so "a full commit" or "a stable branch" means the same
thing in ``oxt check``, the manifest schema and ``oxt bump xen``.
"""

from __future__ import annotations

import re

FULL_COMMIT = re.compile(r"[0-9a-f]{40}")  # a full git commit id, lowercase
COMMIT_PREFIX = re.compile(r"[0-9a-f]{7,40}")  # a commit id as users type it
STABLE_BRANCH = re.compile(r"stable-(\d+)\.(\d+)")  # upstream Xen's stable-X.Y
RELEASE_TAG = re.compile(r"RELEASE-(\d+)\.(\d+)\.(\d+)")  # upstream Xen's release tags
RELEASE_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")  # X.Y.Z
DESCRIBE = re.compile(r"(.*)-(\d+)-g([0-9a-f]+)")  # `git describe`: TAG-N-gSHA
