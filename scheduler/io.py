"""Where modsched reads and writes its files.

- `write_atomic` (`write_bytes` for binary files): every file the product writes goes
  through it (a crash never leaves a half-written file).
- schedule.csv and schedule.json (DESIGN.md contracts): `write_csv`, `write_json`,
  `schedule_json` and their readers back into typed rows, `read_schedule_csv`,
  `read_schedule_json`; `read_plan_csv` reads only what `modsched check` needs.
- a replan's baseline: `read_baseline_json`, what a replan reads of a schedule.json,
  checked by strict pydantic models (`BaselineFile`).
- `write_frame` / `write_text`: the reports' tables (changes.csv, comparison.csv, ...) and
  pages.

The text forms of typed fields live here and nowhere else: crews ``"a#1;b#2"``, skills
``"skill:n;..."``, resources ``"id:amount;..."``, ISO dates.
"""

from __future__ import annotations

import codecs
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import IO, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from scheduler.domain.yamlio import read_bounded
from scheduler.errors import InputError
from scheduler.explain import WhyStep
from scheduler.schedule import (
    BASELINE_COLUMNS,
    EXPLAIN_COLUMNS,
    EXTRA_COLUMNS,
    STATUS_COLUMNS,
    TASK_COLUMNS,
    Kpis,
    MilestoneKpi,
    PoolTravel,
    Schedule,
    SolverInfo,
    TaskRow,
)

# ----------------------------------------------------------------------------- writing


def write_atomic(path: Path, write: Callable[[IO[str]], Any]) -> None:
    """Write to a temporary file in the same folder, then rename it over ``path``: a crash
    never leaves a half-written file."""
    _write_replacing(path, write, binary=False)


def write_bytes(path: Path, data: bytes) -> None:
    """`write_atomic` for a binary file (an Excel workbook, an export built in memory)."""
    _write_replacing(path, lambda f: f.write(data), binary=True)


def _write_replacing(path: Path, write: Callable[[Any], Any], binary: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        stream_of = (
            os.fdopen(handle, "wb")
            if binary
            else os.fdopen(handle, "w", encoding="utf-8", newline="")
        )
        with stream_of as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> None:
    write_atomic(path, lambda f: f.write(text))


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV
# Injection"): such text is written with a leading ' (which Excel shows as text and does
# not display), and so is text that starts with ' itself, so that reading strips exactly one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell as a spreadsheet may open it: data, never a formula. A lone "-" (a
    placeholder) is no formula and stays as it is."""
    if isinstance(value, str) and len(value) > 1 and value.startswith((*FORMULA_START, "'")):
        return "'" + value
    return value


def unsafe_cell(text: str) -> str:
    """The text `safe_cell` was given."""
    return text[1:] if len(text) > 2 and text.startswith("'") else text


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """A table as CSV (no index, ``\n`` line ends), text cells made safe for spreadsheets
    (`safe_cell`)."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(safe_cell)
    safe.columns = [safe_cell(c) for c in safe.columns]  # a milestone id is a header part
    write_atomic(path, lambda f: safe.to_csv(f, index=False, lineterminator="\n"))


def crews_text(crews: Sequence[str]) -> str:
    return ";".join(crews)


def pairs_text(pairs: Sequence[tuple[str, int]] | Sequence[tuple[str, float]]) -> str:
    """``skills`` ("skill:n;...") and ``resources`` ("id:amount;...", amounts as ``%g``)."""
    return ";".join(f"{k}:{v:g}" for k, v in pairs)


def task_columns(schedule: Schedule) -> list[str]:
    """The columns written: the contract's, the extra ones, a replan's status columns, the
    explanation's, a replan's baseline dates (each group after the ones before it)."""
    if schedule.replanned:
        return TASK_COLUMNS + EXTRA_COLUMNS + STATUS_COLUMNS + EXPLAIN_COLUMNS + BASELINE_COLUMNS
    return TASK_COLUMNS + EXTRA_COLUMNS + EXPLAIN_COLUMNS


