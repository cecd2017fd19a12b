"""A small toolkit for checking a YAML document key by key.

The document is loaded with ruamel's round-trip loader, which remembers the
line of every key and list item. :class:`YamlChecker` records a
:class:`~oxt.problems.Problem` per mistake -- ``file:line``, the key path
(``xen.tracks[0].srcrev``), what is wrong and what to do -- and carries on,
so one run reports every mistake. The manifest schema
(:mod:`oxt.manifest_schema`) is written with it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from oxt.problems import Problem


@dataclass(frozen=True)
class At:
    """Where a value sits: its key path and (1-based) YAML line."""

    path: str
    line: int | None

    def key(self, node: Any, key: str) -> "At":
        return At(f"{self.path}.{key}" if self.path else key, _line_of_key(node, key) or self.line)

    def item(self, node: Any, index: int) -> "At":
        line = None
        try:
            line = node.lc.item(index)[0] + 1
        except (AttributeError, KeyError, IndexError, TypeError):
            pass
        return At(f"{self.path}[{index}]", line or self.line)


def _line_of_key(node: Any, key: str) -> int | None:
    try:
        return node.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError):
        return None


def type_name(value: Any) -> str:
    """How a wrong value is named in a message: ``a number (4.9)``, ``a list``..."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


class YamlChecker:
    """Checks values of one document (*shown*: its path as printed) and keeps every problem."""

    def __init__(self, shown: str):
        self.shown = shown
        self.problems: list[Problem] = []

    def error(self, at: At, what: str, fix: str = "") -> None:
        where = f"{self.shown}:{at.line}" if at.line else self.shown
        self.problems.append(Problem(where, f"{at.path}: {what}" if at.path else what, fix))

    def mapping(self, node: Any, at: At, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> bool:
        """*node* is a mapping with every *required* key and no key outside *required* + *optional*."""
        allowed = required + optional
        if not isinstance(node, dict):
            self.error(at, f"expected a mapping with keys {', '.join(allowed)}, got {type_name(node)}")
            return False
        for key in node:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
                self.error(at.key(node, str(key)), f"unknown key {str(key)!r}", f"{hint} (remove or rename it)")
        for key in required:
            if key not in node:
                self.error(at, f"missing key {key!r}", "add it (see the comments in the shipped manifest)")
        return True

    def string(self, node: dict, key: str, at: At, pattern: re.Pattern | None = None, what: str = "",
               fix: str = "") -> str | None:
        """``node[key]`` as a non-empty string matching *pattern* (named *what*); None if absent or wrong."""
        if key not in node:
            return None
        value, here = node[key], at.key(node, key)
        if not isinstance(value, str) or isinstance(value, bool):
            self.error(here, f"expected a string, got {type_name(value)}", "quote it")
            return None
        value = str(value)
        if not value.strip():
            self.error(here, "must not be empty", fix or "fill it in")
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.error(here, f"{value!r} is not {what}", fix)
            return None
        return value

    def seq(self, node: dict, key: str, at: At) -> list | None:
        """``node[key]`` as a list ([] when absent or null); None if it is something else."""
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(at.key(node, key), f"expected a list, got {type_name(value)}", "write [] for none")
            return None
        return value
