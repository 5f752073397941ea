"""Turn one evaluated case row into an :class:`Assessment`: the only place results get words.

Bulk (cohort) results stay as columns; this runs only for the cases someone looks at.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from livermets import __version__
from livermets.assessment.model import (
    Assessment,
    CaseBrief,
    CriterionOutcome,
    CriterionResult,
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
    """Labels of the unknown base data behind an unknown result, in a stable order.

    Walks the expression tree: a column that is known stops the walk; a derived or score
    column that is unknown is followed into its own expression; a ``coalesce`` with a literal
    fallback never makes anything unknown, so nothing under it is reported.
    """
    found: dict[str, None] = {}
    followed: set[str] = set()

    def column(name: str) -> None:
        if row.get(name) is not None or name in followed:
            return
        followed.add(name)
        producer = _producers().get(name)
        if producer is not None:
            visit(producer)
        elif name in CASE_FEATURE_BY_NAME:
            found[CASE_FEATURE_BY_NAME[name].label] = None

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
                found[_TABLE_LABELS.get(node.table, node.table)] = None
                return
            for part in (node.where, node.value):
                if part is None:
                    continue
                for name in sorted(part.columns()):
                    if any(child.get(name) is None for child in rows):
                        found[_CHILD_LABELS[node.table].get(name, name)] = None
        else:
            for child in children(node):
                visit(child)

    visit(expr)
    return list(found)


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
    missing: list[str] = []
    if outcome == "unknown":
        missing = (
            [criterion.decl.obtain]
            if criterion.decl.obtain
            else missing_inputs(criterion.expr, row)
        )
    # model_construct: every value here is made by this module, already of the right type
    result = CriterionResult.model_construct(
        id=criterion.id,
        statement=criterion.decl.statement,
        result=outcome,
        missing=missing,
        unverified=criterion.decl.unverified,
        sources=list(criterion.decl.sources),
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
    results = {
        cid: _criterion_result(rules.criteria[cid], row, memo)
        for cid in [*decl.applies, *decl.requires, *decl.excludes]
    }
    fixable = option.fixable()
    excluded = [results[c] for c in decl.excludes if results[c].result == "met"]
    hard_unmet = [
        results[c]
        for c in [*decl.applies, *decl.requires]
        if c not in fixable and results[c].result == "not_met"
    ]
    unknown = [r for r in results.values() if r.result == "unknown"]
    soft_unmet = [
        results[c] for c in decl.requires if c in fixable and results[c].result == "not_met"
    ]
    after: list[str] = []
    for r in soft_unmet:
        for step in fixable[r.id]:
            if step_label(step) not in after:
                after.append(step_label(step))
    obtain: list[str] = []
    if status != "not_suitable":  # nothing to obtain for an option already ruled out
        for r in unknown:
            for item in r.missing:
                if item not in obtain:
                    obtain.append(item)
    if status == "not_suitable":
        deciding = excluded + hard_unmet
        headline = "not suitable: " + "; ".join(_negated(r) for r in deciding)
    elif status == "needs_data":
        deciding = unknown
        headline = "needs data: " + ", ".join(obtain or ["see unknown criteria"])
        if after:
            headline += " (then consider after " + " or ".join(after) + ")"
    elif status == "consider_after":
        deciding = soft_unmet
        headline = "consider after " + " or ".join(after)
        if obtain:
            headline += "; also obtain: " + ", ".join(obtain)
    else:
        deciding = [results[c] for c in decl.requires]
        headline = "candidate for MDT discussion"
    met = [r for c, r in results.items() if r.result == "met" and c not in decl.excludes]
    not_met = [r for c, r in results.items() if r.result == "not_met" and c not in decl.excludes]
    not_met += excluded
    result = OptionResult.model_construct(
        id=decl.id,
        name=decl.name,
        group=decl.group,
        status=status,
        headline=headline,
        summary=decl.summary,
        after=after,
        deciding=deciding,
        met=met,
        not_met=not_met,
        unknown=unknown,
        considerations=[
            _criterion_result(rules.criteria[c], row, memo) for c in decl.considerations
        ],
        obtain=obtain,
        specialist_centre=decl.specialist_centre,
        applicable=all(results[c].result != "not_met" for c in decl.applies),
        sources=_refs(decl.sources),
    )
    memo.options[option.id] = result
    return result


def _negated(result: CriterionResult) -> str:
    prefix = "" if result.result == "met" else "not met: "
    return f"{prefix}{result.statement}"


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
    count = row.get("lesion_count")
    largest = row.get("largest_lesion_cm")
    lesion_text = (
        "number of liver lesions unknown"
        if count is None
        else (f"{count} liver lesion{'s' if count != 1 else ''}")
    )
    if largest is not None:
        lesion_text += f", largest {largest:g} cm"
    bilobar = row.get("bilobar")
    if bilobar is not None:
        lesion_text += ", bilobar" if bilobar else ", one lobe"
    ehd = row.get("extrahepatic_disease")
    ehd_text = "unknown" if ehd is None else ("none known" if not ehd else "present")
    if ehd and case.extrahepatic.sites:
        ehd_text += (
            " (" + ", ".join(s.site.replace("_", " ") for s in case.extrahepatic.sites) + ")"
        )
    ecog = row.get("ecog_effective")
    perf = (
        "unknown"
        if ecog is None
        else f"ECOG {ecog}"
        + (" (converted from Karnofsky)" if row.get("ecog_is_converted") else "")
    )
    cp = row.get("child_pugh__category")
    liver = "Child-Pugh unknown" if cp is None else f"Child-Pugh {cp} ({row.get('child_pugh')})"
    return CaseBrief(
        case_id=case.case_id,
        as_of=case.as_of,
        primary=sites[case.primary.site]["name"],
        primary_site=case.primary.site,
        age_years=case.patient.age_years,
        sex=case.patient.sex,
        lesions=lesion_text,
        extrahepatic=ehd_text,
        performance=perf,
        liver_function=liver,
    )


def _direction(code: str, row: Row, memo: _Memo) -> DirectionResult:
    rules = registry()
    decl = next(d for d in guidance().directions if d.code == code)
    reasons: list[str] = []
    grouped = [o.id for g in decl.explain_groups for o in rules.group_options(g)]
    explained = [*decl.explain, *grouped]
    for ref in explained:
        if ref in rules.criteria:
            r = _criterion_result(rules.criteria[ref], row, memo)
            reasons.append(f"{r.statement}: {r.result.replace('_', ' ')}")
        elif ref in rules.options:
            o = rules.options[ref]
            status = row.get(o.column)
            if status != "not_suitable":  # name what supports the direction, not what is shut
                reasons.append(f"{o.decl.name}: {_option_result(o, row, memo).headline}")
    if decl.list_missing:
        rule = parse_rule(decl.rule, child_tables=CHILD_TABLES)
        items = missing_inputs(rule, row)
        for option in rules.options.values():
            if option.column in rule.columns() and row.get(option.column) == "needs_data":
                items += [i for i in _option_result(option, row, memo).obtain if i not in items]
        reasons += [f"missing: {item}" for item in items]
    return DirectionResult(
        code=decl.code,
        label=decl.label,
        summary=decl.summary,
        reasons=reasons,
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
