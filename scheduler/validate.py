"""An independent checker of a `Solution` against an `Instance`.

The validator shares no code with the solvers (DESIGN.md, Layers): it reads the Instance
and the Solution, walks the days with plain loops and recomputes the objective itself, so
that a modelling bug cannot hide in both. A task runs on days ``[s, e)`` with
``e = s + duration``, or, for a task on a calendar of its own, ``e`` the day after its
``duration``-th workday from ``s`` (counted here by walking the days); a task of duration
0 runs on no day but obeys links, release and deadline.

Rules (``Violation.rule``), each with the inequality it checks:

- ``tasks``: the solution has one start (a whole day) and one crew list per task, and
  every end day is below ``MAX_DAY``; if not, nothing else is checked.
- ``start``: ``s >= 0``.
- ``calendar``: a task on a calendar of its own starts on a day that calendar works.
- ``release``: ``s >= release`` (a release of 0 or less is left to ``start``).
- ``deadline``: ``e <= deadline`` (the deadline is an end day, exclusive).
- ``link``: FS ``s_b >= e_a + l``; SS ``s_b >= s_a + l``; FF ``e_b >= e_a + l``;
  SF ``e_b >= s_a + l``.
- ``fixed``: ``s == fixed_start``; the crews equal ``fixed_crews`` (in any order).
- ``crew-unknown``: every crew id is ``pool#k`` with ``1 <= k <= count``.
- ``crew-count``: ``number of crews == sum of skill needs`` and no crew is listed twice.
- ``crew-skill``: the task's (known, distinct) crews can cover its needs with each crew
  bringing ONE of its skills (a bipartite matching of need units to crews).
- ``crew-site``: a crew's pool may work at the task's site.
- ``crew-overlap``: a crew works on at most one task a day.
- ``crew-availability``: on day t, busy crews of a pool ``<= available_on(t)``.
- ``crew-travel``: a crew's next task (by start; tasks that work no day and tasks
  without a site are skipped) at another site starts no earlier than the previous one's
  end plus the travel days between the two sites: ``s_b >= e_a + travel(site_a, site_b)``.
- ``resource``: on day t, ``sum of amounts of running tasks <= capacity_on(t)``.
- ``power-gate``: a gated task runs only on days its site has ``> 0`` kW of kind >= gate.
- ``power``: for site, day t and gate level g in 1..3,
  ``sum(power_kw of running tasks with gate >= g)
  + sum(energise_kw of tasks with gate >= g and s <= t)
  <= sum(kw of the site's supplies active on t with kind >= g)``,
  on every day up to ``power_until(makespan)`` (exclusive), extended to the day after the
  last energising start so that a load energised on the last day is checked at least once.
- ``milestone-deadline``: ``max(e over its tasks) - 1 <= deadline``.

A task that draws power (``power_kw > 0`` or ``energise_kw > 0``) with ``gate`` NONE is
treated as gate ANY, as DESIGN.md says those imply at least ``any``.

Repeated violations are capped: per resource, pool, crew, (site, level) and gated task,
only the first day of each run of consecutive bad days is reported, naming the tasks (or
loads) of that day.
"""

from __future__ import annotations

import itertools
import numbers
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import networkx as nx

from scheduler.errors import ScheduleInvalid
from scheduler.instance import Gate, Instance, LinkType, Solution, Task

