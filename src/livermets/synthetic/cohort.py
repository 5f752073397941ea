"""A synthetic cohort of any size, made from generated case documents by the one mapping.

The columns never come from the generator: a *pool* of distinct case documents
(``synthetic.documents``) is validated into cases (``case.model``: units converted there),
flattened one by one (``features.flatten``, the only case-to-columns mapping) and put into a
case table and child tables (``cohort.engine.rows_to_frames``). A cohort of ``n`` cases is then:

* ``n <= pool``: the first ``n`` documents of the seed, exactly (no case twice);
* ``n > pool``: the whole pool, then ``n - pool`` cases drawn at random (with replacement, by
  seed) from it, each with a new unique case id and its own copy of its child rows. The draw is
  vectorised in polars, so a million cases cost little more than building the pool.

Diversity: a cohort larger than the pool holds at most ``pool`` distinct patients (the default
:data:`POOL_SIZE` is 10,000; in a 1,000,000-case cohort each appears about 100 times). Shares
and rates are the pool's, which match the generator's distributions to within sampling error
(about 0.5 percentage points for a 50 % share, and a rare primary of 0.3 % is about 30
patients), and every rule sees every combination present in the pool, but no other. That
suits benchmarks and demonstrations (the engine's work per case does not depend on repeats),
not studies of rare combinations: pass a larger ``pool`` for those. Building the pool is the
cost: about 0.75 ms of single-threaded CPU per case (documents 0.15, validation 0.4, flattening
0.2); the vectorised draw of a million cases from it takes about 1.5 s.

Deterministic for ``(seed, pool)``; case ``i`` is the same whatever ``n`` is.
"""

from __future__ import annotations

import polars as pl

from livermets.case.model import Case
from livermets.cohort.engine import rows_to_frames
from livermets.features.flatten import flatten
from livermets.synthetic.documents import case_ids, generate_documents
from livermets.synthetic.streams import Random

POOL_SIZE = 10_000

Frames = tuple[pl.DataFrame, dict[str, pl.DataFrame]]


def flatten_cases(cases: list[Case]) -> Frames:
    """Validated cases as the case table and child tables the cohort engine reads."""
    return rows_to_frames([{**flatten(case), "case_id": case.case_id} for case in cases])


def _pool(n: int, seed: int) -> Frames:
    return flatten_cases([Case.model_validate(doc) for doc in generate_documents(n, seed)])


def _draws(n: int, pool: int, seed: int) -> pl.Series:
    """The pool position each of the ``n`` cases copies: itself within the pool, else random."""
    r = Random(seed ^ 0x5EED_C0_4047, "_i")
    index = pl.int_range(0, n, dtype=pl.UInt64)
    drawn = pl.select(index.alias("_i")).with_columns(r.row_hash())
    picked = (r.u("pool") * pool).floor().cast(pl.Int64).clip(0, pool - 1)
    return drawn.select(
        pl.when(pl.col("_i") < pool).then(pl.col("_i").cast(pl.Int64)).otherwise(picked)
    ).to_series()


def _repeat(
    frame: pl.DataFrame, positions: pl.Series, pool_ids: pl.Series, ids: pl.Series
) -> pl.DataFrame:
    """A child table for the drawn cases: case ``k`` gets the rows of pool case
    ``positions[k]``, under its own id ``ids[k]``."""
    owner = frame["case_id"].replace_strict(
        pool_ids, pl.int_range(0, len(pool_ids), eager=True), return_dtype=pl.Int64
    )
    per_case = owner.value_counts(name="rows")
    counts = pl.zeros(len(pool_ids), dtype=pl.Int64, eager=True).scatter(
        per_case["case_id"], per_case["rows"]
    )
    # rows_to_frames writes each case's rows together, in case order
    starts = counts.cum_sum() - counts
    first = starts.gather(positions)
    spans = pl.DataFrame({"_k": pl.int_range(len(positions), eager=True)}).with_columns(
        pl.int_ranges(first, first + counts.gather(positions)).alias("_row")
    )
    rows = spans.explode("_row").drop_nulls("_row")
    return (
        frame.drop("case_id")
        .select(pl.all().gather(rows["_row"]))
        .insert_column(0, ids.gather(rows["_k"]))
    )


def generate_cohort(n: int, seed: int, *, pool: int = POOL_SIZE) -> Frames:
    """``n`` synthetic cases as a case table and child tables, typed as ``cohort.engine`` reads.

    Made from at most ``pool`` distinct generated documents (see the module docstring for what
    that means for diversity). Deterministic for ``(n, seed, pool)``; case ids are unique.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if pool < 1:
        raise ValueError("pool must be >= 1")
    cases, children = _pool(min(n, pool), seed)
    if n <= pool:
        return cases, children
    positions = _draws(n, pool, seed)
    ids = pl.select(case_ids(seed, pl.int_range(0, n, dtype=pl.UInt64))).to_series()
    out = cases.drop("case_id").select(pl.all().gather(positions)).insert_column(0, ids)
    pool_ids = cases["case_id"]
    return out, {
        table: _repeat(frame, positions, pool_ids, ids) for table, frame in children.items()
    }
