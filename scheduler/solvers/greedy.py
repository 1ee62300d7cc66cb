"""Greedy serial schedule-generation scheme (priority-rule list scheduling).

The way Primavera P6 or Microsoft Project level resources: tasks are taken one at a time,
among those whose predecessors are all placed, in the order of a priority rule, and each is
placed at its earliest start that respects everything placed before it: links, release,
resources, crews (individual ``pool#k``), crew-pool windows, site power (running draw,
energised load that stays, supply gates) and the travel days of a crew between sites (a
crew is free for a task at site A when no day of its work at another site B lies within
the travel days of A and B before or after the task). Pinned tasks (``fixed_start``) are
placed first.

It is the baseline every CP-SAT result is compared with and the warm start of CP-SAT, so it
is built for size: per-day numpy arrays for every resource, pool, crew and site power level,
grown when a start runs past their end, and a jump-ahead search over start days.

Public API: ``greedy(instance, rule)``, ``best_greedy(instance)``, ``best_rule(instance)``,
``rule_plans(instance)``,
``PRIORITY_RULES``, and ``rule_order(instance, rule)`` for searches over the order.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import multiprocessing
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np

from scheduler.instance import Instance, Link, Solution, Task, WorkCalendar, objective_value
from scheduler.solvers.budget import interrupted, raise_if_interrupted
from scheduler.workers import WorkerDied, fork_each

log = logging.getLogger(__name__)

PRIORITY_RULES: tuple[str, ...] = ("lst", "lft", "est", "target", "mts")
"""Rules ``greedy`` knows, each a sort key among eligible tasks (ties by index):

- ``lst``: latest start of a backward CPM pass whose due dates are deadlines, milestone
  deadlines and milestone targets (tasks with none are due at the CPM horizon);
- ``lft``: latest finish of the same pass;
- ``est``: earliest start of a forward CPM pass (releases and links only), then ``lst``;
- ``target``: earliest milestone target the task leads to (itself or through successors),
  then ``lst``;
