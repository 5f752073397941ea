"""Plausibility checks: values that are possible but unusual enough to double-check.

Accepted, never rejected: the importers reject impossible values (``case/model.py``); these are
the warnings the assessment carries (``Assessment.warnings``) so that a face can show them.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from livermets.case.model import Case, Measured
from livermets.case.units import quantity_kinds
from livermets.errors import FieldProblem


def _measured_fields(model: BaseModel, path: str) -> Iterator[tuple[str, Measured]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        here = f"{path}.{name}" if path else name
        if isinstance(value, Measured):
            yield here, value
        elif isinstance(value, BaseModel):
            yield from _measured_fields(value, here)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _measured_fields(item, f"{here}[{i}]")


def plausibility_warnings(case: Case) -> list[FieldProblem]:
    """Values that are possible but unusual enough to double-check (accepted, not rejected)."""
    warnings: list[FieldProblem] = []
    kinds = quantity_kinds()
    for path, measured in _measured_fields(case, ""):
        kind = kinds[measured.KIND]
        low, high = kind.usual
        if not low <= measured.canonical <= high:
            warnings.append(
                FieldProblem(
                    path,
                    f"{measured.value:g} {measured.unit} is unusual for "
                    f"{measured.KIND.replace('_', ' ')} (usual range {low:g}-{high:g} "
                    f"{kind.canonical}); please check it",
                )
            )
    for i, marker in enumerate(case.tumour_markers):
        _, high = kinds[marker.marker].usual
        if marker.canonical > high:
            warnings.append(
                FieldProblem(
                    f"tumour_markers[{i}]",
                    f"{marker.value:g} {marker.unit} is unusually high for "
                    f"{marker.marker}; please check it",
                )
            )
    if case.patient.age_years is not None and case.patient.age_years < 18:
        warnings.append(
            FieldProblem(
                "patient.age_years", "under 18: the adult scores and criteria may not apply"
            )
        )
    return warnings
