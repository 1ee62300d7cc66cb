"""Replan from a status date: keep what happened, meet the objective, move little.

`replan(project, baseline, actuals, scenario, status_date)` pins done and in-progress
tasks, applies the scenario, warm-starts CP-SAT from the baseline repaired to the new
facts, and returns the new plan with what moved (`changes`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from scheduler.domain.calendar import Calendar
from scheduler.domain.load import MAX_YEARS, Plan
from scheduler.errors import InputError, Problem
from scheduler.expand import with_horizon
from scheduler.instance import Instance, Solution, Task
from scheduler.io import write_frame
from scheduler.pipeline import finishing_seconds, load_instance, make_schedule
from scheduler.replanning.scenario import apply_scenario, load_scenario
from scheduler.replanning.status import (
    Actual,
    Baseline,
    Report,
    TaskStatus,
    Unlisted,
    pin_status,
    progress,
    read_actuals,
    read_baseline,
)
from scheduler.schedule import MilestoneRow, Schedule, TaskRow, skills_of, uses_of
from scheduler.solvers.budget import Budget, Progress, SolveOptions
from scheduler.solvers.greedy import greedy
from scheduler.solvers.result import Result
from scheduler.solving import Stability, solve_plan
from scheduler.validate import validate

CHANGE_COLUMNS = ["task_id", "baseline_start", "new_start", "shift_days", "crews_changed"]


class Prepared(NamedTuple):
    plan: Plan
    instance: Instance  # scenario applied, status pinned
    statuses: list[TaskStatus]
    baseline: Baseline
    scenario: str
    unpinned: Instance  # scenario applied, before pinning
    status_day: int


@dataclass
class Replanned:
    """A replan's answer: the new schedule, its problem, and what moved."""

    plan: Plan
    instance: Instance
    statuses: list[TaskStatus]
    baseline: Baseline
    result: Result
    schedule: Schedule
    changes: pd.DataFrame
    scenario: str


def prepare(
    project: str | Path,
    baseline_path: str | Path,
    actuals: str | Path | None = None,
    scenario: str | Path | None = None,
    status_date: date | None = None,
    unlisted: Unlisted | str = Unlisted.AS_PLANNED,
) -> Prepared:
    """The replanning problem: scenario applied, the past pinned, the rest released at D."""
    plan, instance, _ = load_instance(project)
    baseline = read_baseline(baseline_path)
    check_baseline_fits(baseline, instance, Path(baseline_path), plan.calendar)
    calendar = plan.calendar
    name = "replan"
    if scenario is not None:
        spec, document = load_scenario(scenario)
        instance = apply_scenario(instance, spec, document, calendar)
        name, status_date = spec.name, status_date or spec.status_date
    if status_date is None:
        raise InputError(
            [
                Problem(
                    "command line",
                    "--status-date",
                    "no status date: give --status-date or status_date in the scenario",
                )
            ]
        )
    if status_date < calendar.start:
        raise InputError(
            [
                Problem(
                    "command line",
                    "--status-date",
                    f"status date {status_date} is before the program start {calendar.start}",
                )
            ]
        )
    latest = calendar.start + timedelta(days=round(365.25 * MAX_YEARS))
    if status_date > latest:  # as the loader bounds every date of a project
        raise InputError(
            [
                Problem(
                    "command line",
                    "--status-date",
                    f"status date {status_date} is more than {MAX_YEARS} years after the "
                    f"program start {calendar.start}",
                )
            ]
        )
    day = calendar.day_of(status_date)
    report = Report(str(baseline_path), baseline)
    reported: dict[str, Actual | None] = {}
    if actuals is not None:
        reported, lines = read_actuals(actuals, instance, calendar, day)
        report = Report(str(baseline_path), baseline, str(actuals), lines, Unlisted(unlisted))
    happened = progress(baseline, instance, day, reported, report.unlisted)
    pinned, statuses = pin_status(instance, baseline, happened, day, report)
    return Prepared(plan, with_horizon(pinned), statuses, baseline, name, instance, day)


