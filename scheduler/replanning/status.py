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
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path

import pandas as pd

from scheduler.domain.calendar import Calendar
from scheduler.domain.models import MAX_DAYS
from scheduler.domain.yamlio import read_bounded
from scheduler.errors import InputError, Problem
from scheduler.instance import Instance, Link, LinkType, Task
from scheduler.io import (
    BaselineFileError,
    ScheduleFileError,
    crews_text,
    read_baseline_json,
    read_schedule_json,
    unsafe_cell,
)

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
    places: dict[str, int] = field(default_factory=dict)  # task id -> index in the file
    dates: dict[str, date] = field(default_factory=dict)  # task id -> its start date


class Unlisted(StrEnum):
    """How a replan takes a task the status update does not list (``--unlisted``)."""

    AS_PLANNED = "as-planned"  # as the baseline has it at the status date
    NOT_STARTED = "not-started"  # the strict reading: only what is listed has started


NOT_STARTED = "not started"  # actual_start of a listed task that has not started


@dataclass(frozen=True)
class Actual:
    start: int
    end: int | None  # exclusive end day; None while in progress
    remaining: int | None
    row: int


@dataclass(frozen=True)
class Report:
    """Where each task's state at the status date comes from: a line of the status
    update (``lines``, tasks reported not started too), or, for a task it does not list,
    the baseline (``Unlisted.AS_PLANNED``) or nothing (``NOT_STARTED``). Problems name
    the file and place of the task they are about, and of a predecessor from the other
    source."""

    baseline_path: str
    baseline: Baseline
    actuals_path: str | None = None
    lines: dict[str, int] = field(default_factory=dict)
    unlisted: Unlisted = Unlisted.AS_PLANNED

    def place(self, task_id: str) -> tuple[str, str]:
        """(file, place in it) of a task's state."""
        if task_id in self.lines and self.actuals_path is not None:
            return self.actuals_path, f"line {self.lines[task_id]}"
        where = self.baseline.places.get(task_id)
        return self.baseline_path, f"tasks[{where}]" if where is not None else ""

    def listed(self, task_id: str) -> bool:
        return self.actuals_path is not None and task_id in self.lines

    def contradiction(self, message: str, a: str, b: str) -> str:
        """``message`` about task ``b`` against its predecessor ``a``, with both rows
        when one is listed in the status update and the other is not."""
        if self.actuals_path is None or self.listed(a) == self.listed(b):
            return message
        if self.listed(b):
            if self.unlisted == Unlisted.NOT_STARTED:
                return f"{message}; '{a}' is not listed, so taken as not started"
            file, where = self.place(a)
            return (
                f"{message}; '{a}' is not listed, so taken as the baseline has it ({file}, "
                f"{where}): list '{a}' with its actual dates"
            )
        return (
            f"not listed in {self.actuals_path}, so taken as the baseline has it: {message}; "
            f"'{a}' is on {self.place(a)[1]} of {self.actuals_path}: list '{b}' with its "
            "actual dates"
        )


def progress(
    baseline: Baseline,
    instance: Instance,
    status_day: int,
    reported: dict[str, Actual | None],
    unlisted: Unlisted,
) -> dict[str, Actual]:
    """What has happened by the status day: the status update's rows over, for the tasks
    it does not list, the baseline (as planned) or nothing (the strict reading)."""
    happened = as_planned(baseline, instance, status_day) if unlisted == Unlisted.AS_PLANNED else {}
    for task_id, actual in reported.items():
        if actual is None:
            happened.pop(task_id, None)
        else:
            happened[task_id] = actual
    return happened


def read_baseline(path: str | Path) -> Baseline:
    """Read a schedule.json written by modsched: what a replan needs of it, each key of
    the type modsched writes (`io.BaselineFile`)."""
    path = Path(path)
    try:
        saved = read_baseline_json(path)
    except BaselineFileError as error:
        raise InputError(
            [Problem(str(path), place, rule) for place, rule in error.problems]
        ) from None
    counts = Counter(t.task_id for t in saved.tasks)
    twice = tuple(task_id for task_id, n in counts.items() if n > 1)
    return Baseline(
        {t.task_id: t.start_day for t in saved.tasks},
        {t.task_id: t.end_day for t in saved.tasks},
        {t.task_id: tuple(t.crews) for t in saved.tasks},
        saved.program_start.isoformat(),
        twice,
        {t.task_id: k for k, t in enumerate(saved.tasks)},
        {t.task_id: t.start for t in saved.tasks if t.start is not None},
    )


def _parse_date(
    text: str | None, bad: Callable[[str, str], InputError], column: str
) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise bad(column, f"{column} '{text}' is not a date (YYYY-MM-DD)") from None