def task_record(row: TaskRow, columns: Sequence[str]) -> dict[str, Any]:
    """A task row as written: dates ISO, skills and resources as text, crews a list."""
    record: dict[str, Any] = {}
    for column in columns:
        value = getattr(row, column)
        if isinstance(value, date):
            value = value.isoformat()
        elif column == "crews":
            value = list(value)
        elif column in ("skills", "resources"):
            value = pairs_text(value)
        record[column] = value
    return record


def write_csv(schedule: Schedule, path: Path) -> None:
    columns = task_columns(schedule)
    records = [task_record(t, columns) for t in schedule.tasks]
    for record in records:
        record["crews"] = crews_text(record["crews"])
    write_frame(pd.DataFrame(records, columns=columns), path)


def solver_json(solver: SolverInfo) -> dict[str, Any]:
    return {
        "name": solver.name,
        "method": solver.method,
        "status": solver.status,
        "objective": solver.objective,
        "bound": solver.bound,
        "gap": solver.gap,
        "seconds": solver.seconds,
        "first_solution_seconds": solver.first_solution_seconds,
        "workers": solver.workers,
        "seed": solver.seed,
        "interrupted": solver.interrupted,
        "tardiness_bound": solver.tardiness_bound,
        "tardiness_gap": solver.tardiness_gap,
        "repeatable": solver.repeatable,
    }


def why_json(steps: Sequence[WhyStep]) -> list[dict[str, Any]]:
    return [{"task": s.task, "kind": s.kind, "cause": s.cause, "days": s.days} for s in steps]


def milestone_json(m: MilestoneKpi) -> dict[str, Any]:
    """A milestone's KPIs: date, target, late days, the why-chain of a late one, and in a
    replan the baseline's date and the variance in working days."""
    document: dict[str, Any] = {
        "date": m.date.isoformat() if m.date is not None else "",
        "target": m.target.isoformat() if m.target is not None else None,
        "late_days": m.late_days,
        "why": why_json(m.why),
    }
    if m.variance_days is not None or m.baseline is not None:
        document["baseline"] = m.baseline.isoformat() if m.baseline is not None else None
        document["variance_days"] = m.variance_days
    if m.late_days_bound is not None:
        document["late_days_bound"] = m.late_days_bound
    return document


def kpis_json(kpis: Kpis) -> dict[str, Any]:
    document: dict[str, Any] = {
        "makespan_days": kpis.makespan_days,
        "finish": kpis.finish.isoformat(),
        "tardiness_days": kpis.tardiness_days,
        "weighted_tardiness": kpis.weighted_tardiness,
        "milestones": {name: milestone_json(m) for name, m in kpis.milestones.items()},
    }
    if kpis.critical_path_days is not None:  # before a replan's keys, which end the object
        document = {"critical_path_days": kpis.critical_path_days, **document}
    if kpis.moved_tasks is not None:
        document["moved_tasks"] = kpis.moved_tasks
    if kpis.crew_changes is not None:
        document["crew_changes"] = kpis.crew_changes
    if kpis.status_date is not None:
        document["status_date"] = kpis.status_date.isoformat()
    if kpis.baseline_finish is not None:
        document["baseline_finish"] = kpis.baseline_finish.isoformat()
        document["finish_variance_days"] = kpis.finish_variance_days
    if kpis.travel:
        document["travel"] = {
            pool: {"moves": t.moves, "travel_days": t.travel_days}
            for pool, t in kpis.travel.items()
        }
    return document


def schedule_json(schedule: Schedule) -> dict[str, Any]:
    columns = task_columns(schedule)
    return {
        "project": schedule.project,
        "program_start": schedule.program_start.isoformat(),
        "solver": solver_json(schedule.solver),
        "kpis": kpis_json(schedule.kpis),
        "columns": TASK_COLUMNS,
        "tasks": [task_record(t, columns) for t in schedule.tasks],
    }


def write_json(schedule: Schedule, path: Path) -> None:
    document = schedule_json(schedule)
    write_atomic(path, lambda f: json.dump(document, f, indent=1))


# ----------------------------------------------------------------------------- reading


