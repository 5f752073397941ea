"""Turn one evaluated case row into an :class:`Assessment`, the structured decision record.

Bulk (cohort) results stay as columns; this runs only for the cases someone looks at. The
record carries results by id (deciding criteria, steps, data to obtain) with the labels the
knowledge declares; sentences and numbers in words are made by the faces
(``livermets.faces.words``), never here. Option statuses come from the status rule; which
criteria decided them follows from each criterion's role on the :class:`Option` record.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from livermets import __version__
from livermets.assessment.model import (
    Assessment,
    CaseBrief,
    CriterionOutcome,
    CriterionResult,
    DirectionReason,
    DirectionResult,
    MissingItem,
    OptionResult,
    PrognosticFactorResult,
    PromptResult,
    ScoreResult,
    SourceRef,
    Value,
    WorkupResult,
)
from livermets.assessment.pipeline import (
    LEAD_DIRECTION,
    direction_column,
    evaluate_case,
    guidance,
    prognosis_column,
    prompt_column,
    steps,
    workup_column,
)
from livermets.case.model import Case
from livermets.case.plausibility import plausibility_warnings
from livermets.criteria.registry import CHILD_TABLES, Criterion, Option, registry, step_label
from livermets.engine.expr import Agg, Coalesce, Col, Expr, Lit, children
from livermets.engine.parse import parse_rule
from livermets.features.catalog import CASE_FEATURE_BY_NAME, CHILD_FEATURES
from livermets.knowledge import load_yaml, sources

Row = dict[str, Any]

_CHILD_LABELS = {
    table: {f.name: f.label for f in features} for table, features in CHILD_FEATURES.items()
}
_TABLE_LABELS = {
    "lesions": "the liver lesions (size and segments of each)",
    "markers": "tumour marker results",
    "extrahepatic": "extrahepatic disease sites",
    "symptoms": "symptoms",
    "investigations": "investigations done",
    "programmes": "trials or specialist programmes arranged",
}


@cache
def _producers() -> dict[str, Expr]:
    return {step.name: step.expr for step in steps()}


@cache
def vocabulary() -> dict[str, dict[str, dict[str, str]]]:
    loaded: dict[str, dict[str, dict[str, str]]] = load_yaml("vocabulary.yaml")
    return loaded


def missing_inputs(expr: Expr, row: Row) -> list[str]:
    """Labels of the unknown base data behind an unknown result, in a stable order."""
    return [label for _, label in missing_items(expr, row)]


def missing_items(expr: Expr, row: Row) -> list[tuple[str, str]]:
    """(id, label) of the unknown base data behind an unknown result, in a stable order.

    The id is the feature column, the child table (``lesions``) or the child column
    (``lesions.diameter_cm``); items with the same label are listed once.

    Walks the expression tree: a column that is known stops the walk; a derived or score
    column that is unknown is followed into its own expression; a ``coalesce`` with a literal
    fallback never makes anything unknown, so nothing under it is reported.
    """
    found: dict[str, str] = {}  # label -> id
    followed: set[str] = set()

    def add(label: str, item_id: str) -> None:
        found.setdefault(label, item_id)

    def column(name: str) -> None:
        if row.get(name) is not None or name in followed:
            return
        followed.add(name)
        producer = _producers().get(name)
        if producer is not None:
            visit(producer)
        elif name in CASE_FEATURE_BY_NAME:
            add(CASE_FEATURE_BY_NAME[name].label, name)

    def visit(node: Expr) -> None:
        if isinstance(node, Col):
            column(node.name)
        elif isinstance(node, Coalesce):
            if any(isinstance(o, Lit) and o.value is not None for o in node.operands):
                return
            for operand in node.operands:
                visit(operand)
        elif isinstance(node, Agg):
            rows = row.get(node.table) or ()
            if not rows:
                add(_TABLE_LABELS.get(node.table, node.table), node.table)
                return
            for part in (node.where, node.value):
                if part is None:
                    continue
                for name in sorted(part.columns()):
                    if any(child.get(name) is None for child in rows):
                        label = _CHILD_LABELS[node.table].get(name, name)
                        add(label, f"{node.table}.{name}")
        else:
            for child in children(node):
                visit(child)

    visit(expr)
    return [(item_id, label) for label, item_id in found.items()]


def _outcome(value: Any) -> CriterionOutcome:
    return "unknown" if value is None else ("met" if value else "not_met")


class _Memo:
    """Per-case caches: a criterion or option is put into words once, however often shown."""

    def __init__(self) -> None:
        self.criteria: dict[str, CriterionResult] = {}
        self.options: dict[str, OptionResult] = {}


def _criterion_result(criterion: Criterion, row: Row, memo: _Memo) -> CriterionResult:
    known = memo.criteria.get(criterion.id)
    if known is not None:
        return known
    value = row.get(criterion.column)
    outcome = _outcome(value)
    items: list[tuple[str, str]] = []
    if outcome == "unknown":
        items = (
            [(criterion.id, criterion.decl.obtain)]
            if criterion.decl.obtain
            else missing_items(criterion.expr, row)
        )
    # model_construct: every value here is made by this module, already of the right type
    result = CriterionResult.model_construct(
        id=criterion.id,
        statement=criterion.decl.statement,
        result=outcome,
        missing=[label for _, label in items],
        unverified=criterion.decl.unverified,
        sources=list(criterion.decl.sources),
        missing_ids=[item_id for item_id, _ in items],
    )
    memo.criteria[criterion.id] = result
    return result


def _refs(ids: list[str] | tuple[str, ...]) -> list[SourceRef]:
    return list(_source_refs(tuple(ids)))


@cache
def _source_refs(ids: tuple[str, ...]) -> tuple[SourceRef, ...]:
    known = sources()
    return tuple(SourceRef(id=i, citation=known[i].citation) for i in ids)  # checked at load


def _option_result(option: Option, row: Row, memo: _Memo) -> OptionResult:
    done = memo.options.get(option.id)
    if done is not None:
        return done
    rules = registry()
    decl = option.decl
    status = row[option.column]
    roles = _roles(option.id)
    judged = roles.judged
    results = {cid: _criterion_result(rules.criteria[cid], row, memo) for cid in judged}
    soft = roles.soft
    excludes = roles.excludes
    outcome = {cid: r.result for cid, r in results.items()}
    # Which criteria decided the status, by role (the status itself is the status rule's).
    if status == "not_suitable":
        deciding_ids = [c for c in option.excludes if outcome[c] == "met"]
        deciding_ids += [
            c for c in judged if c not in excludes and c not in soft and outcome[c] == "not_met"
        ]
    elif status == "needs_data":
        deciding_ids = [c for c in judged if outcome[c] == "unknown"]
    elif status == "consider_after":
        deciding_ids = [c for c in judged if c in soft and outcome[c] == "not_met"]
    else:
        deciding_ids = [c for c in judged if c not in excludes and c not in roles.applies]
    fixable = roles.fixable
    after_ids: list[str] = []
    for cid in judged:
        if cid in soft and outcome[cid] == "not_met":
            after_ids += [step for step in fixable[cid] if step not in after_ids]
    obtain: dict[str, str] = {}  # label -> where it comes from
    if status != "not_suitable":  # nothing to obtain for an option already ruled out
        for cid in judged:
            r = results[cid]
            if r.result == "unknown":
                for item_id, label in zip(r.missing_ids, r.missing, strict=True):
                    obtain.setdefault(label, item_id)
    excluded = [results[c] for c in judged if c in excludes and outcome[c] == "met"]
    result = OptionResult.model_construct(
        id=decl.id,
        name=decl.name,
        group=decl.group,
        status=status,
        summary=decl.summary,
        after=[step_label(step) for step in after_ids],
        deciding=[results[c] for c in deciding_ids],
        met=[r for c, r in results.items() if r.result == "met" and c not in excludes],
        not_met=[r for c, r in results.items() if r.result == "not_met" and c not in excludes]
        + excluded,
        unknown=[r for r in results.values() if r.result == "unknown"],
        considerations=[
            _criterion_result(rules.criteria[c], row, memo) for c in option.considerations
        ],
        obtain=list(obtain),
        specialist_centre=decl.specialist_centre,
        applicable=all(outcome[c] != "not_met" for c in roles.applies),
        sources=_refs(decl.sources),
        deciding_ids=deciding_ids,
        after_ids=after_ids,
        obtain_ids=list(obtain.values()),
    )
    memo.options[option.id] = result
    return result


@dataclass(frozen=True)
class _Roles:
    """An option's criterion roles as the assessment reads them (from the :class:`Option`)."""

    judged: tuple[str, ...]  # applies, requirements, exclusions: each once, in shown order
    applies: frozenset[str]
    soft: frozenset[str]
    excludes: frozenset[str]
    fixable: dict[str, list[str]]


