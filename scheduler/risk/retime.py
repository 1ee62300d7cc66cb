"""Re-time a plan in its baseline's order: the fast mode of `modsched risk`.

The baseline fixes, besides the links, who works after whom: each named crew's tasks one
after the other (``s_b >= e_a + travel``), each resource's and factory's tasks in the
order they started (``s_b >= s_a``). `sequence_of` reads that order once; `retime` then
places every task of a sample's instance, in that order, at its earliest start that the
links, its crews' previous tasks and its resources' previous starts allow and on which
the capacities hold: resources and factories, crew pools on days of lower availability,
and power (the gate's supply, each level's MW, energised load to the end). A slipped
supply or a longer task pushes what depends on it; nobody is re-assigned and nothing
jumps ahead on a crew, resource or factory. With the baseline's own durations and dates
a left-justified baseline comes back unchanged (tests/test_risk.py).

Each task's *driver* is the task whose end or start set its start (-1 when its release,
a capacity or power did): a late milestone's driving chain follows them back, as
`explain`'s why-chains do for a plan.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from scheduler.instance import Gate, Instance, LinkType, Window

LEVELS = (int(Gate.ANY), int(Gate.TEMPORARY), int(Gate.PERMANENT))
# a link's code: even from the other task's end, odd from its start; below 2 the bound is
# on this task's start, from 2 on its end (LinkType's inequalities)
LINK_CODES = {LinkType.FS: 0, LinkType.SS: 1, LinkType.FF: 2, LinkType.SF: 3}


class _Short(Exception):
    """The day arrays end before a task would: start again with longer ones."""


class RetimeError(Exception):
    """The baseline's order cannot be kept (a cycle through negative lags), or a task
    finds no day on which power or capacity ever suffices."""


@dataclass(frozen=True)
class Sequence:
    """The baseline's order: placement order, and per task the tasks it follows."""

    order: tuple[int, ...]
    crews: tuple[tuple[str, ...], ...]
    after_end: tuple[tuple[tuple[int, int], ...], ...]  # (a, gap): s >= e_a + gap
    after_start: tuple[tuple[int, ...], ...]  # a: s >= s_a
    links_in: tuple[tuple[tuple[int, int, int], ...], ...]  # (pred, LINK_CODES, lag)
    resource_users: dict[str, tuple[tuple[int, int], ...]]  # resource -> (task, amount)
    pool_users: dict[str, tuple[tuple[int, int], ...]]  # pool with windows -> (task, crews)
    finish: int  # the baseline's last end


@dataclass(frozen=True)
class Retimed:
    starts: list[int]
    ends: list[int]
    drivers: list[int]


def sequence_of(instance: Instance, starts: list[int], crews: list[tuple[str, ...]]) -> Sequence:
    """Read the order of a valid plan of ``instance``."""
    n = instance.num_tasks
    ends = [instance.end_of(i, s) for i, s in enumerate(starts)]
    tasks, travel = instance.tasks, instance.travel
    after_end: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    after_start: list[list[int]] = [[] for _ in range(n)]
    by_crew: dict[str, list[int]] = defaultdict(list)
    by_resource: dict[str, list[int]] = defaultdict(list)
    for i in range(n):
        if ends[i] <= starts[i]:
            continue  # works no day: holds no crew and no resource
        for crew in dict.fromkeys(crews[i]):
            by_crew[crew].append(i)
        for rid in tasks[i].resources:
            by_resource[rid].append(i)
    for chain in by_crew.values():
        chain.sort(key=lambda i: (starts[i], ends[i], i))
        for a, b in itertools.pairwise(chain):
            after_end[b].append((a, travel.days(tasks[a].site, tasks[b].site)))
    for users in by_resource.values():
        users.sort(key=lambda i: (starts[i], i))
        for a, b in itertools.pairwise(users):
            after_start[b].append(a)
    links_in: list[list[tuple[int, int, int]]] = [[] for _ in range(n)]
    for link in instance.links:
        links_in[link.succ].append((link.pred, LINK_CODES[link.type], link.lag))
    preds = [
        {a for a, _, _ in links_in[i]} | {a for a, _ in after_end[i]} | set(after_start[i])
        for i in range(n)
    ]
    order = _order(preds, starts)
    resource_users = {
        r.id: tuple((i, t.resources[r.id]) for i, t in enumerate(tasks) if t.resources.get(r.id))
        for r in instance.resources
    }
    pool_users = {}
    for pool in instance.pools:
        if pool.windows:  # without windows its named crews' chains say it all
            mine = pool.id + "#"
            counts = [(i, sum(c.startswith(mine) for c in names)) for i, names in enumerate(crews)]
            pool_users[pool.id] = tuple((i, k) for i, k in counts if k)
    return Sequence(
        order,
        tuple(tuple(c) for c in crews),
        tuple(tuple(x) for x in after_end),
        tuple(tuple(x) for x in after_start),
        tuple(tuple(x) for x in links_in),
        resource_users,
        pool_users,
        max(ends, default=0),
    )


