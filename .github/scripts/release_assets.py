#!/usr/bin/env python3
"""Turn the staged image files of a tag build into release assets.

    release_assets.py IMAGES_DIR OUT_DIR

IMAGES_DIR is the images artifact (collect_images.py's <machine>/<file>
tree). Every file becomes one asset in OUT_DIR: compressed with zstd unless
it already is compressed, with a flat name (the image file names carry their
machine already), plus SHA256SUMS of the assets. GitHub refuses release
assets of 2 GiB or more: such a file stops the run (exit 1) naming it, before
anything is published. Needs the zstd program.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

MAX_ASSET = 2 * 1024**3  # GitHub: each file in a release must be under 2 GiB
COMPRESSED = (".gz", ".xz", ".zst", ".bz2", ".lz4", ".zip")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_assets(images: Path, out: Path, max_bytes: int = MAX_ASSET) -> list[Path]:
    sources = sorted(p for p in images.rglob("*") if p.is_file())
    if not sources:
        raise SystemExit(f"release_assets: no files in {images}")
    names: dict[str, Path] = {}
    for source in sources:
        name = source.name if source.name.endswith(COMPRESSED) else source.name + ".zst"
        if name in names:
            raise SystemExit(f"release_assets: {source} and {names[name]} would both be published as {name}")
        names[name] = source
    out.mkdir(parents=True, exist_ok=False)
    assets = []
    for name, source in names.items():
        asset = out / name
        if name == source.name:
            shutil.copy2(source, asset)
        else:
            subprocess.run(["zstd", "-q", "-T0", "-10", str(source), "-o", str(asset)], check=True)
        size = asset.stat().st_size
        if size >= max_bytes:
            raise SystemExit(f"release_assets: {name} is {size} bytes; GitHub release assets must be under "
                             f"{max_bytes} bytes. Shrink the image (IMAGE_ROOTFS_SIZE, IMAGE_FSTYPES) "
                             "or publish it elsewhere")
        print(f"{name}  {size} bytes")
        assets.append(asset)
    sums = out / "SHA256SUMS"
    sums.write_text("".join(f"{sha256(a)}  {a.name}\n" for a in assets))
    return assets + [sums]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--max-bytes", type=int, default=MAX_ASSET, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.out.exists():
        print(f"release_assets: {args.out} already exists; give a new directory", file=sys.stderr)
        return 2
    assets = build_assets(args.images, args.out, args.max_bytes)
    print(f"release_assets: {len(assets)} assets in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