- ``mts``: most total (transitive) successors, then ``lst``.
"""

_NEVER = 1 << 60  # an upper bound that never binds
_LEVELS = 3  # gate / supply levels 1..3 (ANY, TEMPORARY, PERMANENT)
_OPEN = 1 << 30  # the idle gap after a crew's last task


class _Infeasible(Exception):
    """A task cannot be placed; the message says which and why."""


class _Late(_Infeasible):
    """Task ``task`` cannot start by its latest start (a deadline binds): worth a retry with
    that task promoted."""

    def __init__(self, message: str, task: int) -> None:
        super().__init__(message)
        self.task = task


# ---------------------------------------------------------------------------------------
# Public API


def greedy(
    instance: Instance,
    rule: str = "lst",
    repairs: int = 5,
    order: list[int] | None = None,
    prefer: list[tuple[str, ...]] | None = None,
) -> Solution | None:
    """Schedule ``instance`` with the serial scheme and priority ``rule``, or, given
    ``order`` (a key per task, smaller first), in that order: with the starts of a plan as
    the order this left-justifies it, no task starting later than it did.

    When a task misses its latest start (a deadline, a milestone deadline or a pinned
    successor binds), it and its ancestors are promoted ahead of every other task and the
    scheme starts over, at most ``repairs`` times. ``prefer`` (crews per task, as a
    baseline names them) are taken first where free. Returns None (and logs the reason at
    WARNING) when a task still cannot be placed: no start within its deadline, power or
    capacity that never suffices, a cycle of links.
    """
    if rule not in PRIORITY_RULES:
        raise ValueError(f"unknown priority rule {rule!r}; known: {', '.join(PRIORITY_RULES)}")
    try:
        network = _Network.build(instance)
        keys = (
            [(order[i], i) for i in range(instance.num_tasks)]
            if order is not None
            else network.priority(rule)
        )
        boost = [0] * instance.num_tasks
        for attempt in range(repairs + 1):
            try:
                return _Scheduler(instance, network, prefer).run(
                    [(-b, *key) for b, key in zip(boost, keys, strict=True)]
                )
            except _Late as exc:
                if attempt == repairs:
                    raise
                log.info("greedy(%s): %s; promoting it and retrying", rule, exc)
                for i in network.ancestors(exc.task):
                    boost[i] += 1
    except _Infeasible as exc:
        log.info("greedy(%s) found no schedule for %s: %s", rule, instance.name, exc)
    return None


def best_greedy(instance: Instance) -> Solution | None:
    """Run every rule of ``PRIORITY_RULES`` and keep the lowest ``objective_value``."""
    found = best_rule(instance)
    return None if found is None else found[1]


# From this many tasks `rule_plans` runs the rules in parallel processes when it may
# (atlas-27, 9,525 tasks with travel and calendars: 31-34 s of CPU for the five rules,
# docs/BENCHMARKS.md); below it a fork costs more than it saves.
PARALLEL_TASKS = 2_000
_SHARED: list[Instance] = []  # the instance forked rule workers read (`_rule_plan`)


def best_rule(
    instance: Instance, processes: int = 1, deadline: float | None = None
) -> tuple[str, Solution] | None:
    """`best_greedy`, with the rule that gave its plan (the first of equals in
    ``PRIORITY_RULES``, so the answer does not depend on ``processes``), of the rules
    `rule_plans` runs."""
    return best_of(instance, rule_plans(instance, processes, deadline))


def rule_plans(
    instance: Instance,
    processes: int = 1,
    deadline: float | None = None,
    stop: threading.Event | None = None,
) -> dict[str, Solution | None]:
    """Each rule's plan (None: the rule placed no plan). With ``processes`` > 1, a
    program of ``PARALLEL_TASKS`` tasks or more and a process that may have children,
    the rules run in that many forked processes, slowest first. Past ``deadline``
    (`time.perf_counter`, the run's time limit) the rules still running stop once one has
    a plan, and are missing: a limit shorter than the five rules gets the first plan
    (atlas-27 at --time-limit 5 waited for all five: 42-59 s on a busy machine). A
    `Stop` set meanwhile (Ctrl-C, SIGTERM) ends them all: `Interrupted`."""
    forks = rule_processes(instance, processes)
    plans = _parallel_rules(instance, forks, deadline, stop) if forks > 1 else None
    if plans is None:
        plans = {}
        for rule in PRIORITY_RULES:
            raise_if_interrupted(stop)
            if _past(deadline, plans):
                break
            plans[rule] = greedy(instance, rule)
    raise_if_interrupted(stop)
    return plans


def best_of(instance: Instance, plans: dict[str, Solution | None]) -> tuple[str, Solution] | None:
    """The rule of ``plans`` whose plan has the lowest `objective_value` (the first of
    equals in ``PRIORITY_RULES``), with its plan."""
    best: tuple[str, Solution] | None = None
    best_value = 0
    for rule in PRIORITY_RULES:
        solution = plans.get(rule)
        if solution is None:
            continue
        value = objective_value(instance, solution.starts)
        if best is None or value < best_value:
            best, best_value = (rule, solution), value
    return best


def rule_processes(instance: Instance, processes: int) -> int:
    """How many processes `rule_plans` runs the rules in, given ``processes``."""
    if processes > 1 and instance.num_tasks >= PARALLEL_TASKS and _may_fork():
        return min(processes, len(PRIORITY_RULES))
    return 1


def _past(deadline: float | None, plans: dict[str, Solution | None]) -> bool:
    """Whether the rules not yet done stop: past ``deadline`` with a plan in hand."""
    return deadline is not None and time.perf_counter() >= deadline and any(plans.values())


def _may_fork() -> bool:
    """Not in a pool's worker (a what-if scenario: it may not start processes of its
    own), and in the main thread: a task run on a thread of a Dask worker forks a
    process whose other threads may hold locks."""
    return (
        not multiprocessing.current_process().daemon
        and threading.current_thread() is threading.main_thread()
    )


def _parallel_rules(
    instance: Instance,
    processes: int,
    deadline: float | None = None,
    stop: threading.Event | None = None,
) -> dict[str, Solution | None] | None:
    """Each rule's plan, the rules run in up to ``processes`` forked processes (one a
    rule, the slowest first), those still running past ``deadline`` stopped once one has
    a plan; None when one of them died (the out-of-memory killer, a signal): the caller
    then runs the rules here."""
    # the slowest rule first (most total successors: 10-12 s of atlas-27's 31-34)
    order = ["mts", *(r for r in PRIORITY_RULES if r != "mts")]
    _SHARED.append(instance)
    plans: dict[str, Solution | None] = {}

    def until() -> bool:
        return _past(deadline, plans) or interrupted(stop)

    try:
        for _, (rule, plan) in fork_each(_rule_plan, order, processes, until=until):
            plans[rule] = plan
        return plans
    except WorkerDied as exc:
        log.warning("a process of the greedy rules died (%s); running them here", exc)
        return None
    finally:
        _SHARED.clear()


def _rule_plan(rule: str) -> tuple[str, Solution | None]:
    return rule, greedy(_SHARED[-1], rule)


# Rules whose first key is a day (a latest start, a target, ...): moving a task earlier in
# their order by some days means something (solvers/promote.py)
DAY_RULES: tuple[str, ...] = ("lst", "lft", "est", "target")
DAY_SCALE = 1 << 62  # above every second key, so that one number keeps the rule's order


def rule_order(instance: Instance, rule: str) -> list[int]:
    """The order of ``rule`` (one of ``DAY_RULES``) as one number a task, for
    ``greedy(order=...)``: its first key (a day) times ``DAY_SCALE`` plus its second; the
    scheme places tasks in the same order as under ``rule``."""
    if rule not in DAY_RULES:
        raise ValueError(f"rule {rule!r} does not order by days; those that do: {DAY_RULES}")
    keys = _Network.build(instance).priority(rule)
    return [first * DAY_SCALE + second for first, second, _ in keys]


# ---------------------------------------------------------------------------------------
# Precedence network: topological order, CPM passes, priorities


def _topological(n: int, preds: list[list[tuple[int, int]]], free: list[bool]) -> list[int]:
    """Kahn order of the free (unpinned) tasks over links among free tasks."""
    indegree = [0] * n
    succs: list[list[int]] = [[] for _ in range(n)]
    for b in range(n):
        for a, _ in preds[b]:
            if free[a] and free[b]:
                indegree[b] += 1
                succs[a].append(b)
    stack = [i for i in range(n) if free[i] and indegree[i] == 0]
    order: list[int] = []
    while stack:
        a = stack.pop()
        order.append(a)
        for b in succs[a]:
            indegree[b] -= 1
            if indegree[b] == 0:
                stack.append(b)
    if len(order) != sum(free):
        raise _Infeasible("the links between unpinned tasks form a cycle")
    return order


@dataclass
class _Network:
    """Links as start offsets, a topological order and the CPM quantities of each task."""

    instance: Instance
    preds: list[list[tuple[int, int]]]  # per task: (pred, offset)
    succs: list[list[tuple[int, int]]]  # per task: (succ, offset)
    order: list[int]  # topological order of the unpinned tasks
    earliest: list[int] = field(default_factory=list)  # forward CPM start
    latest: list[int] = field(default_factory=list)  # backward CPM start, targets included
    hard_latest: list[int] = field(default_factory=list)  # backward CPM start, deadlines only
    pred_links: list[list[Link]] = field(default_factory=list)  # per task: its links in

    @classmethod
    def build(cls, instance: Instance) -> _Network:
        """Offsets, order and both CPM passes."""
        n = instance.num_tasks
        tasks = instance.tasks
        preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        succs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        pred_links: list[list[Link]] = [[] for _ in range(n)]
        for link in instance.links:
            offset = instance.start_distance(link)
            preds[link.succ].append((link.pred, offset))
            succs[link.pred].append((link.succ, offset))
            pred_links[link.succ].append(link)
        free = [t.fixed_start is None for t in tasks]
        network = cls(instance, preds, succs, _topological(n, preds, free))
        network.pred_links = pred_links
        network.earliest = network._forward()
        horizon = max([instance.horizon, *instance.ends(network.earliest)])
        network.latest = network._backward(network._due(targets=True, horizon=horizon))
        network.hard_latest = network._backward(network._due(targets=False, horizon=None))
        return network

    def _forward(self) -> list[int]:
        """Earliest starts from releases and links (pinned tasks at their start)."""
        tasks = self.instance.tasks
        earliest = [
            t.fixed_start if t.fixed_start is not None else max(0, t.release) for t in tasks
        ]
        instance = self.instance
        exact = instance.has_calendars
        for b in self.order:
            if exact:
                for link in self.pred_links[b]:
                    earliest[b] = max(earliest[b], instance.link_bound(link, earliest[link.pred]))
                earliest[b] = instance.first_start(b, earliest[b])
                continue
            for a, offset in self.preds[b]:
                earliest[b] = max(earliest[b], earliest[a] + offset)
        return earliest

    def _due(self, targets: bool, horizon: int | None) -> list[int]:
        """Latest start from each task's own due dates, before propagation.

        Due ends: the task deadline, ``deadline + 1`` and (if ``targets``) ``target + 1`` of
        its milestones, else ``horizon`` (``_NEVER`` when None).
        """
        tasks = self.instance.tasks
        due_end = [t.deadline if t.deadline is not None else _NEVER for t in tasks]
        for milestone in self.instance.milestones:
            days = [milestone.deadline] + ([milestone.target] if targets else [])
            for day in days:
                if day is None:
                    continue
                for i in milestone.tasks:
                    due_end[i] = min(due_end[i], day + 1)
        fallback = _NEVER if horizon is None else horizon
        return [
            t.fixed_start
            if t.fixed_start is not None
            else self.instance.start_for(i, end if end < _NEVER else fallback)
            for i, (t, end) in enumerate(zip(tasks, due_end, strict=True))
        ]

    def _backward(self, latest: list[int]) -> list[int]:
        """Propagate latest starts backwards through the links (pinned tasks stay)."""
        instance = self.instance
        if instance.has_calendars:
            succ_links: list[list[Link]] = [[] for _ in range(instance.num_tasks)]
            for link in instance.links:
                succ_links[link.pred].append(link)
            for a in reversed(self.order):
                for link in succ_links[a]:
                    bound = instance.link_latest(link, latest[link.succ])
                    latest[a] = min(latest[a], instance.last_start(a, bound))
            return latest
        for a in reversed(self.order):
            for b, offset in self.succs[a]:
                latest[a] = min(latest[a], latest[b] - offset)
        return latest

    def ancestors(self, task: int) -> list[int]:
        """``task`` and every unpinned task it transitively depends on."""
        tasks = self.instance.tasks
        seen = {task}
        stack = [task]
        while stack:
            for a, _ in self.preds[stack.pop()]:
                if a not in seen and tasks[a].fixed_start is None:
                    seen.add(a)
                    stack.append(a)
        return sorted(seen)

    def _successor_counts(self) -> list[int]:
        """Number of transitive successors of each task (bitsets as Python ints)."""
        n = self.instance.num_tasks
        bits = [0] * n
        for a in reversed(self.order):
            acc = 0
            for b, _ in self.succs[a]:
                acc |= bits[b] | (1 << b)
            bits[a] = acc
        return [b.bit_count() for b in bits]

    def _earliest_targets(self) -> list[int]:
        """Earliest milestone target each task leads to, through its successors."""
        target = [_NEVER] * self.instance.num_tasks
        for milestone in self.instance.milestones:
            if milestone.target is not None:
                for i in milestone.tasks:
                    target[i] = min(target[i], milestone.target)
        for a in reversed(self.order):
            for b, _ in self.succs[a]:
                target[a] = min(target[a], target[b])
        return target

    def priority(self, rule: str) -> list[tuple[int, ...]]:
        """Sort key of each task under ``rule`` (smaller goes first)."""
        tasks = self.instance.tasks
        n = len(tasks)
        latest, earliest = self.latest, self.earliest
        if rule == "lst":
            return [(latest[i], earliest[i], i) for i in range(n)]
        if rule == "lft":
            return [(latest[i] + tasks[i].duration, earliest[i], i) for i in range(n)]  # a rank
        if rule == "est":
            return [(earliest[i], latest[i], i) for i in range(n)]
        if rule == "target":
            target = self._earliest_targets()
            return [(target[i], latest[i], i) for i in range(n)]
        if rule == "mts":
            counts = self._successor_counts()
            return [(-counts[i], latest[i], i) for i in range(n)]
        raise ValueError(rule)


# ---------------------------------------------------------------------------------------
# What one task needs, resolved to array rows


@dataclass
class _Need:
    """A task's demands as rows of the day arrays."""

    duration: int
    resources: list[tuple[int, int]]  # (resource row, amount)
    skills: list[tuple[str, int, list[int]]]  # (skill, crews, eligible pools in order)
    pools: list[int]  # union of eligible pools
    site: int  # row of the site's power arrays, -1 when the task has no site
    gate: int  # effective gate 0..3
    power_kw: int
    energise_kw: int
    place: int = -1  # the task's site among ``Instance.sites()`` (travel), -1 without one
    prefer: frozenset[tuple[int, int]] = frozenset()  # (pool, crew row) to take first
    calendar: WorkCalendar | None = None  # the task's own calendar (None: every day)

    def end(self, s: int) -> int:
        """The end of a start on ``s``: ``duration`` workdays of its calendar later."""
        if self.calendar is None:
            return s + self.duration
        return self.calendar.end(s, self.duration)


