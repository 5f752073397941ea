"""One declaration serves one case and a million: the scalar and cohort engines agree.

Every step of the pipeline (derived features, scores, criteria, option statuses, prompts,
work-up, prognosis, directions) is evaluated for generated case documents twice -- one case at
a time (``evaluate_case``) and as a cohort (``evaluate_cohort``) -- and every value must match:
the same unknowns, the same booleans and strings, floats within 1e-9 relative. The tests read
the step list generically, so they cover whatever steps exist.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livermets.assessment.pipeline import LEAD_DIRECTION, evaluate_case, steps
from livermets.case.model import PRIMARY_SITES, Case
from livermets.cohort.engine import (
    CASE_SCHEMA,
    CHILD_SCHEMAS,
    evaluate_cohort,
    rows_to_frames,
)
from livermets.criteria.registry import registry
from livermets.features.flatten import flatten
from livermets.importers.case_text import case_from_data
from livermets.synthetic import generate_cohort, generate_documents

REL = 1e-9
ABS = 1e-12


def _same(scalar: Any, columnar: Any) -> bool:
    if scalar is None or columnar is None:
        return scalar is None and columnar is None
    if isinstance(scalar, bool) or isinstance(columnar, bool):
        return type(scalar) is type(columnar) and scalar == columnar
    if isinstance(scalar, int | float) and isinstance(columnar, int | float):
        return math.isclose(scalar, columnar, rel_tol=REL, abs_tol=ABS)
    return bool(scalar == columnar)


def _disagreements(cases: Sequence[Case], limit: int = 20) -> list[str]:
    """Every (case, step) where the two engines differ, described; empty when they agree."""
    names = [s.name for s in steps()]
    rows = [{**flatten(case), "case_id": case.case_id} for case in cases]
    cohort = evaluate_cohort(*rows_to_frames(rows)).collect()
    assert cohort["case_id"].to_list() == [c.case_id for c in cases], "case order changed"
    columns = {name: cohort[name].to_list() for name in names}
    problems: list[str] = []
    for i, case in enumerate(cases):
        scalar = evaluate_case(case)
        for name in names:
            if not _same(scalar[name], columns[name][i]):
                problems.append(
                    f"{case.case_id} {name}: scalar {scalar[name]!r}, cohort {columns[name][i]!r}"
                )
                if len(problems) >= limit:
                    return problems
    return problems


def _parsed(documents: Sequence[Mapping[str, Any]]) -> list[Case]:
    return [case_from_data(dict(doc)) for doc in documents]


def _sparse(documents: Sequence[Mapping[str, Any]], seed: int) -> list[dict[str, Any]]:
    """The same documents with whole sections and single fields dropped at random (more
    unknowns than real referrals have, to exercise every unknown path)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for doc in documents:
        thinned: dict[str, Any] = {}
        for key, value in doc.items():
            if key in {"schema_version", "case_id", "primary"}:
                thinned[key] = (
                    {k: v for k, v in value.items() if k == "site" or rng.random() > 0.5}
                    if key == "primary"
                    else value
                )
            elif rng.random() < 0.4:
                continue
            elif isinstance(value, dict):
                thinned[key] = {k: v for k, v in value.items() if rng.random() > 0.3}
            else:
                thinned[key] = value
        # a lesion count smaller than the lesions listed would be invalid
        liver = thinned.get("liver", {})
        if "lesion_count" in liver and len(liver.get("lesions", [])) > liver["lesion_count"]:
            del liver["lesion_count"]
        out.append(thinned)
    return out


# --- the contract ---------------------------------------------------------------------------


def test_generated_documents_are_valid_cases() -> None:
    documents = generate_documents(300, seed=11)
    cases = _parsed(documents)  # raises on any invalid document
    assert len({c.case_id for c in cases}) == 300
    assert {c.primary.site for c in cases} >= {"colorectal", "breast", "pancreas"}


def test_scalar_and_cohort_engines_agree_on_every_step() -> None:
    cases = _parsed(generate_documents(400, seed=20260101))
    assert _disagreements(cases) == []


def test_engines_agree_when_most_data_are_missing() -> None:
    cases = _parsed(_sparse(generate_documents(200, seed=3), seed=3))
    minimal = [
        case_from_data(
            {"schema_version": "1.0", "case_id": f"min-{site}", "primary": {"site": site}}
        )
        for site in PRIMARY_SITES
    ]
    assert _disagreements([*cases, *minimal]) == []


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**63 - 1), sparse=st.booleans())
def test_engines_agree_for_any_seed(seed: int, sparse: bool) -> None:
    documents = generate_documents(30, seed=seed)
    if sparse:
        documents = _sparse(documents, seed)
    assert _disagreements(_parsed(documents)) == []


