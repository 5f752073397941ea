"""The one-page MDT summary (``livermets.faces.report``): structure, behaviour and a few
snapshots of its view model.

Snapshots live in ``tests/golden/<name>.view.yaml``: the report's view model (``build_view``:
what the templates show, already worded and numbered), not the HTML. There are four: the
``synthetic`` record built by hand below (every part of the layout, independent of the
knowledge files) and three varied examples (``SNAPSHOT_EXAMPLES``: consider-after with a
remnant to grow, best supportive care, a tissue diagnosis still needed). The layout itself is
checked by the structural tests (well-formed HTML, escaping, one printed page...), and what
livermets advises by each example's expectation file. After a deliberate change to the view,
regenerate the snapshots and review the diff::

    LIVERMETS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report.py

The output is deterministic: no clock is read; the date shown is the case's ``as_of``.

What the printed page shows is checked without a browser (the print CSS hides elements by
class; ``_Faces`` reads the HTML as the screen and as paper show it), and with one: Debian's
``chromium`` prints the synthetic report and every example case, and ``pdfinfo``
(poppler-utils) checks that each fits one A4 page. The browser tests are skipped when either
program is absent. The cases are printed by one headless Chromium driven over its DevTools
pipe (a few seconds for all of them; a fresh ``chromium --print-to-pdf`` per case would take
about a second each), falling back to that command line where the pipe does not work.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import fcntl
import io
import json
import os
import re
import select
import shutil
import subprocess
import time
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

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
    WorkupResult,
)
from livermets.case.model import Case
from livermets.faces.report import (
    PRINT_QUESTIONS,
    STATUS_WORD,
    build_view,
    render_report,
    suggested_questions,
)
from livermets.faces.terminal import render_terminal
from livermets.faces.words import direction_reasons, headline, score_value
from livermets.importers.case_text import case_from_data, parse_case

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = ROOT / "examples" / "cases"
UPDATE = os.environ.get("LIVERMETS_UPDATE_GOLDEN") == "1"
SNAPSHOT = ".view.yaml"
SNAPSHOT_EXAMPLES = (
    "colorectal-bilobar-low-sflr-pve",
    "pancreas-ecog-4-best-supportive-care",
    "unknown-primary-tissue-diagnosis-needed",
)

# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------

BUILT_IN_CASES: dict[str, dict[str, Any]] = {
    "builtin-crc-single": {
        "schema_version": "1.0",
        "case_id": "BUILTIN-CRC-1",
        "as_of": "2025-03-01",
        "patient": {"age_years": 64, "sex": "male"},
        "primary": {"site": "colorectal", "side": "left", "resected": True, "node_positive": True},
        "liver": {
            "lesions": [
                {
                    "segments": [6],
                    "diameter": {"value": 3.2, "unit": "cm"},
                    "vessel_relation": "clear",
                },
                {"segments": [7], "diameter": {"value": 18, "unit": "mm"}},
            ],
            "distribution": "unilobar",
            "timing": "metachronous",
        },
        "extrahepatic": {"present": False},
        "labs": {
            "bilirubin": {"value": 12, "unit": "µmol/L"},
            "albumin": {"value": 41, "unit": "g/L"},
            "inr": {"value": 1.0, "unit": "ratio"},
            "creatinine": {"value": 80, "unit": "µmol/L"},
        },
        "liver_function": {"ascites": "none", "encephalopathy_grade": 0},
        "tumour_markers": [{"marker": "cea", "value": 12, "unit": "ng/mL"}],
        "biomarkers": {"kras": "wild_type", "nras": "wild_type", "braf_v600e": "wild_type"},
        "performance": {"ecog": 0, "fit_for_major_surgery": True},
    },
    "builtin-crc-sparse": {
        "schema_version": "1.0",
        "case_id": "BUILTIN-CRC-2",
        "primary": {"site": "colorectal"},
        "liver": {"lesion_count": 6, "distribution": "bilobar"},
    },
    "builtin-breast": {
        "schema_version": "1.0",
        "case_id": "BUILTIN-BREAST-1",
        "as_of": "2025-06-15",
        "patient": {"age_years": 52, "sex": "female"},
        "primary": {"site": "breast"},
        "liver": {"lesion_count": 3},
        "extrahepatic": {"present": True, "sites": [{"site": "bone", "count": 2}]},
        "biomarkers": {"er": "positive", "pr": "positive", "her2": "negative"},
        "performance": {"ecog": 1},
    },
}


def _crit(
    cid: str,
    statement: str,
    result: CriterionOutcome,
    *,
    missing: list[str] | None = None,
    unverified: bool = False,
    sources: list[str] | None = None,
) -> CriterionResult:
    return CriterionResult(
        id=cid,
        statement=statement,
        result=result,
        missing=missing or [],
        unverified=unverified,
        sources=sources or ["src-a"],
    )


def synthetic_assessment(case_id: str = "SYN-1") -> Assessment:
    """A hand-built record with every part of the page filled (not clinical content)."""
    a = SourceRef(id="src-a", citation="Author A, et al. A study of A. J Test 2020;1:1-2.")
    b = SourceRef(id="src-b", citation="Author B, et al. Guideline B. J Test 2021;2:3-4.")
    c = SourceRef(id="src-c", citation="Author C. Score C. J Test 2019;3:5-6.")
    d = SourceRef(id="src-d", citation="Author D. Uncited here. J Test 2018;4:7-8.")
    fit = _crit("fit", "fit for major surgery", "met")
    flr = _crit(
        "flr", "future liver remnant at least 30%", "not_met", unverified=True, sources=["src-b"]
    )
    margin = _crit("margin", "R0 margin achievable", "unknown", missing=["liver MRI with contrast"])
    alb = _crit("alb", "albumin known", "unknown", missing=["albumin", "INR"])
    ehd = _crit("ehd", "extrahepatic disease that cannot be controlled", "met", sources=["src-b"])
    size = _crit("size", "largest lesion 3 cm or smaller", "not_met", sources=["src-c"])
    options = [
        OptionResult(
            id="systemic",
            name="Systemic therapy",
            group="systemic",
            status="candidate",
            summary="Drug treatment.",
            deciding=[fit],
            deciding_ids=["fit"],
            met=[fit],
            sources=[a],
        ),
        OptionResult(
            id="resection",
            name="Liver resection",
            group="surgery",
            status="consider_after",
            summary="Remove the metastases.",
            after=["portal vein embolisation"],
            after_ids=["portal_vein_embolisation"],
            deciding=[flr],
            deciding_ids=["flr"],
            met=[fit],
            not_met=[flr],
            unknown=[margin],
            considerations=[_crit("age", "age over 80", "not_met")],
            obtain=["liver MRI with contrast"],
            obtain_ids=["liver_mri"],
            specialist_centre=True,
            sources=[a, b],
        ),
        OptionResult(
            id="tare",
            name="Radioembolisation (SIRT)",
            group="arterial",
            status="needs_data",
            summary="Internal radiation.",
            deciding=[alb],
            deciding_ids=["alb"],
            unknown=[alb],
            obtain=["albumin", "INR"],
            obtain_ids=["albumin_g_l", "inr"],
            specialist_centre=True,
            sources=[b],
        ),
        OptionResult(
            id="transplant",
            name="Liver transplant",
            group="transplant",
            status="not_suitable",
            summary="Replace the liver.",
            deciding=[ehd],
            not_met=[ehd],
            sources=[b],
        ),
        OptionResult(
            id="ablation",
            name="Thermal ablation",
            group="ablation",
            status="not_suitable",
            summary="Heat.",
            deciding=[size],
            not_met=[size],
            sources=[c],
        ),
    ]
    return Assessment(
        livermets_version="0.0.0-test",
        case=CaseBrief(
            case_id=case_id,
            primary="Colorectal cancer",
            primary_site="colorectal",
            age_years=64.0,
            sex="male",
            lesion_count=2,
            largest_lesion_cm=3.2,
            bilobar=False,
            extrahepatic_disease=False,
            ecog=0,
            child_pugh_class="A",
            child_pugh_points=5,
        ),
        warnings=["albumin 1.5 g/L is unusually low: check the unit"],
        direction=DirectionResult(
            code="potentially_curative",
            label="Potentially curative local treatment",
            summary="Aim to remove or destroy all disease after staging is complete.",
            because=[
                DirectionReason(kind="criterion", id="fit", result="met", criterion=fit),
                DirectionReason(kind="option", id="resection", result="consider_after"),
            ],
            sources=["src-a"],
        ),
        alternatives=[
            DirectionResult(
                code="conversion",
                label="Conversion therapy",
                summary="Systemic therapy to make local treatment possible.",
                sources=["src-b"],
            ),
            DirectionResult(
                code="palliative",
                label="Palliative systemic therapy",
                summary="Control disease and symptoms.",
                sources=[],
            ),
        ],
        prompts=[
            PromptResult(
                id="info1", text="Record the patient's priorities.", level="info", sources=[]
            ),
            PromptResult(
                id="hpb",
                text="Discuss with a specialist liver (HPB) MDT.",
                level="urgent",
                sources=["src-b"],
            ),
            PromptResult(
                id="vol", text="Request liver volumetry.", level="action", sources=["src-a"]
            ),
        ],
        scores=[
            ScoreResult(
                id="child_pugh",
                name="Child-Pugh",
                version="Pugh 1973",
                computed=True,
                value=5,
                unit="points",
                category="A",
                inputs={"bilirubin_mg_dl": 0.7},
                sources=[c],
            ),
            ScoreResult(
                id="albi",
                name="ALBI",
                version="Johnson 2015",
                computed=True,
                value=-2.650183175726496,
                unit="score",
                category="grade 1",
                inputs={"albumin_g_l": 41.0},
                unverified=["albumin coefficient -0.085 vs -0.0852"],
                sources=[c],
                decimals=2,
            ),
            ScoreResult(
                id="meld",
                name="MELD",
                version="UNOS pre-2016",
                computed=False,
                value=None,
                unit="points",
                category=None,
                inputs={"creatinine": None},
                missing=["creatinine", "dialysis in the past week"],
                sources=[a],
            ),
        ],
        options=options,
        workup=[
            WorkupResult(
                id="mri",
                name="Liver MRI",
                status="missing",
                why="to count and map the lesions",
                sources=["src-a"],
            ),
            WorkupResult(
                id="ct",
                name="CT chest, abdomen and pelvis",
                status="done",
                why="staging",
                sources=["src-a"],
            ),
        ],
        prognosis=[
            PrognosticFactorResult(
                id="single",
                statement="a single liver metastasis",
                effect="favourable",
                figures="5-year survival 40-60%",
                sources=["src-c"],
            ),
            PrognosticFactorResult(
                id="node",
                statement="node-positive primary",
                effect="unfavourable",
                figures=None,
                sources=["src-c"],
            ),
        ],
        missing_data=[
            MissingItem(item="liver MRI with contrast", needed_for=["Liver resection"]),
            MissingItem(item="albumin", needed_for=["Radioembolisation (SIRT)"]),
            MissingItem(item="INR", needed_for=["Radioembolisation (SIRT)", "MELD"]),
            MissingItem(item="creatinine", needed_for=["MELD"]),
        ],
        sources=[a, b, c, d],
    )


def _example_files() -> list[Path]:
    if not EXAMPLES.is_dir():
        return []
    return sorted(
        p
        for p in EXAMPLES.iterdir()
        if p.suffix.lower() in {".json", ".yaml", ".yml"} and ".expect." not in p.name
    )


@cache
def _cases() -> dict[str, Case]:
    files = _example_files()
    if files:
        return {p.stem: parse_case(p.read_text(encoding="utf-8"), source=str(p)) for p in files}
    return {name: case_from_data(data) for name, data in BUILT_IN_CASES.items()}


@cache
def _assessed(name: str) -> Assessment:
    from livermets.assessment.build import assess

    return assess(_cases()[name])


@cache
def _rendered(name: str, kind: str) -> str:
    """Each case is assessed and rendered once for all the tests here."""
    return render_report(_assessed(name), kind, as_of=_cases()[name].as_of)


CASE_NAMES = [p.stem for p in _example_files()] or list(BUILT_IN_CASES)


def _view_yaml(assessment: Assessment, as_of: dt.date | None) -> str:
    """The report's view model as readable YAML (plain data: lists, strings, numbers)."""
    data = json.loads(json.dumps(dataclasses.asdict(build_view(assessment, as_of=as_of))))
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _snapshot_check(name: str, text: str) -> None:
    path = GOLDEN / f"{name}{SNAPSHOT}"
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(
            f"no snapshot {path.relative_to(ROOT)}: run "
            "LIVERMETS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report.py"
        )
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.relative_to(ROOT)} differs; if the change is intended, regenerate with "
        "LIVERMETS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report.py and review the diff"
    )