@cache
def _roles(option_id: str) -> _Roles:
    option = registry().options[option_id]
    requirements = [*option.hard, *option.soft]
    declared = {c: i for i, c in enumerate(option.decl.requires)}  # shown in declared order
    requirements.sort(key=lambda c: declared.get(c, len(declared)))
    return _Roles(
        judged=tuple(dict.fromkeys([*option.applies, *requirements, *option.excludes])),
        applies=frozenset(option.applies),
        soft=frozenset(option.soft),
        excludes=frozenset(option.excludes),
        fixable=option.fixable(),
    )


def _score_results(row: Row) -> list[ScoreResult]:
    from livermets.scores.registry import SCORES

    out: list[ScoreResult] = []
    site = row.get("primary_site")
    for spec in SCORES:
        if spec.applies_to and site not in spec.applies_to:
            continue
        if spec.relevant is not None and row.get(f"{spec.id}__relevant") is False:
            continue
        value = row.get(spec.id)
        details: dict[str, Value] = {name: row.get(f"{spec.id}__{name}") for name in spec.details}
        out.append(
            ScoreResult(
                id=spec.id,
                name=spec.name,
                version=spec.version,
                computed=value is not None,
                value=value,
                unit=spec.unit,
                category=row.get(f"{spec.id}__category") if spec.category is not None else None,
                details=details,
                inputs={name: _plain(row.get(name)) for name in spec.inputs},
                missing=[] if value is not None else missing_inputs(spec.value, row),
                notes=list(spec.notes),
                unverified=list(spec.unverified),
                sources=_refs(spec.sources),
                decimals=spec.decimals,
            )
        )
    return out


