"""Symptom checker: which of four urgency levels a set of answers needs, and why.

Pure functions over pydantic models. The symptom list, the triggers, every threshold and every
text come from ``knowledge/symptoms.yaml`` (see :func:`load_catalog`); this module only knows how
to read a condition and how to combine levels:

1. the result is the highest level any trigger reaches (red flags therefore always win);
2. ``escalation``: enough ``soon`` symptoms that are new or getting worse move the result up;
3. the result never says what the cause is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from livermets.errors import shown
from livermets.knowledge import invalid, load_yaml
from livermets.patient.errors import answers_error, from_validation_error

Level = Literal["routine", "soon", "today", "emergency"]
#: Levels from least to most urgent. The order is the scheme's meaning, not a clinical threshold.
LEVELS: tuple[Level, ...] = ("routine", "soon", "today", "emergency")


def level_rank(level: Level) -> int:
    return LEVELS.index(level)


class Severity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


CancerHistory = Literal["no", "past", "current", "not_sure"]
Treatment = Literal["chemotherapy", "immunotherapy", "targeted", "liver_procedure"]


# --------------------------------------------------------------------------------------------
# The catalog (knowledge/symptoms.yaml)
# --------------------------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelText(_Frozen):
    id: Level
    headline: str
    action: str
    sources: tuple[str, ...]


class FeverSetting(_Frozen):
    default: float
    allowed: tuple[float, ...]
    sources: tuple[str, ...]
    note: str = ""


class ValueSetting(_Frozen):
    value: float
    sources: tuple[str, ...]


class RangeSetting(_Frozen):
    min: float
    max: float
    note: str = ""


class Settings(_Frozen):
    fever_threshold_c: FeverSetting
    low_temperature_c: ValueSetting
    plausible_temperature_c: RangeSetting


class Escalation(_Frozen):
    from_level: Level = Field(alias="from")
    to_level: Level = Field(alias="to")
    min_items: int
    reason: str
    sources: tuple[str, ...]


class Choice(_Frozen):
    id: str
    label: str
    description: str = ""


class Duration(_Frozen):
    label: str
    days: int


class Treatments(_Frozen):
    question: str
    items: tuple[Choice, ...]
    sources: tuple[str, ...]


class Group(_Frozen):
    id: str
    title: str


class SymptomDef(_Frozen):
    id: str
    group: str
    label: str
    question: str
    other_causes: tuple[str, ...]
    sources: tuple[str, ...]


class Condition(_Frozen):
    """A trigger's condition; every key given must hold (see the file header of symptoms.yaml)."""

    symptom: str | None = None
    min_severity: Severity | None = None
    min_days: int | None = None
    new_or_worse: bool | None = None
    fever: bool | None = None
    low_temperature: bool | None = None
    on_treatment: bool | None = None
    cancer: tuple[CancerHistory, ...] | None = None
    all: tuple[Condition, ...] | None = None
    any: tuple[Condition, ...] | None = None

    @model_validator(mode="after")
    def _symptom_keys_need_symptom(self) -> Condition:
        detail = (self.min_severity, self.min_days, self.new_or_worse)
        if self.symptom is None and any(v is not None for v in detail):
            raise ValueError("min_severity, min_days and new_or_worse need a symptom")
        return self


class Trigger(_Frozen):
    id: str
    level: Level
    when: Condition
    reason: str
    sources: tuple[str, ...]
    unverified: bool = False


class EmergencyNumber(_Frozen):
    number: str
    text: str
    name: str = ""
    urgent_advice: str = ""


class EmergencyNumbers(_Frozen):
    sources: tuple[str, ...]
    default: EmergencyNumber
    countries: dict[str, EmergencyNumber]