# --------------------------------------------------------------------------------------------
# Snapshots of the view model
# --------------------------------------------------------------------------------------------


def test_view_snapshot_synthetic() -> None:
    _snapshot_check("synthetic", _view_yaml(synthetic_assessment(), dt.date(2025, 3, 1)))


@pytest.mark.parametrize("name", SNAPSHOT_EXAMPLES)
def test_view_snapshot_examples(name: str) -> None:
    if name not in _cases():
        pytest.skip(f"example {name} is not in examples/cases")
    _snapshot_check(name, _view_yaml(_assessed(name), _cases()[name].as_of))


def test_no_stale_snapshots() -> None:
    expected = {f"{n}{SNAPSHOT}" for n in ["synthetic", *SNAPSHOT_EXAMPLES]}
    present = {p.name for p in GOLDEN.glob("*") if p.is_file()}
    stale = present - expected
    if UPDATE:
        for name in stale:
            (GOLDEN / name).unlink()
        return
    assert not stale, f"files in tests/golden that no test reads: {sorted(stale)}"


# --------------------------------------------------------------------------------------------
# One number format: every face words a score the same way
# --------------------------------------------------------------------------------------------


def _terminal_score_values(assessment: Assessment) -> list[str]:
    """The Value cell of each computed score in the terminal's score table, in order."""
    out = io.StringIO()
    render_terminal(assessment, Console(file=out, width=400, color_system=None))
    text = out.getvalue()
    table = text[text.index("┃ Score") :]
    rows = [line.split("│") for line in table.splitlines() if line.startswith("│")]
    values = {cells[1].strip(): cells[2].strip() for cells in rows if len(cells) > 3}
    return [values[s.name] for s in assessment.scores if s.computed]


