"""The JSON face: the assessment record as plain data, with its words (format 1.1).

The record (``livermets.assessment.model``) is serialised as it is, and the words that the
format has always carried are added from :mod:`livermets.faces.words`: each option's
``headline``, each direction's ``reasons`` and the case brief's ``lesions``, ``extrahepatic``,
``performance`` and ``liver_function``. ``docs/assessment-json.md`` documents it.
"""

from __future__ import annotations

import json
from typing import Any

from livermets.assessment.model import Assessment, DirectionResult
from livermets.faces import words


def _after(data: dict[str, Any], key: str, name: str, value: Any) -> dict[str, Any]:
    """``data`` with ``name: value`` inserted after ``key`` (fields keep their order)."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        out[k] = v
        if k == key:
            out[name] = value
    return out


def _direction(direction: DirectionResult, assessment: Assessment) -> dict[str, Any]:
    data = direction.model_dump(mode="json")
    return _after(data, "summary", "reasons", words.direction_reasons(direction, assessment))


def assessment_data(assessment: Assessment) -> dict[str, Any]:
    """The assessment as JSON-ready data, words included."""
    data = assessment.model_dump(mode="json")
    case = dict(data["case"])
    data["case"] = {}
    for key, value in case.items():
        data["case"][key] = value
        if key == "sex":
            data["case"].update(words.brief(assessment.case))
    data["options"] = [
        _after(item, "status", "headline", words.headline(option))
        for item, option in zip(data["options"], assessment.options, strict=True)
    ]
    if assessment.direction is not None:
        data["direction"] = _direction(assessment.direction, assessment)
    data["alternatives"] = [_direction(a, assessment) for a in assessment.alternatives]
    return data


def render_assessment_json(assessment: Assessment) -> str:
    """``livermets assess --format json``: the assessment, indented, words included."""
    return json.dumps(assessment_data(assessment), indent=2, ensure_ascii=False)
