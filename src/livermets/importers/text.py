"""JSON or YAML text to plain data, for every importer and every kind of input: the one input
boundary.

Every text that enters (a case, symptom answers, an imported record) passes here before it is
validated, and is refused with an :class:`~livermets.errors.InputError` of the caller's kind
(each problem naming its field path) when it:

- is larger than :data:`MAX_TEXT_CHARS`, or nests deeper than :data:`MAX_DEPTH`;
- repeats a key in one object/mapping (never last-wins: the path of the repeated key is named);
- holds a number longer than :data:`MAX_NUMBER_CHARS` characters, or one that is not finite
  (``NaN``, ``Infinity``, ``.inf``, ``1e999``);
- (YAML) uses a tag other than the plain JSON-like ones (``!!python/...``, ``!custom``), a
  tagged value that is not of its tag (``!!int abc``), an impossible timestamp
  (``2020-02-30``, an offset of ``+25:00``), or aliases that expand to more than
  :data:`MAX_VALUES` values (a "billion laughs" document is refused while it is read, fast).

YAML is read from the parser's events (no recursion, so depth is checked as it is read);
scalars are resolved by PyYAML's safe resolver and built by its safe constructors. Values
shown in messages are shortened (:func:`livermets.errors.shown`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    DocumentStartEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

from livermets.errors import CaseInputError, FieldProblem, InputError, shown

#: Largest text accepted (characters); a case file is a few kilobytes.
MAX_TEXT_CHARS = 1_000_000
#: Deepest nesting of objects/lists accepted; a case is about six levels deep.
MAX_DEPTH = 32
#: Longest number accepted (characters as written, sign and exponent included).
MAX_NUMBER_CHARS = 50
#: Most values (scalars and collections) a document may hold once YAML aliases are expanded.
MAX_VALUES = 100_000

_YAML = "tag:yaml.org,2002:"
#: The YAML tags a document may use (explicitly or as resolved): JSON's types and dates.
_YAML_SCALARS = {
    f"{_YAML}str": "text",
    f"{_YAML}int": "an integer",
    f"{_YAML}float": "a number",
    f"{_YAML}bool": "true or false",
    f"{_YAML}null": "null",
    f"{_YAML}timestamp": "a date",
}
_YAML_COLLECTIONS = {f"{_YAML}map", f"{_YAML}seq"}


class _Refused(Exception):
    """A problem that stops reading at once (too deep, too large)."""

    def __init__(self, problem: FieldProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _key_path(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _number_too_long(path: str, text: str) -> FieldProblem:
    return FieldProblem(
        path,
        f"a number of {len(text)} characters is too long "
        f"(at most {MAX_NUMBER_CHARS}; got {shown(text)})",
    )


def _not_finite(path: str, text: str) -> FieldProblem:
    return FieldProblem(
        path, f"{shown(text)} is not a finite number (NaN and infinity are refused)"
    )


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------


class _Pairs(list[tuple[str, Any]]):
    """An object's key/value pairs in order, before duplicates are checked."""


@dataclass(frozen=True)
class _BadNumber:
    text: str
    too_long: bool


def _json_int(text: str) -> int | _BadNumber:
    return _BadNumber(text, True) if len(text) > MAX_NUMBER_CHARS else int(text)


def _json_float(text: str) -> float | _BadNumber:
    if len(text) > MAX_NUMBER_CHARS:
        return _BadNumber(text, True)
    value = float(text)
    return value if math.isfinite(value) else _BadNumber(text, False)


def _json_constant(text: str) -> _BadNumber:
    return _BadNumber(text, False)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def _check_json_depth(text: str) -> None:
    """Refuse JSON nested deeper than :data:`MAX_DEPTH` before the (recursive) decoder sees it."""
    depth = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub(lambda m: " " * len(m[0]), text)):
        depth += 1 if match[0] in "[{" else -1
        if depth > MAX_DEPTH:
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            raise _Refused(
                FieldProblem(
                    "",
                    f"nested more than {MAX_DEPTH} levels deep at line {line}, column {column}",
                )
            )


