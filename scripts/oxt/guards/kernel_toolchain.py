"""The stack's compiler must not be newer than the one that compiled our kernel.

Linux 4.9 reached end of life (4.9.337, January 2023) before gcc 13 and
binutils 2.42: nobody upstream makes it build with newer toolchains. Each gcc
major release adds errors and default-on warnings old kernels trip over (gcc 10
-fno-common, gcc 14 implicit declarations as errors, gcc 15 C23 by default) and
binutils releases reject what older ones accepted. So the manifest records the
newest gcc and binutils a real compile of every VM's kernel succeeded with
(``linux.compiled_with``), and a stack that brings a newer one -- oe-core's
``GCCVERSION`` / ``BINUVERSION`` (tcmode-default.inc) or an override of ours --
fails here instead of in do_compile on a build host hours into a build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oxt.problems import Problem

# openembedded-core scarthgap, meta/conf/distro/include/tcmode-default.inc
OE_CORE_GCCVERSION = "13.%"
OE_CORE_BINUVERSION = "2.42%"


@dataclass(frozen=True)
class StackToolchain:
    multiconfig: str
    kernel: str  # PN of virtual/kernel's provider
    gcc: str | None  # GCCVERSION as set in our layers / kas; None: oe-core's default
    gcc_where: str | None
    binutils: str | None  # BINUVERSION likewise
    binutils_where: str | None


@dataclass(frozen=True)
class Record:
    """What the manifest says compiled the kernel (None: nothing recorded)."""

    kernel: str  # the recipe the manifest renders (linux-openxt)
    version: str
    gcc: str | None
    binutils: str | None
    where: str  # manifest file:line of linux.compiled_with (or of linux:)


def release(text: str, parts: int) -> tuple[int, ...] | None:
    """The first ``parts`` numbers of a version or a bitbake version glob ("13.%", "2.42%")."""
    numbers = re.findall(r"\d+", text.split("%")[0])
    return tuple(int(n) for n in numbers[:parts]) if len(numbers) >= parts else None


def check(toolchains: list[StackToolchain], record: Record) -> list[Problem]:
    """One problem per (tool, setting), naming every multiconfig whose kernel it would compile."""
    ours = [t for t in toolchains if t.kernel == record.kernel]
    if not ours:
        return []
    if record.gcc is None or record.binutils is None:
        return [Problem(
            record.where,
            f"no linux.compiled_with: nothing says which gcc and binutils compiled {record.kernel} "
            f"{record.version}, the kernel of multiconfig {', '.join(t.multiconfig for t in ours)}",
            "compile it with the stack's toolchain and record the versions (gcc: \"X.Y\", binutils: \"X.Y\")",
        )]
    broken: dict[tuple, list[str]] = {}
    for t in ours:
        for tool, value, where, default, parts, proven in (
            ("gcc", t.gcc, t.gcc_where, OE_CORE_GCCVERSION, 1, record.gcc),
            ("binutils", t.binutils, t.binutils_where, OE_CORE_BINUVERSION, 2, record.binutils),
        ):
            wanted = value or default
            have, done = release(wanted, parts), release(proven, parts)
            if have is None or done is None or have > done:
                broken.setdefault((tool, wanted, where, proven), []).append(t.multiconfig)
    problems = []
    for (tool, wanted, where, proven), mcs in broken.items():
        variable = "GCCVERSION" if tool == "gcc" else "BINUVERSION"
        source = f"set at {where}" if where else "oe-core scarthgap's tcmode-default.inc"
        problems.append(Problem(
            where or record.where,
            f"{variable} = \"{wanted}\" ({source}) is newer than {tool} {proven}, the newest that compiled "
            f"{record.kernel} {record.version} ({record.where}), the kernel of multiconfig {', '.join(mcs)}",
            f"compile the kernel with that {tool} first, add the patches it needs to linux.patches, "
            f"then raise linux.compiled_with.{tool}",
        ))
    return problems
