"""Status updates and baselines: what already happened, pinned into the Instance.

Rules (DESIGN.md, Replanning): from status day ``D``, a task finished before ``D`` keeps
its actual days; a task in progress keeps its start and crews and ends after ``D``
(``remaining_days`` when given, else its planned end or ``D + 1``, whichever is later);
every other task starts on or after ``D``. Without an actuals file, the baseline is taken
as having happened as planned up to ``D``.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from pathlib import Path

from scheduler.domain.calendar import Calendar
from scheduler.errors import InputError, Problem
from scheduler.instance import Instance, Link, LinkType, Task
from scheduler.io import ScheduleFileError, read_schedule_json

log = logging.getLogger(__name__)


class TaskStatus(StrEnum):
    DONE = "done"
    IN_PROGRESS = "in_progress"
    PLANNED = "planned"


@dataclass(frozen=True)
class Baseline:
    """A written schedule: start day and crews per task id."""

    starts: dict[str, int]
    ends: dict[str, int]
    crews: dict[str, tuple[str, ...]]
    program_start: str
    twice: tuple[str, ...] = ()  # task ids the file lists more than once


@dataclass(frozen=True)
class Actual:
    start: int
    end: int | None  # exclusive end day; None while in progress
    remaining: int | None
    row: int


def read_baseline(path: str | Path) -> Baseline:
    """Read a schedule.json written by modsched."""
    path = Path(path)
    try:
        saved = read_schedule_json(path)
    except ScheduleFileError as error:
        raise InputError(
            [Problem(str(path), "", f"not a modsched schedule.json: {error.reason}")]
        ) from None
    counts = Counter(t.task_id for t in saved.tasks)
    twice = tuple(task_id for task_id, n in counts.items() if n > 1)
    return Baseline(
        {t.task_id: t.start_day for t in saved.tasks},
        {t.task_id: t.end_day for t in saved.tasks},
        {t.task_id: t.crews for t in saved.tasks},
        saved.program_start.isoformat(),
        twice,
    )


def _parse_date(text: str, path: Path, row: int, column: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            [Problem(str(path), f"row {row}", f"{column} '{text}' is not a date (YYYY-MM-DD)")]
        ) from None


def _csv_text(path: Path) -> str:
    """The text of a CSV file as spreadsheets save it: UTF-8 (with or without Excel's
    byte order mark) or UTF-16 with its mark ("Unicode text"). Anything else, such as a
    Windows code page, is refused with the place of the first byte that is not UTF-8,
    rather than guessed."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError([Problem(str(path), "", f"cannot read file: {error}")]) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"  # also plain UTF-8
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start]
        raise InputError(
            [
                Problem(
                    str(path),
                    f"line {line}",
                    f"byte 0x{byte:02x} is not {encoding.removesuffix('-sig').upper()} text: "
                    "save the file as CSV UTF-8",
                )
            ]
        ) from None


def read_actuals(
    path: str | Path, instance: Instance, calendar: Calendar, status_day: int
) -> dict[str, Actual]:
    """Read ``task_id, actual_start, actual_finish[, remaining_days]``; every bad row is
    an error naming the row."""
    path = Path(path)
    known = {t.id for t in instance.tasks}
    actuals: dict[str, Actual] = {}
    problems: list[Problem] = []
    text = _csv_text(path)
    try:
        with io.StringIO(text, newline="") as stream:
            reader = csv.DictReader(stream)
            missing = {"task_id", "actual_start", "actual_finish"} - set(reader.fieldnames or [])
            if missing:
                raise InputError(
                    [
                        Problem(
                            str(path), "header", "missing column(s) " + ", ".join(sorted(missing))
                        )
                    ]
                )
            for row_number, row in enumerate(reader, start=2):
                try:
                    task_id, actual = _actual(row, row_number, path, known, calendar, status_day)
                    if task_id in actuals:
                        raise InputError(
                            [
                                Problem(
                                    str(path),
                                    f"row {row_number}",
                                    f"task '{task_id}' is listed twice",
                                )
                            ]
                        )
                    actuals[task_id] = actual
                except InputError as error:
                    problems += error.problems
    except csv.Error as error:  # a field over csv.field_size_limit(), a NUL byte
        raise InputError(
            [Problem(str(path), "", f"not a CSV file modsched reads: {error}")]
        ) from None
    if problems:
        raise InputError(problems)
    return actuals