RULES = (
    "tasks",
    "start",
    "calendar",
    "release",
    "deadline",
    "link",
    "fixed",
    "crew-unknown",
    "crew-count",
    "crew-skill",
    "crew-site",
    "crew-overlap",
    "crew-availability",
    "crew-travel",
    "resource",
    "power-gate",
    "power",
    "milestone-deadline",
)
MAX_DAY = 100_000  # ~385 years of working days: beyond it a start is a bug, not a plan
_MAX_NAMED = 5  # tasks or loads named in one message before "and N more"
_LEVEL_WORDS = {
    Gate.ANY: "power of any kind",
    Gate.TEMPORARY: "temporary or permanent power",
    Gate.PERMANENT: "permanent power",
}


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``rule`` is one of `RULES`; ``message`` is one line for a planner."""

    rule: str
    task_id: str | None
    day: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


# ----------------------------------------------------------------------------- public API


def validate(instance: Instance, solution: Solution) -> list[Violation]:
    """All violations of ``solution``, grouped in the order of `RULES`, deterministic."""
    shape = _check_shape(instance, solution)
    if shape:
        return shape
    plan = _Plan.build(instance, solution)
    violations: list[Violation] = []
    for check in _CHECKS:
        violations += check(plan)
    return violations


def assert_valid(instance: Instance, solution: Solution) -> None:
    """Raise `ScheduleInvalid` listing the first violations, if there is any."""
    violations = validate(instance, solution)
    if violations:
        raise ScheduleInvalid(violations)


def recompute_objective(instance: Instance, solution: Solution) -> tuple[int, int, int]:
    """(weighted tardiness, makespan, tardiness * (horizon + 1) + makespan).

    Milestone day ``= max(e) - 1`` over its tasks; ``late = max(0, day - target)``.
    """
    if len(solution.starts) != instance.num_tasks:
        raise ValueError(
            f"solution has {len(solution.starts)} starts for {instance.num_tasks} tasks"
        )
    ends = [_end(instance, i, s) for i, s in enumerate(solution.starts)]
    makespan = max(ends, default=0)
    tardiness = 0
    for milestone in instance.milestones:
        if milestone.target is not None and milestone.tasks:
            day = max(ends[i] for i in milestone.tasks) - 1
            tardiness += milestone.weight * max(0, day - milestone.target)
    return tardiness, makespan, tardiness * (instance.horizon + 1) + makespan


# ----------------------------------------------------------------------------- the plan


@dataclass
class _Plan:
    """The solution laid out for checking: ends, crews by id, each crew's busy days."""

    instance: Instance
    starts: list[int]
    ends: list[int]
    crews: list[tuple[str, ...]]
    crew_pool: dict[str, int]  # every valid crew id -> pool index
    crew_days: dict[str, dict[int, list[int]]] = field(default_factory=dict)  # day -> tasks
    powers: dict[str, _SitePower] = field(default_factory=dict)  # cache per site

    @classmethod
    def build(cls, instance: Instance, solution: Solution) -> _Plan:
        starts = [int(s) for s in solution.starts]
        ends = [_end(instance, i, s) for i, s in enumerate(starts)]
        crews = [tuple(c) for c in solution.crews]
        crew_pool = {c: p for p, pool in enumerate(instance.pools) for c in pool.crew_ids()}
        plan = cls(instance, starts, ends, crews, crew_pool)
        plan.bucket_crew_days()
        return plan

    def bucket_crew_days(self) -> None:
        """Crew -> day -> tasks (in instance order) it works on that day."""
        for i in range(self.instance.num_tasks):
            for crew in self.known_crews(i):
                busy = self.crew_days.setdefault(crew, {})
                for day in self.days(i):
                    busy.setdefault(day, []).append(i)
        self.crew_days = dict(sorted(self.crew_days.items(), key=lambda kv: _crew_key(kv[0])))

    def task_id(self, i: int) -> str:
        return self.instance.tasks[i].id

    def days(self, i: int) -> range:
        return range(self.starts[i], self.ends[i])

    def runs_on(self, i: int, day: int) -> bool:
        return self.starts[i] <= day < self.ends[i]

    def known_crews(self, i: int) -> list[str]:
        """The task's crews that name a real crew, each once, in the listed order."""
        return list(dict.fromkeys(c for c in self.crews[i] if c in self.crew_pool))

    def site_power(self, site: str) -> _SitePower:
        if site not in self.powers:
            self.powers[site] = _site_power(self, site, *_power_range(self))
        return self.powers[site]


