"""Lower bounds on milestone lateness, proven by deadline probes.

Minimising lateness never lifts CP-SAT's objective bound on these programs; asking a
model only whether ``late_m <= k`` is possible does: INFEASIBLE proves ``late_m > k``
(issue 20). Each probe is the product's own model (`CpSatModel`) of a relaxation of the
instance, with the objective taken out and caps on milestones' late days added:

- a *part* is a set of sites joined by task links (with their tasks): the instance
  restricted to one part is a relaxation, since dropping the other parts' tasks frees
  every shared pool, resource and factory they held (each then at full capacity), and
  every rule left is one the whole plan meets on the part's tasks. A milestone with tasks
  in several parts is probed on its tasks in each part: its late days are the largest of
  those parts', so each part's bound holds for the whole;
- per milestone, bisection on ``k`` between the proven floor and the late days of a
  known plan (the incumbent's, or a feasible probe's); a probe the part's model leaves
  unresolved is tried on the whole model;
- per pair of milestones of one part, the weighted sum: ``w1 l1 + w2 l2 >= S`` holds when
  every box ``l1 <= a, l2 <= b`` with ``w1 a + w2 b <= S - 1`` (its corners: for each
  ``a``, the largest such ``b``) is infeasible.

The bounds hold for every plan within the instance's horizon: a probe never proves more
than its relaxation, and a relaxation allows every plan of the whole. `Bounds.post` adds
them to a model as cuts (``late_m >= LB_m`` and the weighted sum), which also prune the
search. Probes run on one worker each, as many at once as the run has workers, within one
stage of the `Budget`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np
from ortools.sat.python import cp_model

from scheduler.errors import InfeasibleModel
from scheduler.graph import critical_path
from scheduler.instance import (
    Instance,
    LinkType,
    Milestone,
    Solution,
    Travel,
    Window,
    WorkCalendar,
)
from scheduler.solvers.budget import BACKSTOP, DETERMINISTIC_SHARE, Limits, SolveOptions
from scheduler.solvers.cpsat.model import CpSatModel, late_floor
from scheduler.solvers.cpsat.search import configure, note_clock, wait

log = logging.getLogger(__name__)

# Seconds one probe may take. Proofs come fast and plans slowly: on three-sites a site's
# infeasible probes end in 0.05-0.12 s here (0.5-0.7 s in issue 20's review, 1 worker),
# while probes just above the optimum stay open after 4 s. So a probe gets
# PROOF_FACTOR x the slowest proof so far, within [MIN_PROBE_SECONDS, PROBE_SECONDS]:
# an open probe costs little, and a proof as slow as the ones seen still comes.
PROBE_SECONDS = 1.5
MIN_PROBE_SECONDS = 0.5
MIN_WALL = 0.05  # seconds: less is no time for a probe
# Deterministic mode: what a probe costs besides CP-SAT's search, in nominal seconds per
# task of its part: building and presolving it, which CP-SAT's deterministic clock does
# not count (three-sites, one core, quiet: a probe of NAL's 1,317 tasks proven infeasible
# in presolve takes 0.03-0.06 s and shows 0 deterministic seconds)
PROBE_TASKS_PER_SECOND = 12_000
PROOF_FACTOR = 4.0
# Probes left open are asked again while the stage has time, with these longer limits (the
# first round's is PROBE_SECONDS at most): on atlas-27 under load one proof needed more
# than the first round's 0.5 s. A round that settles no probe ends the stage (on the
# examples with site calendars, issue 24, CP-SAT's presolve of a site's model on its own
# calendar took more than 15 s and every probe stayed open), as does a later round that
# proves nothing more; later rounds ask only milestones a probe has lifted (2026-12-03:
# atlas-27's bound came in the first 5 s, and the other 31 s of its share proved nothing)
ROUNDS = (PROBE_SECONDS, 4.0, 12.0)
# Up to this size a probe a part leaves open is tried on the whole model; above, the whole
# model costs more than a probe is worth (20,000 tasks: 621 MB and seconds to build,
# docs/BENCHMARKS.md "Scale"), and the parts are the only relaxations
WHOLE_PROBE_TASKS = 10_000
# Nor above this many start days of tasks on calendars of their own: the whole model holds
# each such task's workdays from its earliest start to the safe horizon, and its build
# cannot be cut short (three-sites, 895 tasks on NAL's 4x10 week over a 62,739-day
# horizon, 32 million days: 19-34 s to build, beyond the probes' share of a 60 s run)
WHOLE_PROBE_CALENDAR_DAYS = 2_000_000


class Answer(Enum):
    INFEASIBLE = "infeasible"  # the caps cannot all hold: a bound is proven
    FEASIBLE = "feasible"  # the relaxation meets the caps (the whole may not)
    UNKNOWN = "unknown"


def weighted(instance: Instance) -> list[int]:
    """Milestones that count in the objective: a target, tasks and a weight."""
    return [
        m
        for m, milestone in enumerate(instance.milestones)
        if milestone.target is not None and milestone.tasks and milestone.weight > 0
    ]


def late_days(instance: Instance, milestone: Milestone, starts: Sequence[int]) -> int:
    day = max(instance.end_of(i, starts[i]) for i in milestone.tasks) - 1
    return max(0, day - (milestone.target if milestone.target is not None else day))


@dataclass(frozen=True)
class Bounds:
    """Proven late days per milestone (index into ``instance.milestones``) and the
    proven minimum of the weighted late days, with what proving them took."""

    late: dict[int, int]
    tardiness: int
    probes: int = 0
    seconds: float = 0.0
    work: float = 0.0  # nominal seconds of CP-SAT's deterministic clock the probes used

    def post(self, built: CpSatModel) -> None:
        """``late_m >= LB_m`` on every milestone of the objective, and
        ``sum_m w_m late_m >= tardiness``."""
        milestones = built.instance.milestones
        for m, late in built.late.items():
            if self.late.get(m, 0) > 0:
                built.model.add(late >= self.late[m])
        if built.late and self.tardiness > 0:
            total = sum(milestones[m].weight * late for m, late in built.late.items())
            built.model.add(total >= self.tardiness)

    def objective_bound(self, instance: Instance, makespan_bound: int) -> int:
        """The scalar objective's floor these bounds give."""
        return self.tardiness * instance.tardiness_weight + makespan_bound


