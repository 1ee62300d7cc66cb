"""Explain a plan: float on the resource-feasible plan, what drove each start, and why a
milestone is late (issue 21).

Pure Python on an `Instance` and a valid `Solution`; `schedule.build_schedule` calls
`explain` for every plan it dates, so every written schedule carries the explanation.

**Float.** The plan fixes, besides the links, the order in which it gave out crews,
resources, factory slots and power. That order is read as start distances between tasks
(``s_k >= s_i + c``): each crew's tasks one after the other, and for each cumulative
(a resource, a factory, a crew pool with unavailability, the draw at one site and gate
level) a flow that hands units from a task that ends to one that starts (`_flow`); days on
which the capacity is lower than its most are held by fixed blockers, so a task before one
must end before it. Every task then has an upper bound on its start: the program finish
(``e <= makespan``), each milestone's day (``e - 1 <= max(day, target)``: late days do not
change), deadlines, a pinned start (a replan's progress), the end of the powered days its
gate runs in. The latest starts are the largest solution of these difference constraints
(a backward pass, repeated until nothing changes): ``LS_i = min(U_i, LS_k - c)``; a task
on a calendar of its own reads each end through its calendar (`_latest`), so its latest
start is one of its workdays and its span the one that start gives it.
``total_float = LS - s``; ``free_float = min(U_i, s_k - c) - s`` (no successor moves);
``critical``: total float 0 on a chain of tight constraints that ends at the finish or a
milestone's target. Delaying a task by its total float, and its successors as these
constraints push them, keeps every late day and the finish (tests/test_explain.py).

**Driver.** What forbids starting the task one day earlier with everything else as
planned, first of: its reported progress (``actual``), the status date of a replan
(``status``), its release, the program start, its site's power gate (the supply that
starts that day), a link at zero slack, one of its crews busy the day before (``crew``, the
task that held it), its pool's availability, a resource or factory slot full the day
before (the task that held it, else the capacity that rises that day), its site's power
full the day before; ``none`` when nothing does (the plan could start it earlier).

**Why late.** From a late milestone's last task, its driver's task, and so on, to the first
driver that names no task (a power date, a release, a crew pool's availability, a capacity,
the program start or the status date).
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scheduler.instance import (
    Gate,
    Instance,
    Link,
    LinkType,
    Solution,
    SupplyKind,
    late_last_tasks,
)

if TYPE_CHECKING:  # schedule.py builds on this module
    from scheduler.schedule import PoolRow

# driver kinds, as schedule.csv's driver_kind and kpis.milestones[m].why[k].kind write them
KINDS = (
    "actual",
    "status",
    "release",
    "start",
    "power",
    "link",
    "crew",
    "resource",
    "factory",
    "none",
)
# the kinds a why-chain may end on that name something outside the work itself
ROOT_KINDS = ("power", "release", "crew", "resource", "factory", "status")


@dataclass(frozen=True)
class TaskExplanation:
    """One task's float (working days) and driver."""

    late_start: int  # day; late_end = late_start + duration
    total_float: int
    free_float: int
    critical: bool
    driver: str  # e.g. link:a/1/ship, power:nal/permanent/2027-06-01, crew:cx#2<-b/1/ist
    driver_kind: str  # one of KINDS
    driver_task: int | None  # the task the driver names, if any


@dataclass(frozen=True)
class WhyStep:
    """One step of a why-chain: ``task`` started when ``cause`` (its driver, of ``kind``)
    let it; ``days`` are the working days from its start to the next step's start (for the
    milestone's own task, to its end)."""

    task: str
    kind: str
    cause: str
    days: int


@dataclass(frozen=True)
class Explanation:
    tasks: tuple[TaskExplanation, ...]
    why: dict[str, tuple[WhyStep, ...]]  # late milestone id -> chain, milestone's task first