def test_a_cohort_without_child_rows() -> None:
    """Cases with no lesions, markers, sites, symptoms or investigations at all: the cohort
    gets each aggregate's value over no rows (count 0, any False, max unknown), as one case
    does; with the child tables absent or empty."""
    cases = _parsed(
        [
            {
                "schema_version": "1.0",
                "case_id": "bare",
                "primary": {"site": "colorectal"},
                "liver": {"lesion_count": 3},
            },
            {"schema_version": "1.0", "case_id": "bare-2", "primary": {"site": "breast"}},
        ]
    )
    rows = [{**flatten(c), "case_id": c.case_id} for c in cases]
    table, children = rows_to_frames(rows)
    assert all(frame.height == 0 for frame in children.values())
    names = [s.name for s in steps()]
    scalar = [evaluate_case(c) for c in cases]
    for kids in (children, None, {}):
        cohort = evaluate_cohort(table, kids).collect()
        for i, expected in enumerate(scalar):
            for name in names:
                assert _same(expected[name], cohort[name][i]), (name, expected[name])


def test_cases_with_and_without_child_rows_side_by_side() -> None:
    """Some cases have child rows, some none: every case gets its own aggregates."""
    documents = generate_documents(60, seed=9)
    for doc in documents[::2]:
        doc.pop("tumour_markers", None)
        doc.pop("investigations", None)
        doc.pop("symptoms", None)
        doc.get("liver", {}).pop("lesions", None)
        doc.get("extrahepatic", {}).pop("sites", None)
    assert _disagreements(_parsed(documents)) == []


def test_case_ids_must_be_unique() -> None:
    table, children = generate_cohort(5, seed=1)
    doubled = pl.concat([table, table])
    with pytest.raises(ValueError, match="unique"):
        evaluate_cohort(doubled, children)


def test_only_keeps_the_requested_columns() -> None:
    table, children = generate_cohort(50, seed=1)
    wanted = [s.name for s in steps()][-3:]
    out = evaluate_cohort(table, children, only=wanted).collect()
    assert out.columns == ["case_id", *wanted]
    full = evaluate_cohort(table, children).collect()
    assert out.equals(full.select("case_id", *wanted))


# --- the generator -----------------------------------------------------------------------------


