"""Small building blocks shared by the score modules.

A score function returns :class:`ScoreParts`: the headline value, the category label and the
named details (raw unrounded values, inputs after clamping, thresholds used). The registry
binds those parts to feature columns in a :class:`~livermets.scores.spec.ScoreSpec`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from livermets.engine.expr import Expr, Operand, lit, when

# Cut-offs are compared with this tolerance where a published table is inclusive, so that a
# value converted between units (34.2 µmol/L / 17.1 = 2.0000000000000004 mg/dL) lands on the
# side a person reading the table would choose (calculators.md §11).
BOUNDARY_TOLERANCE = 1e-9

UNKNOWN = lit(None)


@dataclass(frozen=True)
class ScoreParts:
    """The expressions one score produces."""

    value: Expr
    category: Expr | None = None
    details: dict[str, Expr] = field(default_factory=dict)


def points_if(condition: Expr, points: int = 1) -> Expr:
    """``points`` if the condition is true, 0 if false, unknown if unknown."""
    return when(condition).then(points).otherwise(0)


def known_only(guard: Expr, value: Operand) -> Expr:
    """``value`` where ``guard`` is true; unknown where it is false or unknown."""
    return when(guard).then(value).otherwise(UNKNOWN)
