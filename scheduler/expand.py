"""Expand a checked project into the flat, solver-neutral `Instance`.

Every module ``{deployment}/{i}`` gets its own copy of its type's task network; dates
become working days; MW become kW; the factory, site and program resources become
`Resource`s; crew unavailability becomes availability windows.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from scheduler.domain.calendar import Calendar
from scheduler.domain.load import Plan
from scheduler.domain.models import KINDS, LINK_TYPES, CrewPoolSpec, Deployment, TaskTemplate
from scheduler.errors import InputError
from scheduler.instance import (
    CrewPool,
    Instance,
    Link,
    LinkType,
    Milestone,
    Resource,
    Supply,
    Task,
    Travel,
    Window,
    WorkCalendar,
)

FRACTION_SCALE = 1000  # fractional amounts (load-bank MW) count in thousandths


def from_day(calendar: Calendar, day: date) -> int:
    """The working day of a window's bound; one before the program start counts from day 0
    (a supply live, or a crew away, since before the program)."""
    return calendar.day_of(max(day, calendar.start))


def kw(mw: float) -> int:
    return round(mw * 1000)


def expand(plan: Plan) -> Instance:
    """The Instance of a plan; task order: deployments, modules, tasks as written."""
    calendar = plan.calendar
    resources = build_resources(plan)
    tasks, links, first_index = build_tasks(plan, calendar, resources)
    links += deployment_links(plan, first_index)
    milestones = build_milestones(plan, calendar, first_index)
    supplies = tuple(
        Supply(
            s.name,
            site.id,
            KINDS[s.kind],
            kw(s.mw),
            from_day(calendar, s.from_),
            from_day(calendar, s.until) if s.until else None,
        )
        for site in plan.project.sites
        for s in site.power
    )
    pools = tuple(build_pool(c, calendar) for c in plan.project.crews)
    instance = Instance(
        name=plan.project.program.name,
        tasks=tuple(tasks),
        links=tuple(links),
        resources=tuple(resources.values()),
        pools=pools,
        supplies=supplies,
        milestones=tuple(milestones),
        travel=build_travel(plan),
    )
    return with_calendars(with_horizon(instance), plan)


# Phases whose work is done where the module is built (the factory's calendar) and on
# site (the site's); design, procurement and transport keep the program calendar.
FACTORY_PHASES = ("factory", "fat")
SITE_PHASES = ("site", "commissioning")
PROGRAM = "program"


def place_key(plan: Plan, task: Task, own: Mapping[str, Calendar]) -> str:
    """Whose calendar a task's place keeps: ``site:{id}`` or ``factory:{id}`` where that
    site or factory has one of its own, else ``program``."""
    key = PROGRAM
    if task.phase in SITE_PHASES and task.site is not None:
        key = f"site:{task.site}"
    elif task.phase in FACTORY_PHASES:
        factory = next((r for r in task.resources if r.startswith("factory/")), None)
        if factory is None:
            factory = _factory_of(plan, task.deployment)
        if factory is not None:
            key = f"factory:{factory.removeprefix('factory/')}"
    return key if key in own else PROGRAM


def _factory_of(plan: Plan, deployment: str) -> str | None:
    return next((d.factory for d in plan.project.deployments if d.id == deployment), None)


def narrowed(place: Calendar, pool: Calendar) -> Calendar | None:
    """The days both calendars work, or None when that is every day ``place`` works."""
    workdays = place.workdays & pool.workdays
    holidays = place.holidays | pool.holidays
    if workdays == place.workdays and all(
        h in place.holidays or h.weekday() not in workdays for h in holidays
    ):
        return None
    return Calendar(place.start, workdays, holidays)


class TaskCalendars:
    """Whose calendar each task works by (DESIGN.md, Time), as a key into `known`: its
    place's (`place_key`), joined by ``+`` with ``crew:{id}`` for each pool of its own
    calendar whose crews it needs and which leaves out some day of the place's. Pools
    that could take the same need keep one calendar (load.check_crew_calendars), so the
    first of them in the project names it."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.own = plan.own_calendars()
        self.known: dict[str, Calendar] = {**self.own, PROGRAM: plan.program_calendar}
        self.pools = plan.pool_calendars()
        self._pool_of: dict[tuple[str, str | None], str | None] = {}

    def _pool(self, skill: str, site: str | None) -> str | None:
        if (skill, site) not in self._pool_of:
            self._pool_of[skill, site] = next(
                (
                    f"crew:{c.id}"
                    for c in self.plan.project.crews
                    if c.calendar is not None
                    and skill in c.skills
                    and (c.sites is None or site is None or site in c.sites)
                ),
                None,
            )
        return self._pool_of[skill, site]

    def key(self, task: Task) -> str:
        key = place_key(self.plan, task, self.own)
        if not self.pools:
            return key
        calendar = self.known[key]
        needed = sorted({p for s in task.skills if (p := self._pool(s, task.site)) is not None})
        for pool in needed:
            both = narrowed(calendar, self.pools[pool])
            if both is None:
                continue
            if not both.workdays:
                self._refuse(task, key, pool)
            key, calendar = f"{key}+{pool}", both
            self.known.setdefault(key, calendar)
        return key

    def _refuse(self, task: Task, key: str, pool: str) -> None:
        p = self.plan.project
        j = next(j for j, c in enumerate(p.crews) if f"crew:{c.id}" == pool)
        place = key.split("+")[0]
        where = "the program calendar" if place == PROGRAM else place.replace(":", " '", 1) + "'"
        raise InputError(
            [
                self.plan.document.problem(
                    ("crews", j, "calendar", "workdays"),
                    f"crew pool '{p.crews[j].id}' works none of the workdays of {where}, "
                    f"by which task '{task.id}' that needs its crews works",
                )
            ]
        )


