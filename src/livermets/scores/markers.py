"""Tumour-marker kinetics: doubling (or halving) time by log-linear least squares.

calculators.md §10. The series is the ``markers`` child table (columns ``marker``, ``day``,
``value`` in the canonical unit, ``uln``); the fit is written as sums over that table, so one
case and a cohort use the same expression.
"""

from __future__ import annotations

import math

from livermets.engine.expr import ChildTable, col, lit, when
from livermets.scores.common import UNKNOWN, ScoreParts, known_only

MIN_POINTS = 2
# Below this slope (ln units per day; a doubling time of about 1.9 million years) the series is
# called stable: it guards against float round-off turning a flat series into "rising".
STABLE_SLOPE_PER_DAY = 1e-9

# Round-off allowance for the fit's covariance term: ``n·Σty − Σt·Σy`` subtracts two sums of
# day numbers times logs, so its floating-point error grows with how far the days are from day
# 0 (1970-01-01). A covariance within this many ulps of its terms is no evidence of change, so a
# flat series reads "stable" whatever its dates (a flat CEA in year 9000 as in 1970).
ROUNDOFF_ULPS = 64 * 2.220446049250313e-16

LN2 = math.log(2.0)


def marker_doubling_time(marker: str, markers: ChildTable | None = None) -> ScoreParts:
    """Doubling time (rising) or halving time (falling) of one tumour marker, in days.

    Fit ln(value) = a + k·day by least squares over every positive value of ``marker``; value
    = ln 2 / |k|. Two points reduce to Δt·ln 2 / ln(C2/C1). Category "rising", "falling" or
    "stable" (|k| < 1e-9/day, no doubling time). Needs at least 2 points on different days.
    Details: the signed slope, number of points, time span, R² and the number of points above
    the lab's ULN (calculators.md advises ≥ 2, better 3, above the ULN from one assay).
    Values ≤ 0 (undetectable) cannot be log-transformed and are left out; a row of this marker
    with an unknown value or day makes the result unknown.
    """
    table = markers if markers is not None else ChildTable("markers")
    day, value = col("day"), col("value")
    included = col("marker").eq(marker) & (value > 0)
    y = value.ln()
    n = table.count(where=included)
    s_t = table.sum(day, where=included)
    s_y = table.sum(y, where=included)
    s_tt = table.sum(day * day, where=included)
    s_ty = table.sum(day * y, where=included)
    s_yy = table.sum(y * y, where=included)
    span = table.max(day, where=included) - table.min(day, where=included)

    sxx = n * s_tt - s_t * s_t
    sxy = n * s_ty - s_t * s_y
    syy = n * s_yy - s_y * s_y
    fit_possible = (n >= MIN_POINTS) & (span > 0)
    slope = known_only(fit_possible, sxy / sxx)
    r_squared = known_only(fit_possible, ((sxy * sxy) / (sxx * syy)).clip(0.0, 1.0))
    within_roundoff = known_only(
        fit_possible, sxy.abs() <= ((n * s_ty).abs() + (s_t * s_y).abs()) * ROUNDOFF_ULPS
    )
    stable = (slope.abs() < STABLE_SLOPE_PER_DAY) | within_roundoff
    time = when(stable).then(UNKNOWN).otherwise(LN2 / slope.abs())
    direction = when(stable).then("stable").when(slope > 0).then("rising").otherwise("falling")
    n_above_uln = table.count(where=included & (value > col("uln")))
    return ScoreParts(
        value=time,
        category=direction,
        details={
            "doubling_time_days": when(direction.eq("rising")).then(time).otherwise(UNKNOWN),
            "halving_time_days": when(direction.eq("falling")).then(time).otherwise(UNKNOWN),
            "slope_ln_per_day": slope,
            "n_points": n,
            "span_days": known_only(n >= 1, span),
            "r_squared": r_squared,
            "n_above_uln": n_above_uln,
            "marker": lit(marker),
        },
    )