def _csv_text(path: Path) -> str:
    """The text of a CSV file as spreadsheets save it: UTF-8 (with or without Excel's
    byte order mark) or UTF-16 with its mark ("Unicode text"). Anything else, such as a
    Windows code page, is refused with the place of the first byte that is not UTF-8,
    rather than guessed. A regular file within the limit of a project file (DESIGN.md,
    Limits)."""
    data = read_bounded(path)
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
) -> tuple[dict[str, Actual | None], dict[str, int]]:
    """Read ``task_id, actual_start, actual_finish[, remaining_days]`` (other columns,
    such as a template's planned dates, are left alone): each listed task's state (None:
    reported not started) and its line. A row with no actual date and no remaining days
    reports nothing and is skipped. Every bad row is an error naming its line."""
    path = Path(path)
    known = {t.id for t in instance.tasks}
    actuals: dict[str, Actual | None] = {}
    lines: dict[str, int] = {}
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
            for row in reader:
                line = reader.line_num  # the file's line (a record may span lines)
                try:
                    if _unreported(row):
                        continue
                    task_id, actual = _actual(row, line, path, known, calendar, status_day)
                    if task_id in actuals:
                        first = lines[task_id]
                        raise InputError(
                            [
                                Problem(
                                    str(path),
                                    f"line {line}, task_id",
                                    f"task '{task_id}' is listed twice (first on line {first})",
                                )
                            ]
                        )
                    actuals[task_id], lines[task_id] = actual, line
                except InputError as error:
                    problems += error.problems
    except csv.Error as error:  # a field over csv.field_size_limit(), a NUL byte
        raise InputError(
            [Problem(str(path), "", f"not a CSV file modsched reads: {error}")]
        ) from None
    if problems:
        raise InputError(problems)
    return actuals, lines


def _unreported(row: dict) -> bool:
    """A row of a status template left as it was: no actual date, no remaining days."""
    return not any(
        (row.get(c) or "").strip() for c in ("actual_start", "actual_finish", "remaining_days")
    )


def _actual(
    row: dict, line: int, path: Path, known: set[str], calendar: Calendar, status_day: int
) -> tuple[str, Actual | None]:
    """One row, by the rules of DESIGN.md (Replanning): every date between the program
    start and the status date, whole remaining days within the loader's bound on a
    duration. Dates are compared before they become working days, so that a far date
    costs nothing."""

    def bad(column: str, message: str) -> InputError:
        return InputError([Problem(str(path), f"line {line}, {column}", message)])

    task_id = unsafe_cell((row.get("task_id") or "").strip())
    if task_id not in known:
        raise bad("task_id", f"unknown task '{task_id}'")
    if (row.get("actual_start") or "").strip().lower() == NOT_STARTED:
        for column in ("actual_finish", "remaining_days"):
            if (row.get(column) or "").strip():
                raise bad(column, f"task '{task_id}' is reported not started: leave {column} empty")
        return task_id, None
    start = _parse_date(row.get("actual_start"), bad, "actual_start")
    finish = _parse_date(row.get("actual_finish"), bad, "actual_finish")
    if start is None:
        raise bad("actual_start", f"task '{task_id}' has no actual_start")
    status = calendar.date_of(status_day)  # the status date, or the workday after it
    if start < calendar.start:
        raise bad(
            "actual_start",
            f"task '{task_id}' starts {start}, before the program start {calendar.start}",
        )
    if start > status:
        raise bad("actual_start", f"task '{task_id}' starts {start}, after the status date")
    end_day = None
    if finish is not None:
        if finish < start:
            raise bad(
                "actual_finish", f"task '{task_id}' finishes {finish} before it starts {start}"
            )
        # the day after the last workday on or before the finish (a Saturday finish ends
        # with Friday's work; day_of alone would round it up to Monday)
        if finish <= status:
            end_day = calendar.day_of(finish) + int(calendar.is_workday(finish))
        if end_day is None or end_day > status_day:
            raise bad("actual_finish", f"task '{task_id}' finishes {finish}, after the status date")
    remaining = _remaining(row, bad, task_id, end_day)
    return task_id, Actual(calendar.day_of(start), end_day, remaining, line)


