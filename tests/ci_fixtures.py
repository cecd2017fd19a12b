"""Fixtures for the CI tests: a kas build directory as bitbake leaves it.

oe-core deploys every image file under a timestamped name with a symlink of
stable name to it, and keeps each task log as log.do_<task>.<pid> with a
log.do_<task> symlink; bitbake's console logs get a console-latest.log link.
"""

from __future__ import annotations

from pathlib import Path

STAMP = "20260101120000"


def deploy_fixture(build: Path) -> dict[str, bytes]:
    """A deploy tree as oe-core writes it; returns the expected staged files -> content."""
    expected = {}
    for vm, types in (("dom0", ("wic", "wic.bmap", "ext4", "manifest", "testdata.json")),
                      ("stubdomain", ("cpio.gz", "manifest"))):
        deploy = build / f"tmp-{vm}" / "deploy" / "images" / f"openxt-{vm}"
        deploy.mkdir(parents=True)
        link = f"openxt-{vm}-image-openxt-{vm}" + (".rootfs" if vm == "dom0" else "")
        for kind in types:
            data = f"{vm} {kind}\n".encode() * 100
            real = deploy / f"{link}-{STAMP}.{kind}"
            real.write_bytes(data)
            (deploy / f"{link}.{kind}").symlink_to(real.name)
            expected[f"openxt-{vm}/{link}.{kind}"] = data
        # kernel and modules are inside the images: not staged
        (deploy / f"bzImage--4.9-r0-openxt-{vm}-{STAMP}.bin").write_bytes(b"kernel")
        (deploy / "bzImage").symlink_to(f"bzImage--4.9-r0-openxt-{vm}-{STAMP}.bin")
        (deploy / f"{link}.dangling").symlink_to("nowhere")
    return expected


def logs_fixture(build: Path) -> set[Path]:
    """Task and console logs with bitbake's symlinks; returns the real log files."""
    real = set()
    temp = build / "tmp-dom0" / "work" / "core2-64-oe-linux" / "xen" / "4.19-r0" / "temp"
    temp.mkdir(parents=True)
    for task in ("fetch", "compile"):
        log = temp / f"log.do_{task}.{1000 + len(task)}"
        log.write_text(f"{task} log\n")
        (temp / f"log.do_{task}").symlink_to(log.name)
        (temp / f"run.do_{task}.{1000 + len(task)}").write_text("#!/bin/sh\n")
        real.add(log)
    (temp / "log.task_order").write_text("order\n")
    cooker = build / "tmp" / "log" / "cooker" / "openxt-dom0"
    cooker.mkdir(parents=True)
    console = cooker / f"{STAMP}.log"
    console.write_text("NOTE: console\n")
    (cooker / "console-latest.log").symlink_to(console.name)
    real.add(console)
    return real
