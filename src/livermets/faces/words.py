"""The words of the assessment: every face's sentences and numbers are made here, once.

The core's :class:`~livermets.assessment.model.Assessment` is structure (statuses, criteria,
steps and data to obtain, by id, with the labels the knowledge declares). This module turns it
into the words every face shows: the terminal, the MDT report (HTML and Markdown), the patient
letter and the JSON (which adds ``headline`` and ``reasons`` when serialising). A face may lay
these words out, shorten a list or pick among them; it never edits them.

* status: :data:`STATUS_WORD`, :func:`outcome_word`;
* lists: :func:`join` ("a, b and c"), :func:`either` ("a or b", as in a headline);
* an option: :func:`headline` ("consider after X or Y", "needs data: ...", "not suitable:
  ..."), :func:`negated`, :func:`outcome_prefix`;
* a direction: :func:`direction_reasons`;
* the case in brief: :func:`brief` (lesions, extrahepatic disease, performance, liver
  function);
* numbers: :func:`number` (at a declared precision), :func:`score_value` (a score at its
  ``decimals``, with its unit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from livermets.assessment.model import (
    Assessment,
    CaseBrief,
    CriterionResult,
    DirectionReason,
    DirectionResult,
    OptionResult,
    ScoreResult,
)
from livermets.criteria.model import Status

STATUS_WORD: dict[Status, str] = {
    "candidate": "CANDIDATE",
    "consider_after": "CONSIDER AFTER",
    "needs_data": "NEEDS DATA",
    "not_suitable": "NOT SUITABLE",
}
OUTCOME_WORD = {"met": "met", "not_met": "not met", "unknown": "unknown"}
CANDIDATE = "candidate for MDT discussion"
UNNAMED_DATA = "see unknown criteria"
# Units that go without saying after a score's value (points, a unitless score).
SILENT_UNITS = frozenset({"", "points", "score"})


# -- lists ------------------------------------------------------------------------------------


def join(items: Sequence[str], word: str = "and") -> str:
    """``a, b and c`` (``word`` instead of "and": ``a, b or c``)."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def either(items: Iterable[str]) -> str:
    """``a or b or c``: alternatives as a headline names them."""
    return " or ".join(items)


def outcome_word(result: str) -> str:
    """A criterion outcome (``met``, ``not_met``, ``unknown``) in words."""
    return OUTCOME_WORD.get(result, result.replace("_", " "))


# -- numbers ----------------------------------------------------------------------------------


def number(value: Any, decimals: int | None = None) -> str:
    """A value for display: a float at ``decimals`` places, trailing zeros dropped ("12", not
    "12.0"); without a declared precision at most two decimals (three significant digits
    below 1). Yes/no for booleans; "" for nothing."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if decimals is not None:
            text = f"{value:.{decimals}f}"
        elif value == 0 or abs(value) >= 1:
            text = f"{value:.2f}"
        else:
            text = f"{value:.3g}"
        if "." in text and "e" not in text:
            text = text.rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    return "" if value is None else str(value)


def score_value(score: ScoreResult) -> str:
    """A computed score's value at its declared precision, with its unit unless the unit goes
    without saying; "" when it could not be computed."""
    if not score.computed:
        return ""
    text = number(score.value, score.decimals)
    return text if score.unit in SILENT_UNITS else f"{text} {score.unit}"


# -- the case in brief -------------------------------------------------------------------------


def brief_lesions(case: CaseBrief) -> str:
    """E.g. "6 liver lesions, largest 5.8 cm, bilobar"."""
    count = case.lesion_count
    text = (
        "number of liver lesions unknown"
        if count is None
        else f"{count} liver lesion{'s' if count != 1 else ''}"
    )
    if case.largest_lesion_cm is not None:
        text += f", largest {case.largest_lesion_cm:g} cm"
    if case.bilobar is not None:
        text += ", bilobar" if case.bilobar else ", one lobe"
    return text


def brief_extrahepatic(case: CaseBrief) -> str:
    """E.g. "none known", "present (lung, bone)", "unknown"."""
    ehd = case.extrahepatic_disease
    text = "unknown" if ehd is None else ("none known" if not ehd else "present")
    if ehd and case.extrahepatic_sites:
        text += " (" + ", ".join(s.replace("_", " ") for s in case.extrahepatic_sites) + ")"
    return text


def brief_performance(case: CaseBrief) -> str:
    """E.g. "ECOG 1", "ECOG 2 (converted from Karnofsky)", "unknown"."""
    if case.ecog is None:
        return "unknown"
    return f"ECOG {case.ecog}" + (" (converted from Karnofsky)" if case.ecog_converted else "")


def brief_liver_function(case: CaseBrief) -> str:
    """E.g. "Child-Pugh A (5)", "Child-Pugh unknown"."""
    if case.child_pugh_class is None:
        return "Child-Pugh unknown"
    return f"Child-Pugh {case.child_pugh_class} ({case.child_pugh_points})"


def brief(case: CaseBrief) -> dict[str, str]:
    """The case in brief, in words: ``lesions``, ``extrahepatic``, ``performance``,
    ``liver_function`` (the JSON's computed ``case`` fields)."""
    return {
        "lesions": brief_lesions(case),
        "extrahepatic": brief_extrahepatic(case),
        "performance": brief_performance(case),
        "liver_function": brief_liver_function(case),
    }


# -- options ----------------------------------------------------------------------------------


def outcome_prefix(result: str) -> str:
    """What goes before a criterion's statement to say its outcome: nothing when met (an
    exclusion that shut an option reads as stated), else "not met: " or "unknown: "."""
    return "" if result == "met" else f"{outcome_word(result)}: "


def negated(criterion: CriterionResult) -> str:
    """A criterion that shut an option: an exclusion as stated, a requirement "not met: ..."."""
    return f"{outcome_prefix(criterion.result)}{criterion.statement}"


def headline(option: OptionResult, *, obtain: str | None = None) -> str:
    """The option's status in words, e.g. "consider after portal vein embolisation" or
    "needs data: albumin, INR". ``obtain`` words the data to obtain instead of listing it
    (e.g. "5 items, see missing data")."""
    wanted = obtain if obtain is not None else ", ".join(option.obtain)
    if option.status == "not_suitable":
        return "not suitable: " + "; ".join(negated(c) for c in option.deciding)
    if option.status == "needs_data":
        text = "needs data: " + (wanted or UNNAMED_DATA)
        if option.after:
            text += f" (then consider after {either(option.after)})"
        return text
    if option.status == "consider_after":
        text = f"consider after {either(option.after)}"
        if wanted:
            text += f"; also obtain: {wanted}"
        return text
    return CANDIDATE


# -- directions -------------------------------------------------------------------------------


def direction_reason(reason: DirectionReason, options: dict[str, OptionResult]) -> str:
    """One reason for a direction in words."""
    if reason.kind == "criterion" and reason.criterion is not None:
        return f"{reason.criterion.statement}: {outcome_word(reason.criterion.result)}"
    if reason.kind == "option" and reason.id in options:
        option = options[reason.id]
        return f"{option.name}: {headline(option)}"
    return f"missing: {reason.item or reason.id}"


def direction_reasons(direction: DirectionResult, assessment: Assessment) -> list[str]:
    """The reasons for a direction, in words, in the record's order."""
    options = {o.id: o for o in assessment.options}
    return [direction_reason(r, options) for r in direction.because]