def with_calendars(instance: Instance, plan: Plan) -> Instance:
    """Tie each task to the calendar it works by, as days of the axis it does not work
    (DESIGN.md, Time); tasks whose calendar works every day of the axis keep none."""
    works_by = TaskCalendars(plan)
    if not works_by.own and not works_by.pools:
        return instance
    keys = [works_by.key(task) if task.duration > 0 else PROGRAM for task in instance.tasks]
    axis, own = plan.calendar, works_by.known
    # the axis days a task can reach: the safe horizon stretched by the most axis days a
    # calendar takes per workday of its own (a 4-day week on a 6-day axis: 1.5), with a
    # fifth more for holidays
    ratio = max(len(axis.workdays) / len(c.workdays) for c in own.values())
    limit = math.ceil(instance.horizon * ratio * 1.2) + 64
    dates = axis.dates(limit)
    calendars: list[WorkCalendar] = []
    index: dict[str, int] = {}
    for key, calendar in own.items():
        off = [
            day
            for day, d in enumerate(dates)
            if d.weekday() not in calendar.workdays or d in calendar.holidays
        ]
        if off:
            index[key] = len(calendars)
            calendars.append(WorkCalendar(key, off, limit))
    tasks = tuple(
        replace(task, calendar=index.get(key, -1)) if task.duration > 0 else task
        for task, key in zip(instance.tasks, keys, strict=True)
    )
    timed = replace(instance, tasks=tasks, calendars=tuple(calendars))
    spans = sum(timed.longest_span(i) for i in range(timed.num_tasks))
    extra = spans - sum(t.duration for t in tasks)
    return replace(timed, horizon=timed.horizon + extra)


def build_travel(plan: Plan) -> Travel:
    spec = plan.project.travel
    between = {tuple(sorted(pair.sites)): pair.days for pair in spec.between}
    return Travel(spec.default, between)  # type: ignore[arg-type]


