"""xc-rpcgen's rules for a DBus interface XML, and the names it generates.

OpenXT's stub generator (github.com/OpenXT/idl, rpcgen/, the commit
xenclient-rpcgen builds) reads an XML file as follows, and fails or writes
Haskell that does not compile when a file breaks a rule:

* Model.hs ``fromXML``: every ``<interface>``, ``<method>``, ``<property>``,
  ``<signal>`` has a ``name``; every ``type`` (argument, property, enum) is
  exactly ONE complete DBus type (``parseType``); a property's ``access`` is
  ``read``, ``write`` or ``readwrite``. Any failure and the whole model is
  Nothing: no stubs at all.
* Constants come only from ``<tp:enum name= type=>`` blocks (children of the
  root or of an ``<interface>``), one ``eNAME_SUFFIX`` function per
  ``<tp:enumvalue suffix= value=>`` (Backend/Haskell.hs ``enumValueFunName``);
  enum types are booleans, integers, doubles or strings (``enumValueExp``).
* Client functions (``remoteStubName``) are
  ``normaliseFunctionName(<interface> + "_" + <method>)`` and, per property,
  ``..._get_<Prop>`` (readable) / ``..._set_<Prop>`` (writable), where
  normaliseFunctionName turns "-" and "." into "_", camelises at each "_"
  and lower-cases the first letter (Tools.hs). A method ``GetP`` and a
  readable property ``P`` therefore both become ``...GetP``: a duplicate
  definition in one generated module.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path

from oxt.problems import Problem

ACCESS = ("read", "write", "readwrite")
ENUM_TYPES = set("bynqiuxtds")  # enumValueExp: boolean, integers, double, string
_BASIC = set("ybnqiuxtdsogh")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list["Element"] = field(default_factory=list)

    def all(self, tag: str) -> list["Element"]:
        return [c for c in self.children if c.tag == tag]


def parse(path: Path) -> Element:
    """The XML tree with line numbers; tags as written (``tp:enum``, like HaXml)."""
    parser = xml.parsers.expat.ParserCreate()
    root = Element("#document", {}, 1)
    stack = [root]

    def start(tag, attrs):
        node = Element(tag, dict(attrs), parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: stack.pop()
    parser.Parse(Path(path).read_bytes(), True)
    return root.children[0]


def complete_types(signature: str) -> int | None:
    """How many complete DBus types ``signature`` holds; None if it is invalid."""
    count, pos = 0, 0

    def one(i: int) -> int | None:
        if i >= len(signature):
            return None
        c = signature[i]
        if c in _BASIC or c == "v":
            return i + 1
        if c == "a":
            if signature[i + 1:i + 2] == "{":
                key = i + 2
                if key >= len(signature) or signature[key] not in _BASIC:
                    return None
                end = one(key + 1)
                return end + 1 if end is not None and signature[end:end + 1] == "}" else None
            return one(i + 1)
        if c == "(":
            j = i + 1
            while j < len(signature) and signature[j] != ")":
                j = one(j)
                if j is None:
                    return None
            return j + 1 if j < len(signature) and j > i + 1 else None
        return None

    while pos < len(signature):
        pos = one(pos)
        if pos is None:
            return None
        count += 1
    return count


def normalise(name: str) -> str:
    """Tools.hs: decapitalise . camelise . replace "." "_" . replace "-" "_"."""
    text = name.replace("-", "_").replace(".", "_")
    text = re.sub(r"_(.)", lambda m: m.group(1).upper(), text)
    text = text[:1].upper() + text[1:]
    return text[:1].lower() + text[1:]


@dataclass(frozen=True)
class Generated:
    """One top-level Haskell definition of a client module."""

    name: str
    line: int
    origin: str  # what in the XML it comes from


def client_names(root: Element) -> list[Generated]:
    """Every function xc-rpcgen --client --haskell defines for this XML, in order."""
    names = []
    enums = root.all("tp:enum") + [e for i in root.all("interface") for e in i.all("tp:enum")]
    for enum in enums:
        for value in enum.all("tp:enumvalue"):
            names.append(Generated(f"e{enum.attrs.get('name', '')}_{value.attrs.get('suffix', '')}", value.line,
                                   f"tp:enum {enum.attrs.get('name')} value {value.attrs.get('suffix')}"))
    for iface in root.all("interface"):
        iname = iface.attrs.get("name", "")
        for prop in iface.all("property"):
            access = prop.attrs.get("access")
            pname = prop.attrs.get("name", "")
            if access in ("read", "readwrite"):
                names.append(Generated(normalise(f"{iname}_get_{pname}"), prop.line, f"property {pname} (getter)"))
            if access in ("write", "readwrite"):
                names.append(Generated(normalise(f"{iname}_set_{pname}"), prop.line, f"property {pname} (setter)"))
        for method in iface.all("method"):
            mname = method.attrs.get("name", "")
            names.append(Generated(normalise(f"{iname}_{mname}"), method.line, f"method {mname}"))
    return names


def check(path: Path, shown: str) -> list[Problem]:
    """Every rule of the module docstring ``path`` breaks; ``shown`` names it in messages."""
    try:
        root = parse(path)
    except xml.parsers.expat.ExpatError as err:
        return [Problem(f"{shown}:{err.lineno}", f"not well-formed XML ({xml.parsers.expat.errors.messages[err.code]})",
                        "fix the XML; xc-rpcgen cannot read it")]
    problems = []

    def bad(node: Element, what: str, fix: str) -> None:
        problems.append(Problem(f"{shown}:{node.line}", what, fix))

    def typed(node: Element, label: str) -> None:
        sig = node.attrs.get("type")
        if sig is None or complete_types(sig) != 1:
            bad(node, f"{label}: type {sig!r} is not one complete DBus type",
                "xc-rpcgen's parseType takes exactly one (e.g. \"u\", \"ao\", \"a{sv}\"); without it no stubs are generated")

    for iface in root.all("interface"):
        if not iface.attrs.get("name"):
            bad(iface, "<interface> without a name", "add name=\"org.example.Interface\"")
        for kind in ("method", "property", "signal"):
            for node in iface.all(kind):
                if not node.attrs.get("name"):
                    bad(node, f"<{kind}> without a name", "add its name")
        for node in [*iface.all("method"), *iface.all("signal")]:
            for arg in node.all("arg"):
                typed(arg, f"{node.tag} {node.attrs.get('name')} argument {arg.attrs.get('name', '')}")
        for prop in iface.all("property"):
            typed(prop, f"property {prop.attrs.get('name')}")
            if prop.attrs.get("access") not in ACCESS:
                bad(prop, f"property {prop.attrs.get('name')}: access {prop.attrs.get('access')!r}",
                    f"use one of {', '.join(ACCESS)} (xc-rpcgen's parseAccess)")
    enums = root.all("tp:enum") + [e for i in root.all("interface") for e in i.all("tp:enum")]
    for enum in enums:
        sig = enum.attrs.get("type", "")
        if not enum.attrs.get("name") or sig not in ENUM_TYPES:
            bad(enum, f"tp:enum {enum.attrs.get('name')!r} of type {sig!r}",
                "give it a name and a boolean, integer, double or string type (xc-rpcgen's enumValueExp)")
        for value in enum.all("tp:enumvalue"):
            if not value.attrs.get("suffix") or "value" not in value.attrs:
                bad(value, f"tp:enumvalue of {enum.attrs.get('name')} without suffix or value",
                    "write <tp:enumvalue suffix=\"NAME\" value=\"N\"/>")
    seen: dict[str, Generated] = {}
    for gen in client_names(root):
        first = seen.setdefault(gen.name, gen)
        if first is not gen:
            problems.append(Problem(
                f"{shown}:{gen.line}",
                f"xc-rpcgen names {gen.origin} {gen.name}, like {first.origin} (line {first.line}): "
                "the generated module would define it twice",
                "leave one of the two out of the XML (a property's getter can be replaced by its Get method)",
            ))
    return problems


def is_interface_xml(path: Path) -> bool:
    """A DBus introspection file (the input xc-rpcgen takes), judged by its text."""
    try:
        head = Path(path).read_text(errors="replace")[:20000]
    except OSError:
        return False
    return "<interface" in head and "<node" in head
