"""livermets: decision support for liver metastases (secondary liver cancer).

Public API (``livermets.api``, re-exported here)::

    from livermets import parse_case, assess, render, triage, evaluate_cohort
    assessment = assess(parse_case(text))
    print(render(assessment, "report", format="markdown"))

Errors are one tree (``livermets.errors``): ``LivermetsError`` -> ``InputError`` (bad input,
every problem with its field path) and ``KnowledgeError`` (a packaged knowledge defect).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "assess",
    "case_from_data",
    "evaluate_cohort",
    "parse_case",
    "render",
    "triage",
]

if TYPE_CHECKING:
    from livermets.api import assess, case_from_data, evaluate_cohort, parse_case, render, triage

_API = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> object:
    # Lazy, so that importing the package (e.g. for the CLI's --help) stays fast.
    if name in _API:
        from livermets import api

        return getattr(api, name)
    raise AttributeError(name)
