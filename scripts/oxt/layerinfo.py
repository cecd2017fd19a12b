"""Read an OE layer the way bitbake would see it, without running bitbake.

Parsing is done by oelint-parser (the parser behind oelint-adv): it knows
line continuations, override syntax, flags, ``require``/``include`` and
inline python, so we never regex a bitbake file. Includes are resolved
against the layer roots given, as bitbake resolves them against BBPATH.
Only what ``oxt check`` needs is exposed: the layer's collection, the
machines/distros/multiconfigs/recipes it provides, and every assignment of
a few variables with file and line.
"""

from __future__ import annotations

import functools
import glob
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from oelint_parser.cls_item import FlagAssignment, Include, Variable
from oelint_parser.cls_stash import Stash

METADATA_SUFFIXES = (".bb", ".bbappend", ".inc", ".conf", ".bbclass")
_VAR_REF = re.compile(r"\$\{([A-Za-z0-9_:.+-]+)\}")


@dataclass(frozen=True)
class Assignment:
    """One ``NAME[:overrides] op "value"`` (or ``NAME[flag] = ...``) in a file."""

    file: Path
    line: int
    name: str  # with overrides, e.g. SRCREV:pn-xen, or do_image[mcdepends]
    op: str
    value: str  # quotes removed, continuation lines joined


def _strip(value: str) -> str:
    # oelint-parser marks continuation lines with \x1b; bitbake joins them.
    return " ".join(value.replace("\x1b", " ").split())


class MetaFile:
    """One bitbake file plus everything it requires/includes."""

    def __init__(self, path: Path, layer_roots: tuple[Path, ...]):
        self.path = Path(path)
        self._stash = Stash(quiet=True, layer_paths=[str(r) for r in layer_roots])
        self._stash.AddFile(str(self.path))
        self._stash.Finalize()

    def _variables(self, names=None):
        # Filter ourselves: oelint-parser splits known old-style suffixes
        # (LAYERSERIES_COMPAT_openxt -> VarName LAYERSERIES_COMPAT).
        items = self._stash.GetItemsFor(filename=str(self.path), classifier=Variable.CLASSIFIER)
        if names is not None:
            items = [i for i in items if i.VarName in names or i.VarNameCompleteNoModifiers in names]
        return sorted(items, key=lambda i: i.Line)

    def assignments(self, names: list[str] | None = None) -> list[Assignment]:
        return [
            Assignment(Path(i.Origin), i.InFileLine, i.VarNameComplete, i.VarOp.strip(), _strip(i.VarValueStripped))
            for i in self._variables(names)
        ]

    def flags(self, flag: str) -> list[Assignment]:
        items = self._stash.GetItemsFor(filename=str(self.path), classifier=FlagAssignment.CLASSIFIER)
        return [
            Assignment(Path(i.Origin), i.InFileLine, f"{i.VarName}[{i.Flag}]", i.VarOp.strip(), _strip(i.ValueStripped))
            for i in sorted(items, key=lambda i: i.Line)
            if i.Flag == flag
        ]

    def value(self, name: str) -> str | None:
        """The value bitbake would give ``name`` from this file and its includes."""
        return ConfigStack([self]).value(name)

    def where(self, name: str) -> Assignment | None:
        """The last plain assignment of ``name`` (no overrides), for error messages."""
        found = [a for a in self.assignments([name]) if a.name == name]
        return found[-1] if found else None

    def expand(self, text: str) -> str:
        return _strip(self._stash.ExpandTerm(str(self.path), text))

    def included_names(self) -> list[str]:
        """What the ``require``/``include`` lines of this file and its includes name, as written."""
        items = self._stash.GetItemsFor(filename=str(self.path), classifier=Include.CLASSIFIER)
        return [i.IncName for i in sorted(items, key=lambda i: i.Line)]

    def is_image(self) -> bool:
        return self._stash.IsImage(str(self.path))

    @property
    def files(self) -> list[Path]:
        """This file and every file it pulled in."""
        return sorted({Path(self.path), *(Path(p) for p in self._stash.GetLinksForFile(str(self.path)))})


