"""What decides which upstream recipes the images need, as one digest per kind.

A mask is right for the inputs it was generated from. They are:

pins     every upstream repository of kas/openxt.yml: url, pinned commit, layers
         (the upstream recipes and what they depend on follow from these);
layers   our layers: the names of their recipes and bbappends, and every line
         that shapes dependencies — DEPENDS/RDEPENDS/RRECOMMENDS/PROVIDES,
         PACKAGECONFIG, IMAGE_INSTALL/IMAGE_FEATURES, *_FEATURES, PREFERRED_*,
         MULTILIBS, inherit/INHERIT, task [depends]/[mcdepends] flags, python
         that sets such a variable … (moving a line between our files or layers
         changes nothing; changing what it says does);
kas      the targets, task and the same kind of lines in the local.conf blocks
         of every kas file that keeps the masks (kas/nomask.yml and kas/debug.yml
         drop them, so what they add is not covered).

The digest is a staleness alarm, not a proof: a dependency computed in a way
none of these lines shows still fails loudly at bitbake's "Nothing PROVIDES".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from oxt.kasfiles import Composition, discover, is_lockfile
from oxt.parsemask import GENERATED_MARK, HEADER_KEY, INCLUDE_LINE

KINDS = ("pins", "layers", "kas")
METADATA = (".bb", ".bbappend", ".bbclass", ".inc", ".conf")

# Variable names (before any :override) whose values decide what gets built.
_DEPENDENCY_VAR = re.compile(
    r"""^(?:R?DEPENDS|RRECOMMENDS|R?PROVIDES|PACKAGES|PACKAGES_DYNAMIC|PACKAGECONFIG\w*|BBCLASSEXTEND
    |INHERIT\w*|IMAGE_[\w-]+|EXTRA_IMAGE[\w-]*|CORE_IMAGE_\w+|FEATURE_PACKAGES_[\w-]+|PACKAGE_INSTALL\w*
    |PACKAGE_CLASSES|\w*_FEATURES(?:_\w+)?|PREFERRED_\S+|VIRTUAL-RUNTIME_[\w-]+|MACHINE\w*_R(?:DEPENDS|RECOMMENDS)
    |MACHINE|DISTRO|MULTILIBS|DEFAULTTUNE\w*|TCLIBC|TCMODE|ASSUME_PROVIDED|SKIP_RECIPE|COMPATIBLE_\w+
    |TOOLCHAIN_\w+|SDK\w*TASK\w*|TESTIMAGEDEPENDS|EFI_PROVIDER|WKS_\w+|INITRAMFS_\w+|KERNEL_\w+|BBMULTICONFIG
    )$""",
    re.X,
)
_DEPENDENCY_FLAGS = {"depends", "rdepends", "mcdepends", "deptask", "rdeptask", "recrdeptask", "recideptask"}
# bitbake's own shape of an assignment (ConfHandler.__config_regexp__, shortened)
_ASSIGNMENT = re.compile(r"^(?:export\s+)?(?P<var>[a-zA-Z0-9\-_+.${}/~:]+?)(?:\[(?P<flag>[a-zA-Z0-9\-_+.@]+)\])?"
                         r"\s*(?:\?\?=|\?=|:=|\+=|=\+|\.=|=\.|=)")
_PYTHON_SET = re.compile(r"""\b(?:set|append|prepend)Var(?:Flag)?\(\s*['"]([^'"]+)['"](?:\s*,\s*['"]([^'"]+)['"])?""")


def logical_lines(text: str):
    """bitbake's logical lines: continuations joined, blank and comment lines dropped."""
    pending = ""
    for line in text.splitlines():
        line = line.rstrip()
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        line, pending = pending + line, ""
        if line.strip() and not line.lstrip().startswith("#"):
            yield " ".join(line.split())


def dependency_lines(text: str) -> list[str]:
    """The lines of bitbake metadata that shape dependencies (see the module docstring)."""
    found = []
    for line in logical_lines(text):
        if line.startswith("inherit ") or line.startswith("require ") and "multilib" in line:
            found.append(line)
            continue
        match = _ASSIGNMENT.match(line)
        if match:
            base = match.group("var").split(":")[0]
            if _DEPENDENCY_VAR.match(base) or (match.group("flag") or "") in _DEPENDENCY_FLAGS:
                found.append(line)
            continue
        for var, flag in _PYTHON_SET.findall(line):
            if _DEPENDENCY_VAR.match(var.split(":")[0]) or flag in _DEPENDENCY_FLAGS:
                found.append(line)
                break
    return found


def is_generated(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.readline().startswith(GENERATED_MARK)
    except OSError:
        return False


def _digest(items) -> str:
    h = hashlib.sha256()
    for item in items:
        h.update(item.encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def pins_items(comp: Composition) -> list[str]:
    return sorted(f"{p.name} {p.url} {p.commit} {','.join(p.layers)}" for p in comp.repos if not p.local)


def layer_items(layer_dirs, bbfiles) -> list[str]:
    """Our layers' recipe/bbappend names and dependency lines, as sorted multisets."""
    names = sorted(f"recipe {Path(f).name}" for f in bbfiles)
    lines = []
    for layer in layer_dirs:
        for path in sorted(Path(layer).rglob("*")):
            if (path.suffix in METADATA and path.is_file() and path.name != "layer.conf"
                    and not any(part.startswith(".") for part in path.relative_to(layer).parts)
                    and not is_generated(path)):
                lines += dependency_lines(path.read_text(errors="replace"))
    return names + sorted(f"line {line}" for line in lines)


def keeps_mask(header: dict) -> bool:
    """A kas file keeps the masks unless it replaces the switch block with something else."""
    return HEADER_KEY not in header or INCLUDE_LINE in (header.get(HEADER_KEY) or "")


def kas_items(kas_dir: Path) -> list[str]:
    items = []
    kas_set = discover(kas_dir)
    for path in (kas_set.main, *kas_set.fragments):
        if is_lockfile(path):
            continue
        config = yaml.safe_load(path.read_text()) or {}
        header = config.get("local_conf_header") or {}
        # fragments that drop the masks (nomask, debug) do not shape them; the main
        # file always does, masks switched on or not (its switch block is left out)
        if path != kas_set.main and not keeps_mask(header):
            continue
        name = path.name
        target = config.get("target")
        if target is not None:
            items.append(f"{name} target {' '.join([target] if isinstance(target, str) else target)}")
        if config.get("task"):
            items.append(f"{name} task {config['task']}")
        for key in sorted(header):
            if key != HEADER_KEY:
                items += [f"{name} {key} {line}" for line in dependency_lines(header[key] or "")]
    return items


@dataclass(frozen=True)
class Inputs:
    """One digest per kind of input."""

    pins: str
    layers: str
    kas: str

    def line(self) -> str:
        return " ".join(f"{kind}={getattr(self, kind)}" for kind in KINDS)

    @classmethod
    def parse(cls, text: str) -> "Inputs | None":
        found = dict(re.findall(r"\b(pins|layers|kas)=([0-9a-f]+)", text))
        return cls(**found) if set(found) == set(KINDS) else None

    def differs(self, other: "Inputs") -> list[str]:
        return [kind for kind in KINDS if getattr(self, kind) != getattr(other, kind)]


def of(comp: Composition, layer_dirs, bbfiles, kas_dir: Path) -> Inputs:
    return Inputs(_digest(pins_items(comp)), _digest(layer_items(layer_dirs, bbfiles)), _digest(kas_items(kas_dir)))


def of_stack(stack) -> Inputs:
    """The inputs of a checkout, from the Stack of its kas/openxt.yml."""
    bbfiles = [f for layer in stack.layers for f in layer.bbfiles]
    return of(stack.comp, [layer.path for layer in stack.layers], bbfiles, stack.root / "kas")
