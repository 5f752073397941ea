"""The one-page MDT summary (``livermets.render.report``): golden files and structure.

Golden files live in ``tests/golden/<name>.html`` and ``tests/golden/<name>.md``: one pair per
case in ``examples/cases/`` (or, while there are none, per built-in case below), plus the
``synthetic`` pair rendered from a hand-built :class:`Assessment` that exercises every part of
the layout independently of the knowledge files.

Regenerate them after a deliberate change to the report, or whenever the knowledge files
(criteria, options, scores, guidance, sources) change, and review the diff before committing::

    LIVERMETS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report.py

The output is deterministic: no clock is read; the date shown is the case's ``as_of``.

The browser test prints the synthetic report with Debian's ``chromium`` and checks with
``pdfinfo`` (poppler-utils) that it fits one A4 page; it is skipped when either is absent.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

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
    WorkupResult,
)
from livermets.case.model import Case
from livermets.case.parse import case_from_data, parse_case
from livermets.render.report import STATUS_WORD, render_report, suggested_questions

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = ROOT / "examples" / "cases"
UPDATE = os.environ.get("LIVERMETS_UPDATE_GOLDEN") == "1"
SUFFIX = {"html": ".html", "markdown": ".md"}

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
            headline="candidate for MDT discussion",
            summary="Drug treatment.",
            deciding=[fit],
            met=[fit],
            sources=[a],
        ),
        OptionResult(
            id="resection",
            name="Liver resection",
            group="surgery",
            status="consider_after",
            headline="consider after portal vein embolisation",
            summary="Remove the metastases.",
            after=["portal vein embolisation"],
            deciding=[flr],
            met=[fit],
            not_met=[flr],
            unknown=[margin],
            considerations=[_crit("age", "age over 80", "not_met")],
            obtain=["liver MRI with contrast"],
            specialist_centre=True,
            sources=[a, b],
        ),
        OptionResult(
            id="tare",
            name="Radioembolisation (SIRT)",
            group="arterial",
            status="needs_data",
            headline="needs data: albumin, INR",
            summary="Internal radiation.",
            deciding=[alb],
            unknown=[alb],
            obtain=["albumin", "INR"],
            specialist_centre=True,
            sources=[b],
        ),
        OptionResult(
            id="transplant",
            name="Liver transplant",
            group="transplant",
            status="not_suitable",
            headline="not suitable: extrahepatic disease that cannot be controlled",
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
            headline="not suitable: not met: largest lesion 3 cm or smaller",
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
            lesions="2 liver lesions, largest 3.2 cm, one lobe",
            extrahepatic="none known",
            performance="ECOG 0",
            liver_function="Child-Pugh A (5)",
        ),
        warnings=["albumin 1.5 g/L is unusually low: check the unit"],
        direction=DirectionResult(
            code="potentially_curative",
            label="Potentially curative local treatment",
            summary="Aim to remove or destroy all disease after staging is complete.",
            reasons=["fit for major surgery: met", "Liver resection: consider after"],
            sources=["src-a"],
        ),
        alternatives=[
            DirectionResult(
                code="conversion",
                label="Conversion therapy",
                summary="Systemic therapy to make local treatment possible.",
                reasons=[],
                sources=["src-b"],
            ),
            DirectionResult(
                code="palliative",
                label="Palliative systemic therapy",
                summary="Control disease and symptoms.",
                reasons=[],
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
    return sorted(p for p in EXAMPLES.iterdir() if p.suffix.lower() in {".json", ".yaml", ".yml"})


def _cases() -> dict[str, Case]:
    files = _example_files()
    if files:
        return {p.stem: parse_case(p.read_text(encoding="utf-8"), source=str(p)) for p in files}
    return {name: case_from_data(data) for name, data in BUILT_IN_CASES.items()}


def _render_case(case: Case, kind: str) -> str:
    from livermets.assessment.build import assess

    return render_report(assess(case), kind, as_of=case.as_of)


CASE_NAMES = [p.stem for p in _example_files()] or list(BUILT_IN_CASES)


def _golden_check(name: str, kind: str, text: str) -> None:
    path = GOLDEN / f"{name}{SUFFIX[kind]}"
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(
            f"no golden file {path.relative_to(ROOT)}: run "
            "LIVERMETS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report.py"
        )
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{path.relative_to(ROOT)} differs; if the change is intended, regenerate with "
        "LIVERMETS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report.py and review the diff"
    )


# --------------------------------------------------------------------------------------------
# Golden files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["html", "markdown"])
def test_golden_synthetic(kind: str) -> None:
    text = render_report(synthetic_assessment(), kind, as_of=dt.date(2025, 3, 1))
    _golden_check("synthetic", kind, text)


@pytest.mark.parametrize("kind", ["html", "markdown"])
@pytest.mark.parametrize("name", CASE_NAMES)
def test_golden_cases(name: str, kind: str) -> None:
    text = _render_case(_cases()[name], kind)
    _golden_check(name, kind, text)


def test_no_stale_golden_files() -> None:
    expected = {f"{n}{s}" for n in ["synthetic", *CASE_NAMES] for s in SUFFIX.values()}
    present = {p.name for p in GOLDEN.glob("*") if p.suffix in {".html", ".md"}}
    stale = present - expected
    if UPDATE:
        for name in stale:
            (GOLDEN / name).unlink()
        return
    assert not stale, f"golden files without a case: {sorted(stale)}"


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
    try:
        from livermets.assessment.build import assess

        for case in _cases().values():
            a = assess(case)
            out.append((a, render_report(a, "html", as_of=case.as_of)))
    except Exception:  # the golden tests report failures of assess() itself
        pass
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

    folder = files("livermets") / "render" / "templates"
    assert (folder / "report.html").is_file()
    assert (folder / "report.md").is_file()


# --------------------------------------------------------------------------------------------
# A real browser: the typical case prints on one A4 page
# --------------------------------------------------------------------------------------------

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).exists()),
    None,
)


def _pdf_pages(html: str, tmp_path: Path) -> int:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
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
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True)
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE)
    assert found, info.stdout
    assert "A4" in info.stdout
    return int(found.group(1))


def test_prints_on_one_a4_page(tmp_path: Path) -> None:
    html = render_report(synthetic_assessment(), "html", as_of=dt.date(2025, 3, 1))
    assert _pdf_pages(html, tmp_path) == 1


# Typical cases (examples/cases) that must print on one page. Cases with many open options,
# much missing data or many scores (e.g. an incomplete work-up) may take two pages.
TYPICAL = ("colorectal-braf-v600e-second-line", "stomach-her2-positive", "builtin-crc-single")


@pytest.mark.parametrize("name", [n for n in TYPICAL if n in CASE_NAMES] or CASE_NAMES[:1])
def test_typical_case_prints_on_one_a4_page(name: str, tmp_path: Path) -> None:
    from livermets.assessment.build import assess

    case = _cases()[name]
    html = render_report(assess(case), "html", as_of=case.as_of)
    assert _pdf_pages(html, tmp_path) == 1
