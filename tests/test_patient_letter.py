"""The plain-English personal summary (``livermets assess CASE --for patient``).

For every example case and every format: it renders; it reads at Flesch-Kincaid grade 8 or
below; every glossary term is explained where it is first used; it states no verdict, no
survival figure and no dose; palliative and supportive care is always there; HTML is escaped and
has no scripts; no 8-word run is copied from the seed pages. Plus: the letter texts cover every
option, work-up item and primary site, and only open options are listed.
"""

from __future__ import annotations

import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from conftest import require_shared
from typer.testing import CliRunner

from livermets.assessment.build import assess
from livermets.assessment.model import Assessment
from livermets.case.model import PRIMARY_SITES
from livermets.faces.cli.main import _register, app
from livermets.faces.patient_letter import (
    FORMATS,
    SHOWN_STATUSES,
    SUPPORT_OPTION,
    Choice,
    Detail,
    Items,
    Letter,
    Paragraph,
    Section,
    Subheading,
    build_letter,
    load_texts,
    render_html,
    render_patient_letter,
)
from livermets.importers.case_text import parse_case
from livermets.knowledge import load_yaml, sources
from livermets.patient import readability as rd
from livermets.patient.glossary import load_glossary

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "examples" / "cases").glob("*.json"))
MAX_GRADE = 8.0
GLOSSARY = load_glossary()
VERDICTS = (
    "not suitable", "unsuitable", "you are suitable", "you are a candidate", "you will have",
    "you will need", "months to live", "years to live", "life expectancy", "% chance",
    "survival", "survive", "prognosis", "incurable", "terminal",
)  # fmt: skip
DIAGNOSTIC = (
    "you have liver metastases", "you have secondary liver cancer", "you have cancer",
    "you have been diagnosed", "your diagnosis is",
)  # fmt: skip
DOSE = re.compile(r"\d\s*(mg|mcg|µg|g|ml|gy)\b|mg/m|mg/kg|\bgy\b|\bmg\b", re.IGNORECASE)


@cache
def assessment_of(path: Path) -> Assessment:
    return assess(parse_case(path.read_text(encoding="utf-8"), source=str(path)))


@cache
def rendered(path: Path, fmt: str) -> str:
    assessment = assessment_of(path)
    return render_patient_letter(assessment, fmt)


# ----------------------------------------------------------------------------------------------
# every format back to Markdown-like prose, so one readability helper scores them all
# ----------------------------------------------------------------------------------------------


class _HtmlToMarkdown(HTMLParser):
    BLOCKS: ClassVar[dict[str, str]] = {
        "h1": "# ",
        "h2": "## ",
        "h3": "### ",
        "h4": "#### ",
        "li": "- ",
        "p": "",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] | None = None
        self.prefix = ""
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.current, self.prefix = [], self.BLOCKS[tag]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self.skip -= 1
        elif tag in self.BLOCKS and self.current is not None:
            self.lines += [self.prefix + " ".join("".join(self.current).split()), ""]
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current is not None and not self.skip:
            self.current.append(data)


def _text_to_markdown(text: str) -> str:
    """Underlined headings become Markdown headings; wrapped lines are joined again."""
    lines = text.splitlines()
    out: list[str] = []
    for index, line in enumerate(lines):
        below = lines[index + 1] if index + 1 < len(lines) else ""
        if below and set(below) <= set("=-~") and len(below) == len(line):
            out.append("## " + line)
        elif line and set(line) <= set("=-~"):
            continue
        elif line.startswith("* "):
            out.append("#### " + line[2:])
        elif line.lstrip().startswith("- "):
            out.append(line.strip())
        elif line.strip() and out and out[-1] and not out[-1].startswith("#"):
            out[-1] += " " + line.strip()
        else:
            out.append(line.strip())
    return "\n".join(out)


def _json_to_markdown(document: dict[str, Any]) -> str:
    out = [f"# {document['title']}", "", document["subtitle"], "", document["dated"]]
    for section in document["sections"]:
        out += ["", f"## {section['heading']}"]
        for block in section["blocks"]:
            out.append("")
            if block["type"] == "paragraph":
                out.append(block["text"])
            elif block["type"] == "list":
                out += [block["intro"], ""] if block["intro"] else []
                out += [f"- {item}" for item in block["items"]]
            elif block["type"] == "subheading":
                out.append(f"### {block['text']}")
            else:
                out += [f"#### {block['name']}", ""]
                out += [f"- {d['label']}: {d['text']}" for d in block["details"]]
    out += ["", document["footer"]]
    return "\n".join(out)


