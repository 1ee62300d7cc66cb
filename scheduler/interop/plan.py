"""What an export writes from: a Schedule and the project's logic.

schedule.json holds dates, crews and KPIs but not the links between tasks, the calendars
(the program's, and each site's or factory's own, DESIGN.md, Time), which calendar each
task works by, the pools or the supplies: those come from the project (DESIGN.md,
Exports).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scheduler.domain.calendar import Calendar
from scheduler.domain.load import Plan
from scheduler.errors import InputError, Problem
from scheduler.expand import PROGRAM, TaskCalendars
from scheduler.instance import Instance, Solution
from scheduler.io import ScheduleFileError, read_schedule_json
from scheduler.schedule import Schedule, TaskRow, build_schedule


@dataclass(frozen=True)
class LinkRow:
    """A precedence link between two tasks, by id; ``lag`` in working days."""

    pred: str
    succ: str
    type: str  # FS|SS|FF|SF
    lag: int


@dataclass(frozen=True)
class ExportPlan:
    """A plan with its logic: every task of ``schedule``, every link between them, the
    calendars (``program`` first, then each own calendar by ``site:ID`` / ``factory:ID``,
    and those narrowed by a crew pool's, ``site:ID+crew:ID``)
    and the key of the calendar each task works by (DESIGN.md, Time; a task that works
    no day keeps the program's)."""

    schedule: Schedule
    links: tuple[LinkRow, ...]
    calendars: Mapping[str, Calendar]
    task_calendars: Mapping[str, str]

    def calendar_of(self, task_id: str) -> str:
        """The key of the calendar task ``task_id`` works by."""
        return self.task_calendars.get(task_id, PROGRAM)

    def predecessors(self) -> dict[str, list[LinkRow]]:
        """Each task's incoming links, in the project's order."""
        found: dict[str, list[LinkRow]] = {}
        for link in self.links:
            found.setdefault(link.succ, []).append(link)
        return found


def links_of(instance: Instance) -> tuple[LinkRow, ...]:
    ids = [t.id for t in instance.tasks]
    return tuple(LinkRow(ids[k.pred], ids[k.succ], str(k.type), k.lag) for k in instance.links)


def calendars_of(project: Plan, instance: Instance) -> tuple[dict[str, Calendar], dict[str, str]]:
    """The project's calendars by key and each task's key, as `expand` ties them."""
    works_by = TaskCalendars(project)
    tasks = {t.id: works_by.key(t) if t.duration > 0 else PROGRAM for t in instance.tasks}
    known = works_by.known
    return {PROGRAM: known[PROGRAM], **{k: c for k, c in known.items() if k != PROGRAM}}, tasks


def export_plan(schedule: Schedule, project: Plan, instance: Instance) -> ExportPlan:
    """The plan a run just made (``schedule`` built from ``instance``, of ``project``)."""
    return ExportPlan(schedule, links_of(instance), *calendars_of(project, instance))


def read_export_plan(project: str | Path, schedule_json: str | Path) -> ExportPlan:
    """A schedule.json written for ``project``, with the project's logic. Its task rows
    (dates, crews, a replan's status and baseline) are taken as written; the project
    gives the links, calendar, pools, supplies and milestones. A file that does not list
    exactly the project's tasks is refused (exit 2)."""
    from scheduler.pipeline import load_instance

    plan, instance, _ = load_instance(project)
    path = Path(schedule_json)
    try:
        saved = read_schedule_json(path)
    except ScheduleFileError as error:
        raise InputError([Problem(str(path), "", error.reason)]) from None
    rows = {t.task_id: t for t in saved.tasks}
    _check_same_tasks(path, Path(project), instance, saved.tasks)
    solution = Solution(
        [rows[t.id].start_day for t in instance.tasks],
        [rows[t.id].crews for t in instance.tasks],
    )
    built = build_schedule(saved.project, plan.calendar, instance, solution, saved.solver)
    tasks = tuple(rows[t.id] for t in instance.tasks)
    schedule = dataclasses.replace(built, tasks=tasks, kpis=saved.kpis)
    return ExportPlan(schedule, links_of(instance), *calendars_of(plan, instance))


def _check_same_tasks(
    path: Path, project: Path, instance: Instance, tasks: tuple[TaskRow, ...]
) -> None:
    ids = [t.task_id for t in tasks]
    expected = {t.id for t in instance.tasks}
    problems = []
    counts = Counter(ids)
    twice = [i for i, n in counts.items() if n > 1]
    if twice:
        problems.append(f"task '{twice[0]}' is listed twice")
    missing = [t.id for t in instance.tasks if t.id not in counts]
    unknown = [i for i in ids if i not in expected]
    if missing:
        problems.append(f"task '{missing[0]}' of {project} is missing ({len(missing)} in all)")
    if unknown:
        problems.append(f"task '{unknown[0]}' is not a task of {project} ({len(unknown)} in all)")
    if problems:
        raise InputError(
            [
                Problem(str(path), "tasks", p + "; export the schedule.json made for it")
                for p in problems
            ]
        )
