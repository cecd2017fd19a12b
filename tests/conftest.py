"""Shared pytest setup. Area-specific fixtures live in tests/<area>_fixtures.py
and are imported by the tests that need them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _git_identity():
    """Fixture repositories are committed to; CI machines may have no git identity
    and the user's ~/.gitconfig must not leak into tests."""
    saved = dict(os.environ)
    os.environ.update(
        GIT_AUTHOR_NAME="oxt tests",
        GIT_AUTHOR_EMAIL="tests@oxt.invalid",
        GIT_COMMITTER_NAME="oxt tests",
        GIT_COMMITTER_EMAIL="tests@oxt.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
