"""Fuzzing the inputs: no corrupted project or catalog ever makes modsched crash.

Valid files (tests/data/complete.yaml and its catalog, the example projects in projects/
and modules_catalog/) are corrupted at random: a key deleted, a value of the wrong type,
negative, huge, an unknown id, a bad or far date, a list item duplicated or dropped, the
file truncated at a byte, a tab, a stray colon or another YAML character inserted, lines
swapped, deleted, duplicated or indented. Each copy goes through the command line
(`modsched validate`, and for the small project `modsched schedule` when it validates):

- the exit code is 0, 1 or 2 (validate: 0 or 2), never a traceback or another exception;
- on exit 2 every line of output names the file at fault (a `.yaml` path);
- on exit 0 the three schedule files exist and `modsched check` accepts the schedule.

Every bad input met that gave a distinct message is kept in tests/corpus/bad/ with the
message expected on its first line (``# expect: <substring>``). `derandomize` keeps CI
reproducible. MODSCHED_FUZZ_LOG=<file> appends one JSON line per case (for
docs/RELIABILITY.md); MODSCHED_FUZZ_EXAMPLES scales the number of cases.
"""

from __future__ import annotations

import copy
import json
import os
import random
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from scheduler.cli import app

TESTS = Path(__file__).parent
ROOT = TESTS.parent
CORPUS = TESTS / "corpus" / "bad"
runner = CliRunner()
# CI: 40 + 12 derandomized cases; the long campaign is benchmarks/fuzz.py
EXAMPLES = int(os.environ.get("MODSCHED_FUZZ_EXAMPLES", "40"))


# ---------------------------------------------------------------- sources


@dataclass(frozen=True)
class Source:
    """A valid project and the files it reads, copied under one folder per case."""

    name: str
    root: Path  # copied as a whole into the case's folder
    project: str  # the project file, relative to root
    files: tuple[str, ...]  # the files a corruption may hit, relative to root
    schedule: bool  # small enough to schedule every copy that validates

    def copy_to(self, folder: Path) -> Path:
        for name in self.files:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.root / name, folder / name)
        return folder / self.project


def _catalog_files(folder: str) -> tuple[str, ...]:
    return tuple(f"{folder}/{p.name}" for p in sorted((ROOT / folder).glob("*.yaml")))


COMPLETE = Source(
    "complete",
    TESTS / "data",
    "complete.yaml",
    ("complete.yaml", "catalog/skid.yaml"),
    schedule=True,
)
EXAMPLE_PROJECTS = [
    Source(
        p.stem,
        ROOT,
        f"projects/{p.name}",
        (f"projects/{p.name}", *_catalog_files("modules_catalog")),
        schedule=False,
    )
    for p in sorted((ROOT / "projects").glob("*.yaml"))
]


@cache
def _text(source: Source, name: str) -> str:
    return (source.root / name).read_text(encoding="utf-8")


@cache
def _data(source: Source, name: str) -> Any:
    return yaml.safe_load(_text(source, name))


# ---------------------------------------------------------------- corruptions

Op = Callable[[random.Random, str, Any], bytes | None]
WRONG_TYPES: list[Any] = ["text", [1, 2], {"a": 1}, None, True, 2.5, ""]
NUMBERS: list[Any] = [-1, -0.5, 0, 10**12, 1e300, float("inf"), float("nan"), 10**30]
STRINGS = ["no-such-id", "a;b", "pool#1", "x/y", "two words", "line\nbreak", "", "\t"]
DATES = [
    "2027-02-30",
    "2027-13-01",
    "9999-12-31",
    "2400-01-01",
    "1899-12-31",
    "2000-01-01",
    "someday",
    "2027-1-1",
    "20270104",
]
INSERTS = [
    "\t",
    ": ",
    ":",
    "[",
    "{",
    "}",
    "- ",
    "&a ",
    "*a ",
    "!foo ",
    "%",
    "@",
    "`",
    "|",
    ">",
    "'",
    '"',
    "#",
    "\x00",
    "\ufeff",
    "? ",
    "<<: *a\n",
    "---\n",
    "\n",
]


