"""The solver-neutral scheduling problem every input converges on.

An `Instance` knows integer working days and nothing about dates, YAML or solvers.
Domain projects, PSPLIB and MSPSP files all become an Instance; the CP-SAT model, the
greedy scheme and the validator all read one.

Conventions (see DESIGN.md, Time):
- a task occupies days ``[start, start + duration)``; ``end = start + duration``;
- a window ``[start, end)`` includes ``start`` and excludes ``end``;
- power is in integer kW, so 0.3 MW is 300;
- resource amounts are integers in units of ``1 / Resource.scale``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum


class LinkType(StrEnum):
    """Precedence link types, with the inequality each one states (lag ``l``).

    FS: s_b >= e_a + l;  SS: s_b >= s_a + l;  FF: e_b >= e_a + l;  SF: e_b >= s_a + l.
    """

    FS = "FS"
    SS = "SS"
    FF = "FF"
    SF = "SF"


class Level(IntEnum):
    """A power level; its ``label`` is the lower-case name projects and outputs use."""

    @property
    def label(self) -> str:
        return self.name.lower()


class Gate(Level):
    """Kind of supply a task needs while it runs (none, any, temporary, permanent);
    stricter gates have higher values."""

    NONE = 0
    ANY = 1
    TEMPORARY = 2
    PERMANENT = 3


class SupplyKind(Level):
    """Kinds of power supply (backfeed, temporary, permanent). A supply of kind ``k``
    satisfies every gate ``g <= k``."""

    BACKFEED = 1
    TEMPORARY = 2
    PERMANENT = 3


PHASES = ("design", "procurement", "factory", "fat", "transport", "site", "commissioning")
# From this many tasks on a program is large: CP-SAT works window by window
# (solvers/windows.py) and the program Gantt merges each module's runs into one bar.
LARGE_PROGRAM_TASKS = 2500


@dataclass(frozen=True)
class Window:
    """A value that holds on days ``[start, end)``."""

    start: int
    end: int
    value: int


def gaps(windows: Sequence[Window], horizon: int, value: int) -> list[Window]:
    """The days of ``[0, horizon)`` outside every window, as windows of ``value``."""
    found, cursor = [], 0
    for w in sorted(windows, key=lambda w: w.start):
        if w.start > cursor:
            found.append(Window(cursor, w.start, value))
        cursor = max(cursor, w.end)
    if cursor < horizon:
        found.append(Window(cursor, horizon, value))
    return found


@dataclass(frozen=True)
class Resource:
    """A renewable resource (factory slots, cranes, load-bank MW, PSPLIB R1...).

    ``capacity`` holds on every day except inside ``windows``, where the window's value
    replaces it. Windows do not overlap.
    """

    id: str
    capacity: int
    kind: str = "resource"  # factory | site | program | benchmark
    windows: tuple[Window, ...] = ()
    scale: int = 1  # amounts are in units of 1/scale (a crane is 1 with scale 1)

    def capacity_on(self, day: int) -> int:
        for window in self.windows:
            if window.start <= day < window.end:
                return window.value
        return self.capacity


def pool_of(crew_id: str) -> str:
    """The pool of a named crew: ``cx`` of ``cx#3`` (crews are named ``{pool}#{k}``)."""
    return crew_id.rsplit("#", 1)[0]


@dataclass(frozen=True)
class CrewPool:
    """``count`` identical crews, named ``{id}#1`` ... ``{id}#{count}``.

    Each crew does one task at a time and brings one of its ``skills`` to it.
    ``windows`` replace ``count`` by the number of crews available on those days.
    ``sites`` is the set of sites the pool may work at; ``None`` means every site.
    """

    id: str
    skills: frozenset[str]
    count: int
    sites: frozenset[str] | None = None
    windows: tuple[Window, ...] = ()

    def available_on(self, day: int) -> int:
        for window in self.windows:
            if window.start <= day < window.end:
                return window.value
        return self.count

    def crew_ids(self) -> list[str]:
        return [f"{self.id}#{k}" for k in range(1, self.count + 1)]

    def serves(self, skill: str, site: str | None) -> bool:
        return skill in self.skills and (self.sites is None or site is None or site in self.sites)


