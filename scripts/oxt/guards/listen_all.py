"""No network service in our layers listens on every interface unless it says why.

OpenXT's services speak to other VMs; a daemon bound to all interfaces of
dom0 is reachable from any network dom0 touches (icbinn_svc, built without
argo, bound TCP 4878/4879 on INADDR_ANY: unauthenticated file access). What
a unit file shows is checked:

* a ``.socket`` unit: ``ListenStream=``/``ListenDatagram=``/
  ``ListenSequentialPacket=`` with only a port, or ``0.0.0.0:``, ``[::]:``,
  ``*:``, listens everywhere unless ``BindToDevice=`` narrows it;
* a ``.service`` unit that is not socket-activated (no ``Sockets=``, no
  ``.socket`` of the same name beside it) but passes a port to its program
  (``-p N``, ``--port N``, ``--port=N``, ``--listen ...``) binds by itself,
  where the unit cannot see: assume every interface.

A deliberate exception carries its reason in the unit:
``# oxt: listens on all interfaces: <why>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oxt.problems import Problem

REASON = re.compile(r"^\s*#\s*oxt:\s*listens on all interfaces:\s*\S", re.MULTILINE)
LISTEN = re.compile(r"^\s*(ListenStream|ListenDatagram|ListenSequentialPacket)\s*=\s*(\S+)", re.MULTILINE)
PORT_ARG = re.compile(r"(?:^|\s)(?:-p\s*\d+|--port[=\s]+\d+|--listen\b)")


@dataclass(frozen=True)
class UnitFile:
    shown: str  # path as shown in messages
    name: str  # e.g. icbinn-server.service
    text: str
    sibling_sockets: tuple[str, ...] = ()  # .socket unit names in the same directory


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _everywhere(address: str) -> bool:
    if address.startswith(("/", "@", "vsock:")):
        return False  # file system / abstract socket / vsock, not IP
    if re.fullmatch(r"\d+", address):
        return True
    host = address.rsplit(":", 1)[0]
    return host in ("0.0.0.0", "[::]", "*", "")


def check(units: list[UnitFile]) -> list[Problem]:
    problems = []
    for unit in units:
        if REASON.search(unit.text):
            continue
        if unit.name.endswith(".socket"):
            if re.search(r"^\s*BindToDevice\s*=\s*\S", unit.text, re.MULTILINE):
                continue
            for match in LISTEN.finditer(unit.text):
                if _everywhere(match.group(2)):
                    problems.append(Problem(
                        f"{unit.shown}:{_line(unit.text, match.start())}",
                        f"{match.group(1)}={match.group(2)} listens on every interface",
                        "listen on the address (or BindToDevice=) of the one network that needs it, or state "
                        "why not with '# oxt: listens on all interfaces: <reason>'",
                    ))
        elif unit.name.endswith(".service"):
            activated = re.search(r"^\s*Sockets\s*=", unit.text, re.MULTILINE) or \
                unit.name.rsplit(".", 1)[0] + ".socket" in unit.sibling_sockets
            if activated:
                continue
            for match in re.finditer(r"^\s*ExecStart\s*=\s*(.+)$", unit.text, re.MULTILINE):
                if PORT_ARG.search(match.group(1)):
                    problems.append(Problem(
                        f"{unit.shown}:{_line(unit.text, match.start())}",
                        f"ExecStart={match.group(1).strip()} binds its own port, on every interface as far as "
                        "the unit shows",
                        "socket-activate it from a .socket unit with a specific ListenStream= address, or state "
                        "why not with '# oxt: listens on all interfaces: <reason>'",
                    ))
    return problems
