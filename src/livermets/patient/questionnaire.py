"""The symptom questions, one at a time, as data: no input or output here.

A face (terminal, web) keeps a ``state`` dict of answers by question key, asks
``questions(state)[i]`` and moves ``i`` forward or back. The list is rebuilt after each answer,
so follow-up questions (how long, how bad, new or worse) appear only after a "yes".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from livermets.patient.symptoms import SymptomCatalog, load_catalog

YES = "yes"
NO = "no"


@dataclass(frozen=True)
class Option:
    label: str
    value: Any


@dataclass(frozen=True)
class Question:
    """``kind`` is ``choice`` (pick one of ``options``) or ``temperature`` (free text)."""

    key: str
    text: str
    kind: Literal["choice", "temperature"] = "choice"
    options: tuple[Option, ...] = field(default_factory=tuple)
    group: str = ""
    hint: str = ""


def questions(state: dict[str, Any], catalog: SymptomCatalog | None = None) -> list[Question]:
    """Every question to ask given the answers so far, in order."""
    cat = catalog or load_catalog()
    yes_no = (Option("No", NO), Option("Yes", YES))
    titles = {g.id: g.title for g in cat.groups}
    out: list[Question] = []
    for s in cat.symptoms:
        out.append(Question(f"{s.id}", s.question, options=yes_no, group=titles[s.group]))
        if state.get(s.id) != YES:
            continue
        out.append(
            Question(
                f"{s.id}.days",
                f"{s.label}: how long have you had it?",
                options=tuple(Option(d.label.capitalize(), d.days) for d in cat.durations),
                group=titles[s.group],
            )
        )
        out.append(
            Question(
                f"{s.id}.severity",
                f"{s.label}: how bad is it?",
                options=tuple(
                    Option(f"{c.label.capitalize()}: {c.description}", c.id) for c in cat.severities
                ),
                group=titles[s.group],
            )
        )
        out.append(
            Question(
                f"{s.id}.new_or_worse",
                f"{s.label}: is it new, or getting worse?",
                options=yes_no,
                group=titles[s.group],
            )
        )
    about = "About you"
    out.append(
        Question(
            "cancer",
            "Have you ever had cancer?",
            options=tuple(Option(c.label, c.id) for c in cat.cancer_history),
            group=about,
        )
    )
    for item in cat.treatments.items:
        out.append(
            Question(
                f"treatment.{item.id}",
                f"{cat.treatments.question} {item.label.capitalize()}.",
                options=yes_no,
                group=about,
            )
        )
    out.append(
        Question(
            "measured",
            "Have you measured your temperature today?",
            options=yes_no,
            group=about,
        )
    )
    if state.get("measured") == YES:
        out.append(
            Question(
                "temperature",
                "What was your temperature?",
                kind="temperature",
                group=about,
                hint="Type the number, like 38.2. For Fahrenheit add F, like 101 F.",
            )
        )
    return out


def to_answers(state: dict[str, Any], catalog: SymptomCatalog | None = None) -> dict[str, Any]:
    """The raw answers (as accepted by ``parse_answers``) for a questionnaire state."""
    cat = catalog or load_catalog()
    symptoms: dict[str, dict[str, Any]] = {}
    for s in cat.symptoms:
        if state.get(s.id) != YES:
            continue
        detail: dict[str, Any] = {}
        if f"{s.id}.days" in state:
            detail["days"] = state[f"{s.id}.days"]
        if f"{s.id}.severity" in state:
            detail["severity"] = state[f"{s.id}.severity"]
        detail["new_or_worse"] = state.get(f"{s.id}.new_or_worse") == YES
        symptoms[s.id] = detail
    context: dict[str, Any] = {
        "cancer": state.get("cancer", "not_sure"),
        "treatments": [i.id for i in cat.treatments.items if state.get(f"treatment.{i.id}") == YES],
    }
    if state.get("measured") == YES and state.get("temperature") not in (None, ""):
        context["temperature"] = state["temperature"]
    return {"symptoms": symptoms, "context": context}


def summary(state: dict[str, Any], catalog: SymptomCatalog | None = None) -> list[str]:
    """Plain lines that sum up the answers, shown before the result."""
    cat = catalog or load_catalog()
    lines: list[str] = []
    durations = {d.days: d.label for d in cat.durations}
    for s in cat.symptoms:
        if state.get(s.id) != YES:
            continue
        parts = [s.label]
        if f"{s.id}.days" in state:
            parts.append(durations.get(state[f"{s.id}.days"], f"{state[f'{s.id}.days']} days"))
        if f"{s.id}.severity" in state:
            parts.append(str(state[f"{s.id}.severity"]))
        if state.get(f"{s.id}.new_or_worse") == YES:
            parts.append("new or getting worse")
        lines.append(", ".join(parts))
    if not lines:
        lines.append("No symptoms from the list")
    history = {c.id: c.label for c in cat.cancer_history}
    lines.append(f"Cancer: {history.get(state.get('cancer', 'not_sure'), 'not given')}")
    treatments = [
        i.label.split(" (")[0]
        for i in cat.treatments.items
        if state.get(f"treatment.{i.id}") == YES
    ]
    lines.append("Treatment now or recently: " + (", ".join(treatments) or "none"))
    if state.get("measured") == YES and state.get("temperature"):
        lines.append(f"Temperature: {state['temperature']}")
    return lines
