"""Reader for MSPSP instances (Young, Feydy & Schutt) in MiniZinc ``.dzn`` data format.

The data parser understands what these files use: ``name = value;`` statements, ``%``
comments, integers, ``true``/``false``, sets ``{1,2}``, arrays ``[a, b]`` and 2-D arrays
``[| a, b, | c, d, |]`` (trailing commas allowed). Activity 1 and activity ``nActs`` are
dummies and are dropped; each resource becomes a one-crew pool with the skills it masters.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeGuard, cast

from scheduler.errors import BenchmarkFormatError
from scheduler.instance import CrewPool, Instance, Link, Task

Value = int | bool | frozenset[int] | list["Value"]

# Integers, names, the 2-D brackets, and any other single character (the parser rejects
# the ones it does not know).
_TOKEN = re.compile(r"-?\d+|[A-Za-z_]\w*|\[\||\|\]|\S")
_EOF = ""  # the token after the last one
_CLOSERS = {"[": ("]",), "{": ("}",), "[|": ("|", "|]")}


def read_dzn(path: str | Path) -> dict[str, Value]:
    """Parse a MiniZinc data file into ``{name: value}``."""
    path = Path(path)
    return _Parser(path, path.read_text()).statements()


def read_mspsp(path: str | Path) -> Instance:
    """Read an MSPSP ``.dzn`` file into an Instance (dummies dropped, one pool per resource)."""
    path = Path(path)
    data = read_dzn(path)
    if not data:
        raise BenchmarkFormatError(path, "line 1", "empty file")
    n_acts = _count(path, data, "nActs", minimum=2)
    n_skills = _count(path, data, "nSkills")
    n_res = _count(path, data, "nResources")
    n_precs = _count(path, data, "nPrecs")
    dur = _vector(path, data, "dur", n_acts, "nActs")
    sreq = _matrix(path, data, "sreq", n_acts, n_skills, "nActs x nSkills", int)
    mastery = _matrix(path, data, "mastery", n_res, n_skills, "nResources x nSkills", bool)
    pred = _vector(path, data, "pred", n_precs, "nPrecs", top=n_acts)
    succ = _vector(path, data, "succ", n_precs, "nPrecs", top=n_acts)
    for act in (1, n_acts):
        if dur[act - 1] or any(sreq[act - 1]):
            raise BenchmarkFormatError(
                path, f"activity {act}", "is a dummy and must have duration 0 and no skill demand"
            )
    return _build(path.stem, dur, sreq, mastery, list(zip(pred, succ, strict=True)))


def _build(
    name: str,
    dur: list[int],
    sreq: list[list[int]],
    mastery: list[list[bool]],
    arcs: list[tuple[int, int]],
) -> Instance:
    """Make the Instance: activities 2..nActs-1 as tasks, resources as one-crew pools."""
    last = len(dur)
    tasks = tuple(
        Task(
            id=str(act),
            duration=dur[act - 1],
            skills={f"s{s + 1}": n for s, n in enumerate(sreq[act - 1]) if n},
        )
        for act in range(2, last)
    )
    pairs = {(a - 2, b - 2): None for a, b in arcs if 1 < a < last and 1 < b < last}
    pools = tuple(
        CrewPool(
            id=f"r{r + 1}",
            skills=frozenset(f"s{s + 1}" for s, has in enumerate(row) if has),
            count=1,
        )
        for r, row in enumerate(mastery)
    )
    return Instance(
        name=name,
        tasks=tasks,
        links=tuple(Link(pred=a, succ=b) for a, b in pairs),
        pools=pools,
        horizon=sum(dur),
    )


def _field(path: Path, data: dict[str, Value], name: str) -> Value:
    """The value of a required field."""
    if name not in data:
        raise BenchmarkFormatError(path, f"field '{name}'", "is missing")
    return data[name]


def _is_int(value: Value) -> TypeGuard[int]:
    """True for a plain integer (booleans are not numbers here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _show(value: Value) -> str:
    """A value as the data file would write it (arrays abbreviated)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, frozenset):
        return "{" + ",".join(map(str, sorted(value))) + "}"
    return "an array" if isinstance(value, list) else str(value)


def _count(path: Path, data: dict[str, Value], name: str, minimum: int = 0) -> int:
    """A scalar integer field that counts something, at least ``minimum``."""
    value = _field(path, data, name)
    if not _is_int(value) or value < minimum:
        raise BenchmarkFormatError(path, f"field '{name}'", f"must be an integer >= {minimum}")
    return value


def _check_number(path: Path, name: str, value: Value, top: int | None) -> None:
    """A vector entry must be an integer >= 0 (or in 1..top when ``top`` is given)."""
    low = 0 if top is None else 1
    if not _is_int(value) or value < low or (top is not None and value > top):
        rule = "an integer >= 0" if top is None else f"an integer in 1..{top}"
        raise BenchmarkFormatError(path, f"field '{name}'", f"has value {_show(value)}, not {rule}")


def _vector(
    path: Path, data: dict[str, Value], name: str, size: int, what: str, top: int | None = None
) -> list[int]:
    """A 1-D integer array of ``size`` entries."""
    value = _field(path, data, name)
    if not isinstance(value, list) or any(isinstance(v, list) for v in value):
        raise BenchmarkFormatError(path, f"field '{name}'", "must be a 1-D array [ ... ]")
    if len(value) != size:
        raise BenchmarkFormatError(
            path, f"field '{name}'", f"has {len(value)} values, expected {size} ({what})"
        )
    for v in value:
        _check_number(path, name, v, top)
    return cast(list[int], value)


def _matrix(
    path: Path, data: dict[str, Value], name: str, rows: int, cols: int, what: str, kind: type
) -> list[list]:
    """A 2-D array of ``rows x cols`` integers (>= 0) or booleans, as ``kind`` says."""
    value = _field(path, data, name)
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise BenchmarkFormatError(path, f"field '{name}'", "must be a 2-D array [| ... |]")
    matrix = cast(list[list[Value]], value)
    total = sum(len(row) for row in matrix)
    if total != rows * cols:
        raise BenchmarkFormatError(
            path, f"field '{name}'", f"has {total} values, expected {rows * cols} ({what})"
        )
    for i, row in enumerate(matrix, 1):
        if len(row) != cols:
            raise BenchmarkFormatError(
                path, f"field '{name}'", f"row {i} has {len(row)} values, expected {cols}"
            )
        for v in row:
            if kind is bool and not isinstance(v, bool):
                raise BenchmarkFormatError(
                    path, f"field '{name}'", f"has value {_show(v)}, not a boolean"
                )
            if kind is int:
                _check_number(path, name, v, None)
    return matrix


class _Parser:
    """Recursive-descent parser over the tokens of one ``.dzn`` file."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.texts, self.lines, self.pos, self.field = path, [], [], 0, ""
        for number, line in enumerate(text.splitlines(), 1):
            tokens = _TOKEN.findall(line.split("%", 1)[0])
            self.texts += tokens
            self.lines += [number] * len(tokens)
        self.texts.append(_EOF)
        self.lines.append(len(text.splitlines()) or 1)

    def error(self, pos: int, rule: str) -> BenchmarkFormatError:
        """An error at the line of token ``pos``, naming the field being read if any."""
        where = f"field '{self.field}': " if self.field else ""
        return BenchmarkFormatError(self.path, f"line {self.lines[pos]}", where + rule)

    def found(self, pos: int) -> str:
        """Token ``pos`` quoted for a message."""
        return "end of file" if self.texts[pos] == _EOF else f"'{self.texts[pos]}'"

    def expect(self, text: str) -> None:
        """Consume ``text`` or fail."""
        if self.texts[self.pos] != text:
            raise self.error(self.pos, f"expected '{text}', found {self.found(self.pos)}")
        self.pos += 1

    def statements(self) -> dict[str, Value]:
        """All ``name = value;`` statements up to the end of the file."""
        data: dict[str, Value] = {}
        while self.texts[self.pos] != _EOF:
            name = self.texts[self.pos]
            if not (name[0].isalpha() or name[0] == "_"):
                raise self.error(self.pos, f"expected a field name, found {self.found(self.pos)}")
            if name in data:
                raise self.error(self.pos, f"field '{name}' assigned twice")
            self.field = name
            self.pos += 1
            self.expect("=")
            data[name] = self.value()
            self.expect(";")
            self.field = ""
        return data

    def value(self) -> Value:
        """One value: integer, boolean, set, array or 2-D array."""
        pos, text = self.pos, self.texts[self.pos]
        if text == _EOF:
            raise self.error(pos, "unexpected end of file")
        self.pos += 1
        if text.isdigit() or (text[0] == "-" and len(text) > 1):
            return int(text)
        if text in ("true", "false"):
            return text == "true"
        if text == "{":
            items = self.items("{")
            if not all(_is_int(v) for v in items):
                raise self.error(pos, "a set may hold only integers")
            return frozenset(cast(list[int], items))
        if text == "[":
            return self.items("[")
        if text == "[|":
            return self.rows()
        raise self.error(pos, f"non-numeric token '{text}'")

    def items(self, opener: str) -> list[Value]:
        """Comma-separated values up to the closer of ``opener`` (consumed unless a row)."""
        closers, items, texts = _CLOSERS[opener], [], self.texts
        while texts[self.pos] not in closers:
            items.append(self.value())
            if texts[self.pos] == ",":
                self.pos += 1
            elif texts[self.pos] not in closers:
                rule = f"expected ',' or '{closers[-1]}', found {self.found(self.pos)}"
                raise self.error(self.pos, rule)
        if opener != "[|":
            self.pos += 1
        return items

    def rows(self) -> list[Value]:
        """The rows of a 2-D array after ``[|``: rows split by ``|``, closed by ``|]``."""
        rows: list[Value] = []
        while True:
            row = self.items("[|")
            if row:
                rows.append(row)
            self.pos += 1
            if self.texts[self.pos - 1] == "|]":
                return rows