def _markdown_score_values(markdown: str) -> list[str]:
    """The Value cell of each row of the Markdown summary's score table, in order."""
    start = markdown.find("| Score (version) | Value |")
    if start < 0:  # no score could be computed: no table
        return []
    values = []
    for line in markdown[start:].splitlines()[2:]:
        if not line.startswith("| "):
            break
        values.append(line.split(" | ")[1].strip())
    return values


@pytest.mark.parametrize("name", CASE_NAMES)
def test_scores_read_the_same_in_terminal_and_mdt_summary(name: str) -> None:
    assessment = _assessed(name)
    terminal = _terminal_score_values(assessment)
    markdown = _markdown_score_values(_rendered(name, "markdown"))
    assert terminal == markdown
    assert len(terminal) == sum(1 for s in assessment.scores if s.computed)


def test_score_values_at_their_declared_precision() -> None:
    meld = (
        synthetic_assessment()
        .scores[0]
        .model_copy(update={"value": 12.0, "unit": "points", "decimals": 0})
    )
    tlv = meld.model_copy(update={"value": 1675.97, "unit": "mL", "decimals": 0})
    albi = synthetic_assessment().scores[1]
    assert [score_value(meld), score_value(tlv), score_value(albi)] == ["12", "1676 mL", "-2.65"]
    html = render_report(synthetic_assessment(), "html")
    assert ">-2.65<" in html and "-2.650" not in html


