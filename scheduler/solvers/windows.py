"""Large-neighbourhood search over windows of a plan, for programs too big for CP-SAT's
own LNS on two workers (each of its neighbourhoods copies and presolves the whole model:
0.4-34 s on 3,000-20,000 tasks, docs/BENCHMARKS.md).

Each step frees the tasks that run inside a time window (of one site, or of the whole
program), pins every other task where the incumbent has it, and solves the CP-SAT model
of the window alone (`CpSatModel` on a sub-instance, no second model):

- freed tasks must stay inside the window ``[lo, hi)``, so a pinned task that does not
  overlap the window cannot meet them on a crew, a resource or a site's power; only pinned
  tasks that overlap it (and share a pool, a resource or a site with a freed task) enter
  the sub-instance, with their start and crews fixed. Energised load stays on to the end
  of time, so every pinned energising task of those sites that starts before ``hi`` enters
  too; after ``hi`` the loads are the incumbent's, which held;
- links to pinned tasks become release days and deadlines of the freed ones;
- a milestone with freed tasks keeps them, with as target the later of its target and the
  last day its pinned tasks work: its late days are then the incumbent's constant part plus
  what the window adds.

The window's plan replaces the incumbent's when the whole plan's objective is no worse
and the validator accepts it (a plan it rejects is a bug, logged and dropped).
Windows are centred on the late milestones' last weeks half of the time; their size grows
while CP-SAT proves them optimal and shrinks when it cannot.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from scheduler.errors import InfeasibleModel
from scheduler.graph import CriticalPath, critical_path
from scheduler.instance import Instance, Milestone, Solution, Task, objective_value, pool_of
from scheduler.solvers.bounds import Bounds
from scheduler.solvers.budget import BACKSTOP, Budget, Limits, SolveOptions
from scheduler.solvers.cpsat import CpSatModel, name_crews, read_crew_counts, read_solution, run
from scheduler.solvers.promote import promote
from scheduler.solvers.result import Engine, Method, Result, Status
from scheduler.validate import validate

log = logging.getLogger(__name__)

FIRST_SIZE = 600  # tasks freed by the first window
# ... when crews travel: a window's model names them (docs/BENCHMARKS.md, "Travel": on
# three-sites with travel 2, 40 s, three seeds, 2 of 3 runs improved the greedy plan from
# 200 tasks, none from 600)
TRAVEL_FIRST_SIZE = 200
MIN_SIZE, MAX_SIZE = 100, 3000
STEP_SECONDS = 4.0  # CP-SAT's limit on one window
MIN_STEP_SECONDS = 0.5
VALIDATION_SECONDS = 0.5  # kept for validating the final plan (0.28 s at 20,000 tasks)
# With one worker a window's search gets this much CP-SAT deterministic time per nominal
# second, a seventh of budget.DETERMINISTIC_SHARE: on three-sites (travel, site calendars)
# CP-SAT's deterministic clock runs 0.06-0.76 s per wall second from window to window (a
# 363-task window took 11.5 s of search for 0.6 deterministic s, one core, quiet), and a
# quiet machine should end on this clock, not on the wall clock (docs/BENCHMARKS.md, "Time
# limit"). Building, checking and renaming a window, which the deterministic clock does not
# see, count WINDOW_TASKS_PER_SECOND of its tasks per nominal second.
ONE_WORKER_SHARE = 0.015
WINDOW_TASKS_PER_SECOND = 1_000
LATE_SHARE = 0.8  # of windows anchored on a late milestone
SLACK = 0.25  # the window reaches this share of its span before its first freed start
# Of the windows of a program whose crews travel, the share in which freed tasks may change
# their travelling crews; in the others they keep them (where the window's model names
# them: `WindowSearch.keep_crews`) and only move in time, a model without crew choices
# (docs/BENCHMARKS.md, "Travel").
CREW_CHOICE_SHARE = 0.5
# Of the search's time, the most milestone promotion may take before the windows (it ends
# sooner when a dozen steps in a row find nothing better; docs/BENCHMARKS.md, "Milestone
# promotion")
PROMOTE_SHARE = 0.5


@dataclass
class Window:
    free: list[int]  # task indices, ascending
    lo: int
    hi: int
    kind: str
    keep_crews: bool = False  # freed tasks keep their travelling crews


@dataclass
class Stats:
    steps: int = 0
    improved: int = 0
    proven: int = 0
    deterministic_time: float = 0.0
    nominal: float = 0.0  # nominal seconds of work done (deterministic mode's count)
    broken: int = 0  # window plans the validator rejected (each a modsched bug, logged)


class WindowSearch:
    """The incumbent and the neighbourhoods of one instance."""

    def __init__(
        self,
        instance: Instance,
        solution: Solution,
        seed: int = 0,
        late_bounds: dict[int, int] | None = None,
    ):
        self.instance = instance
        self.late_bounds = late_bounds or {}  # proven least late days (solvers/bounds.py)
        self.broken = 0  # window plans the validator rejected
        self.last_size = 0  # tasks of the last window's model
        self.starts = list(solution.starts)
        self.crews = list(solution.crews)
        self.objective = objective_value(instance, self.starts)
        self.rng = random.Random(seed)
        tasks = instance.tasks
        self.movable = [i for i, t in enumerate(tasks) if t.fixed_start is None]
        self.preds: dict[int, list] = defaultdict(list)
        self.succs: dict[int, list] = defaultdict(list)
        for link in instance.links:
            self.preds[link.succ].append(link)
            self.succs[link.pred].append(link)
        self.of_task: dict[int, list[int]] = defaultdict(list)  # task -> milestones
        for m, milestone in enumerate(instance.milestones):
            for i in milestone.tasks:
                self.of_task[i].append(m)
        self.pools_of = [self.eligible(t) for t in tasks]
        # pools whose named crews travel: kept by name, never renamed over the whole plan
        self.travelling = {instance.pools[p].id for p in instance.travelling_pools()}
        self.reach = instance.travel.most if self.travelling else 0
        self.by_site: dict[str | None, list[int]] = defaultdict(list)
        for i in self.movable:
            self.by_site[tasks[i].site].append(i)

    def eligible(self, task: Task) -> set[str]:
        return {
            self.instance.pools[p].id
            for skill in task.skills
            for p in self.instance.eligible_pools(task, skill)
        }

    def end(self, i: int) -> int:
        return self.instance.end_of(i, self.starts[i])

    # ------------------------------------------------------------ neighbourhoods

    def late_milestones(self) -> list[tuple[int, int]]:
        """(milestone, weighted late days above its proven bound) of the late ones: a
        milestone on its bound is no target any more (issue 20, item 4)."""
        found = []
        for m, milestone in enumerate(self.instance.milestones):
            if milestone.target is None or not milestone.tasks or milestone.weight <= 0:
                continue  # (a weight of 0: nothing to gain, and no weight to be drawn by)
            day = max(self.end(i) for i in milestone.tasks) - 1
            above = day - milestone.target - self.late_bounds.get(m, 0)
            if above > 0:
                found.append((m, milestone.weight * above))
        return found

    def pick(self, size: int) -> Window:
        """Tasks of one site (or all) whose starts are the ``size`` nearest an anchor day:
        the last day of a late milestone (chosen by its weighted late days) or a random
        task's start."""
        late = self.late_milestones()
        if late and self.rng.random() < LATE_SHARE:
            m = self.rng.choices([m for m, _ in late], [w for _, w in late])[0]
            milestone = self.instance.milestones[m]
            last = max(milestone.tasks, key=self.end)
            anchor, site, kind = self.end(last), self.instance.tasks[last].site, "late"
            before = 0.85  # the window mostly precedes the milestone's last day
        else:
            i = self.rng.choice(self.movable)
            anchor, site, kind = self.starts[i], self.instance.tasks[i].site, "random"
            before = 0.5
        if self.rng.random() < 0.5 or site not in self.by_site:
            scope, kind = self.movable, kind + "-program"
        else:
            scope, kind = self.by_site[site], kind + "-site"
        ordered = sorted(scope, key=lambda i: self.starts[i])
        cut = next((k for k, i in enumerate(ordered) if self.starts[i] >= anchor), len(ordered))
        first = max(0, min(cut - int(size * before), len(ordered) - size))
        free = sorted(ordered[first : first + size])
        lo = min(self.starts[i] for i in free)
        hi = max(self.end(i) for i in free)
        lo = max(0, lo - int(SLACK * (hi - lo)))
        keep = bool(self.travelling) and self.rng.random() >= CREW_CHOICE_SHARE
        return Window(free, lo, hi, kind + ("-keep" if keep else ""), keep)

    # ------------------------------------------------------------ sub-instance

    def sub_instance(self, window: Window) -> tuple[Instance, list[int]]:
        """The window as an Instance (freed tasks first, then pinned ones) and the index,
        in the whole instance, of each of its tasks."""
        inst, tasks = self.instance, self.instance.tasks
        free = set(window.free)
        lo, hi = window.lo, window.hi
        resources = {r for i in free for r in tasks[i].resources}
        pools = set().union(*(self.pools_of[i] for i in free))
        sites = {tasks[i].site for i in free if tasks[i].gate > 0}
        pinned = [
            j
            for j, task in enumerate(tasks)
            if j not in free and self.meets(j, task, lo, hi, resources, pools, sites)
        ]
        order = window.free + pinned
        new_index = {j: k for k, j in enumerate(order)}
        sub_tasks = [self.freed(i, window, free) for i in window.free]
        sub_tasks += [
            replace(
                tasks[j],
                fixed_start=self.starts[j],
                fixed_crews=self.crews[j],
                release=0,
                deadline=None,
            )
            for j in pinned
        ]
        links = [
            replace(link, pred=new_index[link.pred], succ=new_index[link.succ])
            for i in window.free
            for link in self.succs[i]
            if link.succ in free
        ]
        milestones = []
        for m in sorted({m for i in window.free for m in self.of_task[i]}):
            milestones.append(self.freed_milestone(inst.milestones[m], free, new_index))
        sub = replace(
            inst,
            name=f"{inst.name}:{window.kind}",
            tasks=tuple(sub_tasks),
            links=tuple(links),
            milestones=tuple(milestones),
        )
        if window.keep_crews:
            sub = self.keep_crews(sub, window.free)
        return sub, order

    def meets(
        self,
        j: int,
        task: Task,
        lo: int,
        hi: int,
        resources: set[str],
        pools: set[str],
        sites: set[str | None],
    ) -> bool:
        """Can pinned task ``j`` meet a freed task on a resource, a pool or a site's power
        inside ``[lo, hi)``? Energised load counts from its start to the end of time; a
        travelling crew's task within the travel days of the window counts too."""
        s, e = self.starts[j], self.end(j)
        powered = task.site in sites and task.gate > 0
        if powered and task.energise_kw > 0:
            return s < hi
        if self.reach and task.duration > 0 and e > lo - self.reach and s < hi + self.reach:
            travelling = pools & self.travelling
            if any(pool_of(c) in travelling for c in self.crews[j]):
                return True
        if not (e > lo and s < hi and task.duration > 0):
            return False
        return (
            (powered and task.power_kw > 0)
            or bool(resources.intersection(task.resources))
            or any(pool_of(c) in pools for c in self.crews[j])
        )

    def freed(self, i: int, window: Window, free: set[int]) -> Task:
        """Task ``i`` kept inside the window and after / before its pinned neighbours: every
        link bounds the later start from the earlier one (``Instance.link_bound``)."""
        instance = self.instance
        task = instance.tasks[i]
        release = max(
            [
                task.release,
                window.lo,
                *(
                    instance.link_bound(link, self.starts[link.pred])
                    for link in self.preds[i]
                    if link.pred not in free
                ),
            ]
        )
        latest_start = min(
            [
                instance.start_for(i, window.hi),
                *(
                    instance.last_start(i, instance.link_latest(link, self.starts[link.succ]))
                    for link in self.succs[i]
                    if link.succ not in free
                ),
            ]
        )
        deadline = instance.end_of(i, latest_start)
        if task.deadline is not None:
            deadline = min(deadline, task.deadline)
        return replace(task, release=release, deadline=deadline)

    def keep_crews(self, sub: Instance, free: list[int]) -> Instance:
        """The window with its freed tasks (the first of ``sub``'s) pinned to their crews
        (``fixed_crews``) where the window's model names every travelling pool among
        them: a pool travels in the window only where its tasks there lie at two sites
        (`Instance.travelling_pools` of ``sub``). Elsewhere the model counts the pool's
        crews, and a task pinned to a crew by name could move onto days another task
        holds that crew (a crew-overlap once named): such a task's crews are the model's
        choice, named in start order within the window (`named_in_window`)."""
        named = {sub.pools[p].id for p in sub.travelling_pools()}
        tasks = list(sub.tasks)
        for k, i in enumerate(free):
            pools = {pool_of(c) for c in self.crews[i]} & self.travelling
            if pools and pools <= named:
                tasks[k] = replace(tasks[k], fixed_crews=self.crews[i])
        return replace(sub, tasks=tuple(tasks))

    def freed_milestone(
        self, milestone: Milestone, free: set[int], new_index: dict[int, int]
    ) -> Milestone:
        pinned_day = max((self.end(i) - 1 for i in milestone.tasks if i not in free), default=None)
        target = milestone.target
        if target is not None and pinned_day is not None:
            target = max(target, pinned_day)
        members = tuple(new_index[i] for i in milestone.tasks if i in free)
        return replace(milestone, tasks=members, target=target)

    # ------------------------------------------------------------ one step

    def step(
        self, window: Window, options: SolveOptions, limits: Limits, stop: threading.Event | None
    ) -> tuple[bool, bool, float]:
        """Solve one window; (taken: no worse, proven optimal, CP-SAT's deterministic time)."""
        sub, order = self.sub_instance(window)
        self.last_size = len(order)
        hint = Solution([self.starts[j] for j in order], [self.crews[j] for j in order])
        try:
            built = CpSatModel(sub)
        except InfeasibleModel as error:  # a bug: the incumbent is a plan of the window
            log.warning("window %s could not be built: %s", window.kind, error)
            return False, False, 0.0
        built.add_hint(hint)
        seed = options.seed + self.rng.randrange(1 << 16)
        solver = run(built, replace(options, seed=seed, log_search=False), limits, None, stop)
        code = solver.status_code  # type: ignore[attr-defined]
        spent = solver.deterministic_time
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False, False, spent
        starts = list(self.starts)
        for k, i in enumerate(window.free):
            starts[i] = int(solver.value(built.tasks[k].start))
        proven = code == cp_model.OPTIMAL
        objective = objective_value(self.instance, starts)
        if objective > self.objective:
            return False, proven, spent
        counts = {
            (order[k], p): n
            for p, users in read_crew_counts(built, solver).items()
            for k, n in users
            if k < len(window.free) and self.instance.pools[p].id not in self.travelling
        }
        try:
            named = self.named_in_window(built, solver, window.free)
            crews = self.rename(starts, window.free, counts, named)
        except RuntimeError as error:  # pinned crews of the whole plan in the way
            log.debug("window %s: %s", window.kind, error)
            return False, proven, spent
        if self.breaks_a_rule(window, starts, crews):
            return False, proven, spent
        self.starts, self.crews, self.objective = starts, crews, objective
        return True, proven, spent

    def breaks_a_rule(
        self, window: Window, starts: list[int], crews: list[tuple[str, ...]]
    ) -> bool:
        """Does the plan a window made break a rule of the validator? Such a plan is a
        modsched bug (the window's model, its crews read back and the validator
        disagree): it is logged with its window and dropped, and the search goes on from
        the incumbent. A plan the window left as it was is not checked again; a check
        costs 0.05 s on three-sites, 0.19 s on atlas-27 (one core)."""
        if starts == self.starts and crews == self.crews:
            return False
        violations = validate(self.instance, Solution(starts, crews))
        if not violations:
            return False
        self.broken += 1
        log.error(
            "window %s (%d tasks, days [%d, %d)) broke %d rule(s), its plan is dropped: %s",
            window.kind,
            len(window.free),
            window.lo,
            window.hi,
            len(violations),
            violations[0],
        )
        return True

    def named_in_window(
        self, built: CpSatModel, solver: cp_model.CpSolver, free: list[int]
    ) -> dict[int, list[str]]:
        """The crews of travelling pools on each freed task, as the window's model names
        them (by name in the model; or, where the window holds one site of the pool, in
        start order within the window, whose pinned neighbours within the travel days are
        all in it)."""
        if not self.travelling:
            return {}
        sub = read_solution(built, solver)
        return {
            i: [c for c in sub.crews[k] if pool_of(c) in self.travelling]
            for k, i in enumerate(free)
        }

    def rename(
        self,
        starts: list[int],
        free: list[int],
        counts: dict[tuple[int, int], int],
        named: dict[int, list[str]] | None = None,
    ) -> list[tuple[str, ...]]:
        """Crews of the whole plan once the window's tasks have moved: every pool that a
        freed task used before or uses now is named again in start order (preferring
        each task's crews of the incumbent), which cannot fail where the pool's load fits
        its count (a crew is one person or team: it keeps a task from start to end)."""
        pools = self.instance.pools
        index = {pool.id: p for p, pool in enumerate(pools)}
        touched = {p for (_, p) in counts}
        touched |= {index[pool_of(c)] for i in free for c in self.crews[i]}
        touched -= {index[pool_id] for pool_id in self.travelling}
        users: dict[int, list[tuple[int, int]]] = defaultdict(list)
        freed = set(free)
        for j, names in enumerate(self.crews):
            if j in freed:
                continue
            held: dict[int, int] = defaultdict(int)
            for c in names:
                held[index[pool_of(c)]] += 1
            for p, n in held.items():
                if p in touched:
                    users[p].append((j, n))
        for (i, p), n in counts.items():
            users[p].append((i, n))
        kept: list[list[str]] = [
            [c for c in names if index[pool_of(c)] not in touched] for names in self.crews
        ]
        for p in sorted(touched):
            name_crews(self.instance, p, users[p], starts, kept, self.crews)
        for i, crews in (named or {}).items():
            kept[i] = [c for c in kept[i] if pool_of(c) not in self.travelling] + crews
        return [tuple(c) for c in kept]

    def solution(self) -> Solution:
        return Solution(list(self.starts), list(self.crews))


