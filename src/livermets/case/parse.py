"""Text in, validated case out: JSON or YAML text to a :class:`Case`, or a clear error.

Pure: takes text (the CLI and web read files and requests). Problems are collected as
:class:`~livermets.errors.FieldProblem` with a dotted field path. Plausible-but-unusual values
are accepted and reported by :func:`plausibility_warnings`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from livermets.case.model import Case, Measured
from livermets.case.units import quantity_kinds
from livermets.errors import CaseInputError, FieldProblem


def parse_document(text: str, *, source: str = "") -> Any:
    """Parse JSON or YAML text (JSON is YAML, but JSON errors read better from ``json``)."""
    stripped = text.lstrip()
    if not stripped:
        raise CaseInputError([FieldProblem("", "the input is empty")], source=source)
    if stripped[0] in "{[":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise CaseInputError(
                [
                    FieldProblem(
                        "",
                        f"malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}",
                    )
                ],
                source=source,
            ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise CaseInputError(
            [FieldProblem("", f"malformed YAML{where}: {problem}")], source=source
        ) from None


def _path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item.startswith("function-"):
            continue
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def _problem(error: dict[str, Any]) -> FieldProblem:
    message = str(error.get("msg", "invalid"))
    kind = error.get("type", "")
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        message = "unknown field (check the spelling; see `livermets schema`)"
    elif kind == "literal_error":
        message = f"{error.get('input')!r} is not allowed; {message[0].lower()}{message[1:]}"
    elif "input" in error and kind not in {"model_type", "dict_type"}:
        given = error["input"]
        if not isinstance(given, dict | list):
            message = f"{message} (got {given!r})"
    path = _path(tuple(error.get("loc", ())))
    if message.startswith("unit "):
        path += ".unit"
    elif " is not a possible " in message:
        path += ".value"
    return FieldProblem(path, message)


def case_from_data(data: Any, *, source: str = "") -> Case:
    """Validate already-parsed data (a dict) into a case."""
    if not isinstance(data, dict):
        raise CaseInputError(
            [
                FieldProblem(
                    "",
                    "a case must be a JSON/YAML object with fields such as "
                    "schema_version, case_id and primary",
                )
            ],
            source=source,
        )
    try:
        return Case.model_validate(data)
    except ValidationError as error:
        problems = [_problem(dict(e)) for e in error.errors(include_url=False)]
        raise CaseInputError(problems, source=source) from None


def parse_case(text: str, *, source: str = "") -> Case:
    """Parse JSON or YAML text into a validated case."""
    return case_from_data(parse_document(text, source=source), source=source)


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
