#!/usr/bin/env python3
"""Stage the image files of a kas build for upload, each file once.

    collect_images.py BUILD_DIR DEST

A deploy directory (BUILD_DIR/tmp*/deploy/images/<machine>/) holds every
image file twice: the timestamped file and a symlink with a stable name
(IMAGE_LINK_NAME), and actions/upload-artifact follows symlinks, so
uploading the directory uploads each image twice. It also holds kernels and
module tarballs that are already inside the images.

Here an image is what a `<name>.manifest` in a deploy directory names; its
files are the `<name>.*` entries. Each is staged once, under its stable
link name, as DEST/<machine>/<file> (a hard link, or a copy across file
systems). Exit 1 when no image is found. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path


def deploy_dirs(build: Path) -> list[Path]:
    return sorted(p for p in build.glob("tmp*/deploy/images/*") if p.is_dir() and not p.is_symlink())


def image_names(deploy: Path) -> list[str]:
    return sorted(p.name[: -len(".manifest")] for p in deploy.glob("*.manifest"))


def image_files(deploy: Path) -> list[tuple[str, Path]]:
    """(name to publish, regular file) for every file of every image in ``deploy``, each file once."""
    images = image_names(deploy)
    root = deploy.resolve()
    entries = [e for e in deploy.iterdir() if any(e.name.startswith(image + ".") for image in images)]
    chosen: dict[Path, str] = {}
    # Links first (their names are stable), then files without a link, each in name order.
    for entry in sorted(entries, key=lambda e: (not e.is_symlink(), e.name)):
        target = entry.resolve()
        if target.is_file() and target.is_relative_to(root):  # not a directory, dangling or outside link
            chosen.setdefault(target, entry.name)
    return sorted(((name, target) for target, name in chosen.items()), key=lambda item: item[0])


def stage(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, dest)
    except OSError:
        shutil.copy2(source, dest)


def human(size: int) -> str:
    return f"{size / 2**20:.1f} MiB" if size >= 2**20 else f"{size} B"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", type=Path, help="the kas build directory (KAS_WORK_DIR/build)")
    parser.add_argument("dest", type=Path, help="where to stage the files (must not exist yet)")
    args = parser.parse_args(argv)
    if args.dest.exists():
        print(f"collect_images: {args.dest} already exists; give a new directory", file=sys.stderr)
        return 2
    total, count = 0, 0
    for deploy in deploy_dirs(args.build):
        for name, source in image_files(deploy):
            stage(source, args.dest / deploy.name / name)
            size = source.stat().st_size
            total += size
            count += 1
            print(f"{deploy.name}/{name}  {human(size)}")
    if not count:
        print(f"collect_images: no image in {args.build}/tmp*/deploy/images/*/ (no <name>.manifest)",
              file=sys.stderr)
        return 1
    print(f"collect_images: {count} files, {human(total)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