def improve(
    instance: Instance,
    solution: Solution,
    options: SolveOptions,
    limits: Limits,
    on_improve: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
    bounds: Bounds | None = None,
    bound: int = 0,
) -> tuple[Solution, Stats]:
    """Improve ``solution`` window by window within ``limits``, or until its objective
    meets the proven ``bound``; ``bounds``, proven lateness bounds, steer the windows to
    the milestones still above theirs. Returns the best plan.
    In deterministic mode (``limits.nominal`` set) the search ends after a deterministic
    amount of work (CP-SAT's deterministic time, `ONE_WORKER_SHARE` a nominal second,
    and the windows' tasks, `WINDOW_TASKS_PER_SECOND`) and each window's limit comes from
    the work left, so that a seed gives the same plan run after run; should the wall
    clock end the search first, the run is told (`Limits.clock_cut`)."""
    started = time.perf_counter()
    search = WindowSearch(instance, solution, options.seed, bounds.late if bounds else None)
    first = TRAVEL_FIRST_SIZE if search.travelling else FIRST_SIZE
    stats, size = Stats(), min(first, len(search.movable))
    work = math.inf if limits.nominal is None else limits.nominal
    while size > 0 and search.objective > bound and not (stop is not None and stop.is_set()):
        wall_left = limits.wall - (time.perf_counter() - started)
        if limits.nominal is None:
            step = Limits(min(STEP_SECONDS, wall_left))
        else:
            nominal = min(STEP_SECONDS, work - stats.nominal)
            wall = min(nominal * BACKSTOP, wall_left)
            step = replace(limits, wall=wall, nominal=nominal, share=ONE_WORKER_SHARE)
        if min(step.wall, step.nominal or math.inf) < MIN_STEP_SECONDS:
            if step.wall < MIN_STEP_SECONDS <= (step.nominal or 0.0):
                limits.clock_cut()  # deterministic work left, and no time for it
            break
        window = search.pick(size)
        before = search.objective
        taken, proven, spent = search.step(window, options, step, stop)
        stats.steps += 1
        stats.deterministic_time += spent
        stats.nominal += spent / ONE_WORKER_SHARE + search.last_size / WINDOW_TASKS_PER_SECOND
        stats.proven += proven
        if search.objective < before:
            stats.improved += 1
            if on_improve:
                on_improve(search.objective)
        log.debug(
            "window %s %d tasks [%d, %d): %s %d -> %d",
            window.kind,
            len(window.free),
            window.lo,
            window.hi,
            "taken" if taken else "kept",
            before,
            search.objective,
        )
        if proven:
            size = min(MAX_SIZE, len(search.movable), int(size * 1.2) + 1)
        else:
            size = max(MIN_SIZE, int(size * 0.85))
    stats.broken = search.broken
    return search.solution(), stats