def _check_shape(instance: Instance, solution: Solution) -> list[Violation]:
    """One start (whole day, end day < MAX_DAY) and one crew list (of ids) per task."""
    n = instance.num_tasks
    if len(solution.starts) != n or len(solution.crews) != n:
        return [
            _v(
                "tasks",
                None,
                None,
                f"solution has {len(solution.starts)} starts and "
                f"{len(solution.crews)} crew lists for {n} tasks",
            )
        ]
    out = []
    for task, start, crews in zip(instance.tasks, solution.starts, solution.crews, strict=True):
        if not isinstance(start, numbers.Integral) or isinstance(start, bool):
            out.append(
                _v("tasks", task.id, None, f"task '{task.id}' has start {start!r}, not a whole day")
            )
        elif max(abs(int(start)), abs(int(start) + task.duration)) >= MAX_DAY:
            out.append(
                _v(
                    "tasks",
                    task.id,
                    int(start),
                    f"task '{task.id}' starts on day "
                    f"{start}, past any workable horizon ({MAX_DAY} days)",
                )
            )
        if not isinstance(crews, tuple | list) or not all(isinstance(c, str) for c in crews):
            out.append(
                _v(
                    "tasks",
                    task.id,
                    None,
                    f"task '{task.id}' has crews {crews!r}, not a list of crew ids",
                )
            )
    return out


# ----------------------------------------------------------------------------- task rules


def _check_start(plan: _Plan) -> Iterator[Violation]:
    """s >= 0."""
    for i, s in enumerate(plan.starts):
        if s < 0:
            tid = plan.task_id(i)
            yield _v("start", tid, s, f"task '{tid}' starts on day {s} before day 0")


def _end(instance: Instance, i: int, start: int) -> int:
    """The day after the task's ``duration``-th workday from ``start`` (its calendar's
    days off skipped; every day worked without a calendar)."""
    task = instance.tasks[i]
    if task.calendar < 0 or task.duration <= 0:
        return start + task.duration
    off, day, left = instance.calendars[task.calendar].off, start, task.duration
    while True:
        if day not in off:
            left -= 1
            if left == 0:
                return day + 1
        day += 1


def _check_calendar(plan: _Plan) -> Iterator[Violation]:
    """A task on a calendar of its own starts on one of its workdays."""
    for i, task in enumerate(plan.instance.tasks):
        if task.calendar < 0 or task.duration <= 0:
            continue
        calendar = plan.instance.calendars[task.calendar]
        s = plan.starts[i]
        if s in calendar.off:
            yield _v(
                "calendar",
                task.id,
                s,
                f"task '{task.id}' starts on day {s}, a day its calendar "
                f"'{calendar.id}' does not work",
            )


def _check_release(plan: _Plan) -> Iterator[Violation]:
    """s >= release, for release > 0 (below, ``start`` says it more strongly)."""
    for i, task in enumerate(plan.instance.tasks):
        s = plan.starts[i]
        if s < task.release and task.release > 0:
            yield _v(
                "release",
                task.id,
                s,
                f"task '{task.id}' starts on day {s} before its release day {task.release}",
            )


def _check_deadline(plan: _Plan) -> Iterator[Violation]:
    """e <= deadline (both are end days, exclusive)."""
    for i, task in enumerate(plan.instance.tasks):
        e = plan.ends[i]
        if task.deadline is not None and e > task.deadline:
            yield _v(
                "deadline",
                task.id,
                e,
                f"task '{task.id}' ends on day {e} after its deadline day {task.deadline}",
            )


_LINK_SIDES = {  # type -> (succ side, pred side): side_b >= side_a + lag
    LinkType.FS: ("starts", "ends"),
    LinkType.SS: ("starts", "starts"),
    LinkType.FF: ("ends", "ends"),
    LinkType.SF: ("ends", "starts"),
}


def _check_links(plan: _Plan) -> Iterator[Violation]:
    """FS s_b >= e_a + l; SS s_b >= s_a + l; FF e_b >= e_a + l; SF e_b >= s_a + l."""
    for link in plan.instance.links:
        side_b, side_a = _LINK_SIDES[LinkType(link.type)]
        x_b = plan.starts[link.succ] if side_b == "starts" else plan.ends[link.succ]
        x_a = plan.starts[link.pred] if side_a == "starts" else plan.ends[link.pred]
        if x_b < x_a + link.lag:
            a, b = plan.task_id(link.pred), plan.task_id(link.succ)
            yield _v(
                "link",
                b,
                x_b,
                f"task '{b}' {side_b} on day {x_b} but link {link.type} from task '{a}' "
                f"({side_a} on day {x_a}, lag {link.lag}) needs day {x_a + link.lag} "
                "or later",
            )


