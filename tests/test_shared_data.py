"""Where the tests find the external data (``../shared``), and that its absence is visible.

External data (reference vectors, seed pages, data written by others) is read from the
``shared`` folder beside the repository, never copied into it; a git worktree one level deeper
finds the same folder. When it is absent the tests that need it skip with a reason naming the
missing path, or fail with ``LIVERMETS_REQUIRE_SHARED=1``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REQUIRE_SHARED_ENV, SHARED_ENV, require_shared, shared_dir


def _layout(tmp_path: Path) -> tuple[Path, Path]:
    shared = tmp_path / "work" / "shared"
    (shared / "reference").mkdir(parents=True)
    repo = tmp_path / "work" / "main"
    repo.mkdir()
    return shared, repo


def test_shared_is_found_beside_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SHARED_ENV, raising=False)
    shared, repo = _layout(tmp_path)
    assert shared_dir(repo) == shared


def test_shared_is_found_from_a_worktree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SHARED_ENV, raising=False)
    shared, _ = _layout(tmp_path)
    worktree = tmp_path / "work" / "wt" / "branch"
    worktree.mkdir(parents=True)
    assert shared_dir(worktree) == shared


def test_an_unrelated_shared_folder_is_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SHARED_ENV, raising=False)
    (tmp_path / "shared").mkdir()  # no reference/ or seeds/ inside
    repo = tmp_path / "repo"
    repo.mkdir()
    assert shared_dir(repo) is None


def test_the_environment_overrides_the_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, repo = _layout(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv(SHARED_ENV, str(elsewhere))
    assert shared_dir(repo) == elsewhere
    monkeypatch.setenv(SHARED_ENV, str(tmp_path / "missing"))
    assert shared_dir(repo) is None


def test_missing_data_skips_naming_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SHARED_ENV, str(tmp_path / "missing"))
    monkeypatch.delenv(REQUIRE_SHARED_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="missing/seeds"):
        require_shared("seeds")


def test_missing_data_fails_when_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SHARED_ENV, str(tmp_path / "missing"))
    monkeypatch.setenv(REQUIRE_SHARED_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="missing/reference"):
        require_shared("reference")


def test_this_checkout_has_its_shared_data() -> None:
    """Here the data is present (or the skip says where it was looked for)."""
    folder = require_shared("reference", "calculator_vectors.json")
    assert folder.stat().st_size > 0