@dataclass(frozen=True)
class Travel:
    """Working days a named crew needs between two different sites: ``between`` maps a
    pair of site ids (sorted) to its days, ``default`` holds for every other pair. The
    same site, or a task without a site, needs none."""

    default: int = 0
    between: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def days(self, a: str | None, b: str | None) -> int:
        if a is None or b is None or a == b:
            return 0
        key = (a, b) if a < b else (b, a)
        return self.between.get(key, self.default)

    @property
    def most(self) -> int:
        """The most days any pair of sites needs."""
        return max([self.default, *self.between.values()])


@dataclass(frozen=True)
class Supply:
    """A power supply of one site: ``kw`` available on days ``[start, end)``."""

    name: str
    site: str
    kind: SupplyKind
    kw: int
    start: int = 0
    end: int | None = None  # None: to the end of time


@dataclass(frozen=True)
class Task:
    """One task. ``skills`` maps skill -> crews needed at once; ``resources`` maps
    resource id -> amount held while the task runs.

    ``gate`` and ``power_kw``: the task runs only on days its site has supply of kind
    ``>= gate`` and draws ``power_kw`` from it. ``energise_kw > 0``: from the task's start
    on, that load stays on the site's supply of kind ``>= gate`` to the end of time.

    ``fixed_start`` / ``fixed_crews`` pin a task (replanning: done or in progress).
    The remaining fields only describe the task for the outputs.
    """

    id: str
    duration: int
    release: int = 0
    deadline: int | None = None  # latest end day (exclusive end)
    site: str | None = None
    skills: Mapping[str, int] = field(default_factory=dict)
    resources: Mapping[str, int] = field(default_factory=dict)
    gate: Gate = Gate.NONE
    power_kw: int = 0
    energise_kw: int = 0
    fixed_start: int | None = None
    fixed_crews: tuple[str, ...] | None = None
    module: str = ""
    deployment: str = ""
    module_type: str = ""
    name: str = ""
    phase: str = ""

    def __post_init__(self) -> None:
        # drawing or energising power implies at least the ANY gate (DESIGN.md, Catalog):
        # said once here, so the model, CPM and the windows read the same gate
        if self.gate == Gate.NONE and (self.power_kw > 0 or self.energise_kw > 0):
            object.__setattr__(self, "gate", Gate.ANY)


@dataclass(frozen=True)
class Link:
    """Precedence between two tasks (indices into ``Instance.tasks``), see LinkType."""

    pred: int
    succ: int
    type: LinkType = LinkType.FS
    lag: int = 0

    def start_distance(self, tasks: Sequence[Task]) -> int:
        """``c`` such that the link states ``s_succ >= s_pred + c``: every solver, CPM and
        the window search read a link through this (the validator reads LinkType's
        inequalities itself, to stay independent)."""
        d_a, d_b = tasks[self.pred].duration, tasks[self.succ].duration
        if self.type == LinkType.FS:
            return d_a + self.lag
        if self.type == LinkType.SS:
            return self.lag
        if self.type == LinkType.FF:
            return d_a + self.lag - d_b
        return self.lag - d_b  # SF


@dataclass(frozen=True)
class Milestone:
    """Reached on the last day worked by any of its tasks: ``max(end) - 1``.

    Late days are ``max(0, day - target)``; a deadline holds when ``day <= deadline``.
    """

    id: str
    tasks: tuple[int, ...]
    target: int | None = None
    deadline: int | None = None
    weight: int = 1