def _eligible(
    instance: Instance, skill: str, site: str | None, cache: dict[tuple[str, str | None], list[int]]
) -> list[int]:
    """Pools with crews that serve ``skill`` at ``site``, specialists first (so that
    multi-skill crews stay free for what only they can do)."""
    key = (skill, site)
    if key not in cache:
        pools = [
            p
            for p, pool in enumerate(instance.pools)
            if pool.count > 0 and pool.serves(skill, site)
        ]
        cache[key] = sorted(pools, key=lambda p: (len(instance.pools[p].skills), p))
    return cache[key]


def _need(
    instance: Instance,
    task: Task,
    res_row: dict[str, int],
    site_row: dict[str, int],
    cache: dict[tuple[str, str | None], list[int]],
    places: dict[str, int],
) -> _Need:
    """Resolve a task's demands; raises when a demand names nothing that exists."""
    resources = []
    for rid, amount in task.resources.items():
        if rid not in res_row:
            raise _Infeasible(f"task {task.id}: unknown resource {rid!r}")
        if amount > 0:
            resources.append((res_row[rid], amount))
    skills = []
    for skill, count in task.skills.items():
        if count <= 0:
            continue
        pools = _eligible(instance, skill, task.site, cache)
        if not pools:
            raise _Infeasible(f"task {task.id}: no crew pool serves {skill!r} at {task.site}")
        skills.append((skill, count, pools))
    union = sorted({p for _, _, pools in skills for p in pools})
    gate = int(task.gate)  # a draw without a gate is ANY (Task)
    site = site_row.get(task.site, -1) if task.site is not None else -1
    if gate and site < 0:
        raise _Infeasible(f"task {task.id}: needs power but its site has no supply")
    place = places.get(task.site, -1) if task.site is not None and task.duration > 0 else -1
    calendar = instance.calendars[task.calendar] if task.calendar >= 0 and task.duration else None
    return _Need(
        task.duration,
        resources,
        skills,
        union,
        site,
        gate,
        task.power_kw,
        task.energise_kw,
        place,
        calendar=calendar,
    )