@pytest.mark.parametrize("kind", ["html", "markdown"])
def test_deterministic(kind: str) -> None:
    first = render_report(synthetic_assessment(), kind)
    second = render_report(synthetic_assessment(), kind)
    assert first == second
    assert not re.search(r"20\d\d-\d\d-\d\d", first), "no date without as_of"


# --------------------------------------------------------------------------------------------
# Structure of the HTML
# --------------------------------------------------------------------------------------------

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _Checker(HTMLParser):
    """Checks that every element is closed in order; collects text and tag names."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.errors.append(f"end tag for void element <{tag}>")
        elif not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def _parse(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return checker


def _all_html() -> list[tuple[Assessment, str]]:
    out = [(synthetic_assessment(), render_report(synthetic_assessment(), "html"))]
    for name in CASE_NAMES:
        out.append((_assessed(name), _rendered(name, "html")))
    return out


def _check_content(assessment: Assessment, plain: str) -> None:
    squash = " ".join(assessment.notice.split())
    assert squash in plain
    if assessment.direction is not None:
        assert assessment.direction.label in plain
    for alt in assessment.alternatives:
        assert alt.label in plain
    closed_at = plain.find("NOT SUITABLE (")
    for option in assessment.options:
        word = STATUS_WORD[option.status]
        if option.status == "not_suitable":
            # listed under the one "NOT SUITABLE (n)" heading, grouped by deciding reason
            assert closed_at >= 0 and option.name in plain[closed_at:], option.name
        else:
            assert re.search(re.escape(word) + r"\W{0,12}" + re.escape(option.name), plain), (
                f"{option.name} without its status word {word}"
            )
    for item in assessment.missing_data:
        assert f"☐ {item.item}" in plain, item.item
    for prompt in assessment.prompts:
        assert prompt.text in plain
    for score in assessment.scores:
        assert score.name in plain


def test_html_well_formed_and_complete() -> None:
    for assessment, html in _all_html():
        checker = _parse(html)
        assert checker.doctype
        assert not checker.errors, checker.errors[:5]
        assert not checker.stack, f"unclosed: {checker.stack}"
        assert checker.tags[0] == "html"
        assert "script" not in checker.tags
        assert "<script" not in html.lower()
        assert "javascript:" not in html.lower()
        _check_content(assessment, checker.plain())


def test_markdown_complete() -> None:
    assessment = synthetic_assessment()
    md = render_report(assessment, "markdown")
    plain = md.replace("**", "").replace("\\", "")
    plain = " ".join(plain.split())
    _check_content(assessment, plain)
    assert "<" not in md.replace("\\<", "")


def test_status_not_by_colour_alone() -> None:
    html = render_report(synthetic_assessment(), "html")
    for status in ("candidate", "consider_after", "needs_data", "not_suitable"):
        assert re.search(
            rf'class="status s-{status}"><span class="mark" aria-hidden="true">'
            rf".</span> {STATUS_WORD[status]}</span>",
            html,
        )


def test_text_is_escaped() -> None:
    nasty = synthetic_assessment(case_id="<b>x</b> & <script>alert(1)</script>")
    html = render_report(nasty, "html")
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;" in html
    assert "<script" not in html
    checker = _parse(html)
    assert not checker.errors and not checker.stack
    assert "b" not in checker.tags
    md = render_report(nasty, "markdown")
    assert "<b>" not in md and "<script>" not in md
    assert r"\<b\>x\</b\>" in md


def test_case_text_cannot_break_markdown() -> None:
    a = synthetic_assessment(case_id="A|B\n# heading *bold* [link](x)")
    md = render_report(a, "markdown")
    assert "\n# heading" not in md
    assert r"\*bold\*" in md and r"\[link\]" in md
    assert "A\\|B" in md


def test_date_only_from_as_of() -> None:
    html = render_report(synthetic_assessment(), "html", as_of=dt.date(2024, 12, 31))
    assert '<time datetime="2024-12-31">2024-12-31</time>' in html
    assert "2024-12-31" in render_report(
        synthetic_assessment(), "markdown", as_of=dt.date(2024, 12, 31)
    )


def test_sources_numbered_in_order_of_citation() -> None:
    md = render_report(synthetic_assessment(), "markdown")
    listing = md.split("## Sources", 1)[1]
    assert "1. Author A" in listing and "2. Author B" in listing and "3. Author C" in listing
    assert "Uncited here" not in listing
    assert "1 further source" in listing


def test_suggested_questions_are_wording_over_the_record() -> None:
    questions = suggested_questions(synthetic_assessment())
    assert "Is Liver resection achievable after portal vein embolisation?" in questions
    assert "Can we obtain albumin and INR before deciding on Radioembolisation (SIRT)?" in questions
    assert any("unverified threshold" in q and "future liver remnant" in q for q in questions)
    assert questions[0].startswith("Does the team agree with the proposed direction")


def test_prognosis_labelled_as_study_figures() -> None:
    for kind in ("html", "markdown"):
        text = render_report(synthetic_assessment(), kind)
        assert "not predictions for this patient" in text


def test_empty_assessment_renders() -> None:
    bare = synthetic_assessment().model_copy(
        update={
            "direction": None,
            "alternatives": [],
            "prompts": [],
            "scores": [],
            "options": [],
            "workup": [],
            "prognosis": [],
            "missing_data": [],
            "sources": [],
            "warnings": [],
        }
    )
    for kind in ("html", "markdown"):
        text = render_report(bare, kind)
        assert "No direction proposed" in text
        assert "No treatment options were evaluated" in text
    assert not _parse(render_report(bare, "html")).errors


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown report kind"):
        render_report(synthetic_assessment(), "pdf")


def test_templates_are_package_data() -> None:
    from importlib.resources import files

    folder = files("livermets") / "faces" / "templates"
    assert (folder / "report.html").is_file()
    assert (folder / "report.md").is_file()


# --------------------------------------------------------------------------------------------
# Screen and paper: paper leaves details to the screen, never what the MDT reads first
# --------------------------------------------------------------------------------------------

# What the print CSS hides (``@media print`` in report.html), and what only print shows.
PRINT_HIDDEN = {"print-hide", "detail-only", "open-reasons"}
SCREEN_HIDDEN = {"print-only", "print-only-inline"}


class _Faces(HTMLParser):
    """The text of the body as the screen shows it and as paper does; the source numbers
    cited on paper and the sources listed there."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # per open element: (tag, classes, hidden on screen, hidden on paper)
        self.stack: list[tuple[str, set[str], bool, bool]] = []
        self.screen: list[str] = []
        self.paper: list[str] = []
        self.paper_refs: set[int] = set()
        self.paper_sources: list[int] = []
        self.in_body = False

    def _inside(self, *classes: str) -> bool:
        return any(c in entry[1] for entry in self.stack for c in classes)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.in_body = True
        if tag in VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        screen_hidden = bool(self.stack and self.stack[-1][2]) or bool(classes & SCREEN_HIDDEN)
        paper_hidden = (
            bool(self.stack and self.stack[-1][3])
            or bool(classes & PRINT_HIDDEN)
            or tag == "details"
            or ("ref" in classes and self._inside("closed", "version"))
        )
        self.stack.append((tag, classes, screen_hidden, paper_hidden))
        if tag == "li" and not paper_hidden and self._inside("sources"):
            self.paper_sources.append(-1)  # the number follows in the text

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.in_body:
            return
        screen_hidden, paper_hidden = self.stack[-1][2:] if self.stack else (False, False)
        if not screen_hidden:
            self.screen.append(data)
        if paper_hidden:
            return
        self.paper.append(data)
        if self.stack and "ref" in self.stack[-1][1]:
            self.paper_refs.update(int(n) for n in re.findall(r"\d+", data))
        if self.stack and "n" in self.stack[-1][1] and self.paper_sources[-1:] == [-1]:
            self.paper_sources[-1] = int(data.strip().rstrip("."))

    def text(self, face: str) -> str:
        parts = self.screen if face == "screen" else self.paper
        return " ".join(" ".join(parts).split())


