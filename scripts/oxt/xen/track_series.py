"""Which patches a Xen track's recipes apply, in the order they apply them.

The order is read from the renderer itself (:func:`oxt.render.outputs`, the
``SRC_URI`` each rendered ``xen_X.Y.bb`` / ``xen-tools_X.Y.bb`` gets), so the
series checked is exactly the one bitbake's ``do_patch`` will push, whatever
order the template chooses. Each ``file://`` entry is found where bitbake
finds it: ``xsa/…`` and ``openxt/…`` in this layer
(``recipes-extended/xen/files/``), plain names in meta-virtualization's
``recipes-extended/xen/files/`` (:mod:`.metavirt`; the rendered recipe
prepends that directory to ``FILESEXTRAPATHS``).

:func:`series_entries` names the patches; :func:`load` reads them — from a
change not written yet (``files``: a :class:`~oxt.changeset.ChangeSet`'s new
files) before the layer, so ``xsa add`` and ``bump xen`` check the series the
edited manifest will render::

    for recipe, entries in series_entries(changes.manifest, track):
        patches = load(entries, files=changes.add, meta_virt=reader)

A series can also come from a quilt ``series`` file (``--series FILE``: one
patch path per line relative to the file, optional ``-pN``, ``#`` comments),
for queues that are not in the manifest — e.g. another project's Xen queue
surveyed in a scratch directory. There a patch counts as an XSA patch when
its name (``xsaN…``) or its header (``This is XSA-N.``) says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from oxt.manifest import Manifest, XenTrack
from oxt.xen.metavirt import META_VIRT, SeriesInputError
from oxt.xen.patches import xsa_number_in_name
from oxt.xen.patchfile import parse
from oxt.xen.series import SeriesPatch
from oxt.xen.xsa_index import xsas_in_message

RECIPES = ("xen", "xen-tools")


@dataclass
class RecipeSeries:
    recipe: str  # xen (hypervisor) | xen-tools
    patches: list[SeriesPatch] = field(default_factory=list)

    def without(self, kind: str) -> "RecipeSeries":
        return RecipeSeries(self.recipe, [p for p in self.patches if p.kind != kind])


@dataclass(frozen=True)
class SeriesEntry:
    """One patch of a rendered SRC_URI, not read yet."""

    name: str  # xsa/<file>, openxt/<file> or meta-virtualization/<file>
    kind: str  # xsa | upstream | openxt
    strip: int
    path: Path | None  # the file in this layer; None for meta-virtualization's
    rel: str  # the file:// path in SRC_URI


def _src_uri_entry(url: str) -> tuple[str, dict[str, str]]:
    path, *params = url[len("file://"):].split(";")
    return path, dict(p.split("=", 1) for p in params if "=" in p)


def _entry(manifest: Manifest, url: str) -> SeriesEntry | None:
    rel, params = _src_uri_entry(url)
    if params.get("apply", "yes") == "no" or not rel.endswith((".patch", ".diff")):
        return None
    strip = int(params.get("striplevel", "1"))
    if rel.startswith("xsa/"):
        return SeriesEntry(rel, "xsa", strip, manifest.xsa_patch_path(rel[len("xsa/"):]), rel)
    if rel.startswith("openxt/"):
        return SeriesEntry(rel, "openxt", strip, manifest.xen_patch_path(rel[len("openxt/"):]), rel)
    return SeriesEntry(f"{META_VIRT}/{rel}", "upstream", strip, None, rel)


def series_entries(manifest: Manifest, track: XenTrack,
                   recipes: tuple[str, ...] = RECIPES) -> list[tuple[str, list[SeriesEntry]]]:
    """(recipe, its patches in SRC_URI order) for each of *track*'s rendered recipes."""
    from oxt.render import outputs  # the renderer decides the order

    found = []
    for out in outputs(manifest):
        ctx = out.context
        if out.template != "xen.bb.j2" or ctx.get("track") is None or ctx["track"].branch != track.branch:
            continue
        recipe = out.path.name.split("_")[0]
        if recipe in recipes:
            entries = [_entry(manifest, url) for url in ctx["src_uri"] if url.startswith("file://")]
            found.append((recipe, [e for e in entries if e is not None]))
    return found


def load(entries: list[SeriesEntry], *, files: Mapping[Path, bytes] | None = None,
         meta_virt: Callable[[str], bytes] | None = None, recipe: str = "xen") -> list[SeriesPatch]:
    """The patches of *entries*: from *files* (a change not written yet), the layer, or meta-virtualization."""
    files = files or {}
    patches = []
    for e in entries:
        if e.path is None:
            if meta_virt is None:
                raise SeriesInputError(f"{recipe} applies meta-virtualization's {e.rel}; pass --meta-virt DIR|URL "
                                       "to say where meta-virtualization is")
            patches.append(SeriesPatch(name=e.name, data=meta_virt(e.rel), kind=e.kind, strip=e.strip))
        elif e.path in files:
            patches.append(SeriesPatch(name=e.name, data=files[e.path], kind=e.kind, strip=e.strip, path=e.path))
        else:
            if not e.path.is_file():
                raise SeriesInputError(f"{e.path}: {recipe} applies {e.rel} but the file is missing; restore it "
                                       "or remove it from the manifest's queue")
            patches.append(SeriesPatch.from_file(e.path, kind=e.kind, name=e.name, strip=e.strip))
    return patches


def track_series(manifest: Manifest, track: XenTrack, *, meta_virt: Callable[[str], bytes] | None = None,
                 recipes: tuple[str, ...] = RECIPES, files: Mapping[Path, bytes] | None = None) -> list[RecipeSeries]:
    """The patch series of each of *track*'s rendered recipes, in SRC_URI order."""
    return [RecipeSeries(recipe, load(entries, files=files, meta_virt=meta_virt, recipe=recipe))
            for recipe, entries in series_entries(manifest, track, recipes)]


def needs_meta_virt(track: XenTrack) -> bool:
    return bool(track.upstream_patches.hypervisor or track.upstream_patches.tools)


# -- quilt series files ---------------------------------------------------------------

def classify(name: str, data: bytes) -> str:
    """xsa when the file name or its header names an XSA, else openxt."""
    if xsa_number_in_name(name) is not None:
        return "xsa"
    header = parse(data).header.decode("utf-8", "replace")
    return "xsa" if xsas_in_message(header) else "openxt"


def series_file(path: Path) -> list[SeriesPatch]:
    """The patches a quilt ``series`` file lists, in order (paths relative to the file)."""
    path = Path(path)
    if not path.is_file():
        raise SeriesInputError(f"--series {path}: no such file; give a quilt series file "
                               "(one patch path per line)")
    patches = []
    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, *opts = line.split()
        strip = 1
        for opt in opts:
            if opt.startswith("-p") and opt[2:].isdigit():
                strip = int(opt[2:])
        f = path.parent / name
        if not f.is_file():
            raise SeriesInputError(f"{path}:{number}: {name}: no such patch file next to the series file")
        data = f.read_bytes()
        if not parse(data, strip).sections:
            raise SeriesInputError(f"{path}:{number}: {name}: not a patch (no file header); fix the series")
        patches.append(SeriesPatch(name=name, data=data, kind=classify(name, data), strip=strip, path=f))
    if not patches:
        raise SeriesInputError(f"--series {path}: lists no patches")
    return patches