def _check_fixed(plan: _Plan) -> Iterator[Violation]:
    """s == fixed_start; sorted(crews) == sorted(fixed_crews)."""
    for i, task in enumerate(plan.instance.tasks):
        s = plan.starts[i]
        if task.fixed_start is not None and s != task.fixed_start:
            yield _v(
                "fixed",
                task.id,
                s,
                f"task '{task.id}' is fixed to start on day "
                f"{task.fixed_start} but starts on day {s}",
            )
        crews = plan.crews[i]
        if task.fixed_crews is not None and sorted(crews) != sorted(task.fixed_crews):
            yield _v(
                "fixed",
                task.id,
                s,
                f"task '{task.id}' is fixed to crews "
                f"{_names(task.fixed_crews)} but has {_names(crews)}",
            )


# ----------------------------------------------------------------------------- crew rules


def _check_crew_unknown(plan: _Plan) -> Iterator[Violation]:
    """Every crew id is ``pool#k`` with 1 <= k <= count."""
    pools = {pool.id: pool for pool in plan.instance.pools}
    for i, crews in enumerate(plan.crews):
        for crew in crews:
            if crew in plan.crew_pool:
                continue
            tid = plan.task_id(i)
            pool = pools.get(crew.rsplit("#", 1)[0] if "#" in crew else "")
            why = (
                f"pool '{pool.id}' has crews 1 to {pool.count}"
                if pool is not None
                else "no such pool"
            )
            yield _v(
                "crew-unknown",
                tid,
                plan.starts[i],
                f"task '{tid}' names unknown crew '{crew}' ({why})",
            )


def _check_crew_count(plan: _Plan) -> Iterator[Violation]:
    """len(crews) == sum(skill needs); no crew listed twice on one task."""
    for i, task in enumerate(plan.instance.tasks):
        crews = plan.crews[i]
        need = sum(task.skills.values())
        if len(crews) != need:
            yield _v(
                "crew-count",
                task.id,
                plan.starts[i],
                f"task '{task.id}' has {len(crews)} crew(s) but needs {need} ({_needs(task)})",
            )
        seen: set[str] = set()
        for crew in crews:
            if crew in seen:
                yield _v(
                    "crew-count",
                    task.id,
                    plan.starts[i],
                    f"task '{task.id}' lists crew '{crew}' more than once",
                )
            seen.add(crew)


def _check_crew_skill(plan: _Plan) -> Iterator[Violation]:
    """A matching gives every needed skill unit a distinct crew that has the skill."""
    pools = plan.instance.pools
    for i, task in enumerate(plan.instance.tasks):
        needs = tuple(sorted((k, n) for k, n in task.skills.items() if n > 0))
        if not needs:
            continue
        crews = plan.known_crews(i)
        skill_sets = tuple(sorted(tuple(sorted(pools[plan.crew_pool[c]].skills)) for c in crews))
        if not _can_cover(needs, skill_sets):
            yield _v(
                "crew-skill",
                task.id,
                plan.starts[i],
                f"task '{task.id}' needs {_needs(task)} but crews {_names(crews)} "
                "cannot cover them with one skill each",
            )


@lru_cache(maxsize=4096)
def _can_cover(needs: tuple[tuple[str, int], ...], skill_sets: tuple[tuple[str, ...], ...]) -> bool:
    """Maximum bipartite matching (need units x crews) covers every need unit.

    Crews of one pool are interchangeable, so the answer depends only on the needs and
    the multiset of the crews' skill sets: cached on those.
    """
    units = [("need", skill, j) for skill, n in needs for j in range(n)]
    if len(units) > len(skill_sets):
        return False
    graph = nx.Graph()
    graph.add_nodes_from(units)
    graph.add_nodes_from(("crew", c) for c in range(len(skill_sets)))
    for unit in units:
        graph.add_edges_from(
            (unit, ("crew", c)) for c, skills in enumerate(skill_sets) if unit[1] in skills
        )
    matching = nx.bipartite.hopcroft_karp_matching(graph, top_nodes=units)
    return all(unit in matching for unit in units)


