"""Shared pytest fixtures. The helpers behind them live in tests/fixtures/; the data
of an area's tests in tests/test_<area>/ (kas's layout)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fixtures.checkout import REPO_ROOT, copy_checkout
from fixtures.xen_upstream import Upstream, build_upstream

__all__ = ["REPO_ROOT"]  # test_ci_*.py and test_workflows.py import it from here


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


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A copy of this checkout (kas files, layers, templates) in a fresh git repository."""
    return copy_checkout(tmp_path / "checkout")


@pytest.fixture(scope="module")
def shared_checkout(tmp_path_factory) -> Path:
    """One pristine copy for read-only tests (copying is the slow part)."""
    return copy_checkout(tmp_path_factory.mktemp("pristine") / "checkout")


@pytest.fixture(scope="session")
def upstream(tmp_path_factory) -> Upstream:
    """The fixture xen.git (read-only: every test that moves it builds its own)."""
    return build_upstream(tmp_path_factory.mktemp("xen-upstream") / "xen.git")