def as_markdown(fmt: str, output: str) -> str:
    if fmt == "markdown":
        return output
    if fmt == "text":
        return _text_to_markdown(output)
    if fmt == "json":
        return _json_to_markdown(json.loads(output))
    parser = _HtmlToMarkdown()
    parser.feed(output)
    return "\n".join(parser.lines)


def running_first_uses(markdown: str) -> dict[str, int]:
    """Entry id -> end offset of its first use outside brackets (headings are left out)."""
    depth_at: list[int] = []
    depth = 0
    for char in markdown:
        depth += char == "("
        depth_at.append(depth)
        depth -= char == ")" and depth > 0
    firsts: dict[str, int] = {}
    for use in GLOSSARY.uses(markdown):
        if depth_at[use.start] == 0 and use.entry.id not in firsts:
            firsts[use.entry.id] = use.end
    return firsts


def letter_grades() -> dict[str, float]:
    return {p.stem: rd.grade(rendered(p, "markdown")) for p in CASES}


# ----------------------------------------------------------------------------------------------
# every example case, every format
# ----------------------------------------------------------------------------------------------


def test_there_are_example_cases() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_renders_and_reads_at_grade_8_or_below(path: Path, fmt: str) -> None:
    output = rendered(path, fmt)
    assert output.strip()
    if fmt == "json":
        document = json.loads(output)
        assert document["kind"] == "patient_letter"
    if fmt == "html":
        assert output.startswith("<!DOCTYPE html>")
    markdown = as_markdown(fmt, output)
    assert "Your personal summary" in markdown
    score = rd.grade(markdown)
    assert score <= MAX_GRADE, f"{path.stem} ({fmt}): Flesch-Kincaid grade {score:.1f}"


def test_letters_aim_for_grade_6_on_average() -> None:
    grades = letter_grades()
    assert sum(grades.values()) / len(grades) <= 6.5, grades


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_no_verdicts_survival_figures_doses_or_blunt_diagnosis(path: Path, fmt: str) -> None:
    text = as_markdown(fmt, rendered(path, fmt)).lower()
    for phrase in (*VERDICTS, *DIAGNOSTIC):
        assert phrase not in text, f"{path.stem} ({fmt}): says {phrase!r}"
    assert "%" not in text, f"{path.stem} ({fmt}): a percentage"
    assert not DOSE.search(text), f"{path.stem} ({fmt}): a dose {DOSE.search(text)}"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_glossary_term_is_explained_where_first_used(path: Path, fmt: str) -> None:
    markdown = as_markdown(fmt, rendered(path, fmt))
    for entry_id, end in running_first_uses(markdown).items():
        following = markdown[end : end + 2]
        assert following.startswith("(") or following == " (", (
            f"{path.stem} ({fmt}): {entry_id!r} is not explained at {markdown[end - 40 : end]!r}"
        )


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_palliative_and_supportive_care_is_always_there(path: Path, fmt: str) -> None:
    markdown = as_markdown(fmt, rendered(path, fmt))
    heading = load_texts().support_care.heading
    assert re.search(rf"^#+ {re.escape(heading)}$", markdown, re.MULTILINE | re.IGNORECASE)
    assert "palliative care" in markdown.lower()
    assert load_texts().closing.paragraphs[0] in " ".join(markdown.split())  # not a decision


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_only_open_options_are_listed_and_all_of_them_are(path: Path) -> None:
    assessment = assessment_of(path)
    letter = build_letter(assessment)
    listed = {b.id: b.status for s in letter.sections for b in s.blocks if isinstance(b, Choice)}
    open_ids = {
        o.id: o.status
        for o in assessment.options
        if o.status in SHOWN_STATUSES and o.id != SUPPORT_OPTION
    }
    assert listed == open_ids
    names = {load_texts().options[i].name for i in listed}
    closed = {
        load_texts().options[o.id].name
        for o in assessment.options
        if o.status not in SHOWN_STATUSES and o.id in load_texts().options
    }
    markdown = rendered(path, "markdown")
    for name in closed - names:
        assert f"#### {name}\n" not in markdown, f"{path.stem}: lists {name!r}"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_consider_after_options_get_a_could_question(path: Path) -> None:
    assessment = assessment_of(path)
    texts = load_texts()
    later = [
        o
        for o in assessment.options
        if o.status == "consider_after" and not texts.options[o.id].question
    ]
    blocks = build_letter(assessment).section("questions").blocks
    asked = [q for b in blocks if isinstance(b, Items) for q in b.items]
    could = [q for q in asked if q.startswith("Could ")]
    assert bool(later) == bool(could)
    plain = [re.sub(r" \([^)]*\)", "", q) for q in could]
    for option in later:
        assert any(texts.options[option.id].short in q for q in plain), option.id
    for text in load_texts().after.values():
        assert not re.search(r"\byou(r)?\b", text), f"the patient asks this: {text!r}"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_html_has_no_script_handler_or_outside_link(path: Path) -> None:
    page = rendered(path, "html").lower()
    assert "<script" not in page
    assert "javascript:" not in page
    assert not re.search(r"\son\w+\s*=", page)
    assert "http://" not in page and "https://" not in page
    assert "<" not in rendered(path, "markdown")  # no raw HTML in the Markdown