def with_horizon(instance: Instance) -> Instance:
    """Set a horizon by which every task can surely end: all work one after another
    after the last release, supply change, window and fixed start."""
    events = [t.release for t in instance.tasks] + [t.fixed_start or 0 for t in instance.tasks]
    events += [s.start for s in instance.supplies] + [s.end or 0 for s in instance.supplies]
    events += [w.end for p in instance.pools for w in p.windows]
    events += [w.end for r in instance.resources for w in r.windows]
    lags = sum(max(0, link.lag) for link in instance.links)
    moves = instance.travel.most * sum(1 for t in instance.tasks if t.skills)
    total = sum(t.duration for t in instance.tasks) + lags + moves
    return Instance(**{**instance.__dict__, "horizon": max(events, default=0) + total + 1})


HORIZON_FACTOR = 1.25  # the search horizon: the first plan's finish x this, plus a margin
HORIZON_MARGIN = 60  # working days


def search_horizon(instance: Instance, known_makespan: int) -> Instance:
    """Narrow the horizon to the known plan's finish x 1.25 + 60 working days (never above
    the safe horizon). A modelling choice: a plan finishing later than that is not sought,
    which keeps CP-SAT's domains and the tardiness weight small; the bound reported is the
    bound within this horizon."""
    events = [s.start for s in instance.supplies] + [s.end or 0 for s in instance.supplies]
    cap = max(known_makespan, *events, 0)
    cap = int(cap * HORIZON_FACTOR) + HORIZON_MARGIN
    return replace(instance, horizon=min(instance.horizon, cap))


# ---------------------------------------------------------------- resources


def _scale(values: list[float]) -> int:
    return 1 if all(float(v).is_integer() for v in values) else FRACTION_SCALE


def build_resources(plan: Plan) -> dict[str, Resource]:
    """Keys: ``factory/{id}``, ``{site}/{name}`` for site resources, ``{name}`` for
    program resources."""
    p = plan.project
    demands: dict[str, list[float]] = {}
    for module in plan.modules.values():
        for task in module.tasks:
            for name, amount in task.uses.items():
                demands.setdefault(name, []).append(amount)
    resources = {
        f"factory/{f.id}": Resource(f"factory/{f.id}", f.slots, "factory") for f in p.factories
    }
    for name, capacity in p.resources.items():
        scale = _scale([capacity, *demands.get(name, [])])
        resources[name] = Resource(name, round(capacity * scale), "program", scale=scale)
    for site in p.sites:
        for name, capacity in site.resources.items():
            scale = _scale([capacity, *demands.get(name, [])])
            rid = f"{site.id}/{name}"
            resources[rid] = Resource(rid, round(capacity * scale), "site", scale=scale)
    return resources


def build_pool(spec: CrewPoolSpec, calendar: Calendar) -> CrewPool:
    """Unavailability windows (which may overlap) become non-overlapping windows of the
    number of crews available."""
    outs = [
        (from_day(calendar, u.from_), from_day(calendar, u.until), u.count or spec.count)
        for u in spec.unavailable
    ]
    cuts = sorted({d for start, end, _ in outs for d in (start, end)})
    windows = []
    for start, end in itertools.pairwise(cuts):
        out = sum(n for s, e, n in outs if s <= start and end <= e)
        if out and start < end:
            windows.append(Window(start, end, max(0, spec.count - out)))
    sites = frozenset(spec.sites) if spec.sites is not None else None
    return CrewPool(spec.id, frozenset(spec.skills), spec.count, sites, tuple(windows))


# ---------------------------------------------------------------- tasks


PHASE_WORDS = [
    ("design", "design"),
    ("submittal", "design"),
    ("procure", "procurement"),
    ("lead", "procurement"),
    ("fat", "fat"),
    ("ship", "transport"),
    ("transport", "transport"),
    ("haul", "transport"),
    ("deliver", "transport"),
]


def phase_of(template: TaskTemplate) -> str:
    """The life-cycle phase, for colours: declared, else guessed from the task."""
    if template.phase:
        return template.phase
    if template.factory:
        return "factory"
    words = re.split(r"[^a-z0-9]+", template.id.lower())
    for word, phase in PHASE_WORDS:
        if any(w.startswith(word) for w in words):
            return phase
    return "commissioning" if template.gate() > 0 else "site"