def _faces(html: str) -> _Faces:
    faces = _Faces()
    faces.feed(html)
    faces.close()
    return faces


def test_paper_keeps_what_the_mdt_reads_first() -> None:
    for assessment, html in _all_html():
        paper = _faces(html).text("paper")
        name = assessment.case.case_id
        assert " ".join(assessment.notice.split()) in paper, name
        if assessment.direction is not None:
            assert assessment.direction.label in paper, name
            for reason in direction_reasons(assessment.direction, assessment):
                assert reason.partition(": ")[2 if ": " in reason else 0] in paper, reason
        for alt in assessment.alternatives:
            assert alt.label in paper, (name, alt.label)
        for prompt in assessment.prompts:
            if prompt.level in {"urgent", "action"}:
                assert prompt.text in paper, (name, prompt.text)
        view = build_view(assessment)
        for score in view.scores:
            assert f"{score.name}" in paper and score.category in paper, (name, score.name)
        for option in assessment.options:
            if option.status == "not_suitable":
                assert option.name in paper, (name, option.name)
                continue
            word = STATUS_WORD[option.status]
            assert re.search(re.escape(word) + r"\W{0,12}" + re.escape(option.name), paper), (
                name,
                option.name,
            )
        for shown in view.options:
            assert shown.paper_headline in paper, (name, shown.name)
        for group in view.missing:
            for item in group.items:
                assert f"☐ {item}" in paper, (name, item)
        for step in view.workup:
            assert f"☐ {step.item}" in paper, (name, step.item)