class ConfigStack:
    """Files bitbake reads one after another into one datastore (local.conf,
    conf/multiconfig/<mc>.conf, the machine conf, the distro conf ...).

    ``value()`` applies bitbake's operators across them: immediate ones
    (=, :=, ?=, ??=, +=, =+, .=, =.) in file order, then :append/:prepend,
    then :remove; ``${VAR}`` references expand lazily against the whole
    stack, as bitbake does, unknown ones (TOPDIR, inline python) stay as
    written. Overrides other than append/prepend/remove are not applied:
    ``NAME:override`` is its own name here.
    """

    def __init__(self, units: list[MetaFile], preset: dict[str, str] | None = None):
        self.units = units
        self.preset = dict(preset or {})
        self._cache: dict[str, str | None] = {}

    def _items(self, name: str):
        for unit in self.units:
            for item in unit._variables([name]):
                if item.VarNameCompleteNoModifiers == name:
                    yield item

    def raw(self, name: str) -> str | None:
        items = list(self._items(name))
        if not items:
            return self.preset.get(name)
        value, weak = self.preset.get(name), None
        for item in items:
            if not item.IsImmediateModify():
                continue
            op, new = item.VarOp.strip(), item.VarValueStripped
            if op == "??=":
                weak = new if weak is None else weak
            elif op == "?=":
                value = new if value is None else value
            elif op in ("=", ":="):
                value = new
            elif op == "+=":
                value = f"{value or weak or ''} {new}"
            elif op == "=+":
                value = f"{new} {value or weak or ''}"
            elif op == ".=":
                value = (value or weak or "") + new
            elif op == "=.":
                value = new + (value or weak or "")
        value = (weak if value is None else value) or ""
        for item in items:
            if "append" in item.SubItems:
                value += item.VarValueStripped
            elif "prepend" in item.SubItems:
                value = item.VarValueStripped + value
        removed = " ".join(item.VarValueStripped for item in items if "remove" in item.SubItems)
        if removed:
            gone = set(self.expand(removed).split())
            value = " ".join(w for w in value.split() if w not in gone)
        return value

    def value(self, name: str) -> str | None:
        if name not in self._cache:
            self._cache[name] = None  # a self-reference expands to itself, not forever
            raw = self.raw(name)
            self._cache[name] = None if raw is None else _strip(self.expand(raw, {name}))
        return self._cache[name]

    def expand(self, text: str, seen: frozenset | set = frozenset()) -> str:
        def one(match):
            name = match.group(1)
            if name in seen:
                return match.group(0)
            raw = self.raw(name)
            return match.group(0) if raw is None else self.expand(raw, set(seen) | {name})

        return _VAR_REF.sub(one, text)


@functools.lru_cache(maxsize=512)
def _parse_cached(path: Path, roots: tuple[Path, ...], stamp: tuple[int, int]) -> MetaFile:
    return MetaFile(path, roots)


def parse(path: Path, roots: tuple[Path, ...]) -> MetaFile:
    """MetaFile for ``path``, shared between compositions while the file is unchanged."""
    stat = Path(path).stat()
    return _parse_cached(Path(path), roots, (stat.st_mtime_ns, stat.st_size))


def parse_text(lines: list[str], roots: tuple[Path, ...]) -> MetaFile:
    """Parse configuration text that is no file of the layer (kas's local.conf headers)."""
    with tempfile.TemporaryDirectory(prefix="oxt-conf-") as tmp:
        path = Path(tmp) / "local.conf"
        path.write_text("\n".join(lines) + "\n")
        return MetaFile(path, roots)  # parsed eagerly; the file is not needed afterwards


def recipe_name(path: Path) -> str:
    """PN as bitbake derives it from ``name_version.bb``."""
    return path.stem.split("_")[0]