def _plain(value: Any) -> Value:
    if isinstance(value, list):
        return None
    result: Value = value
    return result


def _brief(case: Case, row: Row) -> CaseBrief:
    sites = vocabulary()["primary_sites"]
    ecog = row.get("ecog_effective")
    return CaseBrief(
        case_id=case.case_id,
        as_of=case.as_of,
        primary=sites[case.primary.site]["name"],
        primary_site=case.primary.site,
        age_years=case.patient.age_years,
        sex=case.patient.sex,
        lesion_count=row.get("lesion_count"),
        largest_lesion_cm=row.get("largest_lesion_cm"),
        bilobar=row.get("bilobar"),
        extrahepatic_disease=row.get("extrahepatic_disease"),
        extrahepatic_sites=[s.site for s in case.extrahepatic.sites],
        ecog=ecog,
        ecog_converted=ecog is not None and bool(row.get("ecog_is_converted")),
        child_pugh_class=row.get("child_pugh__category"),
        child_pugh_points=row.get("child_pugh"),
    )


def _direction(code: str, row: Row, memo: _Memo) -> DirectionResult:
    rules = registry()
    decl = next(d for d in guidance().directions if d.code == code)
    because: list[DirectionReason] = []
    grouped = [o.id for g in decl.explain_groups for o in rules.group_options(g)]
    for ref in dict.fromkeys([*decl.explain, *grouped]):
        if ref in rules.criteria:
            r = _criterion_result(rules.criteria[ref], row, memo)
            because.append(
                DirectionReason.model_construct(
                    kind="criterion", id=ref, result=r.result, criterion=r
                )
            )
        elif ref in rules.options:
            o = rules.options[ref]
            status = row.get(o.column)
            if status != "not_suitable":  # name what supports the direction, not what is shut
                _option_result(o, row, memo)
                because.append(
                    DirectionReason.model_construct(kind="option", id=ref, result=status)
                )
    if decl.list_missing:
        rule = parse_rule(decl.rule, child_tables=CHILD_TABLES)
        items = dict((label, item_id) for item_id, label in missing_items(rule, row))
        for option in rules.options.values():
            if option.column in rule.columns() and row.get(option.column) == "needs_data":
                result = _option_result(option, row, memo)
                for item_id, label in zip(result.obtain_ids, result.obtain, strict=True):
                    items.setdefault(label, item_id)
        because += [
            DirectionReason.model_construct(kind="missing", id=item_id, item=label)
            for label, item_id in items.items()
        ]
    return DirectionResult(
        code=decl.code,
        label=decl.label,
        summary=decl.summary,
        because=because,
        sources=list(decl.sources),
    )