@dataclass
class _Cumulative:
    """A capacity shared by tasks: per-day capacity over [0, horizon), users and amounts."""

    name: str
    kind: str  # resource | factory | crew | power
    capacity: list[int]
    users: list[tuple[int, int]]  # (task, amount)
    site: str = ""  # power: the site and gate level
    level: int = 0


def explain(
    instance: Instance,
    solution: Solution,
    day_text: Callable[[int], str],
    status_day: int | None = None,
) -> Explanation:
    """Float, driver and why-chains of a valid plan (see the module's docstring)."""
    starts = [int(s) for s in solution.starts]
    ends = instance.ends(starts)
    horizon = max(ends, default=0)
    crews = [tuple(c) for c in solution.crews]
    cumulatives = _cumulatives(instance, starts, ends, crews, horizon)
    edges, bounds, critical_bounds = _constraints(
        instance, starts, ends, crews, cumulatives, horizon
    )
    late = _latest_starts(instance, starts, edges, bounds)
    critical = _critical(instance, starts, late, edges, critical_bounds)
    drivers = _Drivers(instance, starts, ends, crews, cumulatives, day_text, status_day)
    rows = []
    for i in range(instance.num_tasks):
        keeps = [_latest(instance, i, k, t, lag, starts[k]) for k, t, lag in edges[i]]
        free = min([bounds[i], *keeps]) - starts[i]
        driver, kind, task = drivers.of(i)
        rows.append(
            TaskExplanation(late[i], late[i] - starts[i], free, critical[i], driver, kind, task)
        )
    return Explanation(tuple(rows), _why_chains(instance, starts, ends, rows))


# ----------------------------------------------------------------------------- capacities


def _cumulatives(
    instance: Instance,
    starts: list[int],
    ends: list[int],
    crews: list[tuple[str, ...]],
    horizon: int,
) -> list[_Cumulative]:
    """Resources and factories, crew pools whose availability changes, and each site's
    power draw at each gate level (capacity: supply less the load energised as planned)."""
    tasks = instance.tasks
    found = []
    for r in instance.resources:
        users = [(i, t.resources[r.id]) for i, t in enumerate(tasks) if t.resources.get(r.id)]
        capacity = [r.capacity_on(d) for d in range(horizon)] if r.windows else [r.capacity]
        kind = "factory" if r.kind == "factory" else "resource"
        found.append(_Cumulative(r.id, kind, capacity, users))
    for pool in instance.pools:
        if not pool.windows:  # its named crews' sequences say it all
            continue
        mine = pool.id + "#"
        users = [(i, sum(c.startswith(mine) for c in cs)) for i, cs in enumerate(crews)]
        capacity = [pool.available_on(d) for d in range(horizon)]
        found.append(_Cumulative(pool.id, "crew", capacity, [u for u in users if u[1]]))
    for site in instance.sites():
        supply, energised = _site_power(instance, starts, site, horizon)
        for level in (Gate.ANY, Gate.TEMPORARY, Gate.PERMANENT):
            users = [
                (i, t.power_kw)
                for i, t in enumerate(tasks)
                if t.site == site and t.gate >= level and t.power_kw > 0
            ]
            if users:
                capacity = [a - b for a, b in zip(supply[level], energised[level], strict=True)]
                name = f"{site}/{level.label}"
                found.append(_Cumulative(name, "power", capacity, users, site, int(level)))
    return found


