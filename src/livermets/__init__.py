"""livermets: decision support for liver metastases (secondary liver cancer).

Public API::

    from livermets import parse_case, assess
    assessment = assess(parse_case(text))
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "assess", "parse_case"]


def __getattr__(name: str) -> object:
    # Lazy, so that importing the package (e.g. for the CLI's --help) stays fast.
    if name == "assess":
        from livermets.assessment.build import assess

        return assess
    if name == "parse_case":
        from livermets.importers.case_text import parse_case

        return parse_case
    raise AttributeError(name)
