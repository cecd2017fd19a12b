"""Write a planned bump into the checkout: manifest, re-rendered recipes,
removed XSA files — all or nothing.

Everything is computed and validated before the first write; if writing or
rendering fails midway, the files touched so far are put back byte for
byte.
"""

from __future__ import annotations

from pathlib import Path

from oxt.fsutil import atomic_write
from oxt.repo import Checkout
from oxt.xen import manifest_io

RENDERED_PATHS = (
    Path("meta-openxt") / "recipes-extended" / "xen",
    Path("meta-openxt") / "conf" / "distro" / "include" / "openxt-versions.inc",
)


def touched_paths(checkout: Checkout) -> list[Path]:
    paths = [manifest_io.manifest_path(checkout), manifest_io.xsa_dir(checkout)]
    paths += [checkout.root / p for p in RENDERED_PATHS]
    seen, out = set(), []
    for p in paths:
        if p not in seen and (p.exists() or p == paths[0]):
            seen.add(p)
            out.append(p)
    return out


def _snapshot(paths: list[Path]) -> dict[Path, bytes | None]:
    snap: dict[Path, bytes | None] = {}
    for p in paths:
        if p.is_dir():
            for f in p.rglob("*"):
                if f.is_file():
                    snap[f] = f.read_bytes()
        else:
            snap[p] = p.read_bytes() if p.is_file() else None
    return snap


def _restore(snap: dict[Path, bytes | None], roots: list[Path]) -> None:
    for root in roots:
        if root.is_dir():
            for f in root.rglob("*"):
                if f.is_file() and f not in snap:
                    f.unlink()
    for p, data in snap.items():
        if data is None:
            p.unlink(missing_ok=True)
        elif not p.is_file() or p.read_bytes() != data:
            atomic_write(p, data)


def write(checkout: Checkout, manifest_text: str, remove: list[Path], add: dict[Path, bytes] | None = None,
          render=True) -> tuple[list[str], list[Path]]:
    """Write the manifest, add/remove XSA files, re-render. Returns (warnings, rendered files)."""
    roots = touched_paths(checkout) + list((add or {}).keys())
    snap = _snapshot(roots)
    warnings = []
    rendered: list[Path] = []
    try:
        for dest, data in (add or {}).items():
            atomic_write(dest, data)
        atomic_write(manifest_io.manifest_path(checkout), manifest_text)
        for f in remove:
            f.unlink(missing_ok=True)
            parent = f.parent
            xdir = manifest_io.xsa_dir(checkout)
            while parent != xdir and parent.is_relative_to(xdir) and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        if render:
            fn = manifest_io.render_function()
            if fn is None:
                warnings.append("renderer (oxt.render) not available: recipes not re-rendered; run `oxt render`")
            else:
                plan = fn(checkout)
                for rel in [*getattr(plan, "created", {}), *getattr(plan, "updated", {}),
                            *getattr(plan, "deleted", ())]:
                    rendered.append(checkout.layer / rel)
    except BaseException:
        _restore(snap, [r for r in roots if r.is_dir()])
        raise
    return warnings, rendered


def copy_bytes(src: Path) -> bytes:
    return Path(src).read_bytes()



