"""The YAML-checking toolkit the manifest schema is written with: every mistake a
Problem naming file:line, the key path, what is wrong and what to do."""

from __future__ import annotations

import re

from ruamel.yaml import YAML

from oxt.yamlcheck import At, YamlChecker, type_name

DOC = """\
top:
  name: stable-4.19
  count: 3
  items:
    - a
    - 7
"""


def _load(text=DOC):
    return YAML(typ="rt").load(text)


def test_mapping_names_unknown_and_missing_keys_with_lines():
    data = _load(DOC.replace("  count: 3\n", "  cuont: 3\n"))
    c = YamlChecker("m.yml")
    assert c.mapping(data["top"], At("top", 1), ("name", "count"), ("items",))
    assert [str(p) for p in c.problems] == [
        "m.yml:3: top.cuont: unknown key 'cuont'; did you mean 'count'? (remove or rename it)",
        "m.yml:1: top: missing key 'count'; add it (see the comments in the shipped manifest)",
    ]


def test_string_pattern_type_and_empty():
    top = _load()["top"]
    c = YamlChecker("m.yml")
    at = At("top", 1)
    assert c.string(top, "name", at, re.compile(r"stable-\d+\.\d+"), "a branch", "fix it") == "stable-4.19"
    assert c.string(top, "name", at, re.compile(r"main"), "the main branch", "use main") is None
    assert c.string(top, "count", at) is None
    assert c.string(top, "absent", at) is None  # absence is mapping()'s to report
    assert [str(p) for p in c.problems] == [
        "m.yml:2: top.name: 'stable-4.19' is not the main branch; use main",
        "m.yml:3: top.count: expected a string, got a number (3); quote it",
    ]


def test_seq_and_items():
    top = _load()["top"]
    c = YamlChecker("m.yml")
    items = c.seq(top, "items", At("top", 1))
    assert items == ["a", 7]
    assert At("top.items", 4).item(items, 1) == At("top.items[1]", 6)
    assert c.seq(top, "missing", At("top", 1)) == []
    assert c.seq(top, "name", At("top", 1)) is None
    assert [str(p) for p in c.problems] == ["m.yml:2: top.name: expected a list, got a string ('stable-4.19'); "
                                            "write [] for none"]


def test_problem_without_a_fix_and_without_a_line():
    c = YamlChecker("m.yml")
    c.error(At("", None), "the manifest is empty")
    assert [str(p) for p in c.problems] == ["m.yml: the manifest is empty"]
    assert [type_name(v) for v in (None, True, 1.5, {}, [])] == [
        "nothing (null)", "a boolean (True)", "a number (1.5)", "a mapping", "a list"]