def build_tasks(
    plan: Plan, calendar: Calendar, resources: dict[str, Resource]
) -> tuple[list[Task], list[Link], dict[str, int]]:
    """Tasks and intra-module links; ``first_index[module_id]`` is the index of the
    module's first task."""
    tasks: list[Task] = []
    links: list[Link] = []
    first_index: dict[str, int] = {}
    for dep in plan.project.deployments:
        module_type = plan.modules[dep.module]
        release = calendar.day_of(dep.release) if dep.release else 0
        local = {t.id: k for k, t in enumerate(module_type.tasks)}
        for i in range(1, dep.quantity + 1):
            module_id = f"{dep.id}/{i}"
            first_index[module_id] = base = len(tasks)
            for template in module_type.tasks:
                tasks.append(make_task(plan, dep, module_id, template, release, resources))
                for spec in template.links():
                    links.append(
                        Link(
                            base + local[spec.task], len(tasks) - 1, LINK_TYPES[spec.type], spec.lag
                        )
                    )
    return tasks, links, first_index


def make_task(
    plan: Plan,
    dep: Deployment,
    module_id: str,
    template: TaskTemplate,
    release: int,
    resources: dict[str, Resource],
) -> Task:
    module_type = plan.modules[dep.module]
    uses: dict[str, int] = {}
    for name, amount in template.uses.items():
        rid = f"{dep.site}/{name}" if f"{dep.site}/{name}" in resources else name
        uses[rid] = math.ceil(round(amount * resources[rid].scale, 6))
    if template.factory and dep.factory:
        uses[f"factory/{dep.factory}"] = 1
    return Task(
        id=f"{module_id}/{template.id}",
        duration=template.duration,
        release=release,
        site=dep.site,
        skills=dict(template.needs),
        resources=uses,
        gate=template.gate(),
        power_kw=kw(template.power_mw),
        energise_kw=kw(module_type.load_mw) if template.energises else 0,
        module=module_id,
        deployment=dep.id,
        module_type=dep.module,
        name=template.name or template.id,
        phase=phase_of(template),
    )


def deployment_links(plan: Plan, first_index: dict[str, int]) -> list[Link]:
    """Each link between deployments holds between every pair of their modules."""
    deployments = {d.id: d for d in plan.project.deployments}
    links = []
    for dep in plan.project.deployments:
        to_type = plan.modules[dep.module]
        for spec in dep.after:
            other = deployments[spec.deployment]
            from_type = plan.modules[other.module]
            from_offset = _offset(from_type.tasks, spec.task, len(from_type.tasks) - 1)
            to_offset = _offset(to_type.tasks, spec.to, 0)
            for i in range(1, other.quantity + 1):
                for j in range(1, dep.quantity + 1):
                    pred = first_index[f"{other.id}/{i}"] + from_offset
                    succ = first_index[f"{dep.id}/{j}"] + to_offset
                    links.append(Link(pred, succ, LinkType(spec.type), spec.lag))
    return links


def _offset(templates: list[TaskTemplate], task_id: str | None, default: int) -> int:
    if task_id is None:
        return default
    return next(k for k, t in enumerate(templates) if t.id == task_id)


def build_milestones(
    plan: Plan, calendar: Calendar, first_index: dict[str, int]
) -> list[Milestone]:
    deployments = {d.id: d for d in plan.project.deployments}
    milestones = []
    for spec in plan.project.milestones:
        tasks: list[int] = []
        for name in spec.after:
            dep = deployments[name]
            size = len(plan.modules[dep.module].tasks)
            for i in range(1, dep.quantity + 1):
                start = first_index[f"{dep.id}/{i}"]
                tasks += range(start, start + size)
        milestones.append(
            Milestone(
                spec.id,
                tuple(tasks),
                calendar.day_of(spec.target) if spec.target else None,
                calendar.last_day_by(spec.deadline) if spec.deadline else None,
                spec.weight,
            )
        )
    return milestones