class SymptomCatalog(_Frozen):
    version: int
    levels: tuple[LevelText, ...]
    settings: Settings
    escalation: Escalation
    severities: tuple[Choice, ...]
    durations: tuple[Duration, ...]
    cancer_history: tuple[Choice, ...]
    treatments: Treatments
    groups: tuple[Group, ...]
    symptoms: tuple[SymptomDef, ...]
    triggers: tuple[Trigger, ...]
    texts: dict[str, str]
    emergency_numbers: EmergencyNumbers

    @model_validator(mode="after")
    def _consistent(self) -> SymptomCatalog:
        ids = [s.id for s in self.symptoms]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate symptom id")
        groups = {g.id for g in self.groups}
        for s in self.symptoms:
            if s.group not in groups:
                raise ValueError(f"symptom {s.id}: unknown group {s.group!r}")
        if {lv.id for lv in self.levels} != set(LEVELS):
            raise ValueError("levels must list each of " + ", ".join(LEVELS))
        trigger_ids = [t.id for t in self.triggers]
        if len(set(trigger_ids)) != len(trigger_ids):
            raise ValueError("duplicate trigger id")
        known = set(ids) | {"any"}
        for t in self.triggers:
            for cond in _walk(t.when):
                if cond.symptom is not None and cond.symptom not in known:
                    raise ValueError(f"trigger {t.id}: unknown symptom {cond.symptom!r}")
        if self.settings.fever_threshold_c.default not in self.settings.fever_threshold_c.allowed:
            raise ValueError("fever_threshold_c.default must be one of allowed")
        return self

    def symptom(self, symptom_id: str) -> SymptomDef:
        for s in self.symptoms:
            if s.id == symptom_id:
                return s
        raise KeyError(symptom_id)

    def level_text(self, level: Level) -> LevelText:
        return next(lv for lv in self.levels if lv.id == level)

    def symptom_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.symptoms)

    def emergency(self, country: str | None = None) -> EmergencyNumber:
        """The emergency number for a country code (``GB``, ``US``...); ``None`` gives the
        default text. An unknown code is an input error naming ``country``."""
        if country is None or not country.strip():
            return self.emergency_numbers.default
        code = country.strip().upper()
        if code not in self.emergency_numbers.countries:
            known = ", ".join(sorted(self.emergency_numbers.countries))
            raise answers_error("country", f"unknown country code {shown(country)}; known: {known}")
        return self.emergency_numbers.countries[code]


def _walk(cond: Condition) -> list[Condition]:
    out = [cond]
    for child in (cond.all or ()) + (cond.any or ()):
        out.extend(_walk(child))
    return out


@cache
def load_catalog() -> SymptomCatalog:
    """The packaged symptom catalog (read-only package data); a catalog that does not fit its
    model is a :class:`~livermets.errors.KnowledgeError` naming ``symptoms.yaml``."""
    try:
        return SymptomCatalog.model_validate(load_yaml("symptoms.yaml"))
    except ValidationError as error:
        raise invalid(error, file="symptoms.yaml") from None


# --------------------------------------------------------------------------------------------
# Answers (the input)
# --------------------------------------------------------------------------------------------

_TEMPERATURE = re.compile(r"^\s*(?P<value>[-+]?\d+(?:[.,]\d+)?)\s*°?\s*(?P<unit>[A-Za-z]*)\s*$")
_UNITS = {"": "C", "c": "C", "celsius": "C", "f": "F", "fahrenheit": "F"}


def _catalog_from(info: ValidationInfo) -> SymptomCatalog:
    ctx = info.context
    if isinstance(ctx, Mapping) and isinstance(ctx.get("catalog"), SymptomCatalog):
        return ctx["catalog"]  # type: ignore[no-any-return]
    return load_catalog()


def parse_temperature_c(value: Any, catalog: SymptomCatalog | None = None) -> float:
    """A temperature in °C from a number (°C), a string such as ``"38.2"``, ``"38.2 C"`` or
    ``"101 F"``, or a mapping ``{"value": 101, "unit": "F"}``. Raises ``ValueError`` with a
    plain message for an unknown unit or a reading that cannot be a body temperature."""
    cat = catalog or load_catalog()
    unit = "C"
    if isinstance(value, Mapping):
        if "value" not in value:
            raise ValueError("give the temperature as a number, e.g. 38.2 or '101 F'")
        unit_text = str(value.get("unit", "C")).strip().lstrip("°").lower()
        if unit_text not in _UNITS:
            raise ValueError(f"unknown unit {shown(value.get('unit'))}; use C or F")
        unit = _UNITS[unit_text]
        value = value["value"]
    if isinstance(value, bool):
        raise ValueError("give the temperature as a number, e.g. 38.2 or '101 F'")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ValueError(f"{shown(value)} is not a body temperature; give a number, e.g. 38.2")
    elif isinstance(value, str):
        match = _TEMPERATURE.match(value)
        if not match:
            raise ValueError(f"cannot read {shown(value)}; write it like 38.2 or '101 F'")
        unit_text = match["unit"].lower()
        if unit_text not in _UNITS:
            raise ValueError(f"unknown unit {shown(match['unit'])}; use C or F")
        if unit_text:
            unit = _UNITS[unit_text]
        number = float(match["value"].replace(",", "."))
    else:
        raise ValueError("give the temperature as a number, e.g. 38.2 or '101 F'")
    celsius = (number - 32.0) * 5.0 / 9.0 if unit == "F" else number
    low, high = cat.settings.plausible_temperature_c.min, cat.settings.plausible_temperature_c.max
    if not low <= celsius <= high:
        reading = f"{number:g} °{unit}"
        hint = " (a Fahrenheit reading needs the unit, e.g. '101 F')" if unit == "C" else ""
        raise ValueError(
            f"{reading} is not a body temperature between {low:g} and {high:g} °C{hint}"
        )
    return round(celsius, 1)


