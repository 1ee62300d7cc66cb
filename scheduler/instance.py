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

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum
from typing import Any

import numpy as np


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


class WorkCalendar:
    """The days of the day axis one calendar works (a site's or a factory's, DESIGN.md,
    Time): every day except ``off``. Days before 0 and from ``limit`` on are all worked
    (``off`` lies inside ``[0, limit)``).

    A task of ``d`` working days started on day ``s`` works the first ``d`` workdays from
    ``s`` on and ends the day after the last of them; it holds its crews and resources on
    every day in between (a weekend inside a task is not given to anyone else).
    """

    def __init__(self, id: str, off: Sequence[int] | frozenset[int], limit: int) -> None:
        self.id = id
        self.off = frozenset(off)
        self.limit = max([limit, *(d + 1 for d in self.off)])
        off_array = np.zeros(self.limit, dtype=bool)
        off_array[sorted(d for d in self.off if d >= 0)] = True
        self._workdays = np.flatnonzero(~off_array)  # ascending days of [0, limit) worked
        self._count = len(self._workdays)
        self._off = np.array(sorted(self.off), dtype=np.int64)
        self._spans: dict[int, int] = {}

    def __repr__(self) -> str:
        return f"WorkCalendar({self.id!r}, {len(self.off)} days off)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WorkCalendar) and (self.id, self.off) == (other.id, other.off)

    def __hash__(self) -> int:
        return hash((self.id, self.off))

    def works(self, day: int) -> bool:
        return day not in self.off

    def index(self, day: int) -> int:
        """Workdays before ``day`` (counted from day 0; negative before it)."""
        if day <= 0:
            return day
        if day >= self.limit:
            return self._count + day - self.limit
        return int(np.searchsorted(self._workdays, day))

    def day(self, index: int) -> int:
        """The day of workday number ``index`` (inverse of ``index`` on workdays)."""
        if index < 0:
            return index
        if index >= self._count:
            return self.limit + index - self._count
        return int(self._workdays[index])

    def days(self, first: int, last: int) -> np.ndarray:
        """The days of workdays ``first .. last - 1`` (vectorised `day`)."""
        index = np.arange(first, last, dtype=np.int64)
        inside = np.clip(index, 0, max(self._count - 1, 0))
        found = self._workdays[inside] if self._count else index
        beyond = self.limit + index - self._count
        return np.where(index < 0, index, np.where(index >= self._count, beyond, found))

    def first_workday(self, day: int) -> int:
        """``day`` if worked, else the next workday."""
        return self.day(self.index(day))

    def last_workday(self, day: int) -> int:
        """``day`` if worked, else the workday before it."""
        return day if self.works(day) else self.day(self.index(day) - 1)

    def end(self, start: int, duration: int) -> int:
        if duration <= 0:
            return start
        return self.day(self.index(start) + duration - 1) + 1

    def start_for(self, end: int, duration: int) -> int:
        """The latest workday start with ``end(start, duration) <= end``."""
        if duration <= 0:
            return end
        return self.day(self.index(end) - duration)

    def workdays_within(self, domain: Any) -> Any:
        """The days of a CP-SAT ``Domain`` this calendar works, as a Domain."""
        from ortools.sat.python import cp_model

        flat = domain.flattened_intervals()
        firsts: list[np.ndarray] = []
        lasts: list[np.ndarray] = []
        for a, b in zip(flat[::2], flat[1::2], strict=True):
            # the runs of workdays between the days off inside [a, b] (vectorised: a safe
            # horizon of 62,739 days held 26,000 days off per task on three-sites)
            off = self._off[np.searchsorted(self._off, a) : np.searchsorted(self._off, b, "right")]
            first = np.concatenate([[a], off + 1])
            last = np.concatenate([off - 1, [b]])
            keep = first <= last
            firsts.append(first[keep])
            lasts.append(last[keep])
        if not firsts:
            return cp_model.Domain.from_intervals([])
        runs = np.stack([np.concatenate(firsts), np.concatenate(lasts)], axis=1)
        return cp_model.Domain.from_intervals(runs.tolist())

    def longest_span(self, duration: int) -> int:
        """The most days of the axis ``duration`` workdays can take, over every start."""
        if duration <= 0:
            return 0
        if duration not in self._spans:
            starts = self._workdays
            if not len(starts):
                self._spans[duration] = duration
            else:
                self._spans[duration] = int((self.ends(starts, duration) - starts).max())
        return self._spans[duration]

    def indexes(self, days: np.ndarray) -> np.ndarray:
        """`index` of each day (vectorised)."""
        return np.where(
            days <= 0,
            days,
            np.where(
                days >= self.limit,
                self._count + days - self.limit,
                np.searchsorted(self._workdays, np.clip(days, 0, self.limit)),
            ),
        )

    def works_on(self, days: np.ndarray) -> np.ndarray:
        """`works` of each day (vectorised)."""
        return np.isin(days, self._off, invert=True)

    def ends(self, starts: np.ndarray, duration: int) -> np.ndarray:
        """``end`` of each start (vectorised)."""
        if duration <= 0:
            return starts.copy()
        last = self.indexes(starts) + duration - 1
        inside = np.clip(last, 0, max(self._count - 1, 0))
        days = np.where(
            last < 0,
            last,
            np.where(
                last >= self._count,
                self.limit + last - self._count,
                self._workdays[inside] if self._count else last,
            ),
        )
        return days + 1


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
    calendar: int = -1  # index into Instance.calendars; -1: works every day of the axis

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
    calendars: tuple[WorkCalendar, ...] = ()

    @property
    def num_tasks(self) -> int:
        return len(self.tasks)

    def task_index(self) -> dict[str, int]:
        return {task.id: i for i, task in enumerate(self.tasks)}

    def calendar_of(self, i: int) -> WorkCalendar | None:
        """The calendar task ``i`` works by; None: every day of the axis."""
        k = self.tasks[i].calendar
        return self.calendars[k] if k >= 0 else None

    def end_of(self, i: int, start: int) -> int:
        """The end day of task ``i`` started on day ``start``: its duration counts the
        workdays of its calendar. Every solver and report asks this rather than adding
        the duration."""
        task = self.tasks[i]
        if task.calendar < 0:
            return start + task.duration
        return self.calendars[task.calendar].end(start, task.duration)

    def start_for(self, i: int, end: int) -> int:
        """The latest start on which task ``i`` ends no later than day ``end``."""
        task = self.tasks[i]
        if task.calendar < 0:
            return end - task.duration
        return self.calendars[task.calendar].start_for(end, task.duration)

    def first_start(self, i: int, day: int) -> int:
        """The first day ``>= day`` task ``i`` may start on (a workday of its calendar)."""
        task = self.tasks[i]
        if task.calendar < 0 or task.duration <= 0:
            return day
        return self.calendars[task.calendar].first_workday(day)

    def last_start(self, i: int, day: int) -> int:
        """The last day ``<= day`` task ``i`` may start on."""
        task = self.tasks[i]
        if task.calendar < 0 or task.duration <= 0:
            return day
        return self.calendars[task.calendar].last_workday(day)

    def longest_span(self, i: int) -> int:
        """The most days of the axis task ``i`` can last (its duration without a
        calendar)."""
        task = self.tasks[i]
        if task.calendar < 0 or task.duration <= 0:
            return task.duration
        return self.calendars[task.calendar].longest_span(task.duration)

    def start_distance(self, link: Link) -> int:
        """``c`` with ``s_succ >= s_pred + c`` in every plan (FS ``d_a + l``, SS ``l``, FF
        ``d_a + l - d_b``, SF ``l - d_b`` without calendars): each task's shortest span
        (its duration) where the link reads the predecessor's end, the longest where it
        reads the successor's. Exact without calendars; `link_bound` is exact always."""
        a = self.tasks[link.pred]
        if link.type == LinkType.FS:
            return a.duration + link.lag
        if link.type == LinkType.SS:
            return link.lag
        if link.type == LinkType.FF:
            return a.duration + link.lag - self.longest_span(link.succ)
        return link.lag - self.longest_span(link.succ)

    def may_start(self, i: int, day: int) -> bool:
        task = self.tasks[i]
        return task.calendar < 0 or task.duration <= 0 or self.calendars[task.calendar].works(day)

    def link_bound(self, link: Link, pred_start: int) -> int:
        """The earliest start of ``link.succ`` the link allows when ``link.pred`` starts on
        ``pred_start`` (exact with calendars)."""
        a, b, lag = link.pred, link.succ, link.lag
        if link.type == LinkType.FS:
            return self.end_of(a, pred_start) + lag
        if link.type == LinkType.SS:
            return pred_start + lag
        floor = self.end_of(a, pred_start) + lag if link.type == LinkType.FF else pred_start + lag
        return self.first_end_start(b, floor)  # e_b >= floor

    def first_end_start(self, i: int, end: int) -> int:
        """The earliest start of task ``i`` whose end is ``>= end``."""
        start = self.start_for(i, end)
        return start if self.end_of(i, start) >= end else self.first_start(i, start + 1)

    def link_latest(self, link: Link, succ_start: int) -> int:
        """The latest start of ``link.pred`` the link allows when ``link.succ`` starts on
        ``succ_start`` (the backward reading of `link_bound`)."""
        a, b, lag = link.pred, link.succ, link.lag
        if link.type == LinkType.FS:
            return self.start_for(a, succ_start - lag)
        if link.type == LinkType.SS:
            return succ_start - lag
        ceiling = self.end_of(b, succ_start) - lag
        return self.start_for(a, ceiling) if link.type == LinkType.FF else ceiling

    def ends(self, starts: Sequence[int]) -> list[int]:
        return [self.end_of(i, s) for i, s in enumerate(starts)]

    @property
    def has_calendars(self) -> bool:
        """True when tasks may work by calendars of their own (their length on the axis
        then depends on their start). Read from ``calendars``, not the tasks: the greedy
        asks it for every task it places (a scan made atlas-27's greedy 5 times slower)."""
        return bool(self.calendars)

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
    ends = instance.ends(starts)
    makespan = max(ends, default=0)
    tardiness = 0
    for milestone in instance.milestones:
        if milestone.target is None or not milestone.tasks:
            continue
        day = max(ends[i] for i in milestone.tasks) - 1
        tardiness += milestone.weight * max(0, day - milestone.target)
    return tardiness, makespan


def late_last_tasks(instance: Instance, ends: Sequence[int]) -> Iterator[tuple[Milestone, int]]:
    """Each milestone reached after its target, with its last task (the one that ends
    last; the first such task on a tie): where its driving chain starts."""
    for milestone in instance.milestones:
        if milestone.target is None or not milestone.tasks:
            continue
        last = max(milestone.tasks, key=lambda i: (ends[i], -i))
        if ends[last] - 1 > milestone.target:
            yield milestone, last


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
    if instance.has_calendars:
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