def objective_bound(
    instance: Instance, bounds: Bounds | None, cpm: CriticalPath | None = None
) -> int:
    """The scalar objective's proven floor: the critical path's, lifted by ``bounds``."""
    cpm = cpm or critical_path(instance)
    bound = CpSatModel.path_bound(instance, cpm)
    if bounds is not None:
        bound = max(bound, bounds.objective_bound(instance, cpm.length))
    return bound


def solve(
    instance: Instance,
    options: SolveOptions,
    hint: Solution,
    budget: Budget,
    cpm: CriticalPath | None = None,
    bounds: Bounds | None = None,
    rule: str | None = None,
) -> Result:
    """`improve` as a solver, for what is left of ``budget``: the hint (the greedy plan)
    is the first plan; given the priority ``rule`` that made it, milestone promotion
    (solvers/promote.py) first re-divides the shared crews, with up to ``PROMOTE_SHARE``
    of the time, then the windows take the rest. The bound is the critical path's, lifted
    by proven lateness ``bounds`` (no model of the whole program is solved); the search
    ends once a plan meets it."""
    started = budget.elapsed()
    history: list[tuple[float, int, int]] = []
    bound = objective_bound(instance, bounds, cpm)

    def improved(objective: int) -> None:
        entry = (budget.elapsed(), objective, bound)
        history.append(entry)
        if budget.on_progress:
            budget.on_progress(*entry)

    first = objective_value(instance, hint.starts)
    improved(first)
    start = hint
    if rule is not None and PROMOTE_SHARE > 0 and first > bound:
        limits = budget.take(PROMOTE_SHARE, reserve=VALIDATION_SECONDS)
        late = bounds.late if bounds else None
        start, promoted = promote(
            instance, hint, rule, limits, options.seed, budget.stop, improved, late
        )
        budget.give_back(limits, promoted.nominal_used)
        log.info(
            "promotion: %d steps, %d improving, %.1f s",
            promoted.steps,
            promoted.improved,
            promoted.seconds,
        )
    limits = budget.take(reserve=VALIDATION_SECONDS)
    solution, stats = improve(
        instance, start, options, limits, improved, budget.stop, bounds, bound
    )
    violations = validate(instance, solution)
    # every window plan taken was checked (`breaks_a_rule`): this is the last net
    if violations:  # a modsched bug: never hand it on; the plan it started from is valid
        log.error("the window search broke a rule (%s); keeping the plan", violations[0])
        solution = start if not validate(instance, start) else hint
    objective = objective_value(instance, solution.starts)
    log.info(
        "windows: %d steps, %d improving, %d proven, %d broken (dropped)",
        stats.steps,
        stats.improved,
        stats.proven,
        stats.broken,
    )
    return Result(
        Engine.CP_SAT,
        Method.WINDOWS,
        Status.OPTIMAL if objective <= bound else Status.FEASIBLE,
        solution,
        objective,
        bound,
        seconds=budget.elapsed() - started,
        first_solution_seconds=history[0][0],
        workers=options.workers,
        seed=options.seed,
        history=tuple(history),
        interrupted=budget.stopped,
        repeatable=budget.repeatable,
    )