class SymptomDetail(BaseModel):
    """One symptom a person has: how long (days), how bad, and whether it is new or worse."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: int | None = Field(default=None, ge=0, le=36500)
    severity: Severity = Severity.MILD
    new_or_worse: bool = False

    @field_validator("days", mode="before")
    @classmethod
    def _days_not_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"{str(value).lower()} is not a number of days; give a number")
        return value


class Context(BaseModel):
    """What else matters: cancer history, current anticancer treatment, measured temperature."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    cancer: CancerHistory = "not_sure"
    treatments: tuple[Treatment, ...] = ()
    temperature_c: float | None = Field(
        default=None, validation_alias=AliasChoices("temperature", "temperature_c")
    )

    @field_validator("temperature_c", mode="before")
    @classmethod
    def _temperature(cls, value: Any, info: ValidationInfo) -> float | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse_temperature_c(value, _catalog_from(info))

    @field_validator("treatments", mode="before")
    @classmethod
    def _treatments(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,) if value.strip() else ()
        return value

    @property
    def on_treatment(self) -> bool:
        return bool(self.treatments)


class SymptomAnswers(BaseModel):
    """Everything the checker is told. ``symptoms`` maps a symptom id (see
    ``knowledge/symptoms.yaml``) to its details; a list of ids or of ``{id: ..., ...}`` objects
    is accepted too."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symptoms: dict[str, SymptomDetail] = Field(default_factory=dict)
    context: Context = Field(default_factory=Context)

    @field_validator("symptoms", mode="before")
    @classmethod
    def _symptom_forms(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return {}
        if isinstance(value, list | tuple):
            as_dict: dict[str, Any] = {}
            for item in value:
                if isinstance(item, str):
                    sid, detail = item, {}
                elif isinstance(item, Mapping) and isinstance(item.get("id"), str):
                    sid, detail = item["id"], {k: v for k, v in item.items() if k != "id"}
                else:
                    raise ValueError("each symptom must be an id or an object with an 'id'")
                if sid in as_dict:
                    # never silently the last: the same symptom twice is a question for the person
                    raise ValueError(
                        f"the symptom {shown(sid)} is given twice; give each symptom once "
                        "with its worst severity"
                    )
                as_dict[sid] = detail
            value = as_dict
        if isinstance(value, Mapping):
            known = _catalog_from(info).symptom_ids()
            unknown = [shown(key) for key in value if key not in known]
            if unknown:
                ids = "id " + unknown[0] if len(unknown) == 1 else "ids " + ", ".join(unknown)
                raise ValueError(f"unknown symptom {ids}; known ids: {', '.join(known)}")
            return {k: ({} if v is None or v is True else v) for k, v in value.items()}
        return value


def parse_answers(
    data: Any, catalog: SymptomCatalog | None = None, *, source: str = ""
) -> SymptomAnswers:
    """Validate raw answers (e.g. from JSON/YAML). Problems raise one
    :class:`~livermets.errors.AnswersInputError` holding every problem, each naming its field,
    e.g. ``symptoms: unknown symptom id 'x'`` and ``context.temperature: ...``."""
    if not isinstance(data, Mapping):
        raise answers_error(
            "", "the answers must be an object with 'symptoms' and 'context'", source=source
        )
    context = {"catalog": catalog} if catalog is not None else None
    try:
        return SymptomAnswers.model_validate(data, context=context)
    except ValidationError as error:
        raise from_validation_error(error, source=source) from None


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


class TriageSettings(BaseModel):
    """Local choices. ``fever_threshold_c`` must be one of the values the catalog allows;
    ``None`` takes the catalog default (the lower, safer one)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fever_threshold_c: float | None = None


