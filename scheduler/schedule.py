"""A solved plan in the planner's terms: dates, names, KPIs.

`Schedule` is what every output (csv, json, Gantt, report) is written from. Its tables:

- ``tasks``: one row a task, columns ``TASK_COLUMNS`` (the schedule.csv contract of
  DESIGN.md) then ``EXTRA_COLUMNS``; ``crews`` is the ``;``-joined crew ids.
- ``milestones``: one row a milestone, columns ``MILESTONE_COLUMNS`` (``deployments``: the
  ``;``-joined deployments it comes after).
- ``supplies``: one row a power supply, columns ``SUPPLY_COLUMNS``.
- ``pools``: one row a crew pool, columns ``POOL_COLUMNS``; ``available`` holds the
  windows in which another number of crews is available, ``start-end:count;...`` in
  working days (end excluded; the first window that covers a day holds, as in
  `CrewPool.available_on`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from scheduler.domain.calendar import Calendar
from scheduler.instance import Instance, Milestone, Solution, Supply, Task, objective_terms

TASK_COLUMNS = [
    "task_id",
    "module_id",
    "deployment",
    "module_type",
    "task",
    "site",
    "start_day",
    "end_day",
    "start",
    "finish",
    "duration",
    "crews",
    "power_mw",
]
# phase: design|procurement|factory|fat|transport|site|commissioning (for colours);
# gate: none|any|temporary|permanent; energise_mw: load that stays from the task's start;
# skills: "skill:n;skill:n" as the task needs them; resources: "id:amount;..."
EXTRA_COLUMNS = ["phase", "gate", "energise_mw", "skills", "resources", "task_name"]
MILESTONE_COLUMNS = [
    "milestone_id",
    "day",
    "date",
    "target_day",
    "target",
    "late_days",
    "deadline_day",
    "deadline",
    "weight",
    "deployments",
]
SUPPLY_COLUMNS = ["site", "name", "kind", "mw", "from_day", "until_day", "from", "until"]
POOL_COLUMNS = ["pool", "skills", "count", "sites", "available"]


@dataclass
class Schedule:
    """A validated plan with its dates. ``day_to_date(d)`` gives the date of working day d."""

    project: str
    program_start: date
    workdays: list[int]  # weekday numbers (mon=0) that are worked
    holidays: list[date]
    tasks: pd.DataFrame
    milestones: pd.DataFrame
    supplies: pd.DataFrame
    pools: pd.DataFrame
    solver: dict[str, Any] = field(default_factory=dict)
    kpis: dict[str, Any] = field(default_factory=dict)


GATE_NAMES = {0: "none", 1: "any", 2: "temporary", 3: "permanent"}
KIND_NAMES = {1: "backfeed", 2: "temporary", 3: "permanent"}


def build_schedule(
    project: str,
    calendar: Calendar,
    instance: Instance,
    solution: Solution,
    solver: dict[str, Any],
) -> Schedule:
    """Dates, names and KPIs of a plan; the solution must have passed the validator."""
    scales = {r.id: r.scale for r in instance.resources}
    tasks = pd.DataFrame(
        [
            _task_row(calendar, t, s, c, scales)
            for t, s, c in zip(instance.tasks, solution.starts, solution.crews, strict=True)
        ],
        columns=TASK_COLUMNS + EXTRA_COLUMNS,
    )
    milestones = pd.DataFrame(
        [_milestone_row(calendar, m, solution.starts, instance) for m in instance.milestones],
        columns=MILESTONE_COLUMNS,
    )
    supplies = pd.DataFrame(
        [_supply_row(calendar, s) for s in instance.supplies], columns=SUPPLY_COLUMNS
    )
    pools = pd.DataFrame(
        [
            [
                p.id,
                ";".join(sorted(p.skills)),
                p.count,
                ";".join(sorted(p.sites)) if p.sites is not None else "",
                ";".join(f"{w.start}-{w.end}:{w.value}" for w in p.windows),
            ]
            for p in instance.pools
        ],
        columns=POOL_COLUMNS,
    )
    schedule = Schedule(
        project,
        calendar.start,
        sorted(calendar.workdays),
        sorted(calendar.holidays),
        tasks,
        milestones,
        supplies,
        pools,
        dict(solver),
    )
    schedule.kpis = compute_kpis(schedule, calendar, instance, solution)
    return schedule


def _task_row(
    calendar: Calendar, task: Task, start: int, crews: tuple[str, ...], scales: dict[str, int]
) -> list:
    end = start + task.duration
    return [
        task.id,
        task.module,
        task.deployment,
        task.module_type,
        task.id.rsplit("/", 1)[-1],  # the catalog task's id, as task_id ends
        task.site or "",
        start,
        end,
        calendar.date_of(start).isoformat(),
        calendar.finish_date(end, task.duration).isoformat(),
        task.duration,
        ";".join(crews),
        task.power_kw / 1000,
        task.phase,
        GATE_NAMES[int(task.gate)],
        task.energise_kw / 1000,
        skills_text(task),
        uses_text(task, scales),
        task.name,  # the catalog's display name (its id when it gives none)
    ]


def crews_available(count: int, available: object, days: int) -> np.ndarray:
    """Crews of a pool available on each working day ``0 .. days - 1``: ``count`` but
    where a window of the ``available`` column says otherwise (absences, a scenario's
    shortage)."""
    found = np.full(max(days, 0), count, dtype=int)
    covered = np.zeros(len(found), dtype=bool)
    text = available if isinstance(available, str) else ""
    for part in filter(None, text.split(";")):
        span, value = part.split(":")
        first, end = (min(max(int(x), 0), len(found)) for x in span.split("-"))
        free = np.flatnonzero(~covered[first:end]) + first
        found[free], covered[free] = int(value), True
    return found


def skills_text(task: Task) -> str:
    """The ``skills`` column: "skill:n;..." as the task needs them."""
    return ";".join(f"{k}:{v}" for k, v in task.skills.items())


def uses_text(task: Task, scales: dict[str, int]) -> str:
    """The ``resources`` column: "id:amount;..." in the project's units (a load bank of
    1.5 MW reads 1.5, not the model's 1500 thousandths)."""
    return ";".join(f"{k}:{v / scales.get(k, 1):g}" for k, v in task.resources.items())