def _site_power(
    instance: Instance, starts: list[int], site: str, horizon: int
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Per gate level, the kW of supplies that pass it and the kW energised as planned, on
    each day of [0, horizon)."""
    levels = (Gate.ANY, Gate.TEMPORARY, Gate.PERMANENT)
    supply = {g: [0] * (horizon + 1) for g in levels}
    energised = {g: [0] * (horizon + 1) for g in levels}
    for s in instance.supplies:
        if s.site != site:
            continue
        first, last = (
            min(max(s.start, 0), horizon),
            min(horizon, horizon if s.end is None else s.end),
        )
        for g in levels[: int(s.kind)]:
            if first < last:
                supply[g][first] += s.kw
                supply[g][last] -= s.kw
    for i, t in enumerate(instance.tasks):
        if t.site == site and t.energise_kw > 0:
            for g in levels[: int(t.gate)]:
                energised[g][min(starts[i], horizon)] += t.energise_kw
    return (
        {g: _running_sum(v)[:horizon] for g, v in supply.items()},
        {g: _running_sum(v)[:horizon] for g, v in energised.items()},
    )


def _running_sum(values: list[int]) -> list[int]:
    total, out = 0, []
    for v in values:
        total += v
        out.append(total)
    return out


def _capacity_on(cumulative: _Cumulative, day: int) -> int:
    cap = cumulative.capacity
    return cap[0] if len(cap) == 1 else cap[day] if 0 <= day < len(cap) else cap[-1]


# ----------------------------------------------------------------------------- constraints

# task i -> [(successor k, type, lag)]: the link inequality of that type between i and k
# (a crew's or a capacity's hand-off is FS with the travel days, or 0, as lag)
Edges = list[list[tuple[int, LinkType, int]]]


def _latest(instance: Instance, i: int, k: int, kind: LinkType, lag: int, start_k: int) -> int:
    """The latest start of ``i`` that the edge to ``k`` allows when ``k`` starts on
    ``start_k``: ends read through each task's calendar (``start_k - c`` without one)."""
    if kind == LinkType.FS:
        return instance.start_for(i, start_k - lag)
    if kind == LinkType.SS:
        return instance.last_start(i, start_k - lag)
    end_k = instance.end_of(k, start_k)
    if kind == LinkType.FF:
        return instance.start_for(i, end_k - lag)
    return instance.last_start(i, end_k - lag)


def _constraints(
    instance: Instance,
    starts: list[int],
    ends: list[int],
    crews: list[tuple[str, ...]],
    cumulatives: list[_Cumulative],
    horizon: int,
) -> tuple[Edges, list[int], list[int]]:
    """The start distances the plan keeps, each task's upper bound on its start, and the
    part of that bound that comes from the finish or a milestone's target."""
    tasks = instance.tasks
    n = len(tasks)
    latest = instance.start_for  # the latest start that ends by a day
    edges: Edges = [[] for _ in range(n)]
    for link in instance.links:
        edges[link.pred].append((link.succ, link.type, link.lag))
    travel = instance.travel
    for sequence in _crew_sequences(starts, ends, crews).values():
        for a, b in itertools.pairwise(sequence):  # the crew's next task, after any travel
            edges[a].append((b, LinkType.FS, travel.days(tasks[a].site, tasks[b].site)))
    critical = [latest(i, horizon) for i in range(n)]
    bounds = list(critical)
    for cumulative in cumulatives:
        for a, b in _flow(instance, cumulative, starts, ends, bounds):
            edges[a].append((b, LinkType.FS, 0))
    for m in instance.milestones:
        if not m.tasks:
            continue
        day = max(ends[i] for i in m.tasks) - 1
        for i in m.tasks:
            if m.target is not None:
                bound = latest(i, max(day, m.target) + 1)
                critical[i] = min(critical[i], bound)
                bounds[i] = min(bounds[i], bound)
            if m.deadline is not None:
                bounds[i] = min(bounds[i], latest(i, m.deadline + 1))
    for i, t in enumerate(tasks):
        if t.deadline is not None:
            bounds[i] = min(bounds[i], latest(i, t.deadline))
        if t.fixed_start is not None:
            bounds[i] = min(bounds[i], starts[i])
    _gate_bounds(instance, starts, ends, horizon, bounds)
    return edges, bounds, critical


def _crew_sequences(
    starts: list[int], ends: list[int], crews: list[tuple[str, ...]]
) -> dict[str, list[int]]:
    """Each crew's tasks (that take days) in the order it works them."""
    sequences: dict[str, list[int]] = defaultdict(list)
    for i, names in enumerate(crews):
        if ends[i] > starts[i]:
            for crew in dict.fromkeys(names):
                sequences[crew].append(i)
    for sequence in sequences.values():
        sequence.sort(key=lambda i: (starts[i], ends[i], i))
    return sequences


def _flow(
    instance: Instance,
    cumulative: _Cumulative,
    starts: list[int],
    ends: list[int],
    bounds: list[int],
) -> list[tuple[int, int]]:
    """Pairs (a, b): task b takes over units task a released (``s_b >= e_a``). Units come
    from whoever released them first; a day of lower capacity is a fixed blocker holding
    the missing units, and a task that hands units to it gets ``e <= blocker start``
    (written into ``bounds``)."""
    top = max(cumulative.capacity)
    items: list[tuple[int, int, int, int]] = []  # (start, end, amount, task or -1)
    items += [(starts[i], ends[i], a, i) for i, a in cumulative.users if ends[i] > starts[i]]
    items += [(s, e, a, -1) for s, e, a in _blockers(cumulative.capacity, top)]
    items.sort()
    free: list[tuple[int, int, int, int]] = [(-(10**9), 0, top, -1)]  # (end, seq, amount, holder)
    pairs, seq = [], 0
    for start, end, amount, task in items:
        need = amount
        while need > 0 and free and free[0][0] <= start:
            released, _, units, holder = heapq.heappop(free)
            used = min(units, need)
            need -= used
            if holder >= 0 and task >= 0:
                pairs.append((holder, task))
            elif holder >= 0:  # hands its units to a blocker: must end before it
                bounds[holder] = min(bounds[holder], instance.start_for(holder, start))
            if units > used:
                seq += 1
                heapq.heappush(free, (released, seq, units - used, holder))
        seq += 1
        heapq.heappush(free, (end, seq, amount, task))
    return pairs


def _blockers(capacity: list[int], top: int) -> list[tuple[int, int, int]]:
    """(start, end, units) runs of days on which the capacity is ``units`` below ``top``."""
    runs: list[tuple[int, int, int]] = []
    if len(capacity) <= 1:
        return runs
    begin = 0
    for day in range(1, len(capacity) + 1):
        if day == len(capacity) or capacity[day] != capacity[begin]:
            if capacity[begin] < top:
                runs.append((begin, day, top - capacity[begin]))
            begin = day
    return runs


def _gate_bounds(
    instance: Instance, starts: list[int], ends: list[int], horizon: int, bounds: list[int]
) -> None:
    """A gated task stays in the run of powered days it is planned in."""
    dark: dict[tuple[str, int], list[int]] = {}  # (site, gate) -> first dark day from each day
    for i, t in enumerate(instance.tasks):
        if not t.gate or t.site is None or ends[i] <= starts[i]:
            continue
        key = (t.site, int(t.gate))
        if key not in dark:
            supply, _ = _site_power(instance, starts, t.site, horizon)
            dark[key] = _next_dark(supply[t.gate], horizon)
        if ends[i] < horizon:
            bounds[i] = min(bounds[i], instance.start_for(i, dark[key][ends[i]]))


def _next_dark(supply: list[int], horizon: int) -> list[int]:
    """For each day, the first day on or after it without supply (horizon if none)."""
    found = [horizon] * (horizon + 1)
    for day in range(horizon - 1, -1, -1):
        found[day] = day if supply[day] <= 0 else found[day + 1]
    return found


def _latest_starts(
    instance: Instance, starts: list[int], edges: Edges, bounds: list[int]
) -> list[int]:
    """The largest starts with ``s_i <= bounds[i]`` and every edge kept: a backward pass
    in the plan's order, repeated until nothing changes (links of negative distance may
    point back in time). The plan itself meets them all, so this ends."""
    late = list(bounds)
    order = sorted(range(len(starts)), key=lambda i: (-starts[i], -i))
    changed = True
    while changed:
        changed = False
        for i in order:
            best = min(
                [late[i], *(_latest(instance, i, k, t, lag, late[k]) for k, t, lag in edges[i])]
            )
            if best < late[i]:
                late[i], changed = best, True
    return late


def _critical(
    instance: Instance,
    starts: list[int],
    late: list[int],
    edges: Edges,
    critical_bounds: list[int],
) -> list[bool]:
    """Total float 0 on a chain of tight constraints that ends at the program finish or a
    milestone's target."""
    n = len(starts)
    critical = [late[i] == starts[i] and critical_bounds[i] == starts[i] for i in range(n)]
    back: list[list[tuple[int, LinkType, int]]] = [[] for _ in range(n)]
    for i in range(n):
        for k, kind, lag in edges[i]:
            back[k].append((i, kind, lag))
    stack = [i for i in range(n) if critical[i]]
    while stack:
        k = stack.pop()
        for i, kind, lag in back[k]:
            tight = _latest(instance, i, k, kind, lag, starts[k]) == starts[i]
            if not critical[i] and late[i] == starts[i] and tight:
                critical[i] = True
                stack.append(i)
    for i, t in enumerate(instance.tasks):  # progress is no float
        if t.fixed_start is not None:
            critical[i] = False
    return critical


# ----------------------------------------------------------------------------- drivers


class _Drivers:
    """What forbids each task's start one day earlier, with everything else as planned."""

    def __init__(
        self,
        instance: Instance,
        starts: list[int],
        ends: list[int],
        crews: list[tuple[str, ...]],
        cumulatives: list[_Cumulative],
        day_text: Callable[[int], str],
        status_day: int | None,
    ) -> None:
        self.instance, self.starts, self.ends, self.crews = instance, starts, ends, crews
        self.day_text, self.status_day = day_text, status_day
        self.preds: dict[int, list[tuple[int, Link, str]]] = defaultdict(list)
        for link in instance.links:
            token = link.type if link.type != "FS" or link.lag else ""
            token += f"{link.lag:+d}" if link.lag else ""
            self.preds[link.succ].append((link.pred, link, f":{token}" if token else ""))
        self.crew_before: dict[tuple[str, int], int] = {}  # (crew, task) -> its last task
        for crew, sequence in _crew_sequences(starts, ends, crews).items():
            for a, b in itertools.pairwise(sequence):
                self.crew_before[(crew, b)] = a
        self.usage = [_usage(c, starts, ends) for c in cumulatives]
        self.cumulatives = cumulatives
        self.ending: list[dict[int, list[int]]] = []
        for c in cumulatives:
            by_end: dict[int, list[int]] = defaultdict(list)
            for i, _ in c.users:
                by_end[ends[i]].append(i)
            self.ending.append(by_end)
        self.amounts = [dict(c.users) for c in cumulatives]
        self.powers: dict[str, tuple[dict[int, list[int]], dict[int, list[int]]]] = {}
        self.power_index = {
            (c.site, c.level): k for k, c in enumerate(cumulatives) if c.kind == "power"
        }

    def of(self, i: int) -> tuple[str, str, int | None]:
        """(driver token, kind, task it names or None)."""
        task, s = self.instance.tasks[i], self.starts[i]
        if task.fixed_start is not None:
            return f"actual:{self.day_text(s)}", "actual", None
        if self.status_day is not None and s == self.status_day:
            return f"status:{self.day_text(s)}", "status", None
        if task.release > 0 and s == task.release:
            return f"release:{self.day_text(s)}", "release", None
        if s <= 0:
            return f"start:{self.day_text(0)}", "start", None
        found = self._gate(i) or self._link(i)
        if found is None and task.duration > 0:
            found = self._crew(i) or self._capacity(i)
        return found or ("", "none", None)

    def _gate(self, i: int) -> tuple[str, str, int | None] | None:
        task, s = self.instance.tasks[i], self.starts[i]
        if not task.gate or task.site is None or task.duration <= 0:
            return None
        if self._power(task.site)[0][int(task.gate)][s - 1] > 0:
            return None
        return self._supply_token(task.site, int(task.gate), s)

    def _power(self, site: str) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
        """Supply and energised load per gate level and day at a site."""
        if site not in self.powers:
            horizon = max(self.ends, default=0)
            self.powers[site] = _site_power(self.instance, self.starts, site, horizon)
        return self.powers[site]

    def _supply_token(self, site: str, level: int, day: int) -> tuple[str, str, None] | None:
        """The supply of a kind passing ``level`` that starts on ``day``, if any."""
        for s in sorted(self.instance.supplies, key=lambda s: -int(s.kind)):
            if s.site == site and s.kind >= level and s.start == day and s.kw > 0:
                kind = SupplyKind(s.kind).label
                return f"power:{site}/{kind}/{self.day_text(day)}", "power", None
        return None

    def _link(self, i: int) -> tuple[str, str, int] | None:
        s, instance = self.starts[i], self.instance
        for pred, link, suffix in self.preds.get(i, ()):
            if instance.first_start(i, instance.link_bound(link, self.starts[pred])) == s:
                return f"link:{self.instance.tasks[pred].id}{suffix}", "link", pred
        return None

    def _crew(self, i: int) -> tuple[str, str, int | None] | None:
        """A crew of the task came to it the day its last task (and any travel) let it."""
        tasks, travel = self.instance.tasks, self.instance.travel
        for crew in self.crews[i]:
            holder = self.crew_before.get((crew, i))
            if holder is None:
                continue
            free = self.ends[holder] + travel.days(tasks[holder].site, tasks[i].site)
            if self.instance.first_start(i, free) == self.starts[i]:
                return f"crew:{crew}<-{tasks[holder].id}", "crew", holder
        return None

    def _capacity(self, i: int) -> tuple[str, str, int | None] | None:
        """A resource, factory, pool or power draw that is full the day before."""
        s = self.starts[i]
        for c, cumulative in enumerate(self.cumulatives):
            amount = self.amounts[c].get(i, 0)
            if not amount or self.usage[c][s - 1] + amount <= _capacity_on(cumulative, s - 1):
                continue
            name = cumulative.name.removeprefix("factory/")
            holders = [h for h in self.ending[c].get(s, []) if h != i]
            if holders:
                token = f"{cumulative.kind}:{name}<-{self.instance.tasks[holders[0]].id}"
                return token, cumulative.kind, holders[0]
            return self._capacity_root(cumulative, s)
        return self._energise(i)

    def _capacity_root(self, cumulative: _Cumulative, day: int) -> tuple[str, str, None]:
        """No task hands over on ``day``: the capacity (or power) that rises then."""
        name = cumulative.name.removeprefix("factory/")
        if cumulative.kind == "power":
            supply = self._supply_token(cumulative.site, cumulative.level, day)
            if supply:
                return supply
        what = "available" if cumulative.kind == "crew" else "capacity"
        return f"{cumulative.kind}:{name}/{what}/{self.day_text(day)}", cumulative.kind, None

    def _energise(self, i: int) -> tuple[str, str, int | None] | None:
        """An energising task one day earlier would add its load to a full supply."""
        task, s = self.instance.tasks[i], self.starts[i]
        if task.energise_kw <= 0 or task.site is None:
            return None
        supply, energised = self._power(task.site)
        for level in range(1, int(task.gate) + 1):
            c = self.power_index.get((task.site, level))
            drawn = self.usage[c][s - 1] if c is not None else 0
            room = supply[level][s - 1] - energised[level][s - 1] - drawn
            if room >= task.energise_kw + task.power_kw:
                continue
            if c is not None:
                holders = [h for h in self.ending[c].get(s, []) if h != i]
                if holders:
                    label = Gate(level).label
                    token = f"power:{task.site}/{label}<-{self.instance.tasks[holders[0]].id}"
                    return token, "power", holders[0]
            found = self._supply_token(task.site, level, s)
            if found:
                return found
            return f"power:{task.site}/{Gate(level).label}/{self.day_text(s)}", "power", None
        return None


def _usage(cumulative: _Cumulative, starts: list[int], ends: list[int]) -> list[int]:
    """Units in use on each day of [0, last end]."""
    horizon = max(ends, default=0)
    diff = [0] * (horizon + 1)
    for i, amount in cumulative.users:
        if ends[i] > starts[i]:
            diff[starts[i]] += amount
            diff[ends[i]] -= amount
    return _running_sum(diff)


# ----------------------------------------------------------------------------- why late


def _why_chains(
    instance: Instance, starts: list[int], ends: list[int], rows: list[TaskExplanation]
) -> dict[str, tuple[WhyStep, ...]]:
    chains = {}
    for m, last in late_last_tasks(instance, ends):
        steps: list[WhyStep] = []
        seen: set[int] = set()
        task: int | None = last
        reach = ends[last]
        while task is not None and task not in seen:
            seen.add(task)
            row = rows[task]
            days = reach - starts[task]
            steps.append(WhyStep(instance.tasks[task].id, row.driver_kind, row.driver, days))
            reach, task = starts[task], row.driver_task
        chains[m.id] = tuple(steps)
    return chains


def chain_root(steps: Sequence[WhyStep]) -> WhyStep | None:
    """The root cause of a chain: its root-most step that waits for something outside the
    work (power, a release, a crew pool, a resource, a factory, the status date). A chain
    that runs back to the program start has one where a hand-off of crews, resources or
    slots made it late; None when it has none (the work alone is longer than the target)."""
    return next((s for s in reversed(steps) if s.kind in ROOT_KINDS), None)


def cause_words(kind: str, cause: str, crews: Mapping[str, str] | None = None) -> str:
    """A driver in a planner's words: what would have to change. ``crews`` names a pool
    as a planner would (`crew_words`): "pipefitting crews at NAL"."""
    what, _, detail = cause.partition(":")
    if kind == "power" and "<-" not in detail:
        site, supply, day = [*detail.split("/"), "", ""][:3]
        return f"{site.upper()} {supply} power {day}"
    if kind == "power":
        where = detail.split("<-")[0]
        site, level = [*where.split("/"), ""][:2]
        return f"{level} power at {site.upper()} (shared)"
    if kind in ("crew", "resource", "factory"):
        name = detail.split("<-")[0].split("/")[0]
        if kind == "crew":
            pool = name.rsplit("#", 1)[0]
            more = " (availability)" if "/available/" in detail else ""
            if crews and pool in crews:
                return f"{crews[pool]} (pool '{pool}'){more}"
            return f"crews of pool '{pool}'{more}"
        return f"{'factory' if kind == 'factory' else 'resource'} '{name}'"
    words = {
        "release": f"release {detail}",
        "status": f"status date {detail}",
        "start": f"program start {detail} (the work on the chain)",
        "actual": f"progress as reported ({detail})",
        "link": "",
        "none": "nothing (the plan could start it earlier)",
    }
    return words.get(kind, what)


def crew_words(pools: Iterable[PoolRow]) -> dict[str, str]:
    """Pool id -> its crews in a planner's words: skills, then the sites it works at."""
    words = {}
    for p in pools:
        where = f" at {', '.join(s.upper() for s in p.sites)}" if p.sites else ""
        words[p.pool] = f"{' / '.join(p.skills)} crews{where}"
    return words


def why_summary(steps: Sequence[WhyStep], pools: Iterable[PoolRow] = ()) -> str:
    """What would have to change, root first: the chain's root and each crew, resource,
    factory or power hand-off on it, once each; crews named by skill and site when the
    plan's ``pools`` are given."""
    crews = crew_words(pools)
    found = [cause_words(s.kind, s.cause, crews) for s in reversed(steps)]
    return ", ".join(dict.fromkeys(w for w in found if w)) or "nothing found"
