"""Units: every quantity arrives with its unit and is converted once, here, on the way in.

The table of accepted units, factors and plausibility bounds is ``knowledge/units.yaml``.
Converted values are rounded to 9 significant digits so that exact published boundaries
survive conversion (34.2 µmol/L is 2.0 mg/dL, not 2.0000000000000004; calculators.md §11).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from livermets.errors import CaseInputError, FieldProblem
from livermets.knowledge import load_yaml

# mg/dL -> µmol/L for bilirubin (calculators.md §11: × 17.1); g/dL -> g/L for albumin (× 10).
BILIRUBIN_UMOL_PER_MG_DL = 17.1
ALBUMIN_G_L_PER_G_DL = 10.0


@dataclass(frozen=True)
class QuantityKind:
    name: str
    canonical: str
    factors: dict[str, float]
    hard: tuple[float, float]
    usual: tuple[float, float]
    #: plausible range of a laboratory's upper limit of normal (``uln`` in units.yaml)
    uln: tuple[float, float] | None = None

    def plausible_uln(self, canonical_uln: float) -> bool:
        """Whether an upper limit of normal (canonical unit) is plausible for this quantity."""
        low, high = self.uln if self.uln is not None else self.usual
        return math.isfinite(canonical_uln) and canonical_uln > 0 and low <= canonical_uln <= high


@cache
def quantity_kinds() -> dict[str, QuantityKind]:
    raw = load_yaml("units.yaml")
    return {
        name: QuantityKind(
            name=name,
            canonical=spec["canonical"],
            factors={str(k): float(v) for k, v in spec["units"].items()},
            hard=(float(spec["hard"][0]), float(spec["hard"][1])),
            usual=(float(spec["usual"][0]), float(spec["usual"][1])),
            uln=(float(spec["uln"][0]), float(spec["uln"][1])) if "uln" in spec else None,
        )
        for name, spec in raw.items()
    }


def tidy(value: float) -> float:
    """Round away binary noise from a conversion (9 significant digits)."""
    if value == 0 or not math.isfinite(value):
        return value
    digits = 9 - math.floor(math.log10(abs(value))) - 1
    return round(value, digits)


class UnitError(CaseInputError):
    """A unit that is not accepted for this quantity: one problem at the path ``unit``.

    Inside the case model it becomes a pydantic error located at the quantity's ``.unit``
    (``case/model.py``); anywhere else it reaches a face as the :class:`CaseInputError` it is."""

    def __init__(self, problem: str) -> None:
        super().__init__([FieldProblem("unit", problem)])
        self.problem = problem


def to_canonical(kind: str, value: float, unit: str) -> float:
    """Convert ``value`` in ``unit`` to the canonical unit of ``kind``."""
    spec = quantity_kinds()[kind]
    factor = spec.factors.get(unit.strip())
    if factor is None:
        accepted = ", ".join(sorted({u for u in spec.factors if u}))
        raise UnitError(f"unit {unit!r} is not recognised for {kind}; expected one of: {accepted}")
    return tidy(value * factor)
