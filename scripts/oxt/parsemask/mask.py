"""From the recipe files a multiconfig needs to the BBMASK that hides the rest.

Per layer whose ``BBFILE_PATTERN`` is ``^${LAYERDIR}/`` (upstream and ours: our
Haskell layer's 80 recipes are needed in ndvm only) one mask entry hides every
``.bb`` file of the layer except the kept ones:

    ${BBFILE_PATTERN_core}(?!(?:${OPENXT_PARSEMASK_KEEP_core})$).*\\.bb$

(the pattern is the layer's own path as bitbake expanded it, so the mask holds
wherever kas checked the layer out). A kept file is written as its directory
and recipe name with any version, ``recipes-support/attr/acl(?:_[^/]*)?\\.bb``:
every version of a needed recipe stays visible, so bitbake chooses among the
same candidates as without masks (PREFERRED_VERSION, PREFERRED_PROVIDER,
layer priority), and a version bump upstream does not hide it. One file yields
all of its variants — native, nativesdk, lib32- (BBCLASSEXTEND, multilib) —
so keeping the file keeps them all.

A bbappend is hidden, by its file name and in every layer (ours too), when
every recipe it applies to is hidden: bitbake would otherwise stop at a
dangling append. Which recipes an append applies to is bitbake's own rule
(``cooker.get_file_appends``: same name, or ``%`` matches the rest).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field

from oxt.parsemask.buildconf import BuildDir, BuildLayer

_SPECIAL = re.compile(r"([.+*?()\[\]{}|^$\\])")


def rx(text: str) -> str:
    """``text`` as a literal in a regular expression (only the characters that need it escaped)."""
    return _SPECIAL.sub(r"\\\1", text)


def keep_pattern(rel: str) -> str:
    """``recipes-support/attr/acl_2.3.2.bb`` -> ``recipes-support/attr/acl(?:_[^/]*)?\\.bb``."""
    folder, name = os.path.split(rel)
    stem = name[: -len(".bb")].split("_")[0]
    prefix = f"{rx(folder)}/" if folder else ""
    return f"{prefix}{rx(stem)}(?:_[^/]*)?\\.bb"


def applies(append: str, recipe: str) -> bool:
    """Does bbappend file name ``append`` apply to recipe file name ``recipe`` (bitbake's rule)?"""
    base = append[: -len(".bbappend")] + ".bb"
    return base == recipe or ("%" in base and base.startswith(recipe[: base.index("%")]))


@dataclass
class LayerMask:
    layer: BuildLayer
    keep: list[str]  # keep patterns, sorted
    kept: int  # .bb files the patterns keep
    total: int  # .bb files bitbake collects from the layer
    ours: bool = False  # one of this checkout's layers

    @property
    def collection(self) -> str:
        return self.layer.collections[0]


@dataclass
class McMask:
    mc: str
    roots: list[str]
    layers: list[LayerMask] = field(default_factory=list)
    appends: list[str] = field(default_factory=list)  # bbappend file names hidden
    unmasked: list[BuildLayer] = field(default_factory=list)  # layers we cannot anchor a mask on

    @property
    def kept(self) -> int:
        """Upstream .bb files that stay visible."""
        return sum(m.kept for m in self.layers if not m.ours)

    @property
    def total(self) -> int:
        return sum(m.total for m in self.layers if not m.ours)

    @property
    def own_kept(self) -> int:
        return sum(m.kept for m in self.layers if m.ours)

    @property
    def own_total(self) -> int:
        return sum(m.total for m in self.layers if m.ours)


def plan_mc(mc: str, needed: dict[str, set[str]], roots: set[str], build: BuildDir, ours: set[str]) -> McMask:
    """The mask of one multiconfig: the ``needed`` recipe files (collection -> paths relative to
    its layer) stay visible in the layers of ``build``, ours (the ``ours`` collections) as upstream ones."""
    result = McMask(mc, sorted(roots))
    visible: set[str] = set()
    for layer in build.layers:
        recipes = [f for f in layer.bbfiles if f.endswith(".bb")]
        if not layer.anchored or len(layer.collections) != 1:
            result.unmasked.append(layer)
            visible.update(recipes)
            continue
        keep = sorted({keep_pattern(rel) for rel in needed.get(layer.collections[0], ())})
        matcher = re.compile(f"(?:{'|'.join(keep)})$") if keep else None
        kept = [f for f in recipes if matcher and matcher.match(layer.rel(f))]
        visible.update(kept)
        result.layers.append(LayerMask(layer, keep, len(kept), len(recipes), bool(set(layer.collections) & ours)))
    all_recipes = {os.path.basename(f) for layer in build.layers for f in layer.bbfiles if f.endswith(".bb")}
    shown = {os.path.basename(f) for f in visible}
    appends = {os.path.basename(f) for layer in build.layers for f in layer.bbfiles if f.endswith(".bbappend")}
    for append in sorted(appends):
        targets = {r for r in all_recipes if applies(append, r)}
        if targets and not targets & shown:
            result.appends.append(append)
    return result


def _var(name: str, alternatives: list[str]) -> list[str]:
    """A variable holding ``a|b|c`` one alternative per line (no blanks: BBMASK splits on them)."""
    body = [f"{alt}|\\" for alt in alternatives[:-1]] + [f"{alternatives[-1]}\\"]
    return [f'{name} = "\\', *body, '"']


def render(mask: McMask, header: list[str]) -> str:
    """The include: ``header`` (comment lines), a content digest that shows hand edits, the masks."""
    lines = ['INHERIT += "openxt_parsemask"']
    for m in mask.layers:
        c = m.collection
        lines += ["", f"# {os.path.basename(m.layer.path)} ({c}): {m.kept} of {m.total} recipe files parse here"]
        if m.keep:
            lines += _var(f"OPENXT_PARSEMASK_KEEP_{c}", m.keep)
            lines.append(f'BBMASK:append = " ${{BBFILE_PATTERN_{c}}}(?!(?:${{OPENXT_PARSEMASK_KEEP_{c}}})$).*\\.bb$"')
        else:
            lines.append(f'BBMASK:append = " ${{BBFILE_PATTERN_{c}}}.*\\.bb$"')
        lines.append(f'BBFILE_PATTERN_IGNORE_EMPTY_{c} = "1"')
    for layer in mask.unmasked:
        lines += ["", f"# {os.path.basename(layer.path)} ({' '.join(layer.collections)}): not masked, "
                      "its BBFILE_PATTERN is not ^${LAYERDIR}/"]
    if mask.appends:
        lines += ["", f"# bbappends whose recipes are all hidden here ({len(mask.appends)}), in any layer"]
        lines += _var("OPENXT_PARSEMASK_APPENDS", [rx(a) for a in mask.appends])
        lines.append('BBMASK:append = " /(?:${OPENXT_PARSEMASK_APPENDS})$"')
    body = "\n".join(lines) + "\n"
    return "\n".join([*header, f"# content: {content_digest(body)}", ""]) + "\n" + body


def content_digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def split_generated(text: str) -> tuple[str, str, str | None]:
    """(header, body, recorded content digest) of a generated include."""
    head, sep, body = text.partition("\n\n")
    found = re.search(r"^# content: ([0-9a-f]+)$", head, re.M)
    return head, body, found.group(1) if found else None
