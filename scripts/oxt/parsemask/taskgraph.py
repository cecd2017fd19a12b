"""Read ``bitbake -g``'s task-depends.dot: which recipe files each multiconfig's tasks come from.

bitbake 2.8 (``cooker.generateDotGraphFiles``) writes one node line per task,

    "mc:dom0:acl-native.do_compile" [label="mc:dom0:acl-native do_compile\\n:2.3.2-r0\\nmc:dom0:virtual:native:/…/acl_2.3.2.bb"]

whose label ends with the task's recipe file (with its multiconfig and
``virtual:<class>:`` prefixes: native, nativesdk and ``multilib:lib32`` variants
come from the plain .bb file), and one line per dependency, ``"a" -> "b"``.
The node lines give the recipe files; the roots (tasks nothing depends on:
what ``bitbake -g`` was asked for) say which targets a mask covers; the edges
let ``oxt parsemask --compare`` show that a masked build resolves the very same
graph as an unmasked one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from oxt.errors import ConfigError
from oxt.parsemask.collect import DEFAULT_MC

_NODE = re.compile(r'^"([^"]+)" \[label="([^"]*)"\]$')
_EDGE = re.compile(r'^"([^"]+)" -> "([^"]+)"$')


@dataclass
class TaskGraph:
    """What one task-depends.dot says, per multiconfig."""

    path: Path
    files: dict[str, set[str]] = field(default_factory=dict)  # mc -> recipe files (normalised paths)
    tasks: dict[str, set[str]] = field(default_factory=dict)  # mc -> "pn:do_task"
    roots: dict[str, set[str]] = field(default_factory=dict)  # mc -> "pn:do_task" nothing depends on
    edges: set[tuple[str, str]] = field(default_factory=set)  # (task, task it depends on), as node names

    @property
    def multiconfigs(self) -> list[str]:
        return sorted(self.files)

    def task_list(self) -> set[str]:
        """Every task as ``mc:pn:do_task`` (the default configuration as ``default``)."""
        return {f"{mc}:{task}" for mc, tasks in self.tasks.items() for task in tasks}


@dataclass
class Comparison:
    """Two task graphs of the same targets: what one has that the other lacks."""

    tasks: tuple[int, int]
    edges: tuple[int, int]
    only_first: list[str]  # tasks
    only_second: list[str]
    edges_only_first: int
    edges_only_second: int

    @property
    def same(self) -> bool:
        return not (self.only_first or self.only_second or self.edges_only_first or self.edges_only_second)


def compare(first: TaskGraph, second: TaskGraph) -> Comparison:
    a, b = first.task_list(), second.task_list()
    return Comparison((len(a), len(b)), (len(first.edges), len(second.edges)), sorted(a - b), sorted(b - a),
                      len(first.edges - second.edges), len(second.edges - first.edges))


def split_task(node: str) -> tuple[str, str]:
    """``mc:dom0:acl-native.do_compile`` -> (``dom0``, ``acl-native:do_compile``)."""
    name, task = node.rsplit(".", 1)
    if name.startswith("mc:"):
        _, mc, name = name.split(":", 2)
    else:
        mc = DEFAULT_MC
    return mc, f"{name}:{task}"


def recipe_file(label_fn: str) -> str:
    """The .bb file of a label's last line: ``mc:dom0:virtual:native:/x/../a_1.bb`` -> ``/a_1.bb``."""
    start = label_fn.find("/")
    if start < 0:
        raise ValueError(label_fn)
    return os.path.normpath(label_fn[start:])


def read(path: Path) -> TaskGraph:
    """Parse one task-depends.dot; a file that is no bitbake task graph is a user error."""
    graph = TaskGraph(Path(path))
    depended: set[str] = set()
    nodes: dict[str, tuple[str, str]] = {}
    try:
        handle = open(path, encoding="utf-8", errors="replace")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the task graph: {err.strerror}; "
                          "give the task-depends.dot `bitbake -g` wrote (or its build directory)") from None
    with handle:
        first = handle.readline().strip()
        if first != "digraph depends {":
            raise ConfigError(f"{path}: not a task graph of `bitbake -g` (first line {first[:60]!r}, "
                              "expected 'digraph depends {'); give the task-depends.dot it wrote")
        for number, line in enumerate(handle, 2):
            line = line.rstrip("\n")
            edge = _EDGE.match(line)
            if edge:
                depended.add(edge.group(2))
                graph.edges.add((edge.group(1), edge.group(2)))
                continue
            node = _NODE.match(line)
            if not node:
                continue
            fields = node.group(2).split("\\n")
            try:
                mc, task = split_task(node.group(1))
                fn = recipe_file(fields[-1])
            except ValueError:
                raise ConfigError(f"{path}:{number}: task {node.group(1)!r} names no recipe file "
                                  f"({fields[-1]!r}); regenerate the graph with `bitbake -g`") from None
            nodes[node.group(1)] = (mc, task)
            graph.files.setdefault(mc, set()).add(fn)
            graph.tasks.setdefault(mc, set()).add(task)
    if not nodes:
        raise ConfigError(f"{path}: the task graph has no tasks; `bitbake -g` of the image targets writes them")
    for node, (mc, task) in nodes.items():
        if node not in depended:
            graph.roots.setdefault(mc, set()).add(task)
    return graph