def test_paper_lists_exactly_the_sources_it_cites() -> None:
    for assessment, html in _all_html():
        faces = _faces(html)
        name = assessment.case.case_id
        listed = faces.paper_sources
        assert listed == list(range(1, len(listed) + 1)), (name, listed)
        assert faces.paper_refs == set(listed), (name, faces.paper_refs ^ set(listed))
        view = build_view(assessment)
        if view.unprinted:
            assert f"{view.unprinted} further source" in faces.text("paper"), name


def test_paper_shortens_but_screen_and_markdown_keep_everything() -> None:
    for assessment, html in _all_html():
        faces = _faces(html)
        screen, paper = faces.text("screen"), faces.text("paper")
        name = assessment.case.case_id
        view = build_view(assessment)
        # questions: the most useful few on paper, the rest counted; all on screen
        printed = [q for q in view.questions if q.printed]
        assert len(printed) <= PRINT_QUESTIONS, name
        assert bool(printed) == bool(view.questions), name
        for q in view.questions:
            assert q.text in screen, (name, q.text)
            if q.printed:
                assert q.paper_text in paper, (name, q.paper_text)
        if len(printed) < len(view.questions):
            assert f"{len(view.questions) - len(printed)} more question" in paper, name
        # prognostic factors: statement and effect on paper, figures on screen only
        for f in assessment.prognosis:
            assert f.statement in paper and f.statement in screen, (name, f.id)
            if f.figures:
                assert f.figures in screen and f.figures not in paper, (name, f.id)
        # options not used for this primary: one line on paper naming them
        unused = [
            o.name for o in assessment.options if o.status == "not_suitable" and not o.applicable
        ]
        assert view.unused == unused, name
        if unused:
            assert f"Not used for this primary ({len(unused)}): {', '.join(unused)}" in paper
            assert "Not used for this primary" not in screen
        # every source is listed on screen
        for source in view.sources:
            assert f"{source.number}. {source.citation}" in screen, (name, source.id)
        # the Markdown keeps every question, figure and source
        md = render_report(assessment, "markdown")
        md_plain = " ".join(md.replace("\\", "").split())
        for text in suggested_questions(assessment):
            assert " ".join(text.split()) in md_plain, (name, text)
        for f in assessment.prognosis:
            if f.figures:
                assert " ".join(f.figures.split()) in md_plain, (name, f.id)
        for source in view.sources:
            assert " ".join(source.citation.split()) in md_plain, (name, source.id)


