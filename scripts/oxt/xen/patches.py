"""XSA patch files: validation and the names advisories use.

Advisories ship ``xsaN.patch`` (master), ``xsaN-X.Y.patch`` (per branch),
``xsaN-X.Y-M.patch`` (several per branch) or a directory
``xsaN-X.Y/00MM-….patch``. A file is accepted as a patch when ``git apply
--numstat`` (git's own parser, no repository needed) finds at least one
file change in it.
"""

from __future__ import annotations

import re
from pathlib import Path

import git

from oxt.errors import OxtUserError

_XSA_NAME = re.compile(r"(?:^|/)xsa(\d+)(?:[-_./]|$)", re.IGNORECASE)


class PatchError(OxtUserError):
    """A file that is not a usable patch."""


def xsa_number_in_name(path: str | Path) -> int | None:
    """The XSA number a patch file or its directory is named after."""
    m = None
    for m in _XSA_NAME.finditer(str(path).replace("\\", "/")):
        pass
    return int(m.group(1)) if m else None


def changed_files(patch: Path) -> list[str]:
    """Paths a patch touches; PatchError when git does not see a patch."""
    patch = Path(patch)
    if not patch.is_file():
        raise PatchError(f"{patch}: no such file; give the path of an XSA patch file")
    try:
        out = git.cmd.Git().apply("--numstat", "-z", str(patch.resolve()))
    except git.GitCommandError as err:
        msg = (err.stderr or "").strip().removeprefix("stderr: ").strip("'").strip()
        raise PatchError(f"{patch}: not a valid patch ({msg}); pass the .patch files from the advisory") from None
    files = [f.split("\t")[-1] for f in out.split("\0") if "\t" in f]
    if not files:
        raise PatchError(f"{patch}: contains no file changes; pass the .patch files from the advisory")
    return files


def queue_name(source: Path) -> str:
    """Name under files/xsa/: keep an advisory's ``xsaN-X.Y/`` directory, else the file name."""
    parent = source.parent.name
    if xsa_number_in_name(parent) is not None:
        return f"{parent}/{source.name}"
    return source.name
