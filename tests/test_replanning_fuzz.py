"""Fuzzing the replan inputs: no corrupted actuals CSV, scenario YAML or baseline JSON
makes `modsched replan` or `modsched whatif` crash.

Valid files for the complete test project (tests/data/complete.yaml) are corrupted at
random: the actuals of its baseline at 2027-01-15 (done and in-progress rows), the
scenarios of tests/data/scenarios/ and one with every kind of change (`RICH`), and the
baseline schedule.json itself (the session's `baseline` fixture). Corruptions: cells,
keys and values of the wrong type; negative, zero, huge, non-finite numbers and digits
that are not ASCII; bad, far and early dates; unknown and malformed ids and crews;
missing, extra and swapped columns; rows, list items and lines duplicated, dropped or
swapped; other encodings (UTF-16 with and without its mark, UTF-32, cp1252, a BOM);
NUL, quotes, tabs, newlines and YAML or JSON characters inserted; truncation at a byte.

Each copy goes through the command line (typer's CliRunner), `replan` or `whatif
--processes 1` (in this process, so that an exception is seen):

- the exit code is 0, 1 or 2 (130 is Ctrl-C only), never a traceback or another
  exception, and never "internal error";
- on exit 2 every line of output names the corrupted file (or `command line`);
- on exit 1 the output says why (infeasible, or no schedule found).

CI runs a few derandomized cases of each (MODSCHED_REPLAN_FUZZ_EXAMPLES, default 4);
benchmarks/fuzz.py runs the campaigns (--actuals, --scenarios, --baselines), with
MODSCHED_FUZZ_LOG=<file> receiving one JSON line per case.
"""

from __future__ import annotations

import codecs
import copy
import json
import os
import random
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cli_fuzz import OPS as YAML_OPS
from test_cli_fuzz import assert_no_crash
from typer.testing import CliRunner, Result

from scheduler.cli import app

TESTS = Path(__file__).parent
DATA = TESTS / "data"
STATUS_DATE = "2027-01-15"  # day 9 of the complete project: some tasks done, some running
runner = CliRunner()


def _examples(kind: str) -> int:
    """MODSCHED_FUZZ_<kind> (benchmarks/fuzz.py), else MODSCHED_REPLAN_FUZZ_EXAMPLES, else 4."""
    default = os.environ.get("MODSCHED_REPLAN_FUZZ_EXAMPLES", "4")
    return int(os.environ.get(f"MODSCHED_FUZZ_{kind}", default))


RICH = """name: every kind of change
status_date: 2027-01-15
changes:
  - power: {site: s1, supply: utility, from: 2027-03-01}
  - power: {site: s1, supply: turbines, mw: 3, kind: temporary}
  - crews: {pool: elec, count: 1, from: 2027-02-01, until: 2027-03-01}
  - crews: {pool: cx, count: 2, from: 2027-03-01, until: 2027-04-01}
  - factory: {id: f1, slots: 1, from: 2027-01-18, until: 2027-02-01}
  - delay: {task: s1-skid/2/hookup, days: 2}
  - delay: {deployment: s2-skid, task: ship, days: 3}
  - duration: {module: skid, task: loadbank, factor: 1.5}
  - milestone: {id: s1-rfs, target: 2027-03-05, deadline: 2027-12-31}
"""
SCENARIOS = {"rich.yaml": RICH} | {
    p.name: p.read_text(encoding="utf-8") for p in sorted((DATA / "scenarios").glob("*.yaml"))
}


@cache
def actuals_text(baseline: Path) -> str:
    """The baseline as having happened up to the status date: done rows with their
    finish, rows in progress with the days left."""
    document = json.loads(baseline.read_text())
    day = 9  # 2027-01-15 (Monday 2027-01-04 is day 0)
    rows = ["task_id,actual_start,actual_finish,remaining_days"]
    for task in document["tasks"]:
        if task["start_day"] >= day:
            continue
        if task["end_day"] <= day:
            rows.append(f"{task['task_id']},{task['start']},{task['finish']},")
        else:
            rows.append(f"{task['task_id']},{task['start']},,{task['end_day'] - day}")
    return "\n".join(rows) + "\n"


# ---------------------------------------------------------------- shared corruptions