def _check_crew_site(plan: _Plan) -> Iterator[Violation]:
    """A crew's pool may work at the task's site (pool.sites is None: every site)."""
    pools = plan.instance.pools
    for i, task in enumerate(plan.instance.tasks):
        if task.site is None:
            continue
        for crew in plan.known_crews(i):
            pool = pools[plan.crew_pool[crew]]
            if pool.sites is not None and task.site not in pool.sites:
                yield _v(
                    "crew-site",
                    task.id,
                    plan.starts[i],
                    f"crew '{crew}' of task '{task.id}' may not work at site "
                    f"'{task.site}' (pool '{pool.id}' works at {_names(pool.sites)})",
                )


def _check_crew_overlap(plan: _Plan) -> Iterator[Violation]:
    """A crew works on at most one task a day: len(tasks of the crew on day t) <= 1.

    Reported on the first day of each run of double-booked days, per crew.
    """
    for crew, days in plan.crew_days.items():
        for day in _run_starts(d for d in sorted(days) if len(days[d]) > 1):
            on = days[day]
            yield _v(
                "crew-overlap",
                plan.task_id(on[-1]),
                day,
                f"crew '{crew}' works on tasks {_quoted(plan, on)} on day {day}",
            )


def _check_crew_availability(plan: _Plan) -> Iterator[Violation]:
    """On day t: number of distinct busy crews of a pool <= available_on(t)."""
    busy: list[dict[int, list[str]]] = [defaultdict(list) for _ in plan.instance.pools]
    for crew, days in plan.crew_days.items():
        for day in days:
            busy[plan.crew_pool[crew]][day].append(crew)
    for p, pool in enumerate(plan.instance.pools):
        over = [d for d in sorted(busy[p]) if len(busy[p][d]) > pool.available_on(d)]
        for day in _run_starts(over):
            crews = busy[p][day]
            who = [f"'{c}' on {_quoted(plan, plan.crew_days[c][day])}" for c in crews]
            yield _v(
                "crew-availability",
                None,
                day,
                f"pool '{pool.id}' has {len(crews)} crews busy on day {day} but only "
                f"{pool.available_on(day)} available ({_listed(who)})",
            )


def _check_crew_travel(plan: _Plan) -> Iterator[Violation]:
    """For a crew's consecutive tasks a, b (by start, then end) at different sites:
    ``s_b >= e_a + travel(site_a, site_b)``."""
    travel, tasks = plan.instance.travel, plan.instance.tasks
    worked: dict[str, list[int]] = defaultdict(list)
    for i, task in enumerate(tasks):
        if task.duration > 0 and task.site is not None:
            for crew in plan.known_crews(i):
                worked[crew].append(i)
    for crew in sorted(worked, key=_crew_key):
        order = sorted(worked[crew], key=lambda i: (plan.starts[i], plan.ends[i], i))
        for a, b in itertools.pairwise(order):
            site_a, site_b = tasks[a].site, tasks[b].site
            days = travel.days(site_a, site_b)
            missing = plan.ends[a] + days - plan.starts[b]
            if days > 0 and missing > 0:
                yield _v(
                    "crew-travel",
                    tasks[b].id,
                    plan.starts[b],
                    f"crew '{crew}' ends task '{tasks[a].id}' at site '{site_a}' on day "
                    f"{plan.ends[a] - 1} and starts task '{tasks[b].id}' at site '{site_b}' "
                    f"on day {plan.starts[b]}: {days} travel day(s) needed, {missing} missing",
                )


# ----------------------------------------------------------------------------- resources