def _json_data(node: Any, path: str, problems: list[FieldProblem]) -> Any:
    if isinstance(node, _Pairs):
        out: dict[str, Any] = {}
        for key, value in node:
            where = _key_path(path, key)
            if key in out:
                problems.append(
                    FieldProblem(where, "this key is given twice; give each field once")
                )
                continue
            out[key] = _json_data(value, where, problems)
        return out
    if isinstance(node, list):
        return [_json_data(item, f"{path}[{i}]", problems) for i, item in enumerate(node)]
    if isinstance(node, _BadNumber):
        bad = _number_too_long if node.too_long else _not_finite
        problems.append(bad(path, node.text))
        return None
    return node


def _load_json(text: str) -> Any:
    _check_json_depth(text)
    raw = json.loads(
        text,
        object_pairs_hook=_Pairs,
        parse_int=_json_int,
        parse_float=_json_float,
        parse_constant=_json_constant,
    )
    problems: list[FieldProblem] = []
    data = _json_data(raw, "", problems)
    if problems:
        raise _Problems(problems)
    return data


# --------------------------------------------------------------------------------------------
# YAML
# --------------------------------------------------------------------------------------------


class _Problems(Exception):
    """Problems found while reading, each with its path; reading went on to find them all."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


@dataclass
class _Collection:
    path: str
    anchor: str | None
    value: dict[Any, Any] | list[Any]
    size: int = 1
    height: int = 1
    key: Any = None
    has_key: bool = False
    bad_key: bool = False
    seen: set[Any] = field(default_factory=set)

    def child_path(self) -> str:
        if isinstance(self.value, list):
            return f"{self.path}[{len(self.value)}]"
        return _key_path(self.path, self.key) if self.has_key else self.path


class _YamlReader:
    """Plain data from a YAML document's events, checking every rule of the boundary."""

    def __init__(self, text: str) -> None:
        self.loader = yaml.SafeLoader(text)
        self.problems: list[FieldProblem] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}
        self.stack: list[_Collection] = []
        self.total = 0
        self.result: Any = None
        self.documents = 0

    def read(self) -> Any:
        try:
            while True:
                event = self.loader.get_event()  # type: ignore[no-untyped-call]
                if isinstance(event, StreamEndEvent):
                    break
                if isinstance(event, DocumentStartEvent):
                    self.documents += 1
                    if self.documents > 1:
                        raise _Refused(
                            FieldProblem("", "give one document only (found a second '---')")
                        )
                elif isinstance(event, ScalarEvent):
                    self._scalar(event)
                elif isinstance(event, AliasEvent):
                    self._alias(event)
                elif isinstance(event, MappingStartEvent | SequenceStartEvent):
                    self._start(event)
                elif isinstance(event, CollectionEndEvent):
                    self._end()
        finally:
            self.loader.dispose()
        if self.problems:
            raise _Problems(self.problems)
        return self.result

    def _path(self) -> str:
        return self.stack[-1].child_path() if self.stack else ""

    def _count(self, size: int, height: int) -> None:
        self.total += size
        if self.total > MAX_VALUES:
            raise _Refused(
                FieldProblem(
                    self._path(),
                    f"the document expands to more than {MAX_VALUES:,} values "
                    "(YAML aliases repeat too much); write the data out plainly",
                )
            )
        if len(self.stack) + height > MAX_DEPTH:
            raise _Refused(FieldProblem(self._path(), f"nested more than {MAX_DEPTH} levels deep"))

    def _add(self, value: Any, size: int, height: int, anchor: str | None) -> None:
        """A finished value: into its parent (or as the document)."""
        if anchor is not None:
            self.anchors[anchor] = (value, size, height)
        if not self.stack:
            self.result = value
            return
        parent = self.stack[-1]
        parent.size += size
        parent.height = max(parent.height, height + 1)
        if isinstance(parent.value, list):
            parent.value.append(value)
            return
        if not parent.has_key:
            parent.has_key = True
            parent.key = value
            parent.bad_key = False
            where = parent.child_path()
            if isinstance(value, dict | list):
                self.problems.append(
                    FieldProblem(parent.path, "a key must be a plain value, not a list or object")
                )
                parent.bad_key = True
                parent.key = "?"
            elif value in parent.seen:
                self.problems.append(
                    FieldProblem(where, "this key is given twice; give each field once")
                )
                parent.bad_key = True
            else:
                parent.seen.add(value)
            return
        if not parent.bad_key:
            parent.value[parent.key] = value
        parent.has_key = False
        parent.key = None

    def _start(self, event: MappingStartEvent | SequenceStartEvent) -> None:
        path = self._path()
        if len(self.stack) >= MAX_DEPTH:
            raise _Refused(FieldProblem(path, f"nested more than {MAX_DEPTH} levels deep"))
        mapping = isinstance(event, MappingStartEvent)
        tag = event.tag
        if tag not in (None, "!") and tag not in _YAML_COLLECTIONS:
            self.problems.append(FieldProblem(path, f"the YAML tag {shown(tag)} is not accepted"))
        self._count(1, 1)
        self.stack.append(_Collection(path, event.anchor, {} if mapping else []))

    def _end(self) -> None:
        done = self.stack.pop()
        self._add(done.value, done.size, done.height, done.anchor)

    def _alias(self, event: AliasEvent) -> None:
        path = self._path()
        if event.anchor not in self.anchors:
            raise _Refused(FieldProblem(path, f"the alias *{shown(event.anchor)} is not defined"))
        value, size, height = self.anchors[event.anchor]
        self._count(size, height)
        self._add(value, size, height, None)

    def _scalar(self, event: ScalarEvent) -> None:
        path = self._path()
        self._count(1, 0)
        self._add(self._scalar_value(event, path), 1, 0, event.anchor)

    def _scalar_value(self, event: ScalarEvent, path: str) -> Any:
        text = event.value
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(ScalarNode, text, event.implicit)  # type: ignore[no-untyped-call]
        kind = _YAML_SCALARS.get(tag)
        if kind is None:
            if tag == f"{_YAML}merge":
                self.problems.append(FieldProblem(path, "YAML merge keys (<<) are not accepted"))
            else:
                self.problems.append(
                    FieldProblem(path, f"the YAML tag {shown(tag)} is not accepted")
                )
            return None
        if tag in (f"{_YAML}int", f"{_YAML}float") and len(text) > MAX_NUMBER_CHARS:
            self.problems.append(_number_too_long(path, text))
            return None
        node = ScalarNode(tag, text, None, None, event.style)
        try:
            value = SafeConstructor.yaml_constructors[tag](self.loader, node)
        except Exception:  # a tagged value that is not of its tag: !!int abc, 2020-02-30
            if tag == f"{_YAML}timestamp":
                problem = f"{shown(text)} is not a possible date (or date and time)"
            else:
                problem = f"{shown(text)} cannot be read as {kind}"
            self.problems.append(FieldProblem(path, problem))
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problems.append(_not_finite(path, text))
            return None
        return value