def _milestone_row(
    calendar: Calendar, milestone: Milestone, starts: list[int], instance: Instance
) -> list:
    ends = [starts[i] + instance.tasks[i].duration for i in milestone.tasks]
    day = max(ends) - 1 if ends else None
    late = max(0, day - milestone.target) if day is not None and milestone.target is not None else 0

    def iso(d: int | None) -> str:
        return calendar.date_of(d).isoformat() if d is not None else ""

    deployments = dict.fromkeys(d for i in milestone.tasks if (d := instance.tasks[i].deployment))
    return [
        milestone.id,
        day,
        iso(day),
        milestone.target,
        iso(milestone.target),
        late,
        milestone.deadline,
        iso(milestone.deadline),
        milestone.weight,
        ";".join(deployments),
    ]


def _supply_row(calendar: Calendar, supply: Supply) -> list:
    until = calendar.date_of(supply.end).isoformat() if supply.end is not None else ""
    return [
        supply.site,
        supply.name,
        KIND_NAMES[int(supply.kind)],
        supply.kw / 1000,
        supply.start,
        supply.end,
        calendar.date_of(supply.start).isoformat(),
        until,
    ]


def compute_kpis(
    schedule: Schedule, calendar: Calendar, instance: Instance, solution: Solution
) -> dict[str, Any]:
    tardiness, makespan = objective_terms(instance, solution.starts)
    milestones = {
        row.milestone_id: {
            "date": row.date,
            "target": row.target or None,
            "late_days": int(row.late_days),
        }
        for row in schedule.milestones.itertuples()
    }
    finish = calendar.date_of(makespan - 1).isoformat() if makespan > 0 else calendar.start
    late_days = sum(m["late_days"] for m in milestones.values())
    return {
        "makespan_days": makespan,
        "finish": str(finish),
        "tardiness_days": late_days,
        "weighted_tardiness": tardiness,
        "milestones": milestones,
    }