def _actual(
    row: dict, number: int, path: Path, known: set[str], calendar: Calendar, status_day: int
) -> tuple[str, Actual]:
    def bad(message: str) -> InputError:
        return InputError([Problem(str(path), f"row {number}", message)])

    task_id = (row.get("task_id") or "").strip()
    if task_id not in known:
        raise bad(f"unknown task '{task_id}'")
    start = _parse_date(row.get("actual_start", ""), path, number, "actual_start")
    finish = _parse_date(row.get("actual_finish", ""), path, number, "actual_finish")
    if start is None:
        raise bad(f"task '{task_id}' has no actual_start")
    start_day = calendar.day_of(start)
    if start_day > status_day:
        raise bad(f"task '{task_id}' starts {start}, after the status date")
    end_day = None
    if finish is not None:
        if finish < start:
            raise bad(f"task '{task_id}' finishes {finish} before it starts {start}")
        # the day after the last workday on or before the finish (a Saturday finish ends
        # with Friday's work; day_of alone would round it up to Monday)
        end_day = calendar.day_of(finish) + int(calendar.is_workday(finish))
        if end_day > status_day:
            raise bad(f"task '{task_id}' finishes {finish}, after the status date")
    remaining = (row.get("remaining_days") or "").strip()
    if remaining and not remaining.isdigit():
        raise bad(f"remaining_days '{remaining}' is not a whole number of days")
    if remaining and end_day is None and int(remaining) == 0:  # it must end after the day
        raise bad(
            f"task '{task_id}' is in progress with remaining_days 0: give its "
            "actual_finish, or 1 day or more"
        )
    return task_id, Actual(start_day, end_day, int(remaining) if remaining else None, number)


def as_planned(baseline: Baseline, instance: Instance, status_day: int) -> dict[str, Actual]:
    """Without actuals: what the baseline says happened before the status day."""
    actuals = {}
    for task in instance.tasks:
        start = baseline.starts.get(task.id)
        if start is None or start >= status_day:
            continue
        end = baseline.ends[task.id]
        actuals[task.id] = Actual(start, end if end <= status_day else None, None, 0)
    return actuals


def pin_status(
    instance: Instance, baseline: Baseline, actuals: dict[str, Actual], status_day: int
) -> tuple[Instance, list[TaskStatus]]:
    """Done tasks keep their actual days (and stop using crews and resources: the past is
    not replanned, only their energised load stays); tasks in progress keep start and
    crews; every other task is released at the status day. With travel, a done task that
    ends within the travel days of the status day keeps its crews too: where they were
    decides when they can start elsewhere (DESIGN.md, Travel)."""
    tasks, statuses = [], []
    held: dict[str, str] = {}  # crew -> the task in progress that keeps it
    reach = instance.travel.most
    kept: dict[str, list[tuple[int, int]]] = defaultdict(list)  # crew -> done days kept
    for task in instance.tasks:
        actual = actuals.get(task.id)
        if actual is None:
            tasks.append(replace(task, release=max(task.release, status_day)))
            statuses.append(TaskStatus.PLANNED)
        elif actual.end is not None:
            done_crews = baseline.crews.get(task.id) or ()
            near = reach > 0 and task.site is not None and actual.end + reach > status_day
            if near and done_crews and _free(kept, done_crews, actual.start, actual.end):
                for crew in done_crews:
                    kept[crew].append((actual.start, actual.end))
                done = replace(task, fixed_crews=tuple(done_crews))
            else:
                done = replace(task, skills={})
            tasks.append(
                replace(
                    done,
                    duration=actual.end - actual.start,
                    fixed_start=actual.start,
                    resources={},
                    power_kw=0,
                    release=0,
                    deadline=None,
                )
            )
            statuses.append(TaskStatus.DONE)
        else:
            end = _in_progress_end(task, baseline, actual, status_day)
            crews = baseline.crews.get(task.id) or None
            if crews and not _free(kept, crews, actual.start, end):
                crews = None  # a done task kept for travel holds one of them meanwhile
            if crews and any(c in held for c in crews):
                # two tasks in progress at once on one named crew of the baseline (one
                # started early or ran long): the first keeps it, the model names this one's
                log.warning(
                    "task %s: baseline crews %s already hold task %s in progress; "
                    "crews chosen anew",
                    task.id,
                    ";".join(crews),
                    next(held[c] for c in crews if c in held),
                )
                crews = None
            held |= dict.fromkeys(crews or (), task.id)
            tasks.append(
                replace(
                    task,
                    duration=end - actual.start,
                    fixed_start=actual.start,
                    fixed_crews=crews,
                    release=0,
                    deadline=None,
                )
            )
            statuses.append(TaskStatus.IN_PROGRESS)
    pinned = replace(instance, tasks=tuple(tasks))
    check_started_order(pinned, statuses)
    return pinned, statuses