def _order(preds: list[set[int]], starts: list[int]) -> tuple[int, ...]:
    """Every task after all it follows, by baseline start among those ready (Kahn)."""
    n = len(preds)
    waiting = [len(p) for p in preds]
    succs: list[list[int]] = [[] for _ in range(n)]
    for i, p in enumerate(preds):
        for a in p:
            succs[a].append(i)
    ready = [(starts[i], i) for i in range(n) if not waiting[i]]
    heapq.heapify(ready)
    order = []
    while ready:
        _, i = heapq.heappop(ready)
        order.append(i)
        for b in succs[i]:
            waiting[b] -= 1
            if not waiting[b]:
                heapq.heappush(ready, (starts[b], b))
    if len(order) < n:
        raise RetimeError(
            "the baseline's order has a cycle through links with negative lags; use --mode resolve"
        )
    return tuple(order)


class _Profiles:
    """Use and capacity per day of each resource, each crew pool whose availability
    changes, and each site's power level (index = level, 1..3)."""

    def __init__(self, instance: Instance, sequence: Sequence, length: int) -> None:
        self.instance = instance
        self.length = length
        self.terms: list[list[tuple[np.ndarray, np.ndarray, int]]] = [[] for _ in instance.tasks]
        for r in instance.resources:
            users = sequence.resource_users.get(r.id, ())
            if users:
                self._add(users, r.capacity, r.windows)
        for pool in instance.pools:
            users = sequence.pool_users.get(pool.id, ())
            if users:
                self._add(users, pool.count, pool.windows)
        self.supply: dict[str, list[np.ndarray]] = {}
        self.power: dict[str, list[np.ndarray]] = {}
        for site in instance.sites():
            levels = [np.zeros(length, dtype=np.int64) for _ in range(4)]
            for s in instance.supplies:
                end = length if s.end is None else min(s.end, length)
                if s.site == site and s.start < end:
                    for g in LEVELS[: int(s.kind)]:
                        levels[g][max(s.start, 0) : end] += s.kw
            self.supply[site] = levels
            self.power[site] = [np.zeros(length, dtype=np.int64) for _ in range(4)]

    def _add(
        self, users: tuple[tuple[int, int], ...], capacity: int, windows: tuple[Window, ...]
    ) -> None:
        cap = np.full(self.length, capacity, dtype=np.int64)
        for w in windows:
            cap[max(w.start, 0) : max(w.end, 0)] = w.value
        use = np.zeros(self.length, dtype=np.int64)
        for i, amount in users:
            self.terms[i].append((use, cap, amount))

    def checked(self, i: int) -> bool:
        task = self.instance.tasks[i]
        return bool(self.terms[i]) or (task.gate > 0 and task.site is not None)

    def first_fit(self, i: int, s: int) -> int:
        """The earliest start from ``s`` on which every capacity of task ``i`` holds."""
        while True:
            e = self.instance.end_of(i, s)
            if e >= self.length:
                raise _Short()
            bad = self._last_bad(i, s, e)
            if bad < 0:
                return s
            s = self.instance.first_start(i, bad + 1)

    def _last_bad(self, i: int, s: int, e: int) -> int:
        bad = -1
        for use, cap, amount in self.terms[i]:
            bad = max(bad, _last(use[s:e] + amount > cap[s:e], s))
        task = self.instance.tasks[i]
        if task.gate <= 0 or task.site is None or e <= s:
            return bad
        supply, power = self.supply[task.site], self.power[task.site]
        bad = max(bad, _last(supply[int(task.gate)][s:e] <= 0, s))
        draw, load = task.power_kw, task.energise_kw
        for g in LEVELS[: int(task.gate)]:
            if draw or load:
                bad = max(bad, _last(power[g][s:e] + (draw + load) > supply[g][s:e], s))
            if load:
                bad = max(bad, _last(power[g][e:] + load > supply[g][e:], e))
        return bad

    def place(self, i: int, s: int, e: int) -> None:
        for use, _, amount in self.terms[i]:
            use[s:e] += amount
        task = self.instance.tasks[i]
        if task.site is None or not (task.power_kw or task.energise_kw) or e <= s:
            return
        power = self.power[task.site]
        for g in LEVELS[: int(task.gate)]:
            power[g][s:e] += task.power_kw
            power[g][s:] += task.energise_kw


