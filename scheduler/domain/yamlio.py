"""YAML reading that remembers where every value stands, for error messages.

Every problem with the input becomes a `Problem`: the file, the place in the document
(``deployments[3].module``), the line and column when known, and the rule broken.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scheduler.errors import InputError, Problem

Place = tuple[str | int, ...]
MAX_VALUES = 1_000_000  # values a document may expand to through aliases (billion laughs)
MAX_FILE_BYTES = 10_000_000
"""A project or catalog file is at most this long (DESIGN.md, Limits). PyYAML reads about
2 MB a second here, so a file of this size takes seconds; a generated program of 50,000
tasks (`benchmarks/generate.py`, the task limit) is 196 kB, atlas-27 50 kB."""
MAX_NODES = 250_000
"""YAML nodes (scalars, lists, mappings, aliases; keys count) a file may hold, counted
while PyYAML composes it (DESIGN.md, Limits). Each costs about 30 us and 1.3 kB before it
becomes a value, so this bounds a file at seconds and a few hundred MB; a generated
program of 50,000 tasks has 22,932 nodes, atlas-27 4,842."""
LIMITS = "(DESIGN.md, Limits)"
MERGE_TAG = "tag:yaml.org,2002:merge"
SURROGATE = re.compile("[\ud800-\udfff]")  # from a YAML escape such as "\udc80"; UTF-8 has none


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
    """Parse one YAML file; malformed YAML raises InputError with its line and column, and
    so does a file beyond the limits (`MAX_FILE_BYTES`, `MAX_NODES`)."""
    text = _decode(path, read_bounded(path))
    try:
        node = _compose(text)
    except _TooManyNodes as error:
        line, column = error.mark.line + 1, error.mark.column + 1
        reason = f"the document has more than {MAX_NODES:,} YAML nodes; at most {MAX_NODES:,}"
        raise InputError(
            [Problem(str(path), "", f"{reason} are read {LIMITS}", line, column)]
        ) from None
    except yaml.reader.ReaderError as error:
        at = error.position
        reason = f"malformed YAML: character #x{error.character:04x}: {error.reason}"
        raise InputError(
            [
                Problem(
                    str(path), "", reason, text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
                )
            ]
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        reason = getattr(error, "problem", None) or str(error)
        return_problem = Problem(str(path), "", f"malformed YAML: {reason}", line, column)
        raise InputError([return_problem]) from None
    except RecursionError:
        raise InputError([Problem(str(path), "", "malformed YAML: nested too deeply")]) from None
    builder = _Builder(path)
    try:
        data = builder.build(node, ()) if node is not None else None
    except RecursionError:
        raise InputError([Problem(str(path), "", "YAML nested too deeply")]) from None
    return Document(path, data, builder.marks)


def read_bounded(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (default `MAX_FILE_BYTES`).

    A FIFO, a device or a folder is refused before anything is read (``/dev/zero`` never
    ends, a FIFO would wait for a writer): the file is opened without waiting and judged
    by what was opened, so it cannot be swapped after the check. The size is checked
    before reading, and at most ``limit + 1`` bytes are read, so a file that grows
    meanwhile is refused too."""
    limit = MAX_FILE_BYTES if limit is None else limit
    too_big = f"at most {limit:,} are read {LIMITS}"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as error:
        raise InputError([Problem(str(path), "", f"cannot read file: {error}")]) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError([Problem(str(path), "", _not_regular(info.st_mode))])
        if info.st_size > limit:
            raise InputError([Problem(str(path), "", f"file is {info.st_size:,} bytes; {too_big}")])
        data = _read_at_most(fd, limit + 1)
    except OSError as error:
        raise InputError([Problem(str(path), "", f"cannot read file: {error}")]) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise InputError([Problem(str(path), "", f"file grew past {limit:,} bytes; {too_big}")])
    return data


def _read_at_most(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size > 0:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _not_regular(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    kind = next((name for test, name in kinds if test(mode)), "special")
    return f"{kind}, not a regular file; only regular files are read {LIMITS}"


def _decode(path: Path, data: bytes) -> str:
    """UTF-8 text with universal newlines (as ``Path.read_text``); another encoding is
    refused at its first byte that is not UTF-8, with line and column."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = len(data[start : error.start].decode("utf-8", "replace")) + 1
        byte = data[error.start]
        reason = f"byte 0x{byte:02x} is not UTF-8 text: save the file as UTF-8"
        raise InputError([Problem(str(path), "", reason, line, column)]) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _TooManyNodes(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark


class _CountingLoader(yaml.SafeLoader):
    """PyYAML's safe loader that stops composing after `MAX_NODES` nodes, so that neither
    time nor memory grows with a huge document before it is refused."""

    num_nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self.num_nodes += 1
        if self.num_nodes > MAX_NODES:
            raise _TooManyNodes(self.peek_event().start_mark)
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


def _compose(text: str) -> yaml.Node | None:
    loader = _CountingLoader(text)
    try:
        return loader.get_single_node()  # type: ignore[no-any-return]
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]


class _Builder:
    """Python values from YAML nodes, recording the line and column of every place.

    Aliases that contain themselves, or that expand to more than ``MAX_VALUES`` values,
    are input errors rather than endless loops.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.marks: dict[Place, tuple[int, int]] = {}
        self.constructor = yaml.SafeLoader("")
        self.open: set[int] = set()  # the collections being built, to catch alias loops
        self.count = 0

    def error(self, node: yaml.Node, message: str, place: Place = ()) -> InputError:
        mark = node.start_mark
        return InputError(
            [Problem(str(self.path), place_text(place), message, mark.line + 1, mark.column + 1)]
        )

    def build(self, node: yaml.Node, place: Place) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise self.error(
                node, f"the document expands to more than {MAX_VALUES} values (aliases of aliases?)"
            )
        self.marks[place] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, place)
        if id(node) in self.open:
            raise self.error(node, "an alias refers to the collection that contains it")
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, place)
            return [self.build(v, (*place, i)) for i, v in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def mapping(self, node: yaml.MappingNode, place: Place) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                raise self.error(
                    key_node, "YAML merge keys ('<<') are not supported; write the fields out"
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error(key_node, "a key must be a plain value")
            key = self.scalar(key_node, place)
            if key in result:
                line = key_node.start_mark.line + 1
                where = place_text((*place, str(key)))
                raise InputError(
                    [
                        Problem(
                            str(self.path),
                            where,
                            "duplicate key",
                            line,
                            key_node.start_mark.column + 1,
                        )
                    ]
                )
            result[key] = self.build(value_node, (*place, str(key)))
        return result

    def scalar(self, node: yaml.ScalarNode, place: Place) -> Any:
        value = self.construct(node, place)
        if isinstance(value, str) and (surrogate := SURROGATE.search(value)):
            code = f"U+{ord(surrogate.group()):04X}"
            raise self.error(
                node,
                f"holds {code}, a lone surrogate (from a \\u escape), not a character; "
                f"text must be valid Unicode {LIMITS}",
                place,
            )
        return value

    def construct(self, node: yaml.ScalarNode, place: Place) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as error:
            raise self.error(node, f"bad value: {error.problem}", place) from None
        # PyYAML's own constructors also fail with KeyError, IndexError... on values such
        # as `!!bool maybe`, `!!int ""` or `!!timestamp soon`
        except Exception as error:
            value = node.value if len(node.value) <= 40 else node.value[:40] + "..."
            kind = node.tag.rsplit(":", 1)[-1]
            reason = str(error) if isinstance(error, ValueError) else f"not a valid {kind}"
            raise self.error(node, f"bad value {value!r}: {reason}", place) from None