def _remaining(
    row: dict, bad: Callable[[str, str], InputError], task_id: str, end_day: int | None
) -> int | None:
    """``remaining_days``: empty, or ASCII digits (``str.isdigit`` takes '²') from 1 to
    MAX_DAYS, as a duration is bounded; 0 only for a task that has finished."""
    text = (row.get("remaining_days") or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]+", text):
        raise bad("remaining_days", f"remaining_days '{text}' is not a whole number of days")
    if len(text) > 6 or int(text) > MAX_DAYS:
        raise bad(
            "remaining_days",
            f"remaining_days {text} is more than {MAX_DAYS} working days, the longest a "
            "task may last",
        )
    remaining = int(text)
    if end_day is None and remaining == 0:  # it must end after the day
        raise bad(
            "remaining_days",
            f"task '{task_id}' is in progress with remaining_days 0: give its "
            "actual_finish, or 1 day or more",
        )
    return remaining


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
    instance: Instance,
    baseline: Baseline,
    actuals: dict[str, Actual],
    status_day: int,
    report: Report,
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
    for i, task in enumerate(instance.tasks):
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
                    calendar=-1,  # its days are facts now: every one of them counts
                    fixed_start=actual.start,
                    resources={},
                    power_kw=0,
                    release=0,
                    deadline=None,
                )
            )
            statuses.append(TaskStatus.DONE)
        else:
            end = _in_progress_end(instance, i, baseline, actual, status_day)
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
                    calendar=-1,  # its end is known: the days from its start to it
                    fixed_start=actual.start,
                    fixed_crews=crews,
                    release=0,
                    deadline=None,
                )
            )
            statuses.append(TaskStatus.IN_PROGRESS)
    pinned = replace(instance, tasks=tuple(tasks))
    check_started_order(pinned, statuses, report)
    return pinned, statuses


def _free(kept: dict[str, list[tuple[int, int]]], crews: Sequence[str], a: int, b: int) -> bool:
    """No crew of ``crews`` already keeps a done task on a day of ``[a, b)``."""
    return all(not (s < b and a < e) for crew in crews for s, e in kept[crew])


def _in_progress_end(
    instance: Instance, i: int, baseline: Baseline, actual: Actual, status_day: int
) -> int:
    """Without remaining days reported, the baseline's start plus the task's duration
    (so what a scenario changed in the duration moves it: a delay announced while it
    runs lengthens it); remaining days and durations count the task's calendar."""
    task = instance.tasks[i]
    calendar = instance.calendar_of(i)

    def after(start: int, days: int) -> int:
        return start + days if calendar is None else calendar.end(start, days)

    if actual.remaining is not None:
        return after(status_day, actual.remaining)
    start = baseline.starts.get(task.id, actual.start)
    return max(after(start, task.duration), status_day + 1)


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


def check_started_order(instance: Instance, statuses: list[TaskStatus], report: Report) -> None:
    """A task that started (done or in progress) cannot precede, against a link, a task
    that started later or has not started. A problem names the file and place of the
    later task's state; when the earlier one's comes from the other source (listed in
    the status update, or not listed and taken from the baseline), that one too."""

    def problem(b: Task, message: str, a: Task) -> Problem:
        file, where = report.place(b.id)
        place = f"{where}, task '{b.id}'" if where else f"task '{b.id}'"
        return Problem(file, place, report.contradiction(message, a.id, b.id))

    problems = []
    for link in instance.links:
        a, b = instance.tasks[link.pred], instance.tasks[link.succ]
        if statuses[link.succ] == TaskStatus.PLANNED or b.fixed_start is None:
            continue
        if statuses[link.pred] == TaskStatus.PLANNED:
            if link.type in (LinkType.FS, LinkType.SS) and link.lag >= 0:
                problems.append(problem(b, f"started before its predecessor '{a.id}' started", a))
            continue
        broken = broken_link(link, a, b)
        if broken:
            problems.append(problem(b, broken, a))
    if problems:
        raise InputError(problems)


# --------------------------------------------------------------- the status template

LOOKAHEAD_DAYS = 14  # a site reports on what has begun, and on what starts in two weeks
TEMPLATE_COLUMNS = (
    "task_id",
    "actual_start",
    "actual_finish",
    "remaining_days",
    "planned_start",
    "planned_finish",
    "site",
    "module_id",
    "task_name",
    "crews",
)


def status_template(
    baseline_path: str | Path, status_date: date, lookahead_days: int = LOOKAHEAD_DAYS
) -> pd.DataFrame:
    """The rows a site fills in: every task of the baseline planned to start by the
    status date plus ``lookahead_days`` calendar days, in order of planned start, with
    its planned dates, site, module, name and crews, the actual columns empty (a task a
    replanned baseline has as done was reported before and is left out). A row left
    empty reports nothing (the task is taken as the baseline has it)."""
    path = Path(baseline_path)
    try:
        saved = read_schedule_json(path)
    except ScheduleFileError as error:
        raise InputError([Problem(str(path), "", error.reason)]) from None
    horizon = status_date + timedelta(days=lookahead_days)
    rows = sorted(
        (t for t in saved.tasks if t.start < horizon and t.status != TaskStatus.DONE),
        key=lambda t: (t.start, t.task_id),
    )
    return pd.DataFrame(
        [
            (
                t.task_id,
                "",
                "",
                "",
                t.start.isoformat(),
                t.finish.isoformat(),
                t.site,
                t.module_id,
                t.task_name,
                crews_text(t.crews),
            )
            for t in rows
        ],
        columns=list(TEMPLATE_COLUMNS),
    )