@dataclass(eq=False)  # identity hash: parse() caches per Layer
class Layer:
    """What one layer directory provides."""

    path: Path
    roots: tuple[Path, ...]  # every local layer, for resolving requires (like BBPATH)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def conf(self) -> Path:
        return self.path / "conf" / "layer.conf"

    @functools.cached_property
    def layer_conf(self) -> MetaFile:
        return self.parse(self.conf)

    def parse(self, path: Path) -> MetaFile:
        return parse(path, self.roots)

    def layer_value(self, name: str) -> str:
        return (self.layer_conf.value(name) or "").replace("${LAYERDIR}", str(self.path))

    @property
    def collections(self) -> list[str]:
        return self.layer_value("BBFILE_COLLECTIONS").split()

    def layer_depends(self, collection: str) -> set[str]:
        """The collections LAYERDEPENDS_<collection> names, without "(>= 2)" version constraints."""
        return set(re.sub(r"\([^)]*\)", " ", self.layer_value(f"LAYERDEPENDS_{collection}")).split())

    def dynamic_patterns(self, collections: set[str]) -> list[tuple[str, str]]:
        """(collection, glob) of the BBFILES_DYNAMIC entries bitbake adds in a stack of *collections*:
        "collection:glob" when the collection is there, "!collection:glob" when it is not."""
        entries = (entry.partition(":")[::2] for entry in self.layer_value("BBFILES_DYNAMIC").split())
        return [(name.lstrip("!"), pattern) for name, pattern in entries
                if (name.lstrip("!") in collections) != name.startswith("!")]

    def patterns_for(self, collections: set[str]) -> list[str]:
        """BBFILES plus the BBFILES_DYNAMIC globs bitbake adds in a stack of *collections*."""
        return self.layer_value("BBFILES").split() + [pattern for _, pattern in self.dynamic_patterns(collections)]

    @property
    def bbfiles_patterns(self) -> list[str]:
        return self.patterns_for(self.stack_collections)

    @functools.cached_property
    def stack_collections(self) -> set[str]:
        """The collections bitbake is sure to have: those of every local layer and what they
        LAYERDEPENDS on (bitbake refuses a stack that lacks one)."""
        found = set()
        for root in dict.fromkeys((self.path, *self.roots)):
            layer = self if root == self.path else Layer(root, (root,))
            if layer.conf.is_file():
                for collection in layer.collections:
                    found |= {collection, *layer.layer_depends(collection)}
        return found

    @functools.cached_property
    def dynamic_files(self) -> dict[Path, set[str]]:
        """Recipe/append -> the collections whose BBFILES_DYNAMIC entry makes bitbake collect it."""
        found: dict[Path, set[str]] = {}
        for collection, pattern in self.dynamic_patterns(self.stack_collections):
            if collection in self.stack_collections and pattern.startswith(str(self.path)):
                for path in glob.glob(pattern):
                    found.setdefault(Path(path), set()).add(collection)
        return found

    def _confs(self, kind: str) -> dict[str, Path]:
        return {p.stem: p for p in sorted((self.path / "conf" / kind).glob("*.conf"))}

    @property
    def machines(self) -> dict[str, Path]:
        return self._confs("machine")

    @property
    def distros(self) -> dict[str, Path]:
        return self._confs("distro")

    @property
    def multiconfigs(self) -> dict[str, Path]:
        return self._confs("multiconfig")

    @functools.cached_property
    def bbfiles(self) -> list[Path]:
        """Recipes and appends bitbake collects through this layer's BBFILES globs."""
        found = set()
        for pattern in self.bbfiles_patterns:
            if pattern.startswith(str(self.path)):
                found.update(Path(p) for p in glob.glob(pattern))
        return sorted(found)

    @property
    def recipes(self) -> dict[str, list[Path]]:
        by_pn: dict[str, list[Path]] = {}
        for path in self.bbfiles:
            if path.suffix == ".bb":
                by_pn.setdefault(recipe_name(path), []).append(path)
        return by_pn

    @functools.cached_property
    def metadata_files(self) -> list[Path]:
        return sorted(
            p
            for p in self.path.rglob("*")
            if p.is_file() and p.suffix in METADATA_SUFFIXES and not any(part.startswith(".") for part in p.parts)
        )

    @property
    def stray_recipes(self) -> list[Path]:
        """.bb/.bbappend files that no BBFILES glob matches: bitbake never sees them."""
        seen = set(self.bbfiles)
        return [p for p in self.metadata_files if p.suffix in (".bb", ".bbappend") and p not in seen]

    @functools.cached_property
    def _texts(self) -> dict[Path, str]:
        return {path: path.read_text(errors="replace") for path in self.metadata_files}

    def mentioning(self, word: str) -> list[Path]:
        """Files whose text contains ``word``: the only ones worth a full parse when
        looking for it (an assignment's origin is the file that spells it)."""
        return [path for path, text in self._texts.items() if word in text]

    def all_assignments(self, names: list[str], containing: str | None = None) -> list[Assignment]:
        """Assignments of ``names`` anywhere in the layer (only in files that also
        contain ``containing``, when given), each reported once."""
        found = set()
        words = [containing] if containing else names
        for path in {p for word in words for p in self.mentioning(word)}:
            for a in self.parse(path).assignments(names):
                if a.file in self._texts:
                    found.add(a)
        return sorted(found, key=lambda a: (str(a.file), a.line))

    def all_flags(self, flag: str) -> list[Assignment]:
        found = set()
        for path in self.mentioning(f"[{flag}]"):
            found.update(a for a in self.parse(path).flags(flag) if a.file in self._texts)
        return sorted(found, key=lambda a: (str(a.file), a.line))

    def srcrev_assignments(self) -> list[Assignment]:
        found = set()
        for path in self.mentioning("SRCREV"):
            for a in self.parse(path).assignments():
                base = a.name.split(":")[0]
                if base.startswith("SRCREV") and base != "SRCREV_FORMAT" and a.file in self._texts:
                    found.add(a)
        return sorted(found, key=lambda a: (str(a.file), a.line))

    def resolve(self, a: Assignment) -> str:
        """``a.value`` with ``${VAR}`` references expanded from the file, or
        from a recipe that requires it (``SRCREV = "${XEN_REV}"`` in an .inc)."""
        value = self.parse(a.file).expand(a.value)
        if not references(value):
            return value
        for path in self.bbfiles:
            unit = self.parse(path)
            if a.file in unit.files:
                candidate = unit.expand(a.value)
                if not references(candidate):
                    return candidate
        return value

    def autorev_lines(self) -> list[tuple[Path, int, str]]:
        """Every non-comment line that mentions AUTOREV (also inside python or SRC_URI)."""
        hits = []
        for path in self.mentioning("AUTOREV"):
            for number, line in enumerate(self._texts[path].splitlines(), 1):
                if "AUTOREV" in line and not line.lstrip().startswith("#"):
                    hits.append((path, number, line.strip()))
        return hits


def references(text: str) -> list[str]:
    """``${VAR}`` names used in ``text``."""
    return _VAR_REF.findall(text)
