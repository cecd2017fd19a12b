"""OLDEST_KERNEL must not be newer than the kernel a multiconfig runs.

glibc is configured with ``--enable-kernel=${OLDEST_KERNEL}``
(oe-core glibc_2.39.bb) and drops the fallbacks for every kernel older than
that (glibc's sysdeps/unix/sysv/linux/kernel-features.h: faccessat2 from
5.8, close_range from 5.9, statx from 4.11, the 32-bit time64 syscalls from
5.1): on an older kernel those calls fail with ENOSYS at run time.
oe-core's bitbake.conf sets 5.15 and kernel.bbclass only warns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oxt.problems import Problem

OE_CORE_DEFAULT = "5.15"  # openembedded-core scarthgap, meta/conf/bitbake.conf


@dataclass(frozen=True)
class KernelFloor:
    multiconfig: str
    oldest_kernel: str | None  # None: nobody sets it, bitbake.conf's default applies
    oldest_where: str | None  # file:line of the assignment that wins
    kernel: str  # PN of virtual/kernel's provider
    kernel_version: str | None
    kernel_where: str  # file:line naming the kernel version


def version_key(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text.split("-")[0].split("+")[0]))


def check(floors: list[KernelFloor]) -> list[Problem]:
    """One problem per offending setting, naming every multiconfig it breaks."""
    broken: dict[tuple, list[str]] = {}
    for f in floors:
        oldest = f.oldest_kernel or OE_CORE_DEFAULT
        if f.kernel_version and version_key(oldest) > version_key(f.kernel_version):
            key = (oldest, f.oldest_where, f.kernel, f.kernel_version, f.kernel_where)
            broken.setdefault(key, []).append(f.multiconfig)
    problems = []
    for (oldest, oldest_where, kernel, version, kernel_where), mcs in broken.items():
        source = f"set at {oldest_where}" if oldest_where else "oe-core's bitbake.conf default"
        problems.append(Problem(
            oldest_where or kernel_where,
            f"OLDEST_KERNEL = \"{oldest}\" ({source}) is newer than {kernel} {version} ({kernel_where}), the kernel "
            f"of multiconfig {', '.join(mcs)}: glibc is built --enable-kernel={oldest} and its calls fail with "
            f"ENOSYS on {version}",
            f"set OLDEST_KERNEL = \"{'.'.join(str(n) for n in version_key(version)[:2])}\" in the distro "
            "(rendered into openxt-versions.inc from recipes-templates/manifest.yml)",
        ))
    return problems