def check_baseline_fits(
    baseline: Baseline, instance: Instance, path: Path, calendar: Calendar
) -> None:
    """The baseline is a plan of this project: made for the same program start and
    calendar (its days count from the one in the working days of the other), the same
    tasks, each once, with days inside the plan's horizon."""
    problems = []
    start = calendar.start
    if baseline.program_start != start.isoformat():
        problems.append(
            f"baseline was made for a program starting {baseline.program_start}, the "
            f"project starts {start}: replan from a baseline of this start"
        )
    problems += [f"task '{task_id}' is listed twice" for task_id in baseline.twice]
    ids = {t.id for t in instance.tasks}
    missing = sorted(ids - set(baseline.starts))
    extra = sorted(set(baseline.starts) - ids)
    if missing or extra:
        sample = (missing or extra)[0]
        what = "lacks task" if missing else "has unknown task"
        problems.append(
            f"baseline does not belong to this project: it {what} '{sample}' "
            f"({len(missing)} missing, {len(extra)} unknown)"
        )
    for task_id, first in baseline.starts.items():
        end = baseline.ends[task_id]
        if not 0 <= first <= end <= instance.horizon:
            problems.append(
                f"task '{task_id}': start_day {first} and end_day {end} are not days "
                f"0 <= start <= end <= {instance.horizon} of this project"
            )
            break  # one is enough to say the file is not this project's plan
    else:
        moved = next(
            (
                (task_id, day)
                for task_id, day in baseline.dates.items()
                if calendar.date_of(baseline.starts[task_id]) != day
            ),
            None,
        )
        if moved and not problems:
            task_id, day = moved
            first = baseline.starts[task_id]
            problems.append(
                f"baseline was made with another calendar: task '{task_id}' starts on day "
                f"{first}, {day} in the baseline but {calendar.date_of(first)} in this "
                "project's working days (a holiday or workday changed since?); replan from "
                "a baseline of this calendar"
            )
    found = [Problem(str(path), "tasks", p) for p in problems]
    if not found:
        found = baseline_crew_problems(baseline, instance, path)
    if found:
        raise InputError(found)


CREW_RULES = ("crew-unknown", "crew-count", "crew-skill", "crew-site")


def baseline_crew_problems(baseline: Baseline, instance: Instance, path: Path) -> list[Problem]:
    """Each task's crews in the baseline are crews of this project that can do it: the
    validator's rules on one task's crews (done tasks show them, tasks in progress keep
    them). Days, power and capacities are left out: the project may have changed since."""
    bare = replace(
        instance,
        tasks=tuple(
            replace(t, resources={}, power_kw=0, energise_kw=0, release=0, deadline=None)
            for t in instance.tasks
        ),
        links=(),
        supplies=(),
        resources=(),
        milestones=(),
    )
    solution = Solution(
        [baseline.starts[t.id] for t in instance.tasks],
        [baseline.crews[t.id] for t in instance.tasks],
    )
    first: dict[str, str] = {}  # one problem a task: an unknown crew also leaves a need uncovered
    for v in validate(bare, solution):
        if v.rule in CREW_RULES and v.task_id is not None:
            first.setdefault(v.task_id, v.message)
    return [
        Problem(str(path), f"tasks[{baseline.places[task_id]}].crews", message)
        for task_id, message in first.items()
    ]


def repaired_baseline(instance: Instance, baseline: Baseline) -> Solution | None:
    """The baseline pushed right only where the new facts force it: every planned task
    at its earliest feasible start on or after its baseline start, with its baseline's
    crews where they are free."""
    tasks = [
        task
        if task.fixed_start is not None
        else replace(task, release=max(task.release, baseline.starts.get(task.id, 0)))
        for task in instance.tasks
    ]
    crews = [baseline.crews.get(task.id, ()) for task in instance.tasks]
    return greedy(replace(instance, tasks=tuple(tasks)), "est", prefer=crews)


def replan(
    project: str | Path,
    baseline_path: str | Path,
    actuals: str | Path | None = None,
    *,
    status_date: date | None = None,
    scenario: str | Path | None = None,
    options: SolveOptions | None = None,
    on_progress: Progress | None = None,
    stop: threading.Event | None = None,
    unlisted: Unlisted | str = Unlisted.AS_PLANNED,
    started: float | None = None,
) -> Replanned:
    """The new plan from a status date, as stable as the objective allows, all within
    ``options.time_limit`` from ``started`` (the command's start) or from the call, with
    `finishing_seconds` kept for making and writing the schedule."""
    options = options or SolveOptions()
    budget = Budget.of(options, stop, on_progress, started)
    plan, instance, statuses, baseline, name, unpinned, day = prepare(
        project, baseline_path, actuals, scenario, status_date, unlisted
    )
    budget.after = finishing_seconds(instance.num_tasks)
    old = Solution(
        [baseline.starts[t.id] for t in instance.tasks],
        [baseline.crews.get(t.id, ()) for t in instance.tasks],
    )
    solved = solve_plan(
        instance,
        options,
        budget,
        warm_start=repaired_baseline(instance, baseline),
        stability=Stability(old, max(baseline.ends.values())),
        day_text=plan.calendar.iso_of,
    )
    instance, result = solved.instance, solved.result
    assert result.solution is not None
    schedule = make_schedule(plan, instance, result, day)
    changes = change_table(instance, result.solution, baseline, plan)
    schedule = with_status(
        schedule, statuses, unpinned, baseline, changes, plan.calendar.date_of(day)
    )
    return Replanned(plan, instance, statuses, baseline, result, schedule, changes, name)


