"""A ``root=`` the kernel can resolve by itself when there is no initramfs.

Without an initramfs the kernel finds the root device in
init/do_mounts.c (``name_to_dev_t``). Linux 4.9.337 knows ``/dev/<name>``,
``/dev/<disk><N>`` / ``p<N>``, ``PARTUUID=<uuid>[/PARTNROFF=<n>]``,
``<major>:<minor>``, a hex device number, ``/dev/nfs`` and ``/dev/ram``;
``PARTLABEL=`` came later (it is in mainline's do_mounts.c, not in 4.9's),
and ``UUID=``/``LABEL=`` (file system identifiers) are only ever resolved
by an initramfs's userspace. An unresolved root= panics at boot
("VFS: Unable to mount root fs").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oxt.guards.oldest_kernel import version_key
from oxt.problems import Problem

PARTLABEL_SINCE = (5, 0)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{8}-[0-9a-fA-F]{2}")


@dataclass(frozen=True)
class BootCommandLine:
    where: str  # file:line of the command line
    variable: str
    value: str  # expanded as far as the layers allow
    kernel_version: str | None
    initramfs: bool


def unresolvable(spec: str, kernel_version: str) -> str | None:
    """Why ``root=<spec>`` cannot be resolved by ``kernel_version`` alone, or None."""
    if spec.startswith("PARTUUID="):
        uuid = spec[len("PARTUUID="):].split("/PARTNROFF=")[0]
        if "${" in uuid:
            return f"PARTUUID={uuid} is not set (an unexpanded variable)"
        return None if _UUID.fullmatch(uuid) else f"PARTUUID={uuid} is not a partition UUID"
    if spec.startswith("PARTLABEL="):
        if version_key(kernel_version)[:2] >= PARTLABEL_SINCE:
            return None
        return f"Linux {kernel_version}'s init/do_mounts.c knows PARTUUID= but not PARTLABEL="
    if spec.startswith(("UUID=", "LABEL=")):
        return f"{spec.split('=')[0]}= names a file system; only an initramfs resolves it"
    if spec.startswith("/dev/") or re.fullmatch(r"\d+:\d+|[0-9a-fA-F]+", spec):
        return None
    return f"{spec!r} is none of the forms name_to_dev_t knows"


def check(lines: list[BootCommandLine]) -> list[Problem]:
    problems = []
    for line in lines:
        if line.initramfs or not line.kernel_version:
            continue
        for spec in re.findall(r"(?:^|\s)root=(\S+)", line.value):
            why = unresolvable(spec, line.kernel_version)
            if why:
                problems.append(Problem(
                    line.where,
                    f"{line.variable} passes root={spec} to a kernel without initramfs: {why}, so it would "
                    "panic at boot (VFS: Unable to mount root fs)",
                    "use root=PARTUUID=<the partition's GPT UUID> (wic: part --uuid) or /dev/<disk><N>",
                ))
    return problems