class Reason(_Frozen):
    trigger: str
    level: Level
    text: str
    sources: tuple[str, ...]
    unverified: bool = False


class OtherCauses(_Frozen):
    symptom: str
    label: str
    causes: tuple[str, ...]


class TriageResult(_Frozen):
    """The answer, most important first: ``level`` and ``headline``, then ``action``."""

    level: Level
    headline: str
    action: str
    reasons: tuple[Reason, ...]
    other_reasons: tuple[Reason, ...]
    escalated: bool
    tell_doctor: tuple[str, ...]
    other_causes: tuple[OtherCauses, ...]
    causes_intro: str
    tell_intro: str
    not_a_diagnosis: str
    safety_net: str
    support_line: str
    emergency_number: str
    fever_threshold_c: float
    sources: tuple[str, ...]


def _holds(
    cond: Condition, answers: SymptomAnswers, threshold_c: float, low_c: float
) -> tuple[bool, frozenset[str]]:
    """Whether ``cond`` holds, and the reported symptoms that made it hold."""
    matched: set[str] = set()
    ctx = answers.context
    if cond.symptom is not None:
        candidates = list(answers.symptoms) if cond.symptom == "any" else [cond.symptom]
        hits = [
            sid
            for sid in candidates
            if sid in answers.symptoms and _detail_ok(cond, answers.symptoms[sid])
        ]
        if not hits:
            return False, frozenset()
        matched.update(hits)
    temp = ctx.temperature_c
    if cond.fever is not None and cond.fever != (temp is not None and temp >= threshold_c):
        return False, frozenset()
    if cond.low_temperature is not None and cond.low_temperature != (
        temp is not None and temp < low_c
    ):
        return False, frozenset()
    if cond.on_treatment is not None and cond.on_treatment != ctx.on_treatment:
        return False, frozenset()
    if cond.cancer is not None and ctx.cancer not in cond.cancer:
        return False, frozenset()
    for child in cond.all or ():
        ok, hit = _holds(child, answers, threshold_c, low_c)
        if not ok:
            return False, frozenset()
        matched |= hit
    if cond.any is not None:
        found = False
        for child in cond.any:
            ok, hit = _holds(child, answers, threshold_c, low_c)
            if ok:
                found = True
                matched |= hit
        if not found:
            return False, frozenset()
    return True, frozenset(matched)


def _detail_ok(cond: Condition, detail: SymptomDetail) -> bool:
    if cond.min_severity is not None and detail.severity.rank < cond.min_severity.rank:
        return False
    if cond.min_days is not None and (detail.days or 0) < cond.min_days:
        return False
    return cond.new_or_worse is None or detail.new_or_worse == cond.new_or_worse


def fever_threshold(settings: TriageSettings | None, catalog: SymptomCatalog) -> float:
    setting = catalog.settings.fever_threshold_c
    chosen = (
        setting.default
        if settings is None or settings.fever_threshold_c is None
        else (settings.fever_threshold_c)
    )
    if chosen not in setting.allowed:
        allowed = " or ".join(f"{v:g}" for v in setting.allowed)
        raise answers_error("fever_threshold_c", f"{chosen:g} is not allowed; use {allowed}")
    return chosen