def floors(instance: Instance) -> Bounds:
    """The bounds the critical path alone gives (no probe), for every milestone with a
    target (one of weight 0 too: it counts in no sum, but a planner reads its floor)."""
    cpm = critical_path(instance)
    late = {
        m: late_floor(instance, cpm, milestone)
        for m, milestone in enumerate(instance.milestones)
        if milestone.target is not None and milestone.tasks
    }
    return Bounds(late, sum(instance.milestones[m].weight * k for m, k in late.items()))


# ---------------------------------------------------------------- relaxations


def parts(instance: Instance) -> list[list[int]]:
    """The tasks of each set of sites joined by task links (a task without a site is
    joined to its linked tasks only), largest first."""
    parent = list(range(instance.num_tasks))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(a: int, b: int) -> None:
        parent[root(a)] = root(b)

    first_of_site: dict[str, int] = {}
    for i, task in enumerate(instance.tasks):
        if task.site is not None:
            join(i, first_of_site.setdefault(task.site, i))
    for link in instance.links:
        join(link.pred, link.succ)
    found: dict[int, list[int]] = defaultdict(list)
    for i in range(instance.num_tasks):
        found[root(i)].append(i)
    return sorted(found.values(), key=len, reverse=True)


@dataclass
class Workdays:
    """One calendar's workdays numbered from 0: the axis a part's probes run on. ``at(d)``
    is the number of its workdays before day ``d`` (`WorkCalendar.index`; every day
    without a calendar). A plan of the part, read on this axis, keeps every rule a
    relaxation keeps (`on_workdays`)."""

    calendar: WorkCalendar | None
    size: int  # days of the axis numbered in ``table``
    table: np.ndarray = field(init=False)  # at(d) for d in [0, size]
    gains: dict[int, int] = field(default_factory=dict)
    spans: dict[tuple[int, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        days = np.arange(self.size + 1, dtype=np.int64)
        self.table = days if self.calendar is None else self.calendar.indexes(days)

    def at(self, day: int) -> int:
        if 0 <= day <= self.size:
            return int(self.table[day])
        return day if self.calendar is None else self.calendar.index(day)

    def gain(self, lag: int) -> int:
        """The fewest workdays in ``lag`` days of the axis (``lag`` itself below 0: a
        negative lag spans at most its days)."""
        if lag <= 0:
            return lag
        if lag not in self.gains:
            reach = min(lag, self.size)
            self.gains[lag] = int((self.table[reach:] - self.table[: self.size + 1 - reach]).min())
        return self.gains[lag]

    def span(self, instance: Instance, i: int, horizon: int) -> int:
        """The fewest workdays task ``i`` covers from its start to its end, over every
        start it may take before ``horizon``."""
        task = instance.tasks[i]
        if task.duration <= 0:
            return 0
        own = instance.calendar_of(i)
        if own is not None and own == self.calendar:
            return task.duration  # on this axis: exactly its duration
        key = (task.calendar, task.duration)
        if key not in self.spans:
            starts = np.arange(max(horizon, 1), dtype=np.int64)
            if own is not None:
                starts = starts[own.works_on(starts)]
            ends = starts + task.duration if own is None else own.ends(starts, task.duration)
            inside = ends <= self.size
            spans = self.table[ends[inside]] - self.table[starts[inside]]
            self.spans[key] = int(spans.min()) if len(spans) else task.duration
        return self.spans[key]


def main_calendar(instance: Instance) -> WorkCalendar | None:
    """The calendar that the most crew days of ``instance``'s tasks go by (None: every
    day of the axis): where crews are short, the lateness comes from (design, procurement
    and shipping, on the axis, take most days but no crew)."""
    days: dict[int, int] = defaultdict(int)
    crewed = any(task.skills for task in instance.tasks)
    for task in instance.tasks:
        if task.skills or not crewed:
            days[task.calendar] += task.duration
    if not days:
        return None
    k = max(days, key=lambda c: (days[c], -c))
    return instance.calendars[k] if k >= 0 else None


def on_workdays(instance: Instance) -> tuple[Instance, Workdays]:
    """``instance`` on the workdays of its main calendar (`main_calendar`), a relaxation
    whose tasks all work every day: the days no task of the main calendar works leave the
    axis, a task of the main calendar lasts its duration, any other the fewest workdays it
    can cover (`Workdays.span`), and every day, lag, window and target is read in
    workdays. A plan of ``instance`` read on this axis (start ``s`` at ``at(s)``) is a plan
    of the relaxation: each task holds its crews, resources and power on a part of the
    workdays it held them, a link's lag spans at least `Workdays.gain` workdays, and a
    milestone that ends ``k`` days after its target ends at most ``cap(target, k)``
    workdays after it. Travel is dropped; FF and SF links are kept only where the
    successor's length is exact. On NAL's 4x10 week (three-sites) the nine days of two
    weeks become the eight worked, where a part on every day of the axis proves less and
    a part on its own calendars takes CP-SAT more than 15 s to presolve."""
    calendar = main_calendar(instance)
    horizon = instance.horizon
    longest = max((instance.longest_span(i) for i in range(instance.num_tasks)), default=0)
    lags = max((abs(link.lag) for link in instance.links), default=0)
    axis = Workdays(calendar, horizon + longest + lags + 2)

    def exact(i: int) -> bool:
        own = instance.calendar_of(i)
        return instance.tasks[i].fixed_start is not None or own == calendar

    tasks = []
    for i, task in enumerate(instance.tasks):
        if task.fixed_start is not None:
            first = axis.at(task.fixed_start)
            length = axis.at(instance.end_of(i, task.fixed_start)) - first
            tasks.append(replace(task, duration=length, fixed_start=first, release=0, calendar=-1))
            continue
        tasks.append(
            replace(
                task,
                duration=axis.span(instance, i, horizon),
                release=axis.at(task.release),
                deadline=None if task.deadline is None else axis.at(task.deadline),
                calendar=-1,
            )
        )
    links = tuple(
        replace(link, lag=axis.gain(link.lag))
        for link in instance.links
        if link.type in (LinkType.FS, LinkType.SS) or exact(link.succ)
    )

    def windows(found: tuple[Window, ...]) -> tuple[Window, ...]:
        moved = (Window(axis.at(w.start), axis.at(w.end), w.value) for w in found)
        return tuple(w for w in moved if w.end > w.start)

    compressed = replace(
        instance,
        name=f"{instance.name} (workdays)",
        tasks=tuple(tasks),
        links=links,
        resources=tuple(replace(r, windows=windows(r.windows)) for r in instance.resources),
        pools=tuple(replace(p, windows=windows(p.windows)) for p in instance.pools),
        supplies=tuple(
            replace(s, start=axis.at(s.start), end=None if s.end is None else axis.at(s.end))
            for s in instance.supplies
        ),
        milestones=tuple(
            replace(
                m,
                target=None if m.target is None else axis.at(m.target + 1) - 1,
                deadline=None if m.deadline is None else axis.at(m.deadline + 1) - 1,
            )
            for m in instance.milestones
        ),
        horizon=axis.at(horizon),
        travel=Travel(),
        calendars=(),
    )
    return compressed, axis


@dataclass
class Relaxation:
    """The instance restricted to some of its tasks (``instance``), and the milestones it
    keeps: ``milestones`` maps a milestone's index in the whole to its index here. What
    probes found is remembered: caps proven impossible (on the part or, when it left them
    open, on the whole), late days of the part's probe plans, and caps left open. A part
    runs on the workdays of its main calendar (`on_workdays`, ``axis``): caps and late
    days are given and returned in days of the whole's axis (`cap`, `late`)."""

    instance: Instance
    tasks: list[int]  # the whole's index of each task kept
    milestones: dict[int, int]
    whole: bool = False
    sizes: dict[int, int] = field(default_factory=dict)  # the whole's milestones' task counts
    axis: Workdays | None = None
    targets: dict[int, int] = field(default_factory=dict)  # the whole's milestones' targets
    built: CpSatModel | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    infeasible: list[dict[int, int]] = field(default_factory=list)  # caps proven impossible
    feasible: list[dict[int, int]] = field(default_factory=list)  # late days of probe plans
    unknown: list[list[tuple[int, int]]] = field(default_factory=list)

    @classmethod
    def of(cls, instance: Instance, tasks: list[int]) -> Relaxation:
        if len(tasks) == instance.num_tasks:
            return cls(instance, tasks, {m: m for m in range(len(instance.milestones))}, True)
        new_index = {i: k for k, i in enumerate(tasks)}
        sites = {instance.tasks[i].site for i in tasks}
        links = tuple(
            replace(link, pred=new_index[link.pred], succ=new_index[link.succ])
            for link in instance.links
            if link.pred in new_index
        )
        kept: list[Milestone] = []
        milestones: dict[int, int] = {}
        for m, milestone in enumerate(instance.milestones):
            members = tuple(new_index[i] for i in milestone.tasks if i in new_index)
            if members:
                milestones[m] = len(kept)
                kept.append(replace(milestone, tasks=members))
        sub = replace(
            instance,
            name=f"{instance.name} (part)",
            tasks=tuple(instance.tasks[i] for i in tasks),
            links=links,
            supplies=tuple(s for s in instance.supplies if s.site in sites),
            milestones=tuple(kept),
        )
        sizes = {m: len(instance.milestones[m].tasks) for m in milestones}
        compressed, axis = on_workdays(sub)
        targets = {m: t for m in milestones if (t := instance.milestones[m].target) is not None}
        return cls(compressed, tasks, milestones, sizes=sizes, axis=axis, targets=targets)

    def cap(self, m: int, k: int) -> int:
        """The late days on this part's axis that ``k`` late days of milestone ``m`` (the
        whole's index) on the whole's axis are at most."""
        if self.axis is None or m not in self.targets:
            return k
        target = self.targets[m]
        return self.axis.at(target + k + 1) - self.axis.at(target + 1)

    def late(self, m: int, days: int) -> int:
        """The fewest late days on the whole's axis whose `cap` reaches ``days``: a plan of
        this part with ``days`` late days leaves every cap from there on possible."""
        if self.axis is None or m not in self.targets or days <= 0:
            return days
        k = days
        while self.cap(m, k) < days:
            k += 1
        return k

    def model(self) -> CpSatModel | None:
        """The relaxation's model, built once (None when building proves it has no
        plan, which a relaxation of a solvable instance never does)."""
        with self.lock:
            if self.built is None:
                try:
                    self.built = CpSatModel(self.instance)
                except InfeasibleModel as error:
                    log.warning("probe model could not be built: %s", error)
                    return None
            return self.built

    def answer(self, caps: dict[int, int]) -> tuple[Answer, dict[int, int] | None] | None:
        """What earlier probes imply for ``caps``: infeasible inside an infeasible box,
        feasible where a probe's plan meets the caps, open if asked before."""
        with self.lock:
            for box in self.infeasible:
                if all(caps.get(m, math.inf) <= k for m, k in box.items()):
                    return Answer.INFEASIBLE, None
            for late in self.feasible:
                if all(late[m] <= k for m, k in caps.items()):
                    return Answer.FEASIBLE, late
            if sorted(caps.items()) in self.unknown:
                return Answer.UNKNOWN, None
        return None

    def remember(self, caps: dict[int, int], answer: Answer, found: dict[int, int] | None) -> None:
        with self.lock:
            if answer == Answer.INFEASIBLE:
                self.infeasible.append(dict(caps))
            elif answer == Answer.FEASIBLE and found is not None:
                self.feasible.append(found)
            else:
                self.unknown.append(sorted(caps.items()))


# ---------------------------------------------------------------- probes


@dataclass
class Prover:
    """Runs probes within a stage's limits and counts them."""

    instance: Instance
    options: SolveOptions
    limits: Limits
    stop: threading.Event | None
    whole: Relaxation
    started: float = field(default_factory=time.perf_counter)
    probes: int = 0
    nominal_spent: float = 0.0
    slowest_proof: float = 0.0  # seconds of the slowest infeasible probe
    lock: threading.Lock = field(default_factory=threading.Lock)
    slots: threading.Semaphore = field(init=False)  # probes at once: one per worker

    cap: float = PROBE_SECONDS  # this round's longest probe
    open: bool = False  # a probe of this round ran out of its time
    settled: bool = False  # a probe of this round was answered (a proof or a plan)

    def __post_init__(self) -> None:
        self.slots = threading.Semaphore(max(1, self.options.workers))

    def begin_round(self, cap: float, relaxations: list[Relaxation]) -> None:
        """Probes up to ``cap`` seconds from now on; the open ones are asked again."""
        self.cap, self.open, self.settled = cap, False, False
        for part in [self.whole, *relaxations]:
            part.unknown.clear()

    def left(self) -> float:
        """Wall seconds left for probes (0 once stopped or the share is spent)."""
        if self.stop is not None and self.stop.is_set():
            return 0.0
        if self.limits.nominal is not None and self.nominal_spent >= self.limits.nominal:
            return 0.0
        left = max(0.0, self.limits.wall - (time.perf_counter() - self.started))
        if left < MIN_WALL:
            self.limits.clock_cut()  # deterministic work left, and no time for it
        return left

    def probe(self, part: Relaxation, caps: dict[int, int]) -> tuple[Answer, dict[int, int] | None]:
        """Can every milestone ``m`` (the whole's index) of ``caps`` be at most
        ``caps[m]`` days late in ``part``? FEASIBLE comes with the late days of the
        part's plan that meets the caps."""
        with self.slots:
            return self.probe_now(part, caps)

    def probe_now(
        self, part: Relaxation, caps: dict[int, int]
    ) -> tuple[Answer, dict[int, int] | None]:
        built = part.model()
        allowed = self.cap
        if self.cap <= PROBE_SECONDS:  # the first round: as long as proofs have taken
            allowed = min(self.cap, max(MIN_PROBE_SECONDS, PROOF_FACTOR * self.slowest_proof))
        nominal = None if self.limits.nominal is None else allowed
        wall = min(allowed if nominal is None else allowed * BACKSTOP, self.left())
        if built is None or wall < MIN_WALL:
            return Answer.UNKNOWN, None
        model = built.model.clone()
        model.clear_objective()
        model.clear_hints()
        for m, k in caps.items():
            late = built.late.get(part.milestones[m])
            if late is not None:
                model.add(late <= part.cap(m, k))
        solver = cp_model.CpSolver()
        probe_limits = replace(self.limits, wall=wall, nominal=nominal)
        configure(solver, replace(self.options, workers=1, log_search=False), probe_limits)
        started = time.perf_counter()
        code = wait([(solver, model, None)], self.stop)[0]
        note_clock(solver, code, probe_limits, self.stop)
        log.debug(
            "probe %s on %d tasks: %s in %.2f s",
            caps,
            part.instance.num_tasks,
            solver.status_name(code),
            time.perf_counter() - started,
        )
        with self.lock:
            self.probes += 1
            spent = solver.deterministic_time / DETERMINISTIC_SHARE
            if nominal is not None:
                spent += part.instance.num_tasks / PROBE_TASKS_PER_SECOND
            self.nominal_spent += spent
            if code == cp_model.INFEASIBLE:  # in nominal seconds when deterministic
                took = spent if nominal is not None else time.perf_counter() - started
                self.slowest_proof = max(self.slowest_proof, took)
        if code in (cp_model.INFEASIBLE, cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.settled = True
        if code == cp_model.INFEASIBLE:
            return Answer.INFEASIBLE, None
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # ran out of its own time, not the stage's (deterministic: its own clock)
            own = probe_limits.deterministic_time
            if solver.deterministic_time >= own if own is not None else wall >= allowed:
                self.open = True
            return Answer.UNKNOWN, None
        starts = [int(solver.value(t.start)) for t in built.tasks]
        found = {
            m: part.late(m, late_days(part.instance, part.instance.milestones[k], starts))
            for m, k in part.milestones.items()
        }
        return Answer.FEASIBLE, found

    def probe_or_whole(
        self, part: Relaxation, caps: dict[int, int], whole: bool = True
    ) -> tuple[Answer, dict[int, int] | None]:
        """The probe on ``part``, then (``whole``) on the whole model if the part left
        it open; an answer that earlier ones imply is not asked again. Not in
        deterministic mode: the whole model's presolve runs on the wall clock alone
        (three-sites: 8.4-9.4 s before a probe's 0.075 deterministic seconds of search,
        one core), so its probes would end on the clock, or cost most of the share."""
        known = part.answer(caps)
        if known is not None:
            return known
        answer, found = self.probe(part, caps)
        if (
            answer == Answer.UNKNOWN
            and whole
            and not part.whole
            and self.limits.nominal is None
            and whole_model_affordable(self.instance)
            and self.left() > 0
        ):
            answer, found = self.probe(self.whole, caps)
        part.remember(caps, answer, found)
        return answer, found


def whole_model_affordable(instance: Instance) -> bool:
    """Whether a probe may build the whole model (`WHOLE_PROBE_TASKS`,
    `WHOLE_PROBE_CALENDAR_DAYS`)."""
    if instance.num_tasks > WHOLE_PROBE_TASKS:
        return False
    days = sum(
        instance.horizon - task.release
        for task in instance.tasks
        if task.calendar >= 0 and task.duration > 0 and task.fixed_start is None
    )
    return days <= WHOLE_PROBE_CALENDAR_DAYS


def bisect_late(prover: Prover, part: Relaxation, m: int, low: int, high: int) -> int:
    """The proven least late days of milestone ``m``: ``low`` is proven, a plan of
    ``part`` with ``high`` late days exists (so no probe can prove more). The first
    probe asks for ``low`` itself: an open answer there ends the bisection at once, where
    halving down to it would ask ~log2(high - low) more probes, each open for its whole
    limit (atlas-27: 96 probes of 0.5 s, 23 s, to prove what its first 5 proved)."""
    first = True
    while low < high and prover.left() > 0:
        k = low if first else (low + high) // 2
        first = False
        answer, found = prover.probe_or_whole(part, {m: k})
        if answer == Answer.INFEASIBLE:
            low = k + 1
        elif answer == Answer.FEASIBLE and found is not None:
            high = min(k, found.get(m, k))
        else:
            high = k  # open: likely possible (proofs come fast), so look lower
    return low


def corners(weights: tuple[int, int], low: tuple[int, int], total: int) -> list[tuple[int, int]]:
    """The boxes ``l1 <= a, l2 <= b`` that cover every ``(l1, l2) >= low`` with
    ``w1 l1 + w2 l2 <= total - 1``: for each ``a`` from ``low[0]`` on, the largest
    ``b``. Each infeasible box proves none of its points is possible."""
    w1, w2 = weights
    found: list[tuple[int, int]] = []
    a = low[0]
    while True:
        b = (total - 1 - w1 * a) // w2
        if b < low[1]:
            return found
        found.append((a, b))
        a += 1


def bisect_pair(
    prover: Prover,
    part: Relaxation,
    pair: tuple[int, int],
    low: tuple[int, int],
    high: int,
) -> int:
    """The proven least weighted late days of two milestones of ``part``, from their
    proven late days ``low``, and ``high``, a weighted sum that a plan of ``part`` has."""
    milestones = part.instance.milestones
    weights = (
        milestones[part.milestones[pair[0]]].weight,
        milestones[part.milestones[pair[1]]].weight,
    )
    proven = weights[0] * low[0] + weights[1] * low[1]
    first = True  # the least step first, as in `bisect_late`
    while proven < high and prover.left() > 0:
        total = proven + 1 if first else (proven + high + 1) // 2
        first = False
        boxes = [{pair[0]: a, pair[1]: b} for a, b in corners(weights, low, total)]
        answer, found = every_box(prover, part, boxes)
        if answer == Answer.INFEASIBLE:
            proven = total
        elif answer == Answer.FEASIBLE and found is not None:
            high = min(high, weights[0] * found[pair[0]] + weights[1] * found[pair[1]])
        else:
            high = total - 1  # open: likely possible (proofs come fast), so look lower
    return proven


def every_box(
    prover: Prover, part: Relaxation, boxes: list[dict[int, int]]
) -> tuple[Answer, dict[int, int] | None]:
    """INFEASIBLE when every box is; else a feasible box's plan, or UNKNOWN. The boxes
    are probed as many at once as the run has workers, and none is started once one of
    them has failed to be infeasible."""
    failed = threading.Event()

    def one(caps: dict[int, int]) -> tuple[Answer, dict[int, int] | None]:
        if failed.is_set():
            return Answer.UNKNOWN, None  # not asked: another box settled it
        # the part only: a box the part leaves open has stayed open on the whole model
        # too on three-sites (1.5 s each), while a single milestone's probe is worth it
        answer, found = prover.probe_or_whole(part, caps, whole=False)
        if answer != Answer.INFEASIBLE:
            failed.set()
        return answer, found

    if prover.options.workers <= 1 or len(boxes) <= 1:
        answers = [one(caps) for caps in boxes]
    else:
        with ThreadPoolExecutor(max_workers=prover.options.workers) as pool:
            answers = list(pool.map(one, boxes))
    for answer, found in answers:
        if answer == Answer.FEASIBLE:
            return answer, found
    if any(answer == Answer.UNKNOWN for answer, _ in answers):
        return Answer.UNKNOWN, None
    return Answer.INFEASIBLE, None


# ---------------------------------------------------------------- the stage


def prove(
    instance: Instance,
    plan: Solution | None,
    options: SolveOptions,
    limits: Limits,
    stop: threading.Event | None = None,
) -> Bounds:
    """The late days of each weighted milestone, and their weighted sum, that no plan of
    ``instance`` can beat, proven by probes within ``limits`` (``plan``, a known plan,
    tells where to stop bisecting)."""
    base = floors(instance)
    targets = weighted(instance)
    if not targets:
        return base
    whole = Relaxation.of(instance, list(range(instance.num_tasks)))
    prover = Prover(instance, options, limits, stop, whole)
    relaxations = [Relaxation.of(instance, tasks) for tasks in parts(instance)]
    relaxations = [r for r in relaxations if any(m in r.milestones for m in targets)]
    late = dict(base.late)
    known = {m: _known(instance, m, plan) for m in targets}
    pairs: dict[tuple[int, int], int] = {}
    for round_number, cap in enumerate(ROUNDS):
        prover.begin_round(cap, relaxations)
        before = (dict(late), dict(pairs))
        # after the first round, only milestones (and pairs) that a probe has lifted: an
        # open probe at a milestone's floor has stayed open on every example with longer
        # limits too, while one just above a proof may still be proven
        lifted = {m for m in targets if late[m] > base.late[m]} if round_number else set(targets)
        jobs = [
            _late_job(prover, part, m, late, known)
            for part in relaxations
            for m in targets
            if m in part.milestones and m in lifted
        ]
        _run(jobs, options.workers)
        jobs = [
            _pair_job(prover, part, pair, late, known, pairs)
            for part in relaxations
            for pair in _pairs(part, targets)
            if not round_number or set(pair) & lifted or pairs.get(pair, 0) > 0
        ]
        _run(jobs, options.workers)
        log.debug(
            "probes of up to %.1f s done at %.1f s: late %s, pairs %s",
            cap,
            time.perf_counter() - prover.started,
            {m: k for m, k in late.items() if k},
            pairs,
        )
        if not prover.open or not prover.settled or prover.left() <= 0:
            break  # nothing open, or a round that settled nothing: longer probes won't
        if round_number and (late, pairs) == before:
            break  # a round of longer probes that proved nothing more
    tardiness = sum(instance.milestones[m].weight * late[m] for m in targets)
    for (a, b), proven in pairs.items():
        alone = instance.milestones[a].weight * late[a] + instance.milestones[b].weight * late[b]
        tardiness += max(0, proven - alone)
    seconds = time.perf_counter() - prover.started
    log.info("weighted late days >= %d (%d probes, %.1f s)", tardiness, prover.probes, seconds)
    return Bounds(
        late, max(tardiness, base.tardiness), prover.probes, seconds, prover.nominal_spent
    )


def _known(instance: Instance, m: int, plan: Solution | None) -> int:
    if plan is None:
        return instance.horizon
    return late_days(instance, instance.milestones[m], plan.starts)


def _late_job(
    prover: Prover, part: Relaxation, m: int, late: dict[int, int], known: dict[int, int]
) -> Callable[[], None]:
    def job() -> None:
        proven = bisect_late(prover, part, m, late[m], known[m])
        with prover.lock:
            late[m] = max(late[m], proven)

    return job


def _pairs(part: Relaxation, targets: list[int]) -> list[tuple[int, int]]:
    """Disjoint pairs of the part's weighted milestones that have all their tasks in it
    (so that the pairs' sums, over all parts, add up)."""
    whole = part.whole
    local = [
        m
        for m in targets
        if m in part.milestones
        and (whole or len(part.instance.milestones[part.milestones[m]].tasks) == part.sizes[m])
    ]
    return list(zip(local[0::2], local[1::2], strict=False))


def _pair_job(
    prover: Prover,
    part: Relaxation,
    pair: tuple[int, int],
    late: dict[int, int],
    known: dict[int, int],
    pairs: dict[tuple[int, int], int],
) -> Callable[[], None]:
    weights = [prover.instance.milestones[m].weight for m in pair]
    low = (late[pair[0]], late[pair[1]])
    pairs[pair] = max(pairs.get(pair, 0), weights[0] * low[0] + weights[1] * low[1])
    high = weights[0] * known[pair[0]] + weights[1] * known[pair[1]]

    def job() -> None:
        proven = bisect_pair(prover, part, pair, low, high)
        with prover.lock:
            pairs[pair] = max(pairs[pair], proven)

    return job


def _run(jobs: list[Callable[[], None]], workers: int) -> None:
    """Every job, as many at once as there are workers (each probe is one CP-SAT worker,
    which leaves Python's lock while it searches)."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            job()
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()