# ---------------------------------------------------------------------------------------
# Crew matching


def _match(
    skills: list[tuple[str, int, list[int]]], caps: dict[int, int]
) -> list[dict[int, int]] | None:
    """Crews per (skill, pool) covering every skill need within pool ``caps``, or None.

    A tiny max-flow by unit augmenting paths: skill units on one side, pools (with a
    capacity) on the other.
    """
    left = dict(caps)
    used: list[dict[int, int]] = [{} for _ in skills]
    for k, (_, count, _) in enumerate(skills):
        for _ in range(count):
            if not _augment(k, skills, left, used, set()):
                return None
    return used


def _augment(
    k: int,
    skills: list[tuple[str, int, list[int]]],
    left: dict[int, int],
    used: list[dict[int, int]],
    seen: set[int],
) -> bool:
    """Give skill ``k`` one more crew, moving other skills' crews to other pools if needed."""
    for p in skills[k][2]:
        if p in seen:
            continue
        seen.add(p)
        if left[p] > 0:
            left[p] -= 1
            used[k][p] = used[k].get(p, 0) + 1
            return True
        for k2, other in enumerate(used):
            if k2 != k and other.get(p, 0) > 0 and _augment(k2, skills, left, used, seen):
                other[p] -= 1
                used[k][p] = used[k].get(p, 0) + 1
                return True
    return False


# ---------------------------------------------------------------------------------------
# Day arrays