def _free(kept: dict[str, list[tuple[int, int]]], crews: Sequence[str], a: int, b: int) -> bool:
    """No crew of ``crews`` already keeps a done task on a day of ``[a, b)``."""
    return all(not (s < b and a < e) for crew in crews for s, e in kept[crew])


def _in_progress_end(task: Task, baseline: Baseline, actual: Actual, status_day: int) -> int:
    """Without remaining days reported, the baseline's end, moved by what the scenario
    changed in the task's duration (a delay announced while it runs lengthens it)."""
    if actual.remaining is not None:
        return status_day + actual.remaining
    if task.id in baseline.ends:
        start, end = baseline.starts[task.id], baseline.ends[task.id]
        planned = end + task.duration - (end - start)
    else:
        planned = actual.start + task.duration
    return max(planned, status_day + 1)


def broken_link(link: Link, a: Task, b: Task) -> str | None:
    """What the days of two pinned tasks (actual starts, reported or planned ends) break
    of the link between them, if anything."""
    assert a.fixed_start is not None and b.fixed_start is not None
    ends = {
        "start": (a.fixed_start, b.fixed_start),
        "finish": (a.fixed_start + a.duration, b.fixed_start + b.duration),
    }
    side_a, side_b = {
        LinkType.FS: ("finish", "start"),
        LinkType.SS: ("start", "start"),
        LinkType.FF: ("finish", "finish"),
        LinkType.SF: ("start", "finish"),
    }[link.type]
    if ends[side_b][1] >= ends[side_a][0] + link.lag:
        return None
    verb = "started" if side_b == "start" else "finishes"
    notes = [f"{link.type} link"] if link.type != LinkType.FS else []
    notes += [f"lag {link.lag} days"] if link.lag else []
    note = f" ({', '.join(notes)})" if notes else ""
    return (
        f"{verb} before its predecessor '{a.id}' "
        f"{'started' if side_a == 'start' else 'finished'}{note}"
    )


def check_started_order(instance: Instance, statuses: list[TaskStatus]) -> None:
    """A task that started (done or in progress) cannot precede, against a link, a task
    that started later or has not started."""
    problems = []
    for link in instance.links:
        a, b = instance.tasks[link.pred], instance.tasks[link.succ]
        if statuses[link.succ] == TaskStatus.PLANNED or b.fixed_start is None:
            continue
        if statuses[link.pred] == TaskStatus.PLANNED:
            if link.type in (LinkType.FS, LinkType.SS) and link.lag >= 0:
                problems.append(
                    Problem(
                        "actuals",
                        f"task '{b.id}'",
                        f"started before its predecessor '{a.id}' started",
                    )
                )
            continue
        problem = broken_link(link, a, b)
        if problem:
            problems.append(Problem("actuals", f"task '{b.id}'", problem))
    if problems:
        raise InputError(problems)
