"""A solved plan in the planner's terms: dates, names, KPIs, as typed rows.

`Schedule` is what every output (csv, json, Gantt, report) is written from. Its rows:

- ``tasks``: one `TaskRow` a task; its fields are the schedule.csv columns of DESIGN.md in
  their order (``TASK_COLUMNS`` then ``EXTRA_COLUMNS``, then, in a replan, the
  ``STATUS_COLUMNS``); ``crews`` is a tuple of crew ids.
- ``milestones``: one `MilestoneRow` a milestone (``deployments``: those it comes after).
- ``supplies``: one `SupplyRow` a power supply.
- ``pools``: one `PoolRow` a crew pool; ``available`` holds the windows in which another
  number of crews is available, in working days (end excluded; the first window that
  covers a day holds, as in `CrewPool.available_on`).
- ``travel``: the project's travel days between sites (`Travel`; none by default), for the
  crew view of gantt.html.

Nothing here reads or writes a file: `scheduler/io.py` does.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from scheduler.domain.calendar import Calendar
from scheduler.explain import Explanation, TaskExplanation, WhyStep, explain
from scheduler.graph import critical_path
from scheduler.instance import (
    Gate,
    Instance,
    Milestone,
    Solution,
    Supply,
    SupplyKind,
    Task,
    Travel,
    objective_terms,
)

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
# a replan's: done|in_progress|planned, and the baseline's days
STATUS_COLUMNS = ["status", "baseline_start_day", "baseline_end_day"]
# float on the resource-feasible plan and what drove each start (scheduler/explain.py):
# late dates (late_start_day = start_day + total_float), floats in working days
EXPLAIN_COLUMNS = [
    "late_start",
    "late_finish",
    "total_float",
    "free_float",
    "critical",
    "driver",
    "driver_kind",
]
# a replan's: the baseline's days as dates
BASELINE_COLUMNS = ["baseline_start", "baseline_finish"]


@dataclass(frozen=True)
class TaskRow:
    """One task of a plan: a row of schedule.csv."""

    task_id: str
    module_id: str
    deployment: str
    module_type: str
    task: str  # the catalog task's id, as task_id ends
    site: str
    start_day: int
    end_day: int  # exclusive
    start: dt.date
    finish: dt.date  # the last day worked
    duration: int
    crews: tuple[str, ...]
    power_mw: float
    phase: str
    gate: str
    energise_mw: float
    skills: tuple[tuple[str, int], ...]  # (skill, crews at once)
    resources: tuple[tuple[str, float], ...]  # (resource, amount in the project's units)
    task_name: str  # the catalog's display name (its id when it gives none)
    status: str | None = None  # a replan's: done|in_progress|planned
    baseline_start_day: int | None = None
    baseline_end_day: int | None = None
    # the explanation (EXPLAIN_COLUMNS); None in files written before it
    late_start: dt.date | None = None
    late_finish: dt.date | None = None  # the last day worked at the latest
    total_float: int | None = None
    free_float: int | None = None
    critical: bool | None = None
    driver: str = ""
    driver_kind: str = ""
    baseline_start: dt.date | None = None  # a replan's (BASELINE_COLUMNS)
    baseline_finish: dt.date | None = None


@dataclass(frozen=True)
class MilestoneRow:
    milestone_id: str
    day: int | None  # last day worked by its tasks; None when it has none
    date: dt.date | None
    target_day: int | None
    target: dt.date | None
    late_days: int
    deadline_day: int | None
    deadline: dt.date | None
    weight: int
    deployments: tuple[str, ...]  # the deployments it comes after
    why: tuple[WhyStep, ...] = ()  # a late milestone's driving chain, its last task first
    baseline: dt.date | None = None  # a replan's: the baseline's date of the milestone
    variance_days: int | None = None  # working days later (+) or earlier (-) than baseline


@dataclass(frozen=True)
class SupplyRow:
    site: str
    name: str
    kind: str  # backfeed|temporary|permanent
    mw: float
    from_day: int
    until_day: int | None  # exclusive; None: open end
    from_date: dt.date
    until_date: dt.date | None


@dataclass(frozen=True)
class PoolWindow:
    """``count`` crews available on working days ``[start, end)``."""

    start: int
    end: int
    count: int


@dataclass(frozen=True)
class PoolRow:
    pool: str
    skills: tuple[str, ...]
    count: int
    sites: tuple[str, ...] | None  # None: every site
    available: tuple[PoolWindow, ...] = ()


@dataclass(frozen=True)
class SolverInfo:
    """How the plan was found: ``name`` is the engine ("cp-sat" or "greedy"), ``method``
    how it ran, ``status`` and ``interrupted`` how it ended, then its figures and
    settings (schedule.json writes them in DESIGN's order, `io.solver_json`)."""

    name: str
    method: str
    status: str
    interrupted: bool = False
    objective: int | None = None
    bound: int | None = None
    seconds: float = 0.0
    gap: float | None = None
    first_solution_seconds: float | None = None
    workers: int = 1
    seed: int = 0
    # proven minimum of the weighted late days within the search horizon, and
    # (found - bound) / found (0 when both are 0); None when not computed
    tardiness_bound: int | None = None
    tardiness_gap: float | None = None
    # one worker: True when every stage ended on its deterministic limits (the seed gives
    # this plan again), False when the time limit ended one first; None with more workers
    repeatable: bool | None = None


def tardiness_gap(found: int, bound: int | None) -> float | None:
    """``(found - bound) / found``, 0 when both are 0."""
    if bound is None:
        return None
    return 0.0 if found <= 0 else max(0.0, (found - bound) / found)


@dataclass(frozen=True)
class MilestoneKpi:
    date: dt.date | None  # None when the milestone has no task
    target: dt.date | None
    late_days: int
    why: tuple[WhyStep, ...] = ()
    baseline: dt.date | None = None
    variance_days: int | None = None
    late_days_bound: int | None = None  # proven least late days (a milestone with a target)


@dataclass(frozen=True)
class PoolTravel:
    """A travelling pool's named crews: ``moves`` from one site to another (a crew's next
    task at another site) and the ``travel_days`` those moves need (DESIGN.md, Travel)."""

    moves: int
    travel_days: int


@dataclass(frozen=True)
class Kpis:
    makespan_days: int
    finish: dt.date
    tardiness_days: int
    weighted_tardiness: int
    milestones: Mapping[str, MilestoneKpi] = field(default_factory=dict)
    # a replan's: tasks moved and crew changes against the baseline, the status date
    moved_tasks: int | None = None
    crew_changes: int | None = None
    status_date: dt.date | None = None
    # a replan's: the baseline's finish and the variance of the finish in working days
    baseline_finish: dt.date | None = None
    finish_variance_days: int | None = None
    # per travelling pool (only when the project has travel): moves and travel days
    travel: Mapping[str, PoolTravel] = field(default_factory=dict)
    # the finish's floor from the links, releases and power alone (resources ignored)
    critical_path_days: int | None = None


@dataclass(frozen=True)
class Schedule:
    """A validated plan with its dates."""

    project: str
    program_start: dt.date
    workdays: tuple[int, ...]  # weekday numbers (mon=0) that are worked
    holidays: tuple[dt.date, ...]
    tasks: tuple[TaskRow, ...]
    milestones: tuple[MilestoneRow, ...]
    supplies: tuple[SupplyRow, ...]
    pools: tuple[PoolRow, ...]
    solver: SolverInfo
    kpis: Kpis
    # the project's travel days between sites (DESIGN.md, Travel); none by default
    travel: Travel = field(default_factory=Travel)

    @property
    def calendar(self) -> Calendar:
        return Calendar(self.program_start, frozenset(self.workdays), frozenset(self.holidays))

    @property
    def replanned(self) -> bool:
        """Whether the rows carry a replan's status and baseline days."""
        return any(t.baseline_start_day is not None for t in self.tasks)


def build_schedule(
    project: str,
    calendar: Calendar,
    instance: Instance,
    solution: Solution,
    solver: SolverInfo,
    status_day: int | None = None,
    late_bounds: Mapping[str, int] | None = None,
) -> Schedule:
    """Dates, names, KPIs and the explanation (float, drivers, why late) of a plan; the
    solution must have passed the validator. ``status_day``: a replan's status day;
    ``late_bounds``: proven least late days per milestone id."""
    scales = {r.id: r.scale for r in instance.resources}
    explained = explain(instance, solution, calendar.iso_of, status_day)
    tasks = tuple(
        _explained_row(
            calendar,
            _task_row(calendar, t, s, instance.end_of(i, s), c, scales),
            x,
            instance.end_of(i, x.late_start),
        )
        for i, (t, s, c, x) in enumerate(
            zip(instance.tasks, solution.starts, solution.crews, explained.tasks, strict=True)
        )
    )
    milestones = tuple(
        _milestone_row(calendar, m, solution.starts, instance, explained)
        for m in instance.milestones
    )
    supplies = tuple(_supply_row(calendar, s) for s in instance.supplies)
    pools = tuple(
        PoolRow(
            p.id,
            tuple(sorted(p.skills)),
            p.count,
            tuple(sorted(p.sites)) if p.sites is not None else None,
            tuple(PoolWindow(w.start, w.end, w.value) for w in p.windows),
        )
        for p in instance.pools
    )
    return Schedule(
        project,
        calendar.start,
        tuple(sorted(calendar.workdays)),
        tuple(sorted(calendar.holidays)),
        tasks,
        milestones,
        supplies,
        pools,
        solver,
        compute_kpis(milestones, calendar, instance, solution, late_bounds),
        instance.travel,
    )


def _task_row(
    calendar: Calendar,
    task: Task,
    start: int,
    end: int,
    crews: tuple[str, ...],
    scales: dict[str, int],
) -> TaskRow:
    return TaskRow(
        task.id,
        task.module,
        task.deployment,
        task.module_type,
        task.id.rsplit("/", 1)[-1],
        task.site or "",
        start,
        end,
        calendar.date_of(start),
        calendar.finish_date(end, task.duration),
        task.duration,
        tuple(crews),
        task.power_kw / 1000,
        task.phase,
        Gate(task.gate).label,
        task.energise_kw / 1000,
        skills_of(task),
        uses_of(task, scales),
        task.name,
    )


def _explained_row(calendar: Calendar, row: TaskRow, x: TaskExplanation, late_end: int) -> TaskRow:
    return replace(
        row,
        late_start=calendar.date_of(x.late_start),
        late_finish=calendar.finish_date(late_end, row.duration),
        total_float=x.total_float,
        free_float=x.free_float,
        critical=x.critical,
        driver=x.driver,
        driver_kind=x.driver_kind,
    )


def skills_of(task: Task) -> tuple[tuple[str, int], ...]:
    """The ``skills`` column: (skill, crews) as the task needs them."""
    return tuple(task.skills.items())


def uses_of(task: Task, scales: Mapping[str, int]) -> tuple[tuple[str, float], ...]:
    """The ``resources`` column in the project's units (a load bank of 1.5 MW reads 1.5,
    not the model's 1500 thousandths)."""
    return tuple((k, v / scales.get(k, 1)) for k, v in task.resources.items())


def _milestone_row(
    calendar: Calendar,
    milestone: Milestone,
    starts: list[int],
    instance: Instance,
    explained: Explanation,
) -> MilestoneRow:
    ends = [instance.end_of(i, starts[i]) for i in milestone.tasks]
    day = max(ends) - 1 if ends else None
    late = max(0, day - milestone.target) if day is not None and milestone.target is not None else 0

    def on(d: int | None) -> dt.date | None:
        return calendar.date_of(d) if d is not None else None

    deployments = dict.fromkeys(d for i in milestone.tasks if (d := instance.tasks[i].deployment))
    return MilestoneRow(
        milestone.id,
        day,
        on(day),
        milestone.target,
        on(milestone.target),
        late,
        milestone.deadline,
        on(milestone.deadline),
        milestone.weight,
        tuple(deployments),
        explained.why.get(milestone.id, ()),
    )


def _supply_row(calendar: Calendar, supply: Supply) -> SupplyRow:
    return SupplyRow(
        supply.site,
        supply.name,
        SupplyKind(supply.kind).label,
        supply.kw / 1000,
        supply.start,
        supply.end,
        calendar.date_of(supply.start),
        calendar.date_of(supply.end) if supply.end is not None else None,
    )


def compute_kpis(
    milestones: tuple[MilestoneRow, ...],
    calendar: Calendar,
    instance: Instance,
    solution: Solution,
    late_bounds: Mapping[str, int] | None = None,
) -> Kpis:
    tardiness, makespan = objective_terms(instance, solution.starts)
    bounds = late_bounds or {}
    per_milestone = {
        m.milestone_id: MilestoneKpi(
            m.date,
            m.target,
            m.late_days,
            m.why,
            m.baseline,
            m.variance_days,
            bounds.get(m.milestone_id),
        )
        for m in milestones
    }
    finish = calendar.date_of(makespan - 1) if makespan > 0 else calendar.start
    late_days = sum(m.late_days for m in per_milestone.values())
    return Kpis(
        makespan,
        finish,
        late_days,
        tardiness,
        per_milestone,
        travel=travel_kpis(instance, solution),
        critical_path_days=critical_path(instance).length,
    )


def headline(schedule: Schedule) -> tuple[str, str]:
    """What a planner reads first, in words: the weighted late days against their
    proven minimum ("weighted late days 176, proven minimum 176: optimal"), and the
    finish against the critical path ("finish 674, critical path 674"), in working days."""
    s, k = schedule.solver, schedule.kpis
    late = f"weighted late days {k.weighted_tardiness}"
    if s.tardiness_bound is not None:
        late += f", proven minimum {s.tardiness_bound}"
        if s.tardiness_gap is not None:
            late += ": optimal" if s.tardiness_gap == 0 else f": gap {s.tardiness_gap:.1%}"
    finish = f"finish {k.makespan_days}"
    if k.critical_path_days is not None:
        finish += f", critical path {k.critical_path_days}"
    return late, finish


def travel_kpis(instance: Instance, solution: Solution) -> dict[str, PoolTravel]:
    """Per travelling pool: its crews' moves (the next task, by start, at another site)
    and the travel days they need; tasks that work no day or have no site are skipped."""
    found: dict[str, PoolTravel] = {}
    for p in instance.travelling_pools():
        pool = instance.pools[p]
        worked: dict[str, list[tuple[int, int]]] = {crew: [] for crew in pool.crew_ids()}
        for i, crews in enumerate(solution.crews):
            task = instance.tasks[i]
            if task.duration > 0 and task.site is not None:
                for crew in crews:
                    if crew in worked:
                        worked[crew].append((solution.starts[i], i))
        moves = days = 0
        for spans in worked.values():
            sites = [instance.tasks[i].site for _, i in sorted(spans)]
            for a, b in itertools.pairwise(sites):
                moves += a != b
                days += instance.travel.days(a, b)
        found[pool.id] = PoolTravel(moves, days)
    return found
