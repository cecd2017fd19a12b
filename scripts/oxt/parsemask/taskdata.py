"""Read taskdata.json (collect.py): which recipe files bitbake's task data reaches, per multiconfig.

collect.py writes, inside the unmasked build, every recipe bitbake's TaskData
holds for the targets — every eligible provider of every DEPENDS, RDEPENDS,
RRECOMMENDS and ``[depends]`` name of every task of every recipe reached —
with the file bitbake reports for it (``mc:dom0:virtual:native:/…/acl_2.3.2.bb``:
native, nativesdk and ``multilib:lib32`` variants come from the plain .bb file).
That, not the pruned task graph, is what a masked build must still find.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from oxt.errors import ConfigError
from oxt.parsemask.collect import FORMAT, OUTPUT, split_pn
from oxt.parsemask.taskgraph import recipe_file

COLLECT = "kas shell KAS_FILES:kas/nomask.yml -c \"python3 $PWD/scripts/oxt/parsemask/collect.py TARGET...\""


@dataclass
class Reached:
    """What one taskdata.json says, per multiconfig."""

    path: Path
    targets: list[str]
    files: dict[str, set[str]] = field(default_factory=dict)  # mc -> recipe files (normalised paths)
    recipes: dict[str, set[str]] = field(default_factory=dict)  # mc -> recipe names (PN, variants included)

    def roots(self) -> dict[str, set[str]]:
        """mc -> the targets asked for in it, as ``pn:do_task`` (do_build when none was named)."""
        found: dict[str, set[str]] = {}
        for target in self.targets:
            mc, name = split_pn(target)
            pn, _, task = name.partition(":")
            found.setdefault(mc, set()).add(f"{pn}:{task or 'do_build'}")
        return found


def path_of(arg: Path) -> Path:
    """A taskdata.json, or the build directory holding one."""
    path = Path(arg)
    return path / OUTPUT if path.is_dir() else path


def read(path: Path) -> Reached:
    """Parse one taskdata.json; anything else is a user error that says how to make one."""
    path = Path(path)
    if path.name.endswith(".dot"):
        raise ConfigError(f"{path}: a task graph is not enough — `bitbake -g` writes the run queue after pruning, "
                          "but bitbake still resolves providers for every task of every recipe it reaches "
                          f"(do_populate_sdk_ext, do_check, …); give the {OUTPUT} that `{COLLECT}` writes")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the task data: {err.strerror}; give the build directory "
                          f"where `{COLLECT}` wrote {OUTPUT} (or that file)") from None
    try:
        data = json.loads(text)
    except ValueError as err:
        raise ConfigError(f"{path}: not JSON ({err}); write it again with `{COLLECT}`") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ConfigError(f"{path}: format {found!r}, expected {FORMAT!r}; write it again with `{COLLECT}`")
    recipes = data.get("recipes")
    targets = data.get("targets")
    if not isinstance(recipes, dict) or not recipes or not isinstance(targets, list):
        raise ConfigError(f"{path}: names no recipes or no targets; write it again with `{COLLECT}`")
    reached = Reached(path, [str(t) for t in targets])
    for mc, names in recipes.items():
        if not isinstance(names, dict):
            raise ConfigError(f"{path}: recipes.{mc} is no mapping of recipe names to files; "
                              f"write it again with `{COLLECT}`")
        for pn, fn in names.items():
            try:
                reached.files.setdefault(mc, set()).add(recipe_file(str(fn)))
            except ValueError:
                raise ConfigError(f"{path}: recipe {pn} of mc {mc} names no recipe file ({fn!r}); "
                                  f"write it again with `{COLLECT}`") from None
            reached.recipes.setdefault(mc, set()).add(pn)
    return reached