def _check_resources(plan: _Plan) -> Iterator[Violation]:
    """On day t: sum(amount of running tasks) <= capacity_on(t)."""
    known = {r.id for r in plan.instance.resources}
    users: dict[str, list[int]] = defaultdict(list)
    for i, task in enumerate(plan.instance.tasks):
        for rid in task.resources:
            if rid in known:
                users[rid].append(i)
            else:
                yield _v(
                    "resource",
                    task.id,
                    plan.starts[i],
                    f"task '{task.id}' uses unknown resource '{rid}'",
                )
    for resource in plan.instance.resources:
        usage: dict[int, int] = defaultdict(int)
        for i in users[resource.id]:
            amount = plan.instance.tasks[i].resources[resource.id]
            for day in plan.days(i):
                usage[day] += amount
        over = [d for d in sorted(usage) if usage[d] > resource.capacity_on(d)]
        for day in _run_starts(over):
            running = [f"'{plan.task_id(i)}'" for i in users[resource.id] if plan.runs_on(i, day)]
            used, cap = usage[day], resource.capacity_on(day)
            yield _v(
                "resource",
                None,
                day,
                f"resource '{resource.id}' is used {_amount(used, resource.scale)} on day "
                f"{day} over its capacity {_amount(cap, resource.scale)} "
                f"(tasks {_listed(running)})",
            )


# ----------------------------------------------------------------------------- power


@dataclass
class _SitePower:
    """Per-day arrays of one site over days [lo, until), one per gate level 1..3."""

    lo: int
    supply: dict[int, list[int]]  # level -> kW of supplies of kind >= level, per day
    demand: dict[int, list[int]]  # level -> kW drawn or energised by gate >= level, per day

    def at(self, table: dict[int, list[int]], level: int, day: int) -> int:
        return table[level][day - self.lo]


def _power_range(plan: _Plan) -> tuple[int, int]:
    """[lo, until): from the first start (or 0) to power_until(makespan), and at least to
    the day after the last energising start."""
    lo = min([0, *plan.starts])
    makespan = max(plan.ends, default=0)
    energised = [
        s + 1 for s, t in zip(plan.starts, plan.instance.tasks, strict=True) if t.energise_kw > 0
    ]
    return lo, max([plan.instance.power_until(makespan), *energised])


def _site_power(plan: _Plan, site: str, lo: int, until: int) -> _SitePower:
    """Fill supply and demand per day and level for one site."""
    levels = (Gate.ANY, Gate.TEMPORARY, Gate.PERMANENT)
    power = _SitePower(
        lo, {g: [0] * (until - lo) for g in levels}, {g: [0] * (until - lo) for g in levels}
    )
    for supply in plan.instance.supplies:
        if supply.site != site:
            continue
        end = until if supply.end is None else min(supply.end, until)
        for day in range(max(supply.start, lo), end):
            for g in levels[: int(supply.kind)]:
                power.supply[g][day - lo] += supply.kw
    for i, task in enumerate(plan.instance.tasks):
        if task.site != site:
            continue
        for g in levels[: int(task.gate)]:
            for day in plan.days(i):
                power.demand[g][day - lo] += task.power_kw
            for day in range(plan.starts[i], until):
                power.demand[g][day - lo] += task.energise_kw
    return power


def _check_power_gate(plan: _Plan) -> Iterator[Violation]:
    """A task with gate g runs only on days its site has supply(kind >= g) > 0 kW."""
    for i, task in enumerate(plan.instance.tasks):
        gate = Gate(task.gate)
        if not gate or task.duration <= 0:
            continue
        if task.site is None:
            yield _v(
                "power-gate",
                task.id,
                plan.starts[i],
                f"task '{task.id}' needs {_LEVEL_WORDS[gate]} but has no site",
            )
            continue
        power = plan.site_power(task.site)
        dark = [d for d in plan.days(i) if power.at(power.supply, gate, d) <= 0]
        for day in _run_starts(dark):
            yield _v(
                "power-gate",
                task.id,
                day,
                f"task '{task.id}' runs on day {day} but site '{task.site}' has no "
                f"{_LEVEL_WORDS[gate]} then",
            )


