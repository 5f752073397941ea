"""Terminal face: a readable assessment summary with rich."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from livermets.assessment.model import Assessment, OptionResult, ScoreResult
from livermets.faces import words
from livermets.faces.words import STATUS_WORD

STATUS_STYLE = {
    "candidate": "bold green",
    "consider_after": "bold cyan",
    "needs_data": "bold yellow",
    "not_suitable": "dim",
}


def _score_value(score: ScoreResult) -> str:
    return words.score_value(score) if score.computed else "cannot compute"


def _scores_table(assessment: Assessment) -> Table:
    table = Table(title="Scores", title_justify="left", expand=True, show_lines=False)
    table.add_column("Score")
    table.add_column("Value", justify="right")
    table.add_column("Category")
    table.add_column("Note")
    for score in assessment.scores:
        if not score.computed:
            note = "needs " + ", ".join(score.missing) if score.missing else ""
        else:
            note = "⚑ unverified threshold" if score.unverified else ""
        table.add_row(
            score.name,
            _score_value(score),
            score.category or "",
            note,
            style=None if score.computed else "dim",
        )
    return table


def _unverified_notes(assessment: Assessment) -> Text:
    text = Text()
    for score in assessment.scores:
        if score.computed and score.unverified:
            text.append(f"⚑ {score.name}: " + "; ".join(score.unverified) + "\n", style="magenta")
    return text


def _option_block(option: OptionResult) -> Text:
    text = Text()
    text.append(f"{STATUS_WORD[option.status]:<15}", style=STATUS_STYLE[option.status])
    text.append(option.name, style="bold")
    if option.specialist_centre:
        text.append("  [specialist centre]", style="italic")
    text.append(f"\n{'':15}{words.headline(option)}")
    judged = len(option.met) + len(option.not_met) + len(option.unknown)
    if option.status in {"candidate", "consider_after"} and judged:
        text.append(f"\n{'':15}criteria met: {len(option.met)} of {judged}", style="green")
    if option.unknown and option.status != "not_suitable":
        shown = "; ".join(c.statement for c in option.unknown[:3])
        text.append(f"\n{'':15}unknown: {shown}", style="yellow")
    flagged = [c for c in [*option.met, *option.deciding] if c.unverified]
    if flagged:
        names = "; ".join(dict.fromkeys(c.statement for c in flagged))
        text.append(f"\n{'':15}⚑ unverified threshold: {names}", style="magenta")
    return text


def render_terminal(assessment: Assessment, console: Console, *, show_all: bool = False) -> None:
    """Print the assessment; ``show_all`` also lists every not-suitable option in full."""
    c = assessment.case
    header = Text()
    header.append(f"{c.case_id}: {c.primary}", style="bold")
    details = [
        f"{words.number(c.age_years)} y" if c.age_years is not None else None,
        c.sex,
        words.brief_lesions(c),
        f"extrahepatic disease {words.brief_extrahepatic(c)}",
        words.brief_performance(c),
        words.brief_liver_function(c),
    ]
    header.append("\n" + "; ".join(d for d in details if d))
    console.print(Panel(header, subtitle=assessment.notice, subtitle_align="left"))

    if assessment.direction is not None:
        d = assessment.direction
        lead = Text()
        lead.append("Proposed direction: ", style="bold")
        lead.append(d.label, style="bold magenta")
        lead.append(f"\n{d.summary}")
        for reason in words.direction_reasons(d, assessment):
            lead.append(f"\n  - {reason}")
        if assessment.alternatives:
            lead.append("\nAlternatives: " + "; ".join(a.label for a in assessment.alternatives))
        console.print(Panel(lead, border_style="magenta"))

    for prompt in assessment.prompts:
        style = {"urgent": "bold red", "action": "bold", "info": ""}[prompt.level]
        console.print(Text(f"! {prompt.text}", style=style))
    for warning in assessment.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))

    console.print(_scores_table(assessment))
    console.print(_unverified_notes(assessment), end="")

    console.print(Text("Treatment options", style="bold underline"))
    treatments = [o for o in assessment.options if o.group != "supportive"]
    support = [o for o in assessment.options if o.group == "supportive"]
    for option in treatments:
        if option.status != "not_suitable" or show_all:
            console.print(_option_block(option))
    unsuitable = [o for o in treatments if o.status == "not_suitable"]
    if unsuitable and not show_all:
        applicable = [o.name for o in unsuitable if o.applicable]
        other = len(unsuitable) - len(applicable)
        if applicable:
            console.print(Text("Not suitable: " + ", ".join(applicable), style="dim"))
        if other:
            console.print(
                Text(f"Not used for this kind of case: {other} more options", style="dim")
            )
        console.print(Text("(use --all to see the reasons for each)", style="dim"))
    console.print(Text("\nSupport alongside any treatment", style="bold underline"))
    for option in support:
        if option.status != "not_suitable" or show_all:
            console.print(_option_block(option))

    if assessment.missing_data:
        console.print(Text("\nMissing data (what to obtain, and why it matters)", style="bold"))
        for item in assessment.missing_data:
            needed = ", ".join(item.needed_for[:4])
            more = f" and {len(item.needed_for) - 4} more" if len(item.needed_for) > 4 else ""
            console.print(f"  [ ] {item.item}: needed for {needed}{more}")
    missing_tests = [w for w in assessment.workup if w.status == "missing"]
    if missing_tests:
        console.print(Text("\nWork-up still to do", style="bold"))
        for w in missing_tests:
            console.print(f"  [ ] {w.name}: {w.why}")
    console.print(
        Group(
            Text(
                f"\n{len(assessment.sources)} sources cited; "
                "see --format json or the report for the list.",
                style="dim",
            )
        )
    )