def test_paper_questions_prefer_the_decision_to_data_requests() -> None:
    a = synthetic_assessment()
    extra = [
        OptionResult(
            id=f"x{i}",
            name=f"Option {i}",
            group="systemic",
            status="needs_data",
            summary="",
            obtain=[f"item {i}"],
            sources=[],
        )
        for i in range(8)
    ]
    view = build_view(a.model_copy(update={"options": [*a.options, *extra]}))
    printed = [q.text for q in view.questions if q.printed]
    assert len(printed) == PRINT_QUESTIONS
    assert printed[0].startswith("Does the team agree with the proposed direction")
    assert any("achievable after" in q for q in printed)
    assert any("unverified threshold" in q for q in printed)
    assert view.questions_unprinted == len(view.questions) - PRINT_QUESTIONS


def test_paper_headline_counts_a_long_list_to_obtain() -> None:
    a = synthetic_assessment()
    long_items = [f"a long description of investigation number {i}" for i in range(3)]
    tare = a.options[2].model_copy(
        update={"obtain": long_items, "obtain_ids": [f"item_{i}" for i in range(3)]}
    )
    missing = [MissingItem(item=i, needed_for=["Radioembolisation (SIRT)"]) for i in long_items]
    view = build_view(
        a.model_copy(
            update={"options": [*a.options[:2], tare, *a.options[3:]], "missing_data": missing}
        )
    )
    option = next(o for o in view.options if o.name == "Radioembolisation (SIRT)")
    assert option.paper_headline == "needs data: 3 items, see missing data"
    assert option.headline == "needs data: " + ", ".join(long_items) == headline(tare)
    # not counted when the checklist does not list them all
    view = build_view(a.model_copy(update={"options": [*a.options[:2], tare, *a.options[3:]]}))
    option = next(o for o in view.options if o.name == "Radioembolisation (SIRT)")
    assert option.paper_headline == option.headline


# --------------------------------------------------------------------------------------------
# A real browser: the synthetic report and every example case print on one A4 page
# --------------------------------------------------------------------------------------------

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).exists()),
    None,
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _print_tools() -> tuple[str, str]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    return CHROMIUM, pdfinfo


def _pages(pdfinfo: str, pdf: Path) -> int:
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True)
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE)
    assert found, info.stdout
    assert "A4" in info.stdout, f"{pdf.name} is not A4: {info.stdout}"
    return int(found.group(1))


