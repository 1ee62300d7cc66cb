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

from scheduler.domain.load import MAX_YEARS, Plan
from scheduler.errors import InputError, Problem
from scheduler.expand import with_horizon
from scheduler.instance import Instance, Solution, Task
from scheduler.io import write_frame
from scheduler.pipeline import load_instance, make_schedule
from scheduler.replanning.scenario import apply_scenario, load_scenario
from scheduler.replanning.status import (
    Baseline,
    TaskStatus,
    as_planned,
    pin_status,
    read_actuals,
    read_baseline,
)
from scheduler.schedule import Schedule, TaskRow, skills_of, uses_of
from scheduler.solvers.budget import Budget, Progress, SolveOptions
from scheduler.solvers.greedy import greedy
from scheduler.solvers.result import Result
from scheduler.solving import Stability, solve_plan

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
) -> Prepared:
    """The replanning problem: scenario applied, the past pinned, the rest released at D."""
    plan, instance, _ = load_instance(project)
    baseline = read_baseline(baseline_path)
    check_baseline_fits(baseline, instance, Path(baseline_path), plan.calendar.start)
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
    happened = (
        read_actuals(actuals, instance, calendar, day)
        if actuals is not None
        else as_planned(baseline, instance, day)
    )
    pinned, statuses = pin_status(instance, baseline, happened, day)
    return Prepared(plan, with_horizon(pinned), statuses, baseline, name, instance, day)


def check_baseline_fits(baseline: Baseline, instance: Instance, path: Path, start: date) -> None:
    """The baseline is a plan of this project: made for the same program start (its days
    count from it), the same tasks, each once, with days inside the plan's horizon."""
    problems = []
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
    if problems:
        raise InputError([Problem(str(path), "tasks", p) for p in problems])


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
) -> Replanned:
    """The new plan from a status date, as stable as the objective allows, all within
    ``options.time_limit`` from the call."""
    options = options or SolveOptions()
    budget = Budget.of(options, stop, on_progress)
    plan, instance, statuses, baseline, name, unpinned, day = prepare(
        project, baseline_path, actuals, scenario, status_date
    )
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
    schedule = make_schedule(plan, instance, result)
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

    def row(was: TaskRow, task: Task, status: TaskStatus) -> TaskRow:
        now = replace(
            was,
            status=str(status),
            baseline_start_day=baseline.starts[task.id],
            baseline_end_day=baseline.ends[task.id],
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
    kpis = replace(
        schedule.kpis,
        moved_tasks=int((changes.shift_days != 0).sum()) if len(changes) else 0,
        crew_changes=int(changes.crews_changed.sum()) if len(changes) else 0,
        status_date=status_date,
    )
    return replace(schedule, tasks=tasks, kpis=kpis)


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