def _check_power(plan: _Plan) -> Iterator[Violation]:
    """For site, day t, level g: draw(gate >= g, running) + energised(gate >= g, s <= t)
    <= supply(kind >= g, active on t)."""
    for site in plan.instance.sites():
        power = plan.site_power(site)
        days = range(power.lo, power.lo + len(power.supply[Gate.ANY]))
        found = []
        for g in (Gate.ANY, Gate.TEMPORARY, Gate.PERMANENT):
            over = [d for d in days if power.at(power.demand, g, d) > power.at(power.supply, g, d)]
            found += [(day, g) for day in _run_starts(over)]
        for day, g in sorted(found):
            need, have = power.at(power.demand, g, day), power.at(power.supply, g, day)
            yield _v(
                "power",
                None,
                day,
                f"site '{site}' needs {need} kW of {_LEVEL_WORDS[g]} on day {day} but "
                f"has {have} kW ({_loads(plan, site, g, day)})",
            )


def _loads(plan: _Plan, site: str, level: int, day: int) -> str:
    """The loads counted at ``level`` on ``day``: running draws, then energised loads."""
    running, energised = [], []
    for i, task in enumerate(plan.instance.tasks):
        if task.site != site or task.gate < level:
            continue
        if task.power_kw > 0 and plan.runs_on(i, day):
            running.append(f"'{task.id}' {task.power_kw} kW")
        if task.energise_kw > 0 and plan.starts[i] <= day:
            energised.append(f"'{task.id}' {task.energise_kw} kW")
    parts = [f"running {_listed(running)}"] if running else []
    parts += [f"energised {_listed(energised)}"] if energised else []
    return "; ".join(parts)


# ----------------------------------------------------------------------------- milestones


def _check_milestones(plan: _Plan) -> Iterator[Violation]:
    """Milestone day = max(e over its tasks) - 1 <= deadline."""
    for milestone in plan.instance.milestones:
        if milestone.deadline is None or not milestone.tasks:
            continue
        last = max(milestone.tasks, key=lambda i: (plan.ends[i], -i))
        day = plan.ends[last] - 1
        if day > milestone.deadline:
            tid = plan.task_id(last)
            yield _v(
                "milestone-deadline",
                tid,
                day,
                f"milestone '{milestone.id}' is reached on day {day} (task '{tid}') "
                f"after its deadline day {milestone.deadline}",
            )


# ----------------------------------------------------------------------------- helpers


_CHECKS = (
    _check_start,
    _check_calendar,
    _check_release,
    _check_deadline,
    _check_links,
    _check_fixed,
    _check_crew_unknown,
    _check_crew_count,
    _check_crew_skill,
    _check_crew_site,
    _check_crew_overlap,
    _check_crew_availability,
    _check_crew_travel,
    _check_resources,
    _check_power_gate,
    _check_power,
    _check_milestones,
)


def _v(rule: str, task_id: str | None, day: int | None, message: str) -> Violation:
    assert rule in RULES, rule
    return Violation(rule, task_id, day, message)


def _run_starts(days: Iterable[int]) -> Iterator[int]:
    """First day of each run of consecutive days in an ascending sequence."""
    previous = None
    for day in days:
        if previous is None or day != previous + 1:
            yield day
        previous = day


def _listed(items: Sequence[str]) -> str:
    """At most _MAX_NAMED items, comma-joined, then 'and N more'."""
    shown = ", ".join(items[:_MAX_NAMED])
    more = len(items) - _MAX_NAMED
    return f"{shown} and {more} more" if more > 0 else shown


def _names(ids: Iterable[str]) -> str:
    ids = list(ids)
    return _listed([f"'{c}'" for c in sorted(ids)]) if ids else "none"


def _crew_key(crew_id: str) -> tuple[str, int]:
    pool, k = crew_id.rsplit("#", 1)
    return pool, int(k)


def _quoted(plan: _Plan, tasks: Sequence[int]) -> str:
    return _listed([f"'{plan.task_id(i)}'" for i in tasks])


def _needs(task: Task) -> str:
    return ", ".join(f"{k}: {n}" for k, n in sorted(task.skills.items())) or "no crew"


def _amount(value: int, scale: int) -> str:
    return str(value) if scale == 1 else f"{value / scale:g}"