NUMBER_TEXTS = [
    "-1", "0", "1.5", "13.9", "1e3", "99999999999999999999", "9" * 5000, "inf", "nan",
    "\u00b2", "\u0663", "\uff15", " 5 ", "+5", "0x10", "",
]  # fmt: skip
DATE_TEXTS = [
    "9999-12-31", "0001-01-01", "1901-01-07", "2027-02-30", "2027-13-01", "someday",
    "2027-1-5", "20270105", "2027-01-05T08:00", "05/01/2027", "2026-12-31", "2127-01-15",
]  # fmt: skip
ID_TEXTS = ["no-such-task", "s1-skid/9/set", "S1-SKID/1/SHIP", "a;b", "x\ny", "", "\t", "=1+1"]
INSERTS = ["\0", '"', "'", "\t", "\n", ",", ";", ":", "[", "{", "\ufeff", "\r", "#", "&a", "*a"]


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _insert(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(INSERTS).encode() + data[at:]


def _encode(rng: random.Random, text: str) -> bytes:
    codec = rng.choice(["utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "utf-8-sig"])
    text = text.replace("s1-skid", rng.choice(["s1-skid", "s1-sk\u00efd", "s1-sk\u20acd"]), 1)
    try:
        return text.encode(codec)
    except UnicodeEncodeError:
        return codecs.BOM_UTF8 + text.encode()


def _lines(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    how = rng.choice(["swap", "delete", "duplicate"])
    if how == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif how == "delete":
        del lines[i]
    else:
        lines.insert(i, lines[i])
    return "".join(lines)


# ---------------------------------------------------------------- actuals CSV


def _rows(text: str) -> list[list[str]]:
    return [line.split(",") for line in text.splitlines()]


def _join(rows: list[list[str]]) -> str:
    return "".join(",".join(r) + "\n" for r in rows)


def _cell(values: list[str], columns: tuple[int, ...]) -> Callable[[random.Random, str], str]:
    def edit(rng: random.Random, text: str) -> str:
        rows = _rows(text)
        row = rows[rng.randrange(1, len(rows))]
        row[rng.choice(columns)] = rng.choice(values)
        return _join(rows)

    return edit


def _column(how: str) -> Callable[[random.Random, str], str]:
    def edit(rng: random.Random, text: str) -> str:
        rows = _rows(text)
        k = rng.randrange(len(rows[0]))
        for row in rows:
            if how == "drop":
                del row[k]
            elif how == "extra":
                row.insert(k, "extra" if row is rows[0] else rng.choice(["", "1", "x"]))
            else:  # rename the header
                row[k] = (
                    rng.choice(["Task ID", "task_id ", "start", "", "task_id"])
                    if row is rows[0]
                    else row[k]
                )
        return _join(rows)

    return edit


def _row(how: str) -> Callable[[random.Random, str], str]:
    def edit(rng: random.Random, text: str) -> str:
        rows = _rows(text)
        i = rng.randrange(1, len(rows))
        if how == "duplicate":
            rows.insert(i, list(rows[i]))
        elif how == "drop":
            del rows[i]
        elif how == "short":
            rows[i] = rows[i][: rng.randrange(len(rows[i]))]
        else:  # long
            rows[i] += ["x"] * rng.randrange(1, 4)
        return _join(rows)

    return edit


TextOp = Callable[[random.Random, str], str]
ACTUALS_OPS: dict[str, TextOp] = {
    "bad number in remaining_days": _cell(NUMBER_TEXTS, (3,)),
    "bad, far or early date": _cell(DATE_TEXTS, (1, 2)),
    "unknown or malformed task id": _cell(ID_TEXTS, (0,)),
    "empty a cell": _cell([""], (0, 1, 2, 3)),
    "drop a column": _column("drop"),
    "extra column": _column("extra"),
    "rename a header": _column("rename"),
    "duplicate a row": _row("duplicate"),
    "drop a row": _row("drop"),
    "short row": _row("short"),
    "long row": _row("long"),
    "swap, delete or duplicate a line": _lines,
}
BYTE_OPS: dict[str, Callable[[random.Random, str], bytes]] = {
    "truncate at a byte": lambda rng, text: _truncate(rng, text.encode()),
    "insert NUL, quote, tab, newline, separator, BOM": lambda rng, text: _insert(
        rng, text.encode()
    ),
    "another encoding": _encode,
}


# ---------------------------------------------------------------- baseline JSON

JSON_VALUES: list[Any] = [
    "INF", "-INF", "NAN", 13.9, 11.0, -1, 0, 10**30, "8", "", None, True, [], {}, ["x"],
]  # fmt: skip
CREWS: list[Any] = [["zz#1"], ["elec#3"], ["elec#0"], ["elec"], ["rig#1"], ["elec#1", "elec#1"],
                    "elec#1", [1], [None], ["elec#1;cx#1"], []]  # fmt: skip


def _leaves(data: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(data, dict):
        return [path] + [p for k, v in data.items() for p in _leaves(v, (*path, k))]
    if isinstance(data, list):
        return [path] + [p for k, v in enumerate(data) for p in _leaves(v, (*path, k))]
    return [path]


def _set(data: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return data


def _json_leaf(values: list[Any], key: str | None = None) -> Callable[[random.Random, Any], Any]:
    def edit(rng: random.Random, data: Any) -> Any:
        paths = [p for p in _leaves(data) if key is None or (p and p[-1] == key)]
        return _set(data, rng.choice(paths), copy.deepcopy(rng.choice(values)))

    return edit


def _json_delete(rng: random.Random, data: Any) -> Any:
    paths = [p for p in _leaves(data) if p and isinstance(p[-1], str)]
    path = rng.choice(paths)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    return data


def _json_list(how: str) -> Callable[[random.Random, Any], Any]:
    def edit(rng: random.Random, data: Any) -> Any:
        tasks = data["tasks"]
        i = rng.randrange(len(tasks))
        if how == "duplicate":
            tasks.insert(rng.randrange(len(tasks) + 1), copy.deepcopy(tasks[i]))
        elif how == "drop":
            del tasks[i]
        elif how == "swap days":
            j = rng.randrange(len(tasks))
            for key in ("start_day", "end_day"):
                tasks[i][key], tasks[j][key] = tasks[j][key], tasks[i][key]
        else:  # shift
            delta = rng.choice([-1000, -5, -1, 1, 5, 1000, 10**6])
            tasks[i]["start_day"] += delta
            if rng.random() < 0.5:
                tasks[i]["end_day"] += delta
        return data

    return edit


DataOp = Callable[[random.Random, Any], Any]
BASELINE_OPS: dict[str, DataOp] = {
    "value of the wrong type or a bad number (13.9, Infinity, NaN, 10^30, null, text)": (
        _json_leaf(JSON_VALUES)
    ),
    "bad day": _json_leaf([-1, 13.9, "INF", 10**6, 10**30, None, "3"], "start_day"),
    "unknown or malformed crews": _json_leaf(CREWS, "crews"),
    "unknown or malformed task id": _json_leaf(ID_TEXTS, "task_id"),
    "bad program start": _json_leaf([*DATE_TEXTS, 20270104, None], "program_start"),
    "delete a key": _json_delete,
    "duplicate a task": _json_list("duplicate"),
    "drop a task": _json_list("drop"),
    "swap two tasks' days": _json_list("swap days"),
    "shift a task": _json_list("shift"),
}


def _json_text(data: Any, rng: random.Random) -> str:
    text = json.dumps(data, indent=rng.choice([None, 1]))
    return text.replace('"INF"', "Infinity").replace('"-INF"', "-Infinity").replace('"NAN"', "NaN")


# ---------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    input: str  # actuals, scenario or baseline
    kind: str
    command: str  # replan or whatif
    name: str  # the corrupted file
    content: bytes

    def __repr__(self) -> str:
        return f"Case({self.input}, {self.kind}, {self.command}, {self.content[:300]!r})"


def _text_case(rng: random.Random, kind: str, text: str, ops: dict[str, TextOp]) -> bytes:
    if kind in BYTE_OPS:
        return BYTE_OPS[kind](rng, text)
    return ops[kind](rng, text).encode()


@st.composite
def actuals_cases(draw: st.DrawFn, baseline: Path) -> Case:
    kind = draw(st.sampled_from(sorted(ACTUALS_OPS) + sorted(BYTE_OPS)))
    rng = random.Random(draw(st.integers(0, 2**32)))
    content = _text_case(rng, kind, actuals_text(baseline), ACTUALS_OPS)
    return Case("actuals", kind, "replan", "actuals.csv", content)


@st.composite
def scenario_cases(draw: st.DrawFn) -> Case:
    name = draw(st.sampled_from(sorted(SCENARIOS)))
    text = SCENARIOS[name]
    kinds = [*sorted(YAML_OPS), "repeat a change", "huge number"]
    kind = draw(st.sampled_from(kinds))
    rng = random.Random(draw(st.integers(0, 2**32)))
    if kind == "repeat a change":
        lines = text.splitlines(keepends=True)
        change = rng.choice([line for line in lines if line.startswith("  - ")])
        content = (text + change * rng.choice([2, 10, 100])).encode()
    elif kind == "huge number":
        numbers = list(re.finditer(r"(?<=: )\d+(\.\d+)?", text))
        if numbers:
            m = rng.choice(numbers)
            value = rng.choice(
                [
                    "10000",
                    "10001",
                    "1000",
                    "1001",
                    "100",
                    "100.0001",
                    "1e300",
                    ".inf",
                    ".nan",
                    "-0",
                    "99999999999999999999",
                ]
            )
            content = (text[: m.start()] + value + text[m.end() :]).encode()
        else:
            content = text.encode()
    else:
        content = YAML_OPS[kind](rng, text, copy.deepcopy(yaml.safe_load(text)))
        if content is None:
            kind, content = "truncate at a byte", _truncate(rng, text.encode())
    command = draw(st.sampled_from(["replan", "whatif"]))
    return Case("scenario", kind, command, name, content)


@st.composite
def baseline_cases(draw: st.DrawFn, baseline: Path) -> Case:
    kind = draw(st.sampled_from(sorted(BASELINE_OPS) + sorted(BYTE_OPS)))
    rng = random.Random(draw(st.integers(0, 2**32)))
    text = baseline.read_text()
    if kind in BYTE_OPS:
        content = BYTE_OPS[kind](rng, text)
    else:
        content = _json_text(BASELINE_OPS[kind](rng, json.loads(text)), rng).encode()
    command = draw(st.sampled_from(["replan", "whatif"]))
    return Case("baseline", kind, command, "schedule.json", content)


def run_case(case: Case, baseline: Path) -> dict[str, Any]:
    """Write the case's files into a fresh folder, run the command, check the contract."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "catalog").mkdir()
        shutil.copyfile(DATA / "complete.yaml", root / "complete.yaml")
        shutil.copyfile(DATA / "catalog" / "skid.yaml", root / "catalog" / "skid.yaml")
        shutil.copyfile(baseline, root / "schedule.json")
        (root / "actuals.csv").write_text(actuals_text(baseline))
        for name, text in SCENARIOS.items():
            (root / name).write_text(text)
        (root / case.name).write_bytes(case.content)
        args = [
            case.command,
            str(root / "complete.yaml"),
            "--baseline",
            str(root / "schedule.json"),
        ]
        args += ["--out", str(root / "out"), "--time-limit", "1", "--workers", "1"]
        if case.input == "actuals":
            args += ["--actuals", str(root / "actuals.csv")]
        if case.input == "scenario":
            args += ["--scenario", str(root / case.name)]
        else:
            args += ["--status-date", STATUS_DATE]
            if case.command == "whatif":
                args += ["--scenario", str(root / "rich.yaml")]
        if case.command == "whatif":
            args += ["--processes", "1"]
        began = time.perf_counter()
        result = runner.invoke(app, args)
        seconds = round(time.perf_counter() - began, 2)  # logged for the report, never asserted
        check_result(result, root / case.name)
        output = result.output.replace(folder + "/", "")
    first = (output.strip().splitlines() or [""])[0]
    seen = {"exit": result.exit_code, "message": first, "seconds": seconds}
    _log(case, seen)
    return seen


def check_result(result: Result, corrupted: Path) -> None:
    assert_no_crash(result, {0, 1, 2, 130})
    assert "internal error" not in result.output, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    if result.exit_code == 2:
        assert lines, "exit 2 without a message"
        for line in lines:
            assert line.startswith((str(corrupted), "command line")), (
                f"a line that names another file, or none: {line!r}\n{result.output}"
            )
    elif result.exit_code == 1:
        assert lines and lines[0].startswith(("infeasible", "no schedule found")), result.output


def _log(case: Case, seen: dict[str, Any]) -> None:
    log = os.environ.get("MODSCHED_FUZZ_LOG")
    if log:
        record = {"source": case.input, "kind": case.kind, "command": case.command} | seen
        with open(log, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(record) + "\n")


@given(data=st.data())
@settings(max_examples=_examples("ACTUALS"))
def test_corrupted_actuals_never_crash(baseline, data):
    run_case(data.draw(actuals_cases(baseline)), baseline)


@given(case=scenario_cases())
@settings(max_examples=_examples("SCENARIOS"))
def test_corrupted_scenarios_never_crash(baseline, case):
    run_case(case, baseline)


@given(data=st.data())
@settings(max_examples=_examples("BASELINES"))
def test_corrupted_baselines_never_crash(baseline, data):
    run_case(data.draw(baseline_cases(baseline)), baseline)