def _print_with_command_line(chromium: str, page: Path, pdf: Path, profile: Path) -> None:
    """What a person would run: ``chromium --headless --print-to-pdf``."""
    command = [
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf}",
        page.as_uri(),
    ]
    try:
        subprocess.run(command, capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        pytest.skip("chromium did not finish printing in time")
    if not pdf.exists():
        pytest.skip("chromium could not print here")


class _DevTools:
    """One headless Chromium driven over ``--remote-debugging-pipe`` (the DevTools protocol:
    JSON messages ending in a NUL byte; the browser reads them on fd 3 and writes on fd 4)."""

    def __init__(self, chromium: str, profile: Path, timeout: float = 60.0) -> None:
        self.timeout = timeout
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # Lift the browser's ends above 10 so that the child can place them on 3 and 4.
        high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)

        def place() -> None:
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        try:
            self.process = subprocess.Popen(
                [
                    chromium,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={profile}",
                    "--remote-debugging-pipe",
                    "about:blank",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=False,
                preexec_fn=place,  # the tests run in one thread
            )
        finally:
            for fd in (to_browser_r, from_browser_w, high_r, high_w):
                os.close(fd)
        self.write_fd, self.read_fd = to_browser_w, from_browser_r
        self.buffer = b""
        self.next_id = 0
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = attached["sessionId"]
        self.call("Page.enable", session=self.session)

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return dict(json.loads(message))

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
        event: str | None = None,
    ) -> dict[str, Any]:
        """Send a command; wait for its answer and, if named, for an event of the session."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        result: dict[str, Any] | None = None
        seen = event is None
        while result is None or not seen:
            answer = self._receive(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                result = dict(answer.get("result", {}))
            elif answer.get("method") == event and answer.get("sessionId") == session:
                seen = True
        return result

    def print_pdf(self, page: Path, pdf: Path) -> None:
        self.call(
            "Page.navigate",
            {"url": page.as_uri()},
            session=self.session,
            event="Page.loadEventFired",
        )
        # As ``--print-to-pdf``: the page's own @page size and margins, no header or footer.
        printed = self.call(
            "Page.printToPDF",
            {"preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False},
            session=self.session,
        )
        pdf.write_bytes(base64.b64decode(printed["data"]))

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (OSError, EOFError, TimeoutError, RuntimeError):
            pass
        finally:
            os.close(self.write_fd)
            os.close(self.read_fd)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _print_all(pages: dict[str, str], folder: Path) -> dict[str, int]:
    """Print each HTML text to PDF in one browser; the number of pages of each."""
    chromium, pdfinfo = _print_tools()
    files = {}
    for name, html in pages.items():
        files[name] = folder / f"{name}.html"
        files[name].write_text(html, encoding="utf-8")
    done: dict[str, Path] = {}
    try:
        browser = _DevTools(chromium, folder / "profile")
        try:
            for name, page in files.items():
                done[name] = page.with_suffix(".pdf")
                browser.print_pdf(page, done[name])
        finally:
            browser.close()
    except (OSError, EOFError, TimeoutError, RuntimeError, KeyError, ValueError):
        for name, page in files.items():  # the slower way, one browser per page
            if name not in done or not done[name].exists():
                done[name] = page.with_suffix(".pdf")
                _print_with_command_line(chromium, page, done[name], folder / "profile-cli")
    return {name: _pages(pdfinfo, pdf) for name, pdf in done.items()}


def test_prints_on_one_a4_page(tmp_path: Path) -> None:
    """The synthetic report, printed exactly as a person would from the command line."""
    chromium, pdfinfo = _print_tools()
    page = tmp_path / "report.html"
    page.write_text(
        render_report(synthetic_assessment(), "html", as_of=dt.date(2025, 3, 1)), encoding="utf-8"
    )
    pdf = tmp_path / "report.pdf"
    _print_with_command_line(chromium, page, pdf, tmp_path / "profile")
    assert _pages(pdfinfo, pdf) == 1


def test_every_example_prints_on_one_a4_page(tmp_path: Path) -> None:
    pages = _print_all({name: _rendered(name, "html") for name in CASE_NAMES}, tmp_path)
    assert set(pages) == set(CASE_NAMES)
    over = {name: n for name, n in sorted(pages.items()) if n != 1}
    assert not over, f"printed on more than one A4 page (name: pages): {over}"