def _load_yaml(text: str) -> Any:
    return _YamlReader(text).read()


# --------------------------------------------------------------------------------------------
# The boundary
# --------------------------------------------------------------------------------------------


def _malformed_yaml(bad: yaml.YAMLError) -> str:
    mark = getattr(bad, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(bad, "problem", None) or "not valid YAML"
    return f"malformed YAML{where}: {problem}"


def parse_document(text: str, *, source: str = "", error: type[InputError] = CaseInputError) -> Any:
    """Parse JSON or YAML text (JSON is YAML, but JSON errors read better from ``json``).

    A document that breaks a rule of the boundary (see the module) raises ``error`` (an
    :class:`InputError` subclass: a case, answers or an imported record) with every problem
    found, each with its field path (``""`` for the document as a whole)."""
    if len(text) > MAX_TEXT_CHARS:
        raise error(
            [
                FieldProblem(
                    "", f"the input is {len(text):,} characters; at most {MAX_TEXT_CHARS:,}"
                )
            ],
            source=source,
        )
    stripped = text.lstrip()
    if not stripped:
        raise error([FieldProblem("", "the input is empty")], source=source)
    try:
        if stripped[0] in "{[":
            try:
                return _load_json(text)
            except json.JSONDecodeError as bad:
                # A YAML flow mapping (``{site: colorectal}``) is valid YAML, not JSON.
                try:
                    return _load_yaml(text)
                except yaml.YAMLError:
                    where = f"line {bad.lineno}, column {bad.colno}"
                    raise error(
                        [FieldProblem("", f"malformed JSON at {where}: {bad.msg}")], source=source
                    ) from None
        try:
            return _load_yaml(text)
        except yaml.YAMLError as bad:
            raise error([FieldProblem("", _malformed_yaml(bad))], source=source) from None
    except _Refused as refused:
        raise error([refused.problem], source=source) from None
    except _Problems as found:
        raise error(found.problems, source=source) from None
