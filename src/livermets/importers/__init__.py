"""Importers: outside records in, validated :class:`~livermets.case.model.Case` out.

Each importer turns one kind of input into a case, or raises an
:class:`~livermets.errors.InputError` that lists every problem with its field path:

- ``case_text``: the livermets case format as JSON or YAML text (``parse_case``), using
  ``text.parse_document`` (JSON/YAML to data, with located errors);
- FHIR resources (a Bundle of Patient, Condition, Observation...) come next, as ``fhir``,
  raising :class:`~livermets.errors.ImportInputError`.

Importers are pure: they take text or parsed data, never a file name or a URL (faces read
files and requests). Unit conversion and range checks stay in the case model (``case/``), so
every importer gets them for free.
"""
