"""Shared test helpers: evaluate expressions on case rows with both backends; find the
external test data in ``../shared`` (skipping visibly when it is absent)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from livermets.engine.columnar import attach_aggregates, compile_columnar
from livermets.engine.expr import Expr
from livermets.engine.scalar import Compiled, compile_scalar
from livermets.features.catalog import CASE_FEATURES, CHILD_FEATURES

_TYPES: dict[str, pl.DataType] = {
    "float": pl.Float64(),
    "int": pl.Int64(),
    "bool": pl.Boolean(),
    "str": pl.String(),
}
# base features plus the derived columns that exist before scores run
CASE_TYPES: dict[str, pl.DataType] = {
    **{f.name: _TYPES[f.dtype] for f in CASE_FEATURES},
    "lesion_count": pl.Int64(),
    "largest_lesion_cm": pl.Float64(),
    "dfi_months": pl.Float64(),
}
CHILD_TYPES: dict[str, dict[str, pl.DataType]] = {
    table: {"case_id": pl.Int64(), **{f.name: _TYPES[f.dtype] for f in features}}
    for table, features in CHILD_FEATURES.items()
}


def _python_type(values: Sequence[Any]) -> pl.DataType:
    for v in values:
        if isinstance(v, bool):
            return pl.Boolean()
        if isinstance(v, int):
            return pl.Int64()
        if isinstance(v, float):
            return pl.Float64()
        if isinstance(v, str):
            return pl.String()
    return pl.Float64()


def same(x: Any, y: Any, rel: float = 1e-9) -> bool:
    """Equal, with a relative tolerance for floats; unknown only equals unknown."""
    if x is None or y is None:
        return x is None and y is None
    if isinstance(x, bool) or isinstance(y, bool) or isinstance(x, str) or isinstance(y, str):
        return bool(x == y)
    return math.isclose(float(x), float(y), rel_tol=rel, abs_tol=1e-9)


class Backends:
    """Evaluate named expressions on rows (dicts; child tables as lists of dicts)."""

    def __init__(self) -> None:
        # compiled scalar functions by expression identity (the expression is kept alive)
        self._compiled: dict[int, tuple[Expr, Compiled]] = {}

    def _scalar_fn(self, expr: Expr) -> Compiled:
        cached = self._compiled.get(id(expr))
        if cached is None or cached[0] is not expr:
            cached = (expr, compile_scalar(expr))
            self._compiled[id(expr)] = cached
        return cached[1]

    def scalar(
        self, exprs: Mapping[str, Expr], rows: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        compiled = {name: self._scalar_fn(e) for name, e in exprs.items()}
        return [{name: fn(row) for name, fn in compiled.items()} for row in rows]

    def columnar(
        self, exprs: Mapping[str, Expr], rows: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        read = set().union(*(e.columns() for e in exprs.values()))
        case_cols = sorted(c for c in read if "." not in c and not c.endswith("[]"))
        schema: dict[str, pl.DataType] = {"case_id": pl.Int64()}
        for c in case_cols:
            schema[c] = CASE_TYPES.get(c) or _python_type([r.get(c) for r in rows])
        cases = pl.LazyFrame(
            [{"case_id": i, **{c: r.get(c) for c in case_cols}} for i, r in enumerate(rows)],
            schema=schema,
        )
        children = {
            table: pl.LazyFrame(
                [
                    {"case_id": i, **child}
                    for i, r in enumerate(rows)
                    for child in r.get(table) or ()
                ],
                schema=types,
            )
            for table, types in CHILD_TYPES.items()
        }
        frame = attach_aggregates(cases, children, list(exprs.values()))
        out = frame.select([compile_columnar(e).alias(n) for n, e in exprs.items()]).collect()
        return out.to_dicts()

    def both(
        self, exprs: Mapping[str, Expr], rows: Sequence[Mapping[str, Any]], rel: float = 1e-9
    ) -> list[dict[str, Any]]:
        """Scalar results, after checking that the columnar backend gives the same."""
        scalar = self.scalar(exprs, rows)
        columnar = self.columnar(exprs, rows)
        for i, (s, c) in enumerate(zip(scalar, columnar, strict=True)):
            for name in exprs:
                assert same(s[name], c[name], rel), (i, name, s[name], c[name], rows[i])
        return scalar


@pytest.fixture(scope="session")
def backends() -> Backends:
    return Backends()


# --- external data in ../shared -----------------------------------------------------------
#
# Project-written test data lives in the repository. External data (the reference vectors,
# the seed pages, data written by others) is never copied in: tests read it from ``../shared``
# next to the repository. A git worktree sits one level deeper, so the first ``shared`` folder
# beside the repository or one of its parents is used; ``LIVERMETS_SHARED`` overrides the
# search. When it is absent the tests that need it skip with a reason naming the path; with
# ``LIVERMETS_REQUIRE_SHARED=1`` (CI with the data mounted) its absence is a failure.

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_ENV = "LIVERMETS_SHARED"
REQUIRE_SHARED_ENV = "LIVERMETS_REQUIRE_SHARED"


def shared_dir(repo_root: Path = REPO_ROOT) -> Path | None:
    """The external-data folder (``../shared``), or None when it cannot be found."""
    override = os.environ.get(SHARED_ENV)
    if override:
        path = Path(override)
        return path if path.is_dir() else None
    for parent in repo_root.parents:
        candidate = parent / "shared"
        if (candidate / "reference").is_dir() or (candidate / "seeds").is_dir():
            return candidate
    return None


def shared_path(*parts: str) -> Path:
    """``../shared/<parts>`` (the found folder, else the conventional place beside the repo)."""
    override = os.environ.get(SHARED_ENV)
    base = shared_dir() or (Path(override) if override else REPO_ROOT.parent / "shared")
    return base.joinpath(*parts)


def missing_shared(path: Path) -> str:
    """The skip reason for external data that is not there."""
    return (
        f"external test data not found at {path} (the ../shared folder beside the repository; "
        f"set {SHARED_ENV} to point at it)"
    )


def require_shared(*parts: str) -> Path:
    """``../shared/<parts>``, or a visible skip naming the missing path (a failure when
    ``LIVERMETS_REQUIRE_SHARED=1``)."""
    path = shared_path(*parts)
    if not path.exists():
        if os.environ.get(REQUIRE_SHARED_ENV) == "1":
            pytest.fail(missing_shared(path))
        pytest.skip(missing_shared(path))
    return path