class ScheduleFileError(ValueError):
    """A schedule file that cannot be read: ``str()`` gives the file, then where and why
    (``reason``)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


@dataclass(frozen=True)
class PlannedTask:
    """What `modsched check` reads of a schedule.csv row: enough for the validator."""

    line: int  # in the file, the header being line 1
    task_id: str
    start_day: int
    crews: tuple[str, ...]
    # what the row states besides, when the file has the column (check recomputes them)
    end_day: int | None = None
    duration: int | None = None
    start: date | None = None
    finish: date | None = None


@dataclass(frozen=True)
class SavedSchedule:
    """A schedule.json read back."""

    project: str
    program_start: date
    solver: SolverInfo
    kpis: Kpis
    tasks: tuple[TaskRow, ...]


# schedule.csv/json are read whole: a regular file of at most this size (a 50,000-task
# plan, DESIGN.md's limit, writes a schedule.json of about 25 MB)
MAX_SCHEDULE_BYTES = 100_000_000


def _read_bytes(path: Path) -> bytes:
    """The bytes of a schedule file: a regular file within `MAX_SCHEDULE_BYTES`."""
    try:
        return read_bounded(path, MAX_SCHEDULE_BYTES)
    except InputError as error:
        reason = error.problems[0].message.removeprefix("cannot read file: ")
        raise ScheduleFileError(path, f"cannot read schedule: {reason}") from None


def _read_table(path: Path) -> pd.DataFrame:
    data = _read_bytes(path)
    try:
        table = pd.read_csv(BytesIO(data), dtype=str, keep_default_na=False).map(unsafe_cell)
        table.columns = [unsafe_cell(c) for c in table.columns]
        return table
    except UnicodeDecodeError as error:
        raise ScheduleFileError(
            path,
            f"cannot read schedule: byte {error.start} is not UTF-8 text "
            "(save it as CSV, UTF-8; a UTF-16 'Unicode text' file is not read)",
        ) from None
    except (OSError, ValueError) as error:
        raise ScheduleFileError(path, f"cannot read schedule: {error}") from None


def _need(path: Path, present: Sequence[str], columns: Sequence[str]) -> None:
    absent = [c for c in columns if c not in present]
    if absent:
        hint = ""
        if len(present) == 1 and ";" in present[0]:  # a spreadsheet set to ';' lists
            hint = " (its columns are separated by ';': save it as CSV with commas)"
        raise ScheduleFileError(path, f"cannot read schedule: no column {', '.join(absent)}{hint}")


class _Field:
    """Parses one value of a row; errors name the file, the row and the column. ``typed``
    (JSON): numbers must be JSON numbers, not text."""

    def __init__(self, path: Path, where: str, typed: bool = False) -> None:
        self.path, self.where, self.typed = path, where, typed

    def bad(self, column: str, value: object, what: str) -> ScheduleFileError:
        return ScheduleFileError(self.path, f"{self.where}: {column} {value!r} is not {what}")

    def whole(self, column: str, value: object) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = value.strip() if isinstance(value, str) and not self.typed else ""
        if not text.lstrip("-").isdigit():
            raise self.bad(column, value, "a whole number of days")
        try:
            return int(text)
        except ValueError:  # digits int() refuses, such as '²'
            raise self.bad(column, value, "a whole number of days") from None

    def optional_whole(self, column: str, value: object) -> int | None:
        return None if value is None or value == "" else self.whole(column, value)

    def optional_day(self, column: str, value: object) -> date | None:
        return None if value is None or value == "" else self.day(column, value)

    def optional_flag(self, column: str, value: object) -> bool | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if not self.typed and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.bad(column, value, "true or false")

    def number(self, column: str, value: object) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and not self.typed:
            try:
                return float(value)
            except ValueError:
                pass
        raise self.bad(column, value, "a number")

    def day(self, column: str, value: object) -> date:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.bad(column, value, "a date (YYYY-MM-DD)")

    def text(self, column: str, value: object) -> str:
        if not isinstance(value, str):
            raise self.bad(column, value, "text")
        return value

    def crews(self, column: str, value: object) -> tuple[str, ...]:
        if isinstance(value, str):  # schedule.csv: "a#1;b#2" (spaces around ids dropped, as
            return tuple(c.strip() for c in value.split(";") if c.strip())  # around numbers)
        if isinstance(value, list) and all(isinstance(c, str) for c in value):
            return tuple(value)
        raise self.bad(column, value, "a list of crew ids")

    def pairs(self, column: str, value: object) -> list[tuple[str, float]]:
        """ "id:amount;..." (the skills and resources columns, text in both files)."""
        text = self.text(column, value)
        found = []
        for part in filter(None, text.split(";")):
            key, amount = part.rsplit(":", 1) if ":" in part else ("", "")
            try:
                found.append((key, float(amount)))
            except ValueError:
                key = ""
            if not key:
                raise self.bad(column, value, "'id:amount;...'")
        return found

    def skills(self, column: str, value: object) -> tuple[tuple[str, int], ...]:
        pairs = self.pairs(column, value)
        if any(not n.is_integer() for _, n in pairs):
            raise self.bad(column, value, "'skill:crews;...' in whole crews")
        return tuple((k, int(n)) for k, n in pairs)

    def resources(self, column: str, value: object) -> tuple[tuple[str, float], ...]:
        return tuple(self.pairs(column, value))


_REQUIRED = object()
# each TaskRow field: how it is read, and its value where a file lacks it (schedules of
# older versions lack the extra and status columns)
_TASK_FIELDS: tuple[tuple[str, str, object], ...] = (
    *((name, "text", _REQUIRED) for name in ("task_id", "module_id", "deployment")),
    *((name, "text", _REQUIRED) for name in ("module_type", "task", "site")),
    *((name, "whole", _REQUIRED) for name in ("start_day", "end_day")),
    *((name, "day", _REQUIRED) for name in ("start", "finish")),
    ("duration", "whole", _REQUIRED),
    ("crews", "crews", _REQUIRED),
    ("power_mw", "number", _REQUIRED),
    ("phase", "text", ""),
    ("gate", "text", "none"),
    ("energise_mw", "number", 0.0),
    ("skills", "skills", ""),
    ("resources", "resources", ""),
    *((name, "optional_whole", None) for name in ("baseline_start_day", "baseline_end_day")),
    *((name, "optional_day", None) for name in ("late_start", "late_finish")),
    *((name, "optional_whole", None) for name in ("total_float", "free_float")),
    ("critical", "optional_flag", None),
    *((name, "text", "") for name in ("driver", "driver_kind")),
    *((name, "optional_day", None) for name in ("baseline_start", "baseline_finish")),
)


def _task_row(record: Mapping[str, Any], f: _Field) -> TaskRow:
    """A TaskRow from a record of the written columns."""
    values: dict[str, Any] = {}
    for name, kind, default in _TASK_FIELDS:
        raw = record[name] if default is _REQUIRED else record.get(name, default)
        values[name] = getattr(f, kind)(name, raw)
    status = record.get("status", None)
    return TaskRow(
        **values,
        task_name=f.text("task_name", record.get("task_name", record["task"])),
        status=None if status in (None, "") else f.text("status", status),
    )


def read_schedule_csv(path: str | Path) -> tuple[TaskRow, ...]:
    """The task rows of a schedule.csv written by modsched (its contract columns are
    required; the extra and status columns are read when present)."""
    path = Path(path)
    table = _read_table(path)
    _need(path, list(table.columns), TASK_COLUMNS)
    return tuple(
        _task_row(record, _Field(path, f"line {line}, task '{record['task_id']}'"))
        for line, record in enumerate(table.to_dict(orient="records"), start=2)
    )


def read_plan_csv(path: str | Path) -> tuple[PlannedTask, ...]:
    """Of a schedule.csv, ``task_id``, ``start_day`` and ``crews`` (what `modsched check`
    gives the validator) and, when the file has them, the ``end_day``, ``duration``,
    ``start`` and ``finish`` it states (which check recomputes), in file order."""
    path = Path(path)
    table = _read_table(path)
    _need(path, list(table.columns), ("task_id", "start_day", "crews"))
    found = []
    for line, record in enumerate(table.to_dict(orient="records"), start=2):
        f = _Field(path, f"line {line}, task '{record['task_id']}'")
        stated: dict[str, Any] = {}
        for column in ("end_day", "duration"):
            if column in record:
                stated[column] = f.whole(column, record[column])
        for column in ("start", "finish"):
            if column in record:
                stated[column] = f.day(column, record[column])
        found.append(
            PlannedTask(
                line,
                record["task_id"],
                f.whole("start_day", record["start_day"]),
                f.crews("crews", record["crews"]),
                **stated,
            )
        )
    return tuple(found)


def read_schedule_json(path: str | Path) -> SavedSchedule:
    """A schedule.json written by modsched, back into typed rows."""
    path = Path(path)
    data = _read_bytes(path)
    try:
        document = json.loads(data.decode("utf-8"))
    except (OSError, ValueError) as error:
        raise ScheduleFileError(path, f"cannot read schedule: {error}") from None
    f = _Field(path, "document", typed=True)
    if not isinstance(document, dict):
        raise f.bad("document", type(document).__name__, "an object")
    for key in ("project", "program_start", "solver", "kpis", "tasks"):
        if key not in document:
            raise ScheduleFileError(path, f"cannot read schedule: no key {key}")
    tasks = document["tasks"]
    if not isinstance(tasks, list):
        raise f.bad("tasks", type(tasks).__name__, "a list")
    rows = []
    for k, record in enumerate(tasks):
        if not isinstance(record, dict):
            raise _Field(path, f"task {k}", typed=True).bad(
                "task", type(record).__name__, "an object"
            )
        absent = [c for c in TASK_COLUMNS if c not in record]
        if absent:
            raise ScheduleFileError(path, f"task {k}: no key {', '.join(absent)}")
        rows.append(
            _task_row(record, _Field(path, f"task {k} ('{record['task_id']}')", typed=True))
        )
    return SavedSchedule(
        f.text("project", document["project"]),
        f.day("program_start", document["program_start"]),
        _solver(document["solver"], _Field(path, "solver", typed=True)),
        _kpis(document["kpis"], _Field(path, "kpis", typed=True)),
        tuple(rows),
    )


def _solver(record: object, f: _Field) -> SolverInfo:
    if not isinstance(record, dict):
        raise f.bad("solver", record, "an object")

    def whole(key: str) -> int | None:
        return f.optional_whole(key, record.get(key))

    def number(key: str) -> float | None:
        value = record.get(key)
        return None if value is None else f.number(key, value)

    return SolverInfo(
        name=f.text("name", record.get("name")),
        method=f.text("method", record.get("method", "")),
        status=f.text("status", record.get("status", "")),
        objective=whole("objective"),
        bound=whole("bound"),
        gap=number("gap"),
        seconds=number("seconds") or 0.0,
        first_solution_seconds=number("first_solution_seconds"),
        workers=whole("workers") or 1,
        seed=whole("seed") or 0,
        interrupted=bool(record.get("interrupted", False)),
        tardiness_bound=whole("tardiness_bound"),
        tardiness_gap=number("tardiness_gap"),
        repeatable=f.optional_flag("repeatable", record.get("repeatable")),
    )


def _kpis(record: object, f: _Field) -> Kpis:
    if not isinstance(record, dict):
        raise f.bad("kpis", record, "an object")
    milestones = record.get("milestones", {})
    if not isinstance(milestones, dict):
        raise f.bad("milestones", milestones, "an object")

    def optional_day(key: str, value: object) -> date | None:
        return None if value in (None, "") else f.day(key, value)

    def step(s: object) -> WhyStep:
        if not isinstance(s, dict):
            raise f.bad("why", s, "an object")
        return WhyStep(
            f.text("task", s.get("task")),
            f.text("kind", s.get("kind")),
            f.text("cause", s.get("cause")),
            f.whole("days", s.get("days")),
        )

    def milestone(name: str, m: object) -> MilestoneKpi:
        if not isinstance(m, dict):
            raise f.bad(name, m, "an object")
        why = m.get("why", [])
        if not isinstance(why, list):
            raise f.bad("why", why, "a list")
        return MilestoneKpi(
            optional_day("date", m.get("date")),
            optional_day("target", m.get("target")),
            f.whole("late_days", m.get("late_days")),
            tuple(step(s) for s in why),
            optional_day("baseline", m.get("baseline")),
            f.optional_whole("variance_days", m.get("variance_days")),
            f.optional_whole("late_days_bound", m.get("late_days_bound")),
        )

    def optional(key: str) -> int | None:
        return f.optional_whole(key, record.get(key))

    travels = record.get("travel", {})
    if not isinstance(travels, dict):
        raise f.bad("travel", travels, "an object")

    def travel(name: str, t: object) -> PoolTravel:
        if not isinstance(t, dict):
            raise f.bad(name, t, "an object")
        return PoolTravel(
            f.whole("moves", t.get("moves")), f.whole("travel_days", t.get("travel_days"))
        )

    return Kpis(
        makespan_days=f.whole("makespan_days", record.get("makespan_days")),
        finish=f.day("finish", record.get("finish")),
        tardiness_days=f.whole("tardiness_days", record.get("tardiness_days")),
        weighted_tardiness=f.whole("weighted_tardiness", record.get("weighted_tardiness")),
        milestones={name: milestone(name, m) for name, m in milestones.items()},
        moved_tasks=optional("moved_tasks"),
        crew_changes=optional("crew_changes"),
        status_date=optional_day("status_date", record.get("status_date")),
        baseline_finish=optional_day("baseline_finish", record.get("baseline_finish")),
        finish_variance_days=optional("finish_variance_days"),
        travel={name: travel(name, t) for name, t in travels.items()},
        critical_path_days=optional("critical_path_days"),
    )


# ----------------------------------------------------------------------------- baseline


class _BaselineModel(BaseModel):
    """Strict: a JSON number is no text, 13.0 and Infinity are no whole day, a string is
    no list; the keys a replan does not read are left alone."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class BaselineTask(_BaselineModel):
    task_id: str
    start_day: int
    end_day: int
    crews: list[str]
    start: date | None = None  # the date of start_day in the calendar the plan was made with