def build_assessment(case: Case, row: Row) -> Assessment:
    """Words for one evaluated case."""
    rules = registry()
    g = guidance()
    memo = _Memo()
    options = sorted(
        (_option_result(o, row, memo) for o in rules.options.values()),
        key=lambda r: (
            ("candidate", "consider_after", "needs_data", "not_suitable").index(r.status),
            rules.options[r.id].decl.rank,
        ),
    )
    lead_code = row.get(LEAD_DIRECTION)
    lead = _direction(lead_code, row, memo) if lead_code else None
    alternatives = [
        _direction(d.code, row, memo)
        for d in g.directions
        if d.code != lead_code and row.get(direction_column(d.code))
    ][:3]
    missing: dict[str, list[str]] = {}
    for option in options:
        for item in option.obtain:
            missing.setdefault(item, []).append(option.name)
    scores = _score_results(row)
    for score in scores:
        for item in score.missing:
            missing.setdefault(item, []).append(score.name)
    cited: dict[str, None] = {}
    for option in options:
        cited.update((ref.id, None) for ref in option.sources)
        for c in [*option.met, *option.not_met, *option.unknown, *option.considerations]:
            cited.update((s, None) for s in c.sources)
    for score in scores:
        cited.update((ref.id, None) for ref in score.sources)
    lead_and_alternatives = [lead] if lead is not None else []
    for direction in [*lead_and_alternatives, *alternatives]:
        cited.update((s, None) for s in direction.sources)
    prompts = [
        PromptResult(id=p.id, text=p.text, level=p.level, sources=list(p.sources))
        for p in g.prompts
        if row.get(prompt_column(p.id))
    ]
    workup = [
        WorkupResult(
            id=w.id,
            name=w.name,
            status=row[workup_column(w.id)],
            why=w.why,
            sources=list(w.sources),
        )
        for w in g.workup
    ]
    prognosis = [
        PrognosticFactorResult(
            id=f.id,
            statement=f.statement,
            effect=f.effect,
            figures=f.figures,
            sources=list(f.sources),
        )
        for f in g.prognosis
        if row.get(prognosis_column(f.id))
    ]
    for guidance_sources in [
        *(p.sources for p in prompts),
        *(w.sources for w in workup),
        *(f.sources for f in prognosis),
    ]:
        cited.update((s, None) for s in guidance_sources)
    return Assessment(
        livermets_version=__version__,
        case=_brief(case, row),
        warnings=[str(w) for w in plausibility_warnings(case)],
        direction=lead,
        alternatives=alternatives,
        prompts=prompts,
        scores=scores,
        options=options,
        workup=workup,
        prognosis=prognosis,
        missing_data=[MissingItem(item=k, needed_for=v) for k, v in missing.items()],
        sources=_refs(list(cited)),
    )


def assess(case: Case) -> Assessment:
    """Assess one validated case: the public entry point of the core."""
    return build_assessment(case, evaluate_case(case))