def test_the_generator_is_outside_the_flow() -> None:
    """Assessing one case or a cohort never loads the synthetic generator."""
    code = (
        "import sys, livermets.assessment.build, livermets.cohort.engine; "
        "print(sorted(m for m in sys.modules if m.startswith('livermets.synthetic')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_generator_is_deterministic_for_a_seed() -> None:
    a_cases, a_children = generate_cohort(300, seed=42)
    b_cases, b_children = generate_cohort(300, seed=42)
    assert a_cases.equals(b_cases)
    assert all(a_children[t].equals(b_children[t]) for t in a_children)
    c_cases, _ = generate_cohort(300, seed=43)
    assert not a_cases.drop("case_id").equals(c_cases.drop("case_id"))
    assert generate_documents(20, seed=42) == generate_documents(20, seed=42)
    big_a, big_a_children = generate_cohort(500, seed=42, pool=50)
    big_b, big_b_children = generate_cohort(500, seed=42, pool=50)
    assert big_a.equals(big_b)
    assert all(big_a_children[t].equals(big_b_children[t]) for t in big_a_children)


def test_a_larger_cohort_starts_with_the_smaller_one() -> None:
    for pool in (10, 1_000):  # beyond the pool, and within it
        small, small_children = generate_cohort(40, seed=5, pool=pool)
        large, large_children = generate_cohort(400, seed=5, pool=pool)
        assert large.head(40).equals(small)
        ids = small["case_id"]
        for table, frame in small_children.items():
            kept = large_children[table].filter(pl.col("case_id").is_in(ids.implode()))
            assert kept.equals(frame)


def test_generated_columns_have_the_declared_types() -> None:
    table, children = generate_cohort(500, seed=2)
    assert dict(table.schema) == CASE_SCHEMA
    assert set(children) == set(CHILD_SCHEMAS)
    for name, frame in children.items():
        assert dict(frame.schema) == CHILD_SCHEMAS[name]
    assert table["case_id"].n_unique() == table.height


def test_output_columns_have_the_types_of_their_kind() -> None:
    table, children = generate_cohort(300, seed=4)
    out = evaluate_cohort(table, children).collect()
    expected = {
        "criterion": pl.Boolean,
        "prompt": pl.Boolean,
        "prognosis": pl.Boolean,
        "workup": pl.String,
    }
    statuses = {option.column for option in registry().options.values()}
    for step in steps():
        if step.kind in expected:
            assert out.schema[step.name] == expected[step.kind], step.name
        if step.name in statuses:
            assert out.schema[step.name] == pl.String, step.name
        if step.name.startswith("direction:"):
            assert out.schema[step.name] == pl.Boolean, step.name
        assert out.schema[step.name] != pl.Null, step.name
    assert out.schema[LEAD_DIRECTION] == pl.String
    for name, dtype in CASE_SCHEMA.items():
        assert out.schema[name] == dtype


def test_cohort_is_what_flattening_the_documents_gives() -> None:
    """The generator makes no columns itself: a cohort within the pool is the generated
    documents, validated and flattened by ``features.flatten``, exactly."""
    n, seed = 300, 8
    table, children = generate_cohort(n, seed)
    cases = _parsed(generate_documents(n, seed))
    flat_table, flat_children = rows_to_frames(
        [{**flatten(c), "case_id": c.case_id} for c in cases]
    )
    assert table.equals(flat_table)
    assert set(children) == set(flat_children)
    for name, frame in children.items():
        assert frame.equals(flat_children[name]), name


def test_a_cohort_beyond_the_pool_repeats_pool_cases_with_their_child_rows() -> None:
    """Past the pool, each case is a copy of a pool case under a new id, child rows and all."""
    pool, n = 25, 400
    table, children = generate_cohort(n, seed=6, pool=pool)
    assert table.height == n and table["case_id"].n_unique() == n
    head, head_children = generate_cohort(pool, seed=6)
    assert table.head(pool).equals(head)
    features = [c for c in table.columns if c != "case_id"]
    pool_rows = {tuple(row): i for i, row in enumerate(head.select(features).iter_rows())}
    copied_from = [pool_rows[tuple(row)] for row in table.select(features).iter_rows()]
    assert len(set(copied_from)) > pool * 0.8  # the draw spreads over the pool
    by_case = {
        name: frame.partition_by("case_id", as_dict=True, maintain_order=True)
        for name, frame in children.items()
    }
    pool_by_case = {
        name: frame.partition_by("case_id", as_dict=True, maintain_order=True)
        for name, frame in head_children.items()
    }
    ids, pool_ids = table["case_id"].to_list(), head["case_id"].to_list()
    for name in children:
        empty = children[name].clear()
        for case_id, source in zip(ids, copied_from, strict=True):
            mine = by_case[name].get((case_id,), empty).drop("case_id")
            theirs = pool_by_case[name].get((pool_ids[source],), empty).drop("case_id")
            assert mine.equals(theirs), (name, case_id)
    # the engine reads it like any cohort
    out = evaluate_cohort(table, children, only=[LEAD_DIRECTION]).collect()
    assert out[LEAD_DIRECTION].null_count() == 0


def test_distributions_are_plausible() -> None:
    table, children = generate_cohort(4_000, seed=1)
    share = table.select(
        colorectal=(pl.col("primary_site") == "colorectal").mean(),
        ehd=pl.col("extrahepatic_disease").mean(),
        ecog_0_1=(pl.col("ecog") <= 1).mean(),
        bilirubin_raised=(pl.col("bilirubin_mg_dl") > 1.2).mean(),
        ascites_none=(pl.col("ascites") == "none").mean(),
    ).row(0, named=True)
    assert 0.5 < share["colorectal"] < 0.6
    assert 0.25 < share["ehd"] < 0.5
    assert share["ecog_0_1"] > 0.7
    assert 0.05 < share["bilirubin_raised"] < 0.25
    assert share["ascites_none"] > 0.8
    ras = table.filter(pl.col("primary_site") == "colorectal", pl.col("kras").is_not_null())
    assert 0.35 < (ras["kras"] == "mutant").mean() < 0.5  # type: ignore[operator]
    per_case = children["lesions"].group_by("case_id").len()["len"]
    assert per_case.min() == 1 and per_case.max() >= 10  # type: ignore[operator]
    assert (per_case == 1).mean() > 0.25  # type: ignore[operator]
    sizes = children["lesions"]["diameter_cm"].drop_nulls()
    assert 1.0 < sizes.median() < 4.0  # type: ignore[operator]
    # every base field is sometimes missing, none always (apart from site-specific ones)
    missing = table.select(pl.all().is_null().mean()).row(0, named=True)
    assert missing["primary_site"] == 0.0 and missing["case_id"] == 0.0
    assert 0.05 < missing["bilirubin_mg_dl"] < 0.3
    assert 0.1 < missing["ecog"] < 0.3


@pytest.mark.parametrize("n", [0, 1])
def test_tiny_cohorts(n: int) -> None:
    table, children = generate_cohort(n, seed=1)
    assert table.height == n
    out = evaluate_cohort(table, children).collect()
    assert out.height == n
    assert len(generate_documents(n, seed=1)) == n