def _last(bad: np.ndarray, offset: int) -> int:
    """The last day flagged in ``bad`` (a window starting at ``offset``), or -1."""
    if not bad.any():
        return -1
    return offset + len(bad) - 1 - int(bad[::-1].argmax())


def retime(instance: Instance, sequence: Sequence) -> Retimed:
    """Place every task of ``instance`` in the order ``sequence`` keeps (module docstring).

    The capacities' day arrays start half as long again as the baseline and past every
    supply change (after which supply and energised load stay as they are); a task that
    would end beyond them starts the pass again with arrays twice as long, up to the
    instance's horizon, past which no task finds the days it needs."""
    changes = [s.start for s in instance.supplies] + [s.end or 0 for s in instance.supplies]
    length = max([sequence.finish, *changes]) + sequence.finish // 2 + 64
    while True:
        try:
            return _pass(instance, sequence, min(length, instance.horizon + 1))
        except _Short:
            if length > instance.horizon:
                raise RetimeError(
                    "a task finds no day with enough power or capacity before the horizon"
                ) from None
            length *= 2


def _link_bound(instance: Instance, i: int, code: int, day: int, lag: int) -> int:
    """The earliest start of task ``i`` that a link allows, ``day`` being the other task's
    end (FS, FF) or start (SS, SF): a start for FS and SS, an end for FF and SF (as
    `Instance.link_bound` reads a link, from the other task's day already known)."""
    return day + lag if code < 2 else instance.first_end_start(i, day + lag)


def _pass(instance: Instance, sequence: Sequence, length: int) -> Retimed:
    tasks = instance.tasks
    n = len(tasks)
    starts, ends, drivers = [0] * n, [0] * n, [-1] * n
    profiles = _Profiles(instance, sequence, length)
    for i in sequence.order:
        lb, driver = tasks[i].release, -1
        for a, code, lag in sequence.links_in[i]:
            bound = _link_bound(instance, i, code, starts[a] if code % 2 else ends[a], lag)
            if bound > lb:
                lb, driver = bound, a
        for a, gap in sequence.after_end[i]:
            if ends[a] + gap > lb:
                lb, driver = ends[a] + gap, a
        for a in sequence.after_start[i]:
            if starts[a] > lb:
                lb, driver = starts[a], a
        s = instance.first_start(i, lb)  # a workday of its calendar: the driver stays
        if profiles.checked(i):
            fit = profiles.first_fit(i, s)
            if fit != s:
                driver = -1
            s = fit
        starts[i], ends[i], drivers[i] = s, instance.end_of(i, s), driver
        profiles.place(i, s, ends[i])
    return Retimed(starts, ends, drivers)