@dataclass(frozen=True)
class Instance:
    """A flat scheduling problem in integer working days.

    ``horizon`` is a day by which every task can end; energised loads are checked up to
    ``power_until()``.
    """

    name: str
    tasks: tuple[Task, ...]
    links: tuple[Link, ...] = ()
    resources: tuple[Resource, ...] = ()
    pools: tuple[CrewPool, ...] = ()
    supplies: tuple[Supply, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    horizon: int = 0
    travel: Travel = field(default_factory=Travel)

    @property
    def num_tasks(self) -> int:
        return len(self.tasks)

    def task_index(self) -> dict[str, int]:
        return {task.id: i for i, task in enumerate(self.tasks)}

    def end_of(self, i: int, start: int) -> int:
        """The end day of task ``i`` started on day ``start``. Every solver, the
        validator's caller and the reports ask this rather than adding the duration, so
        that a task's working days can come from its own calendar (issue 24)."""
        return start + self.tasks[i].duration

    def start_for(self, i: int, end: int) -> int:
        """The latest start on which task ``i`` ends no later than day ``end``."""
        return end - self.tasks[i].duration

    def resource(self, resource_id: str) -> Resource:
        for resource in self.resources:
            if resource.id == resource_id:
                return resource
        raise KeyError(resource_id)

    def eligible_pools(self, task: Task, skill: str) -> list[int]:
        return [p for p, pool in enumerate(self.pools) if pool.serves(skill, task.site)]

    def travelling_pools(self) -> list[int]:
        """Pools whose crews may work at two sites between which travel takes days: only
        their named crews are tied to a sequence of sites (a pool of one site never
        travels)."""
        if self.travel.most <= 0:
            return []
        found = []
        for p, pool in enumerate(self.pools):
            sites = sorted(
                {
                    t.site
                    for t in self.tasks
                    if t.site is not None
                    and t.duration > 0
                    and any(pool.serves(skill, t.site) for skill in t.skills)
                }
            )
            if any(self.travel.days(a, b) > 0 for a in sites for b in sites):
                found.append(p)
        return found

    def sites(self) -> list[str]:
        return sorted({s.site for s in self.supplies} | {t.site for t in self.tasks if t.site})

    def power_until(self, makespan: int) -> int:
        """Last day (exclusive) on which energised load must still be covered: the end of
        the schedule or the last day on which a supply starts or ends, whichever is later."""
        changes = [s.start for s in self.supplies]
        changes += [s.end for s in self.supplies if s.end is not None]
        return max([makespan, *(c + 1 for c in changes)])

    @property
    def tardiness_weight(self) -> int:
        """Weight of one weighted late day in the scalar objective: larger than any
        makespan, so that tardiness comes first and makespan second."""
        return self.horizon + 1


@dataclass
class Solution:
    """A start day and the crews (``pool#k``) for every task, in Instance order."""

    starts: list[int]
    crews: list[tuple[str, ...]]


def objective_terms(instance: Instance, starts: list[int]) -> tuple[int, int]:
    """(weighted tardiness, makespan) of the given starts."""
    ends = [s + t.duration for s, t in zip(starts, instance.tasks, strict=True)]
    makespan = max(ends, default=0)
    tardiness = 0
    for milestone in instance.milestones:
        if milestone.target is None or not milestone.tasks:
            continue
        day = max(ends[i] for i in milestone.tasks) - 1
        tardiness += milestone.weight * max(0, day - milestone.target)
    return tardiness, makespan


def objective_value(instance: Instance, starts: list[int]) -> int:
    """The scalar objective: weighted tardiness x tardiness_weight + makespan."""
    tardiness, makespan = objective_terms(instance, starts)
    return tardiness * instance.tardiness_weight + makespan


# A link read with time running backwards: s_b >= e_a + l becomes s'_a >= e'_b + l (FS
# from b to a), s_b >= s_a + l becomes e'_a >= e'_b + l (FF from b to a), and so on.
MIRRORED_LINK = {
    LinkType.FS: LinkType.FS,
    LinkType.SS: LinkType.FF,
    LinkType.FF: LinkType.SS,
    LinkType.SF: LinkType.SF,
}


def mirrored(instance: Instance) -> Instance | None:
    """The same problem with time running backwards (every link turned round), or None when
    something in it is tied to a day: releases, deadlines, pinned tasks, power, capacity
    windows, milestone targets. A plan of one, read backwards (`mirror_starts`), is a plan
    of the other with the same makespan; some proofs come much faster one way than the
    other (PSPLIB j3045_6: not proven forwards in 10 s, proven backwards in 6.5 s)."""
    if instance.supplies or any(r.windows for r in instance.resources):
        return None
    if any(pool.windows for pool in instance.pools):
        return None
    if any(m.target is not None or m.deadline is not None for m in instance.milestones):
        return None
    for task in instance.tasks:
        if task.release or task.deadline is not None or task.fixed_start is not None:
            return None
        if task.fixed_crews is not None or task.gate or task.power_kw or task.energise_kw:
            return None
    links = tuple(
        Link(link.succ, link.pred, MIRRORED_LINK[link.type], link.lag) for link in instance.links
    )
    return replace(instance, links=links)


def mirror_starts(instance: Instance, starts: list[int]) -> list[int]:
    """The starts of the same plan read backwards: ``makespan - end``."""
    ends = [s + t.duration for s, t in zip(starts, instance.tasks, strict=True)]
    makespan = max(ends, default=0)
    return [makespan - end for end in ends]
