"""The names XSA patch files carry, and the names they get in the layer.

Advisories ship ``xsaN.patch`` (master), ``xsaN-X.Y.patch`` (per branch),
``xsaN-X.Y-M.patch`` (several per branch) or a directory
``xsaN-X.Y/00MM-….patch``. Whether a file is a patch at all is
:func:`oxt.xen.patchfile.lint` (GNU patch's view, as for every queue).
"""

from __future__ import annotations

import re
from pathlib import Path

_XSA_NAME = re.compile(r"(?:^|/)xsa(\d+)(?:[-_./]|$)", re.IGNORECASE)


def xsa_number_in_name(path: str | Path) -> int | None:
    """The XSA number a patch file or its directory is named after."""
    m = None
    for m in _XSA_NAME.finditer(str(path).replace("\\", "/")):
        pass
    return int(m.group(1)) if m else None


def queue_name(source: Path) -> str:
    """Name under files/xsa/: keep an advisory's ``xsaN-X.Y/`` directory, else the file name."""
    parent = source.parent.name
    if xsa_number_in_name(parent) is not None:
        return f"{parent}/{source.name}"
    return source.name
