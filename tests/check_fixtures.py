"""Fixtures for `oxt check` tests: throw-away copies of this checkout.

Bad cases are built by breaking a copy of the real kas files and layers,
so every test also re-checks what we ship. The copy is a git repository:
kas resolves a repo without url to the git checkout holding the kas file.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import git
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
# Point the suite at another checkout (e.g. a branch under review) without copying tests.
SOURCE = Path(os.environ.get("OXT_CHECKOUT_UNDER_TEST", REPO_ROOT))
VMS = ("dom0", "ndvm", "uivm", "syncvm", "stubdomain")
FULL_COMMIT = re.compile(r"[0-9a-f]{40}")


def local_layers(root: Path) -> list[Path]:
    """Top-level directories of the checkout that are bitbake layers."""
    return sorted(p for p in root.iterdir() if (p / "conf" / "layer.conf").is_file())


def copy_checkout(dest: Path, source: Path = SOURCE) -> Path:
    """kas/ and every layer of ``source`` into ``dest``, committed to a fresh git repo."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source / "kas", dest / "kas")
    for layer in local_layers(source):
        shutil.copytree(layer, dest / layer.name, ignore=shutil.ignore_patterns("__pycache__"))
    repo = git.Repo.init(dest)
    repo.git.add("-A")
    repo.index.commit("copy of the checkout under test")
    return dest


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Content hash and mtime of every file: proves a failed run wrote nothing."""
    state = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            state[str(path.relative_to(root))] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    return state


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def dump_yaml(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def append(path: Path, text: str) -> None:
    with open(path, "a") as fh:
        fh.write(text)


def oxt(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The installed console script, as a user runs it."""
    exe = Path(sys.executable).with_name("oxt")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "oxt"]
    return subprocess.run(command + list(args), cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def checkout(tmp_path) -> Path:
    return copy_checkout(tmp_path / "checkout")


@pytest.fixture(scope="module")
def shared_checkout(tmp_path_factory) -> Path:
    """One pristine copy for read-only tests (copying is the slow part)."""
    return copy_checkout(tmp_path_factory.mktemp("pristine") / "checkout")