class _Days:
    """Free capacity per day: resources, pools, individual crews, site power levels.

    Beyond ``stable`` every array is constant, and the arrays always reach past it, so
    growing an array repeats its last day.
    """

    def __init__(self, instance: Instance, length: int) -> None:
        self.instance = instance
        self.length = length
        self.res_row = {r.id: k for k, r in enumerate(instance.resources)}
        self.site_row = {s: k for k, s in enumerate(sorted({s.site for s in instance.supplies}))}
        self.res_free = np.zeros((len(instance.resources), length), dtype=np.int64)
        for k, resource in enumerate(instance.resources):
            self.res_free[k] = _windowed(resource.capacity, resource.windows, length)
        self.pool_free = np.zeros((len(instance.pools), length), dtype=np.int64)
        for k, pool in enumerate(instance.pools):
            self.pool_free[k] = _windowed(pool.count, pool.windows, length)
        self.busy = [np.zeros((pool.count, length), dtype=bool) for pool in instance.pools]
        self.supply = np.zeros((len(self.site_row), _LEVELS, length), dtype=np.int64)
        for supply in instance.supplies:
            end = length if supply.end is None else supply.end
            for g in range(int(supply.kind)):
                self.supply[self.site_row[supply.site], g, max(0, supply.start) : end] += supply.kw
        self.slack = self.supply.copy()
        self.stable = _stable_day(instance)
        # travel: the site each crew of a travelling pool works at per day (-1: none)
        sites = instance.sites()
        self.place_row = {site: k for k, site in enumerate(sites)}
        self.travel_days = np.zeros((len(sites), len(sites) + 1), dtype=np.int64)  # [:, -1]: 0
        for a, b in itertools.product(range(len(sites)), repeat=2):
            self.travel_days[a, b] = instance.travel.days(sites[a], sites[b])
        self.at_site = {
            p: np.full((instance.pools[p].count, length), -1, dtype=np.int32)
            for p in instance.travelling_pools()
        }
        self.reach = instance.travel.most if self.at_site else 0

    def ensure(self, end: int) -> None:
        """Grow every array so that it covers day ``end`` (and one day more)."""
        if end + 1 <= self.length:
            return
        extra = max(end + 1, 2 * self.length) - self.length
        self.res_free = _extend(self.res_free, extra)
        self.pool_free = _extend(self.pool_free, extra)
        self.supply = _extend(self.supply, extra)
        self.slack = _extend(self.slack, extra)
        self.busy = [
            np.concatenate([b, np.zeros((b.shape[0], extra), dtype=bool)], axis=1)
            for b in self.busy
        ]
        self.at_site = {
            p: np.concatenate([a, np.full((a.shape[0], extra), -1, dtype=np.int32)], axis=1)
            for p, a in self.at_site.items()
        }
        self.length += extra

    # -- probing a start -----------------------------------------------------------------

    def first_fit(self, need: _Need, s: int) -> int | None:
        """Earliest start ``>= s`` that resources, power and the per-day crew counts of the
        pools allow (individual crews are left to ``crews_at``); None if there is none.

        Vectorised: a mask of the days the task may run on and the first run of
        ``duration`` good days in it, scanned over a span that grows until the constant
        tail after ``stable``; an energised load first moves the start past its last
        short day (the load stays, so a start on or before that day fails).
        """
        if need.calendar is not None:
            return self._first_fit_calendar(need, s)
        d = need.duration
        limit = max(s, self.stable) + d + 1  # a start after max(s, stable) repeats it
        self.ensure(limit)
        earliest = self._energise_bound(need, s, limit) if need.energise_kw else s
        span = max(64, 4 * d)
        while True:
            hi = min(limit, max(s + span, earliest + d + 1))
            fit = _first_run(self._day_mask(need, s, hi), d, earliest - s, s)
            if fit is not None or hi == limit:
                return fit
            span *= 4

    def _first_fit_calendar(self, need: _Need, s: int) -> int | None:
        """`first_fit` for a task on its own calendar: the first workday start ``c`` whose
        days ``[c, end(c))`` are all good."""
        calendar, d = need.calendar, need.duration
        assert calendar is not None
        longest = calendar.longest_span(d)
        limit = calendar.first_workday(max(s, self.stable)) + longest + 1
        self.ensure(limit)
        earliest = self._energise_bound(need, s, limit) if need.energise_kw else s
        span = max(64, 4 * longest)
        while True:
            hi = min(limit, max(s + span, earliest + longest + 1))
            mask = self._day_mask(need, s, hi)
            first, last = calendar.index(earliest), calendar.index(hi)
            starts = calendar.days(first, last)
            if starts.size:
                ends = calendar.ends(starts, d)
                inside = ends <= hi
                starts, ends = starts[inside], ends[inside]
                bad = np.concatenate(([0], np.cumsum(~mask)))
                clear = np.flatnonzero(bad[ends - s] - bad[starts - s] == 0)
                if clear.size:
                    return int(starts[clear[0]])
            if hi == limit:
                return None
            span *= 4

    def _day_mask(self, need: _Need, s: int, hi: int) -> np.ndarray:
        """Days of ``[s, hi)`` with room for the task's resources, crews (pool level),
        gate supply and running power draw."""
        ok = np.ones(hi - s, dtype=bool)
        for row, amount in need.resources:
            ok &= self.res_free[row, s:hi] >= amount
        for _, count, pools in need.skills:
            ok &= self._pool_sum(pools, s, hi) >= count
        if len(need.skills) > 1:
            ok &= self._pool_sum(need.pools, s, hi) >= sum(c for _, c, _ in need.skills)
        if need.gate:
            site = need.site
            ok &= self.supply[site, need.gate - 1, s:hi] > 0
            running = need.power_kw + need.energise_kw
            if running:
                for g in range(need.gate):
                    ok &= self.slack[site, g, s:hi] >= running
        return ok

    def _pool_sum(self, pools: list[int], s: int, hi: int) -> np.ndarray:
        """Crews of ``pools`` free on each day of ``[s, hi)`` (pool level, not per crew)."""
        if len(pools) == 1:
            return self.pool_free[pools[0], s:hi]
        return self.pool_free[pools, s:hi].sum(axis=0)

    def _energise_bound(self, need: _Need, s: int, limit: int) -> int:
        """Earliest start ``>= s`` after every day of ``[s, limit)`` without room for the
        energised load (``limit`` reaches the constant tail)."""
        earliest = s
        for g in range(need.gate):
            short = self.slack[need.site, g, s:limit] < need.energise_kw
            earliest = max(earliest, _last_bad(short, s))
        return earliest

    def crews_at(self, need: _Need, s: int) -> tuple[int, list[list[int]] | None]:
        """Specific crews for a start at ``s``: ``(s, crews per skill)`` when they exist,
        else ``(next, None)`` with a later day before which no start can find crews."""
        if not need.skills:
            return s, []
        e = need.end(s)
        self.ensure(e + self.reach)
        caps: dict[int, int] = {}
        free_rows: dict[int, np.ndarray] = {}
        pool_bound = False
        away: dict[int, np.ndarray] = {}  # crews free but too far away, by pool
        for p in need.pools:
            free_rows[p] = np.flatnonzero(~self.busy[p][:, s:e].any(axis=1))
            if p in self.at_site and need.place >= 0 and free_rows[p].size:
                near = self._travel_ok(p, free_rows[p], need.place, s, e)
                if not near.all():
                    away[p] = free_rows[p][~near]
                free_rows[p] = free_rows[p][near]
            pool_min = int(self.pool_free[p, s:e].min()) if e > s else self.busy[p].shape[0]
            caps[p] = min(pool_min, free_rows[p].size)
            pool_bound |= pool_min < free_rows[p].size
        used = _match(need.skills, caps)
        if used is None:
            if pool_bound:
                return s + 1, None
            jump = self._crew_jump(need, s, e)
            for p, rows in away.items():
                jump = min(jump, self._travel_next(p, rows, need.place, s, e))
            return (s + 1 if jump >= _NEVER else jump), None
        per_pool: dict[int, int] = {}
        for share in used:
            for p, k in share.items():
                per_pool[p] = per_pool.get(p, 0) + k
        chosen = {p: self._best_fit(p, free_rows[p], k, s, e, need) for p, k in per_pool.items()}
        return s, _crews_by_skill(used, chosen)

    def _travel_ok(self, p: int, rows: np.ndarray, place: int, s: int, e: int) -> np.ndarray:
        """Per crew of ``rows``: no day of work at another site B in ``[s - t, s)`` or in
        ``[e, e + t)``, ``t`` the travel days between B and the task's site: a crew that
        ends at B on day ``x - 1`` starts here on ``x + t`` at the earliest, and back."""
        before, after, gap_before, gap_after = self._travel_gaps(p, rows, place, s, e)
        close = (before >= gap_before).any(axis=1) | (after >= gap_after).any(axis=1)
        return np.logical_not(close)

    def _travel_next(self, p: int, rows: np.ndarray, place: int, s: int, e: int) -> int:
        """The first start after ``s`` at which one of ``rows``, crews too far away for a
        start at ``s``, may be near: past ``x + t`` for each day ``x`` it works too close
        before, and past each day it works too close after (a later start only brings
        that work nearer, or into the task)."""
        before, after, gap_before, gap_after = self._travel_gaps(p, rows, place, s, e)
        day_before = s - gap_before
        clear = np.maximum(  # (either side may hold no day: a start on day 0)
            np.where(before >= gap_before, day_before + before + 1, s + 1).max(
                axis=1, initial=s + 1
            ),
            np.where(after >= gap_after, e + gap_after, s + 1).max(axis=1, initial=s + 1),
        )
        return int(clear.min())

    def _travel_gaps(
        self, p: int, rows: np.ndarray, place: int, s: int, e: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Travel days from the site each crew of ``rows`` works at on the days before
        ``s`` and from ``e`` on (within the longest trip), and each day's distance to the
        task in days (``s - day`` before; ``day - e + 1`` after)."""
        days = self.travel_days[place]  # by site row; index -1 (no site) gives 0
        lo = max(0, s - self.reach)
        before = days[self.at_site[p][rows, lo:s]]
        after = days[self.at_site[p][rows, e : e + self.reach]]
        gap_before = s - np.arange(lo, s)  # day t is s - gap: needs gap > travel
        gap_after = np.arange(1, after.shape[1] + 1)  # day t is e + gap - 1
        return before, after, gap_before, gap_after

    def _crew_jump(self, need: _Need, s: int, e: int) -> int:
        """The first start after ``s`` at which a crew busy in ``[s, e)`` could be free:
        before it, no crew is free that was not free at ``s`` (``_NEVER`` when none is
        busy)."""
        jump = _NEVER
        for p in need.pools:
            window = self.busy[p][:, s:e]
            busy_any = window.any(axis=1)
            if busy_any.any():
                last = (e - s) - 1 - window[busy_any][:, ::-1].argmax(axis=1)
                jump = min(jump, s + int(last.min()) + 1)
        return jump

    def _best_fit(self, p: int, rows: np.ndarray, k: int, s: int, e: int, need: _Need) -> list[int]:
        """The ``k`` free crews of pool ``p`` whose idle gap around ``[s, e)`` is smallest:
        a crew that has work later fills its gap first; among crews without later work,
        the one that finished last before ``s``. In a travelling pool, crews whose
        neighbouring tasks are at the task's site come first (fewer moves); crews the task
        prefers (a replan's baseline) before all."""
        if rows.size == k:
            return [int(r) for r in rows]
        place = need.place
        gap_before = _idle_run(self.busy[p][rows, :s][:, ::-1], s)
        gap_after = _idle_run(self.busy[p][rows, e:], _OPEN)
        moves = np.zeros(rows.size, dtype=np.int64)
        if p in self.at_site and place >= 0:
            sites = self.at_site[p]
            before = np.where(gap_before < s, s - 1 - gap_before, 0)
            after = np.where(gap_after < _OPEN, e + gap_after, 0)
            prev = np.where(gap_before < s, sites[rows, before], -1)
            nxt = np.where(
                gap_after < _OPEN, sites[rows, np.minimum(after, sites.shape[1] - 1)], -1
            )
            moves = ((prev >= 0) & (prev != place)).astype(np.int64)
            moves += (nxt >= 0) & (nxt != place)
        other = np.zeros(rows.size, dtype=np.int64)
        if need.prefer:
            other = np.array([(p, int(r)) not in need.prefer for r in rows], dtype=np.int64)
        order = np.lexsort((rows, gap_before + gap_after, moves, other))
        return [int(rows[i]) for i in order[:k]]

    # -- recording -----------------------------------------------------------------------

    def place(self, need: _Need, s: int, crews: list[tuple[int, int]]) -> None:
        """Take what a task uses on ``[s, end)`` (clipped to days >= 0)."""
        e = need.end(s)
        self.ensure(max(e, 0))
        lo, hi = max(s, 0), max(e, 0)
        for row, amount in need.resources:
            self.res_free[row, lo:hi] -= amount
        for p, k in crews:
            self.busy[p][k, lo:hi] = True
            self.pool_free[p, lo:hi] -= 1
            if p in self.at_site and need.place >= 0:
                self.at_site[p][k, lo:hi] = need.place
        if need.gate:
            site = need.site
            for g in range(need.gate):
                self.slack[site, g, lo:hi] -= need.power_kw
                self.slack[site, g, lo:] -= need.energise_kw
        self.stable = max(self.stable, e + self.reach)

    def overloads(self, need: _Need, s: int, crews: list[tuple[int, int]]) -> list[str]:
        """What is over capacity on ``[s, end)`` (for pinned tasks, placed unchecked)."""
        lo, hi = max(s, 0), max(need.end(s), 0)
        found = [
            self.instance.resources[row].id
            for row, _ in need.resources
            if (self.res_free[row, lo:hi] < 0).any()
        ]
        found += [
            self.instance.pools[p].id
            for p in {p for p, _ in crews}
            if (self.pool_free[p, lo:hi] < 0).any()
        ]
        if need.gate and (self.slack[need.site, : need.gate, lo:] < 0).any():
            found.append("power")
        return found


def _crews_by_skill(used: list[dict[int, int]], chosen: dict[int, list[int]]) -> list[list[int]]:
    """Hand the chosen crews of each pool out to the skills, in skill order.

    Returns one list per skill of ``pool * 2**20 + crew`` codes (decoded by the caller)."""
    cursor = {p: 0 for p in chosen}
    out: list[list[int]] = []
    for share in used:
        codes = []
        for p, k in sorted(share.items()):
            for crew in chosen[p][cursor[p] : cursor[p] + k]:
                codes.append((p << 20) | crew)
            cursor[p] += k
        out.append(codes)
    return out


def _first_run(ok: np.ndarray, d: int, skip: int, offset: int) -> int | None:
    """``offset + i`` for the first ``i >= skip`` with ``ok[i:i + d]`` all True (the
    window inside ``ok``), else None."""
    if d == 0:
        return offset + skip if skip < ok.size else None
    if ok.all():
        return offset + skip if skip + d <= ok.size else None
    bad = np.concatenate(([0], np.cumsum(~ok)))
    windows = bad[d:] - bad[:-d]  # bad days in ok[i:i + d]
    hits = np.flatnonzero(windows[skip:] == 0)
    return offset + skip + int(hits[0]) if hits.size else None


def _idle_run(busy: np.ndarray, never: int) -> np.ndarray:
    """Per row, the number of idle days before the first busy one (``never`` if none)."""
    if busy.shape[1] == 0:
        return np.full(busy.shape[0], never, dtype=np.int64)
    return np.where(busy.any(axis=1), busy.argmax(axis=1), never)


def _windowed(base: int, windows: tuple, length: int) -> np.ndarray:
    """``base`` on every day of ``[0, length)`` except inside windows (their value)."""
    values = np.full(length, base, dtype=np.int64)
    for window in windows:
        values[max(0, window.start) : max(0, min(length, window.end))] = window.value
    return values


def _extend(values: np.ndarray, extra: int) -> np.ndarray:
    """``values`` with its last day repeated ``extra`` more times (along the last axis)."""
    tail = np.repeat(values[..., -1:], extra, axis=-1)
    return np.concatenate([values, tail], axis=-1)


def _last_bad(bad: np.ndarray, offset: int) -> int:
    """The day after the last True of ``bad`` (day ``offset`` is index 0), else -1."""
    if not bad.any():
        return -1
    hits = bad.nonzero()[0]
    return offset + int(hits[-1]) + 1


def _stable_day(instance: Instance) -> int:
    """A day from which no capacity, availability or supply changes any more."""
    days = [0]
    for resource in instance.resources:
        days += [w.end for w in resource.windows] + [w.start for w in resource.windows]
    for pool in instance.pools:
        days += [w.end for w in pool.windows] + [w.start for w in pool.windows]
    for supply in instance.supplies:
        days += [supply.start] + ([supply.end] if supply.end is not None else [])
    return max(days)


def _initial_length(instance: Instance, network: _Network) -> int:
    """Array length: past every window, supply change, pin, release and CPM finish (the
    arrays grow when the schedule runs further)."""
    ends = instance.ends(network.earliest)
    days = [_stable_day(instance), *ends, *(t.release for t in instance.tasks)]
    return max(days) + 2  # not instance.horizon: it may be a loose bound (sum of durations)


# ---------------------------------------------------------------------------------------
# The serial scheme


class _Scheduler:
    """Places pinned tasks, then the others in priority order among eligible tasks."""

    def __init__(
        self, instance: Instance, network: _Network, prefer: list[tuple[str, ...]] | None = None
    ) -> None:
        self.instance = instance
        self.network = network
        self.days = _Days(instance, _initial_length(instance, network))
        cache: dict[tuple[str, str | None], list[int]] = {}
        self.needs = [
            _need(instance, t, self.days.res_row, self.days.site_row, cache, self.days.place_row)
            for t in instance.tasks
        ]
        if prefer is not None:
            rows = {
                c: (p, k)
                for p, pool in enumerate(instance.pools)
                for k, c in enumerate(pool.crew_ids())
            }
            self.needs = [
                replace(need, prefer=frozenset(rows[c] for c in crews if c in rows))
                for need, crews in zip(self.needs, prefer, strict=True)
            ]
        self.starts: list[int | None] = [None] * instance.num_tasks
        self.crews: list[tuple[str, ...]] = [()] * instance.num_tasks

    def run(self, keys: list[tuple[int, ...]]) -> Solution:
        """Pinned tasks first, then the serial scheme over the unpinned ones."""
        self._check_enough_crews()
        self._place_pinned()
        n = self.instance.num_tasks
        waiting = [0] * n
        for b in range(n):
            if self.starts[b] is None:
                waiting[b] = sum(1 for a, _ in self.network.preds[b] if self.starts[a] is None)
        heap = [keys[i] for i in range(n) if self.starts[i] is None and waiting[i] == 0]
        heapq.heapify(heap)
        while heap:
            i = heapq.heappop(heap)[-1]
            self._place(i)
            for b, _ in self.network.succs[i]:
                if self.starts[b] is None:
                    waiting[b] -= 1
                    if waiting[b] == 0:
                        heapq.heappush(heap, keys[b])
        starts = [s for s in self.starts if s is not None]
        return Solution(starts=starts, crews=self.crews)

    def _check_enough_crews(self) -> None:
        """Fail early when a task needs more crews than its pools ever have."""
        for task, need in zip(self.instance.tasks, self.needs, strict=True):
            caps = {p: self.instance.pools[p].count for p in need.pools}
            if need.skills and _match(need.skills, caps) is None:
                raise _Infeasible(f"task {task.id}: its pools never have enough crews")

    # -- pinned tasks --------------------------------------------------------------------

    def _place_pinned(self) -> None:
        """Record pinned tasks at their start: given crews first, then chosen crews."""
        tasks = self.instance.tasks
        pinned = [i for i, t in enumerate(tasks) if t.fixed_start is not None]
        for i in sorted(pinned, key=lambda i: tasks[i].fixed_crews is None):
            task, need = tasks[i], self.needs[i]
            s = task.fixed_start
            assert s is not None
            self.days.ensure(max(need.end(s), 0))
            if task.fixed_crews is not None:
                rows = [self._crew_row(task, c) for c in task.fixed_crews]
                crews = [c for c in rows if c is not None]
                self.crews[i] = tuple(task.fixed_crews)
            else:
                crews = self._pinned_crews(i, s)
            lo, hi = max(s, 0), max(need.end(s), 0)
            if any(self.days.busy[p][k, lo:hi].any() for p, k in crews):
                log.warning(
                    "greedy: pinned task %s at day %d shares a crew with another pinned task",
                    task.id,
                    s,
                )
            self.days.place(need, s, crews)
            self.starts[i] = s
            over = self.days.overloads(need, s, crews)
            if over:
                log.warning(
                    "greedy: pinned task %s at day %d overloads %s", task.id, s, ", ".join(over)
                )
        self._check_pinned_links(pinned)

    def _crew_row(self, task: Task, crew: str) -> tuple[int, int] | None:
        """(pool row, crew row) of ``pool#k``; None (logged) when it names no crew."""
        pool_id, k = crew.rsplit("#", 1) if "#" in crew else ("", "")
        for p, pool in enumerate(self.instance.pools):
            if pool.id == pool_id and k.isdigit() and 1 <= int(k) <= pool.count:
                return p, int(k) - 1
        log.warning("greedy: pinned task %s names unknown crew %s", task.id, crew)
        return None

    def _pinned_crews(self, i: int, s: int) -> list[tuple[int, int]]:
        """Crews for a pinned task without ``fixed_crews``; raises when none are free."""
        lo = max(s, 0)
        need = self.needs[i]
        shifted = _Need(
            max(need.end(s), 0) - lo,
            need.resources,
            need.skills,
            need.pools,
            need.site,
            need.gate,
            need.power_kw,
            need.energise_kw,
            need.place,
        )
        found, codes = self.days.crews_at(shifted, lo)
        if codes is None or found != lo:
            raise _Infeasible(
                f"pinned task {self.instance.tasks[i].id}: no free crews at its fixed start {s}"
            )
        return self._record_crews(i, codes)

    def _check_pinned_links(self, pinned: list[int]) -> None:
        """Warn about links violated between two pinned tasks (they are facts)."""
        pinned_set = set(pinned)
        for b in pinned:
            for a, offset in self.network.preds[b]:
                start_a, start_b = self.starts[a], self.starts[b]
                if (
                    a in pinned_set
                    and start_a is not None
                    and start_b is not None
                    and start_b < start_a + offset  # a lower bound with calendars
                ):
                    log.warning(
                        "greedy: pinned tasks %s and %s violate their link",
                        self.instance.tasks[a].id,
                        self.instance.tasks[b].id,
                    )

    # -- unpinned tasks ------------------------------------------------------------------

    def _record_crews(self, i: int, codes: list[list[int]]) -> list[tuple[int, int]]:
        """Store crew ids of task ``i``; return (pool row, crew row) pairs."""
        pairs = [(code >> 20, code & ((1 << 20) - 1)) for per_skill in codes for code in per_skill]
        self.crews[i] = tuple(f"{self.instance.pools[p].id}#{k + 1}" for p, k in pairs)
        return pairs

    def _lower_bound(self, i: int) -> int:
        """Earliest start allowed by release, day 0 and the placed predecessors."""
        instance = self.instance
        lb = max(0, instance.tasks[i].release)
        if instance.has_calendars:
            for link in self.network.pred_links[i]:
                start = self.starts[link.pred]
                assert start is not None
                lb = max(lb, instance.link_bound(link, start))
            return instance.first_start(i, lb)
        for a, offset in self.network.preds[i]:
            start = self.starts[a]
            assert start is not None
            lb = max(lb, start + offset)
        return lb

    def _place(self, i: int) -> None:
        """Place task ``i`` at its earliest feasible start; raise if there is none."""
        task, need = self.instance.tasks[i], self.needs[i]
        latest = self.network.hard_latest[i]
        s = self._lower_bound(i)
        days = self.days
        while True:
            fit = days.first_fit(need, s)
            if fit is None:
                raise _Infeasible(
                    f"task {task.id}: capacity or power never suffice from day {s} on"
                )
            if fit > latest:
                raise _Late(
                    f"task {task.id}: earliest feasible start {fit} (from day "
                    f"{self._lower_bound(i)}) is after its latest start {latest} (its "
                    "deadline, a milestone deadline or a pinned or deadlined successor)",
                    i,
                )
            nxt, codes = days.crews_at(need, fit)
            if codes is not None:
                s = fit
                break
            if fit >= days.stable:
                raise _Infeasible(
                    f"task {task.id}: its pools never have enough crews free from day {fit} on"
                )
            s = nxt
        days.place(need, s, self._record_crews(i, codes))
        self.starts[i] = s