class BaselineFile(_BaselineModel):
    """What a replan reads of a schedule.json (DESIGN.md, Replanning and what-if)."""

    program_start: date
    tasks: list[BaselineTask]


class BaselineFileError(ValueError):
    """A baseline that breaks `BaselineFile`: ``problems`` are (place, rule) pairs, the
    place as a path in the document (``tasks[3].crews``)."""

    def __init__(self, path: Path, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {place}: {rule}" for place, rule in problems))
        self.path, self.problems = path, problems


def read_baseline_json(path: str | Path) -> BaselineFile:
    """The program start and the tasks' days and crews of a schedule.json (UTF-8, with or
    without a byte order mark), every shape or type error with its place."""
    path = Path(path)
    try:
        data = read_bounded(path, MAX_SCHEDULE_BYTES)
    except InputError as error:
        raise BaselineFileError(path, [("", error.problems[0].message)]) from None
    try:
        return BaselineFile.model_validate_json(data.removeprefix(codecs.BOM_UTF8))
    except ValidationError as error:
        raise BaselineFileError(path, [_json_problem(item) for item in error.errors()]) from None


def _json_problem(item: Any) -> tuple[str, str]:
    """(``tasks[3].crews``, ``Input should be a valid array (got 'cx#1')``)."""
    place = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in item["loc"])
    place = place.removeprefix(".")
    if item["type"] == "json_invalid":
        return "", f"not a JSON document: {item['msg'].removeprefix('Invalid JSON: ')}"
    if item["type"] == "missing":
        return place, f"missing required key '{item['loc'][-1]}'"
    given = item.get("input")
    shown = "" if isinstance(given, dict | list) else f" (got {_short(repr(given))})"
    return place, f"{item['msg']}{shown}"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