def test_same_input_same_letter() -> None:
    assessment = assessment_of(CASES[0])
    before = assessment.model_dump()
    for fmt in FORMATS:
        assert render_patient_letter(assessment, fmt) == rendered(CASES[0], fmt)
    assert assessment.model_dump() == before


# ----------------------------------------------------------------------------------------------
# HTML escaping, formats, fallbacks
# ----------------------------------------------------------------------------------------------


def test_html_escapes_every_text() -> None:
    nasty = '<script>alert("x")</script> & <b>bold</b>'
    letter = Letter(
        title=nasty,
        subtitle=nasty,
        dated=nasty,
        sections=(
            Section(
                "s<1>",
                nasty,
                (
                    Paragraph(nasty),
                    Items((nasty,), nasty),
                    Subheading(nasty),
                    Choice("c", nasty, "candidate", (Detail(nasty, nasty), Detail("", nasty))),
                ),
            ),
        ),
        footer=nasty,
        version=nasty,
    )
    page = render_html(letter)
    assert "<script" not in page and "<b>" not in page
    assert page.count("&lt;script&gt;") >= 11  # every text, title and footer included
    assert "&amp;" in page and "s&lt;1&gt;" in page


def test_unknown_format_is_refused() -> None:
    assessment = assessment_of(CASES[0])
    with pytest.raises(ValueError, match="unknown letter format"):
        render_patient_letter(assessment, "pdf")


def test_country_picks_the_emergency_number() -> None:
    assessment = assessment_of(CASES[0])
    letter = render_patient_letter(assessment, "markdown", country="GB")
    assert "Call 999 now if you:" in letter
    assert "112 or your local emergency number" in rendered(CASES[0], "markdown")


def test_an_option_without_texts_still_reads_gently() -> None:
    path = ROOT / "examples/cases/colorectal-two-right-lobe-resectable.json"
    assessment = assessment_of(path)
    extra = assessment.options[0].model_copy(
        update={
            "id": "brand_new",
            "name": "Brand new thing",
            "group": "novel",
            "status": "consider_after",
            "after": ["something nobody mapped"],
            "after_ids": ["something_nobody_mapped"],
        }
    )
    changed = assessment.model_copy(update={"options": [*assessment.options, extra]})
    text = render_patient_letter(changed, "markdown")
    assert "#### Brand new thing" in text
    assert load_texts().option_fallback.involves in text
    assert f"later, {load_texts().after_unknown}." in text
    assert "### Other choices" in text


def test_no_direction_and_no_open_options() -> None:
    assessment = assessment_of(CASES[0])
    bare = assessment.model_copy(
        update={"direction": None, "options": [], "workup": [], "missing_data": []}
    )
    markdown = render_patient_letter(bare, "markdown")
    texts = load_texts()
    assert texts.choices.nothing in markdown
    assert texts.tests_done.none in markdown
    assert texts.support_care.heading in markdown
    assert rd.grade(markdown) <= MAX_GRADE


def test_undated_case_says_so() -> None:
    assessment = assessment_of(CASES[0])
    undated = assessment.model_copy(
        update={"case": assessment.case.model_copy(update={"as_of": None})}
    )
    assert load_texts().undated in render_patient_letter(undated, "text")


def test_the_letter_needs_only_the_assessment() -> None:
    """The letter renders from the assessment record alone: the same record read back from its
    JSON gives the same letter."""
    assessment = assessment_of(CASES[0])
    again = Assessment.model_validate_json(assessment.model_dump_json())
    for fmt in FORMATS:
        assert render_patient_letter(again, fmt) == rendered(CASES[0], fmt)


def test_cli_prints_the_letter() -> None:
    _register()
    path = ROOT / "examples/cases/colorectal-two-right-lobe-resectable.json"
    result = CliRunner().invoke(app, ["assess", str(path), "--for", "patient", "--format", "html"])
    assert result.exit_code == 0, result.output
    assert '<h2 id="h-support_care">' in result.output