def _paths(data: Any, path: tuple = ()) -> list[tuple]:
    """Every place in the document (dict keys and list indices), outermost first."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, (*path, i))
    return found


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _dump(data: Any) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def _edit_leaf(pick: Callable[[Any], bool], values: list[Any]) -> Op:
    """Replace a random place whose value passes ``pick`` by one of ``values``."""

    def op(rng: random.Random, _text: str, data: Any) -> bytes | None:
        places = [p for p in _paths(data) if p and pick(_get(data, p))]
        if not places:
            return None
        place = rng.choice(places)
        _get(data, place[:-1])[place[-1]] = rng.choice(values)
        return _dump(data)

    return op


def _delete_key(rng: random.Random, _text: str, data: Any) -> bytes | None:
    places = [p for p in _paths(data) if p and isinstance(_get(data, p[:-1]), dict)]
    if not places:
        return None
    place = rng.choice(places)
    del _get(data, place[:-1])[place[-1]]
    return _dump(data)


def _list_edit(kind: str) -> Op:
    def op(rng: random.Random, _text: str, data: Any) -> bytes | None:
        lists = [p for p in _paths(data) if isinstance(_get(data, p), list) and _get(data, p)]
        if not lists:
            return None
        items = _get(data, rng.choice(lists))
        i = rng.randrange(len(items))
        if kind == "duplicate":
            items.insert(i, copy.deepcopy(items[i]))
        elif kind == "drop":
            del items[i]
        else:
            items.clear()
        return _dump(data)

    return op


def _truncate(rng: random.Random, text: str, _data: Any) -> bytes:
    raw = text.encode()
    return raw[: rng.randrange(len(raw))]


def _insert(rng: random.Random, text: str, _data: Any) -> bytes:
    at = rng.randrange(len(text) + 1)
    return (text[:at] + rng.choice(INSERTS) + text[at:]).encode()


def _lines(kind: str) -> Op:
    def op(rng: random.Random, text: str, _data: Any) -> bytes | None:
        lines = text.splitlines(keepends=True)
        if len(lines) < 2:
            return None
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        if kind == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(j, lines[i])
        else:  # indent or dedent
            lines[i] = "  " + lines[i] if rng.random() < 0.5 else lines[i].removeprefix("  ")
        return "".join(lines).encode()

    return op


def _date(rng: random.Random, text: str, _data: Any) -> bytes | None:
    found = list(re.finditer(r"\d{4}-\d{2}-\d{2}", text))
    if not found:
        return None
    match = rng.choice(found)
    return (text[: match.start()] + rng.choice(DATES) + text[match.end() :]).encode()


def _digit(rng: random.Random, text: str, _data: Any) -> bytes | None:
    found = [m.start() for m in re.finditer(r"\d", text)]
    if not found:
        return None
    at = rng.choice(found)
    return (text[:at] + rng.choice("0123456789-") + text[at + 1 :]).encode()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


OPS: dict[str, Op] = {
    "delete a key": _delete_key,
    "wrong type": _edit_leaf(lambda v: True, WRONG_TYPES),
    "bad number (negative, zero, huge, inf, nan)": _edit_leaf(_is_number, NUMBERS),
    "unknown or malformed id/reference": _edit_leaf(lambda v: isinstance(v, str), STRINGS),
    "duplicate a list item": _list_edit("duplicate"),
    "drop a list item": _list_edit("drop"),
    "empty a list": _list_edit("clear"),
    "bad, far or early date": _date,
    "change a digit": _digit,
    "truncate at a byte": _truncate,
    "insert a tab, colon or YAML character": _insert,
    "swap two lines": _lines("swap"),
    "delete a line": _lines("delete"),
    "duplicate a line": _lines("duplicate"),
    "indent or dedent a line": _lines("indent"),
}


@dataclass(frozen=True)
class Corruption:
    source: Source
    file: str
    kind: str
    content: bytes

    def __repr__(self) -> str:
        """What hypothesis prints for a failing case: where the copy first differs."""
        original = _text(self.source, self.file).encode()
        at = next(
            (i for i, (a, b) in enumerate(zip(original, self.content, strict=False)) if a != b),
            min(len(original), len(self.content)),
        )
        near = self.content[max(0, at - 80) : at + 120]
        return (
            f"Corruption({self.source.name}: {self.file}, {self.kind}, "
            f"{len(self.content)} bytes, from byte {at}: {near!r})"
        )


@st.composite
def corruptions(draw: st.DrawFn, sources: list[Source]) -> Corruption:
    source = draw(st.sampled_from(sources))
    catalog = [f for f in source.files if f != source.project]
    # the project file half of the time, else one of its catalog files
    file = draw(st.sampled_from(catalog)) if draw(st.booleans()) else source.project
    kind = draw(st.sampled_from(sorted(OPS)))
    rng = random.Random(draw(st.integers(0, 2**32)))
    data = copy.deepcopy(_data(source, file))
    content = OPS[kind](rng, _text(source, file), data)
    if content is None:  # nothing of that kind in this file
        kind, content = "truncate at a byte", _truncate(rng, _text(source, file), data)
    return Corruption(source, file, kind, content)


# ---------------------------------------------------------------- checks


def assert_no_crash(result: Result, codes: set[int]) -> None:
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}"
    )
    assert result.exit_code in codes, result.output


def assert_lines_name_a_file(output: str) -> None:
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, "exit 2 without a message"
    for line in lines:
        assert ".yaml" in line, f"a line that names no file: {line!r}\n{output}"


def check_cli(project: Path, schedule: bool) -> dict[str, Any]:
    """Run validate (and schedule, check); assert the contracts; return what happened."""
    result = runner.invoke(app, ["validate", str(project)])
    assert_no_crash(result, {0, 2})
    seen: dict[str, Any] = {"validate": result.exit_code, "output": result.output}
    if result.exit_code == 2:
        assert_lines_name_a_file(result.output)
    if result.exit_code != 0 or not schedule:
        return seen
    out = project.parent / "out"
    args = ["schedule", str(project), "--out", str(out), "--time-limit", "5", "--workers", "1"]
    result = runner.invoke(app, args)
    assert_no_crash(result, {0, 1, 2})
    seen.update(schedule=result.exit_code, output=result.output)
    if result.exit_code == 2:
        assert_lines_name_a_file(result.output)
    elif result.exit_code == 1:
        assert "infeasible" in result.output, result.output
    else:
        for name in ("schedule.csv", "schedule.json", "gantt.html"):
            assert (out / name).is_file(), name
        checked = runner.invoke(app, ["check", str(project), str(out / "schedule.csv")])
        assert_no_crash(checked, {0})
    return seen


def run_case(corruption: Corruption) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        project = corruption.source.copy_to(Path(folder))
        (Path(folder) / corruption.file).write_bytes(corruption.content)
        seen = check_cli(project, corruption.source.schedule)
    _log(corruption, seen, folder)
    return seen


def _log(corruption: Corruption, seen: dict[str, Any], folder: str) -> None:
    log = os.environ.get("MODSCHED_FUZZ_LOG")
    if log:
        first = (seen["output"].strip().splitlines() or [""])[0].replace(folder + "/", "")
        record = {
            "source": corruption.source.name,
            "file": corruption.file,
            "kind": corruption.kind,
            "validate": seen["validate"],
            "schedule": seen.get("schedule"),
            "message": first,
        }
        with open(log, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(record) + "\n")


@settings(max_examples=EXAMPLES)
@given(corruptions([COMPLETE]))
def test_corrupted_complete_project_never_crashes(corruption: Corruption):
    run_case(corruption)


@pytest.mark.skipif(not EXAMPLE_PROJECTS, reason="no example projects in projects/")
@settings(max_examples=max(1, EXAMPLES * 3 // 10))
@given(corruptions(EXAMPLE_PROJECTS or [COMPLETE]))
def test_corrupted_example_projects_never_crash(corruption: Corruption):
    """Validate only: the example projects hold hundreds to thousands of tasks."""
    run_case(corruption)


# ---------------------------------------------------------------- hand-written cases

# (file, old text, new text, exit codes allowed, substring of the output)
# fmt: off
HAND_WRITTEN = [
    ("complete.yaml", "mw: 1, from", "mw: .inf, from", {2}, "Input should be a finite number"),
    ("complete.yaml", "mw: 1, from", "mw: 1e300, from", {2}, "less than or equal to 1000000"),
    ("complete.yaml", "{crane: 1}", "{crane: !!bool maybe}", {2}, "'maybe': not a valid bool"),
    ("complete.yaml", "{crane: 1}", '{crane: !!int ""}', {2}, "bad value"),
    ("complete.yaml", "{crane: 1}", "{crane: !!timestamp soon}", {2}, "not a valid timestamp"),
    ("complete.yaml", "{crane: 1}", "{crane: &a [*a]}", {2}, "alias refers to the collection"),
    ("complete.yaml", "{crane: 1}", "{crane: !foo 1}", {2}, "constructor for the tag '!foo'"),
    ("complete.yaml", "release: 2027-01-11", "release: 9999-12-01", {2}, "100 years from"),
    ("complete.yaml", "start: 2027-01-04", "start: 9999-12-20", {2}, "2199-12-31"),
    ("complete.yaml", "{id: rig,", '{id: "r;ig",', {2}, "may not contain ';'"),
    ("complete.yaml", "{id: rig,", '{id: "r#ig",', {2}, "may not contain '#'"),
    ("complete.yaml", "site: s1, module: skid, quantity: 2", 'site: "s\\n1", module: skid, '
     "quantity: 2", {2}, "unknown site 's\\n1'"),
    ("complete.yaml", "catalog: catalog", 'catalog: "cat\\0alog"', {2}, "catalog not readable"),
    ("complete.yaml", "catalog: catalog", "catalog: " + "c" * 300, {2}, "catalog not readable"),
    ("complete.yaml", "weight: 10}", "weight: 1000000000000000000}", {2}, "less than or equal"),
    ("complete.yaml", "count: 1}", "count: 10000000000}", {2}, "less than or equal to 1000"),
    ("catalog/skid.yaml", "duration: 5,", "duration: 1000000000000,", {2}, "less than or equal"),
    ("catalog/skid.yaml", "load_mw: 0.5", "load_mw: .nan", {2}, "finite number"),
    ("catalog/skid.yaml", "uses: {crane: 1}", "uses: {crane: .nan}", {2}, "finite number"),
    # still valid: a schedule that `modsched check` accepts, or a reason it cannot exist
    ("complete.yaml", "quantity: 2, factory: f1}", "quantity: 0, factory: f1}", {0}, "wrote"),
    ("complete.yaml", "{id: f1, slots: 2}", "{id: f1, slots: 0}", {1}, "has no capacity"),
    ("complete.yaml", "deadline: 2027-06-30", "deadline: 2027-01-20", {1}, "deadline"),
    ("complete.yaml", "mw: 4, from", "mw: 0.1, from", {1}, "for good"),
    ("complete.yaml", "{id: elec, skills: [electrical]", "{id: elec, skills: [welding]", {1},
     "needs 2 crews of one-crew pool 'cx'"),
    ("complete.yaml", "workdays: [mon, tue, wed, thu, fri]", "workdays: [sun, sun]", {0}, ""),
    ("complete.yaml", "release: 2027-01-11", "release: 2090-12-01", {1}, "deadline"),
    ("catalog/skid.yaml", "after: [ship]", "after: [{task: ship, type: SF, lag: -3}]", {0}, ""),
]
# fmt: on


@pytest.mark.parametrize(
    ("file", "old", "new", "codes", "expected"),
    HAND_WRITTEN,
    ids=[f"{c[0]}:{c[2][:30]}" for c in HAND_WRITTEN],
)
def test_hand_written_corruption(file: str, old: str, new: str, codes: set[int], expected: str):
    text = _text(COMPLETE, file)
    assert old in text, old
    corruption = Corruption(COMPLETE, file, "hand-written", text.replace(old, new, 1).encode())
    with tempfile.TemporaryDirectory() as folder:
        project = COMPLETE.copy_to(Path(folder))
        (Path(folder) / file).write_bytes(corruption.content)
        seen = check_cli(project, schedule=True)
    assert seen.get("schedule", seen["validate"]) in codes, seen["output"]
    assert expected in seen["output"], seen["output"]


# ---------------------------------------------------------------- the corpus


def expected_message(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode()
    assert first.startswith("# expect: "), f"{path.name}: first line must be '# expect: ...'"
    return first.removeprefix("# expect: ").strip()


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.yaml")), ids=lambda p: p.stem)
def test_corpus_file_gives_its_message(path: Path):
    result = runner.invoke(app, ["validate", str(path)])
    assert_no_crash(result, {2})
    assert_lines_name_a_file(result.output)
    assert expected_message(path) in result.output, result.output


def test_corpus_covers_every_kind_of_bad_input():
    assert len(list(CORPUS.glob("*.yaml"))) >= 90