def with_status(
    schedule: Schedule,
    statuses: list[TaskStatus],
    instance: Instance,
    baseline: Baseline,
    changes: pd.DataFrame,
    status_date: date,
) -> Schedule:
    """The schedule with each task's status and baseline days; done tasks show the crews,
    needs, resources and power draw they had (the replanning problem leaves them out of
    every capacity); the KPIs gain what moved and the status date (the Gantt's line)."""
    scales = {r.id: r.scale for r in instance.resources}
    calendar = schedule.calendar

    def row(was: TaskRow, task: Task, status: TaskStatus) -> TaskRow:
        first, last = baseline.starts[task.id], baseline.ends[task.id]
        now = replace(
            was,
            status=str(status),
            baseline_start_day=first,
            baseline_end_day=last,
            baseline_start=calendar.date_of(first),
            baseline_finish=calendar.finish_date(last, last - first),
        )
        if status != TaskStatus.DONE:
            return now
        return replace(
            now,
            crews=baseline.crews.get(task.id, ()),
            skills=skills_of(task),
            resources=uses_of(task, scales),
            power_mw=task.power_kw / 1000,
        )

    tasks = tuple(map(row, schedule.tasks, instance.tasks, statuses))
    milestones = baseline_variance(schedule, instance, baseline)
    finish_end = max(baseline.ends.values(), default=0)
    kpis = replace(
        schedule.kpis,
        milestones={
            m.milestone_id: replace(
                schedule.kpis.milestones[m.milestone_id],
                baseline=m.baseline,
                variance_days=m.variance_days,
            )
            for m in milestones
        },
        moved_tasks=int((changes.shift_days != 0).sum()) if len(changes) else 0,
        crew_changes=int(changes.crews_changed.sum()) if len(changes) else 0,
        status_date=status_date,
        baseline_finish=schedule.calendar.date_of(max(finish_end - 1, 0)),
        finish_variance_days=schedule.kpis.makespan_days - finish_end,
    )
    return replace(schedule, tasks=tasks, milestones=milestones, kpis=kpis)


def baseline_variance(
    schedule: Schedule, instance: Instance, baseline: Baseline
) -> tuple[MilestoneRow, ...]:
    """Each milestone with the baseline's date (its tasks' last day worked in the
    baseline) and the variance: working days later (+) or earlier (-) than that."""
    calendar = schedule.calendar
    rows = []
    for m, row in zip(instance.milestones, schedule.milestones, strict=True):
        ends = [baseline.ends[instance.tasks[i].id] for i in m.tasks]
        if not ends or row.day is None:
            rows.append(row)
            continue
        day = max(ends) - 1
        rows.append(replace(row, baseline=calendar.date_of(day), variance_days=row.day - day))
    return tuple(rows)


def change_table(
    instance: Instance, solution: Solution, baseline: Baseline, plan: Plan
) -> pd.DataFrame:
    """Tasks whose start or crews differ from the baseline."""
    rows = []
    calendar = plan.calendar
    for task, start, crews in zip(instance.tasks, solution.starts, solution.crews, strict=True):
        was = baseline.starts[task.id]
        crews_changed = task.fixed_start is None and sorted(crews) != sorted(
            baseline.crews.get(task.id, ())
        )
        if start != was or crews_changed:
            rows.append(
                [
                    task.id,
                    calendar.date_of(was).isoformat(),
                    calendar.date_of(start).isoformat(),
                    start - was,
                    int(crews_changed),
                ]
            )
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def write_changes(changes: pd.DataFrame, path: Path) -> None:
    write_frame(changes, path)