def triage(
    answers: SymptomAnswers,
    *,
    settings: TriageSettings | None = None,
    country: str | None = None,
    catalog: SymptomCatalog | None = None,
) -> TriageResult:
    """The urgency level for ``answers`` with its reasons, what to tell a doctor and other
    common causes. ``country`` (``GB``, ``US``...) picks the emergency number."""
    cat = catalog or load_catalog()
    threshold = fever_threshold(settings, cat)
    low_c = cat.settings.low_temperature_c.value
    emergency = cat.emergency(country)

    fired: list[tuple[Trigger, frozenset[str]]] = []
    for trigger in cat.triggers:
        ok, hit = _holds(trigger.when, answers, threshold, low_c)
        if ok:
            fired.append((trigger, hit))

    level: Level = "routine"
    for trigger, _ in fired:
        if level_rank(trigger.level) > level_rank(level):
            level = trigger.level

    fmt = {
        "threshold_c": f"{threshold:g}",
        "low_c": f"{low_c:g}",
        "number": emergency.text,
        "urgent_advice": emergency.urgent_advice,
    }
    reasons = [
        Reason(
            trigger=t.id,
            level=t.level,
            text=t.reason.format(**fmt),
            sources=t.sources,
            unverified=t.unverified,
        )
        for t, _ in fired
    ]

    esc = cat.escalation
    rising = sorted(
        {
            sid
            for t, hit in fired
            if t.level == esc.from_level
            for sid in hit
            if answers.symptoms[sid].new_or_worse
        }
    )
    escalated = False
    if len(rising) >= esc.min_items and level_rank(level) < level_rank(esc.to_level):
        level = esc.to_level
        escalated = True
    if len(rising) >= esc.min_items:
        reasons.append(
            Reason(
                trigger="escalation",
                level=esc.to_level,
                text=esc.reason.format(count=len(rising)),
                sources=esc.sources,
            )
        )

    if not reasons:
        reasons.append(
            Reason(trigger="none", level="routine", text=cat.texts["no_symptoms"], sources=())
        )
    reasons.sort(key=lambda r: -level_rank(r.level))
    top = tuple(r for r in reasons if r.level == level)
    rest = tuple(r for r in reasons if r.level != level)

    level_text = cat.level_text(level)
    sources = sorted(
        {s for r in reasons for s in r.sources}
        | set(level_text.sources)
        | set(cat.emergency_numbers.sources)
    )
    return TriageResult(
        level=level,
        headline=level_text.headline,
        action=level_text.action.format(**fmt),
        reasons=top,
        other_reasons=rest,
        escalated=escalated,
        tell_doctor=tuple(_tell_doctor(answers, cat)),
        other_causes=tuple(
            OtherCauses(
                symptom=sid, label=cat.symptom(sid).label, causes=cat.symptom(sid).other_causes
            )
            for sid in cat.symptom_ids()
            if sid in answers.symptoms
        ),
        causes_intro=cat.texts["causes_intro"],
        tell_intro=cat.texts["tell_intro"],
        not_a_diagnosis=cat.texts["not_a_diagnosis"],
        safety_net=cat.texts["safety_net"].format(**fmt),
        support_line=cat.texts["support_line"],
        emergency_number=emergency.text,
        fever_threshold_c=threshold,
        sources=tuple(sources),
    )


def _tell_doctor(answers: SymptomAnswers, cat: SymptomCatalog) -> list[str]:
    texts = cat.texts
    severity_label = {c.id: c.label for c in cat.severities}
    lines: list[str] = []
    for sid in cat.symptom_ids():
        if sid not in answers.symptoms:
            continue
        detail = answers.symptoms[sid]
        if detail.days is None:
            duration = texts["tell_duration_unknown"]
        elif detail.days <= 1:
            duration = texts["tell_one_day"]
        else:
            duration = texts["tell_days"].format(days=detail.days)
        change = texts["tell_change_new"] if detail.new_or_worse else texts["tell_change_same"]
        lines.append(
            texts["tell_symptom"].format(
                label=cat.symptom(sid).label,
                duration=duration,
                severity=severity_label[detail.severity.value],
                change=change,
            )
        )
    ctx = answers.context
    if ctx.temperature_c is not None:
        lines.append(texts["tell_temperature"].format(temperature_c=f"{ctx.temperature_c:g}"))
    if ctx.treatments:
        labels = {c.id: c.label.split(" (")[0] for c in cat.treatments.items}
        lines.append(
            texts["tell_treatment"].format(
                treatments=_and_list([labels[t] for t in ctx.treatments])
            )
        )
    if ctx.cancer == "past":
        lines.append(texts["tell_cancer_past"])
    elif ctx.cancer == "current":
        lines.append(texts["tell_cancer_current"])
    lines.append(texts["tell_medicines"])
    return lines


def _and_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def render_text(result: TriageResult) -> str:
    """The result as plain text, urgency first. Used by the CLI and by readability tests."""
    return f"{result.headline.upper()}\n{render_body(result)}"


def render_body(result: TriageResult) -> str:
    """The plain text under the headline (the CLI prints the headline in its own style)."""
    out = ["", result.action, "", "Why:"]
    out += [f"- {r.text}" for r in result.reasons]
    if result.other_reasons:
        out += ["", "Also noted:"]
        out += [f"- {r.text}" for r in result.other_reasons]
    out += ["", result.tell_intro]
    out += [f"- {line}" for line in result.tell_doctor]
    if result.other_causes:
        out += ["", result.causes_intro]
        for c in result.other_causes:
            out.append(f"- {c.label}:")
            out += [f"  - {cause}" for cause in c.causes]
    out += ["", result.not_a_diagnosis, "", result.safety_net, result.support_line]
    return "\n".join(out)
