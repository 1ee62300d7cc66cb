"""YAML reading that remembers where every value stands, for error messages.

Every problem with the input becomes a `Problem`: the file, the place in the document
(``deployments[3].module``), the line and column when known, and the rule broken.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Place = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    file: str
    place: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line}, column {self.column})" if self.line else ""
        place = f": {self.place}" if self.place else ""
        return f"{self.file}{place}{where}: {self.message}"


class InputError(Exception):
    """Bad input: one or more problems, each a line a planner can act on."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def place_text(place: Place) -> str:
    """``("deployments", 3, "module")`` -> ``deployments[3].module``."""
    text = ""
    for part in place:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class Document:
    """A parsed YAML file with the line and column of every place in it."""

    path: Path
    data: Any
    marks: dict[Place, tuple[int, int]]

    def problem(self, place: Place, message: str) -> Problem:
        line_col = self._nearest_mark(place)
        return Problem(str(self.path), place_text(place), message, *line_col)

    def _nearest_mark(self, place: Place) -> tuple[int | None, int | None]:
        for length in range(len(place), -1, -1):
            if place[:length] in self.marks:
                return self.marks[place[:length]]
        return None, None


def read_document(path: Path) -> Document:
    """Parse one YAML file; malformed YAML raises InputError with its line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError([Problem(str(path), "", f"cannot read file: {error}")]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        reason = getattr(error, "problem", None) or str(error)
        return_problem = Problem(str(path), "", f"malformed YAML: {reason}", line, column)
        raise InputError([return_problem]) from None
    marks: dict[Place, tuple[int, int]] = {}
    constructor = yaml.SafeLoader("")
    data = _build(node, (), marks, constructor, path) if node is not None else None
    return Document(path, data, marks)


def _build(node: yaml.Node, place: Place, marks: dict, constructor: Any, path: Path) -> Any:
    marks[place] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, constructor, path)
            if key in result:
                line = key_node.start_mark.line + 1
                where = place_text((*place, str(key)))
                raise InputError([Problem(str(path), where, "duplicate key", line,
                                          key_node.start_mark.column + 1)])  # fmt: skip
            result[key] = _build(value_node, (*place, str(key)), marks, constructor, path)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, (*place, i), marks, constructor, path) for i, v in enumerate(node.value)]
    return _scalar(node, constructor, path)


def _scalar(node: yaml.Node, constructor: Any, path: Path) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        line = node.start_mark.line + 1
        raise InputError([Problem(str(path), "", "a key must be a plain value", line, None)])
    try:
        return constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError) as error:
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        raise InputError([Problem(str(path), "", f"bad value: {error}", line, column)]) from None