# ----------------------------------------------------------------------------------------------
# the texts (knowledge/patient_letter.yaml)
# ----------------------------------------------------------------------------------------------


def _option_files() -> list[dict[str, Any]]:
    folder = ROOT / "src/livermets/knowledge/options"
    found: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yaml")):
        found += (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("options", [])
    return found


def test_every_option_work_up_item_and_primary_site_has_plain_texts() -> None:
    texts = load_texts()
    missing_options = {o["id"] for o in _option_files()} - set(texts.options)
    assert not missing_options, f"options without patient texts: {sorted(missing_options)}"
    workup_ids = {w["id"] for w in load_yaml("guidance/workup.yaml")["workup"]}
    assert not workup_ids - set(texts.workup), sorted(workup_ids - set(texts.workup))
    sites = set(PRIMARY_SITES) - {"unknown_primary"}
    assert not sites - set(texts.primary_sites), sorted(sites - set(texts.primary_sites))
    groups = {g for group in texts.choices.groups for g in group.option_groups}
    assert not {o["group"] for o in _option_files()} - groups


def test_every_after_step_of_the_options_has_plain_words() -> None:
    steps = {
        pathway["after"]
        for option in _option_files()
        for pathway in option.get("pathways") or []
        if isinstance(pathway, dict) and "after" in pathway
    }
    for path in CASES:
        steps |= {s for o in assessment_of(path).options for s in o.after_ids}
    assert steps, "no after steps found"
    unmapped = steps - set(load_texts().after)
    assert not unmapped, f"after steps without plain words: {sorted(unmapped)}"


def test_sources_resolve() -> None:
    known = sources()
    assert all(s in known for s in load_texts().sources)


def _all_texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _all_texts(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _all_texts(v)]
    return []


def test_no_glossary_term_hides_inside_our_own_brackets() -> None:
    for text in _all_texts(load_texts().model_dump()):
        inside = [
            u.text
            for u in GLOSSARY.uses(text)
            if text[: u.start].count("(") > text[: u.start].count(")")
        ]
        assert not inside, f"glossary words inside a bracket we wrote: {inside} in {text!r}"


def test_texts_state_no_verdict_and_no_figure() -> None:
    for text in _all_texts(load_texts().model_dump()):
        lowered = text.lower()
        for phrase in VERDICTS:
            assert phrase not in lowered, f"{phrase!r} in {text!r}"
        assert "%" not in text and not DOSE.search(text), text


# ----------------------------------------------------------------------------------------------
# own words: no 8-word run copied from the seed pages
# ----------------------------------------------------------------------------------------------


def seed_texts() -> list[str]:
    folder = require_shared("seeds")
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    if not texts:
        pytest.skip(f"no seed pages in {folder}")
    return texts


def test_no_sentence_copied_from_the_seeds() -> None:
    seeds = seed_texts()
    copied: dict[str, list[str]] = {}
    for path in CASES:
        runs = rd.shared_shingles(rd.plain_text(rendered(path, "markdown")), seeds, 8)
        if runs:
            copied[path.stem] = sorted(runs)
    every_text = " \n".join(_all_texts(load_texts().model_dump()))
    runs = rd.shared_shingles(every_text, seeds, 8)
    if runs:
        copied["patient_letter.yaml"] = sorted(runs)
    assert not copied, f"8-word runs also found in a seed page: {copied}"


def test_support_comes_first_when_no_treatment_is_open_now() -> None:
    path = ROOT / "examples/cases/colorectal-two-right-lobe-resectable.json"
    assessment = assessment_of(path)
    ids = [s.id for s in build_letter(assessment).sections]
    assert ids.index("choices") < ids.index("support_care")
    quiet = [
        o.model_copy(
            update={
                "status": "consider_after",
                "after": ["conversion systemic therapy"],
                "after_ids": ["conversion systemic therapy"],
            }
        )
        if o.status == "candidate" and o.id != SUPPORT_OPTION
        else o
        for o in assessment.options
    ]
    changed = assessment.model_copy(update={"options": quiet})
    ids = [s.id for s in build_letter(changed).sections]
    assert ids.index("support_care") < ids.index("choices")
    markdown = render_patient_letter(changed, "markdown")
    assert "Could liver surgery" in markdown
    for entry_id, end in running_first_uses(markdown).items():
        assert markdown[end:].startswith((" (", "(")), entry_id
