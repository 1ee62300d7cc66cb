"""The CP-SAT model of an Instance: the product.

One interval per task; crews, factories, cranes and load banks as cumulative resources
whose changing capacity is modelled by fixed blocking intervals; power as one cumulative
per site and gate level (DESIGN.md, Power); weighted milestone tardiness then makespan as
one scalar objective. Crews are chosen per pool in the model and named (``pool#k``)
afterwards by colouring each pool's interval graph, which always succeeds because a pool's
load never exceeds its count.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import networkx as nx
from ortools.graph.python.max_flow import SimpleMaxFlow
from ortools.sat import sat_parameters_pb2
from ortools.sat.python import cp_model

from scheduler.errors import InfeasibleModel
from scheduler.graph import CriticalPath, critical_path
from scheduler.instance import (
    CrewPool,
    Instance,
    LinkType,
    Milestone,
    Solution,
    Task,
    gaps,
    mirror_starts,
    mirrored,
    objective_value,
)
from scheduler.solvers.result import SolveResult, Status

log = logging.getLogger(__name__)
Progress = Callable[[float, int, int], None]
Job = tuple[cp_model.CpSolver, cp_model.CpModel, cp_model.CpSolverSolutionCallback | None]

# deterministic-time / wall limit with one worker (measured here: ~0.2-0.33 det s per wall s)
DETERMINISTIC_SHARE = 0.15
STAGE_ONE_SHARE = 2 / 3  # of a replan's time, for the objective (the rest: fewest changes)
MOVE_COST = 100  # a moved task weighs as much as 100 days of shift
CREW_COST = 10  # a crew taken from another pool weighs as much as 10 days of shift
COMPLETE_SEARCH_TASKS = 200  # up to this size a crew-choice model gets two complete searches
PROOF_SHARE = 0.25  # of a makespan model's time for the whole portfolio; then LNS only
PROOF_SECONDS = 10.0  # but at least this long (PSPLIB j30 at 10 s lost 5 proofs at 2.5 s)
# the first stage of a makespan model searches both ways up to this size: j30 (32 tasks)
# 473 -> 475 proven at 10 s, j60 (62) 69 hard 0.918 -> 0.901 % at 60 s; j120 (122) fourth
# sample 1.620 -> 1.880 %, as its plans need the portfolio's neighbourhood thread
BOTH_WAYS_TASKS = 100
# up to this size both searches of the first stage run to prove (`proving`): on the hard
# j30 the proof that no plan beats the optimum by a day comes in 4-20 s on one worker
# without the LP, not within 30 s with it, and in about half that time with CP-SAT's
# integer conflict analysis; j30 at 10 s: 475 proven (LP both ways) -> 477 (mirror no LP)
# -> 480 (both proving, all within 10 s). j60's 60 s plans got worse without the LP
# (first 10 of the 69 hard: 0 better, 6 worse) (docs/BENCHMARKS.md, "Proving searches")
PROVING_TASKS = 50
# left out of the LNS-only stage, which keeps CP-SAT's four scheduling neighbourhoods: at
# 60 s, mean deviation from best known on j60 0.166 -> 0.132 %, j120 sample 1.87 -> 1.60 %
GENERIC_SEARCHES = (
    "ls",
    "fj",
    "feasibility_pump",
    "graph_arc_lns",
    "graph_cst_lns",
    "graph_dec_lns",
    "graph_var_lns",
    "rnd_cst_lns",
    "rnd_var_lns",
)
STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
}


@dataclass
class TaskVars:
    """``T{i}_start`` and the task's fixed-size interval."""

    start: cp_model.IntVar
    interval: cp_model.IntervalVar
    duration: int

    @property
    def end(self) -> cp_model.LinearExprT:
        return self.start + self.duration


@dataclass
class CrewVars:
    """``use[(task, pool)]``: crews of ``pool`` on ``task`` (an int or a variable);
    ``split[(task, skill, pool)]``: how many of them bring ``skill``."""

    use: dict[tuple[int, int], cp_model.LinearExprT] = field(default_factory=dict)
    split: dict[tuple[int, str, int], cp_model.LinearExprT] = field(default_factory=dict)


def late_floor(instance: Instance, cpm: CriticalPath, milestone: Milestone) -> int:
    """Late days the critical path alone forces on a milestone with a target."""
    day = max(cpm.earliest[i] + instance.tasks[i].duration for i in milestone.tasks) - 1
    return max(0, day - (milestone.target if milestone.target is not None else day))


class CpSatModel:
    """Builds the model in one ordered pass (`add_constraints`), then the objective."""

    def __init__(self, instance: Instance, cpm: CriticalPath | None = None):
        self.instance = instance
        self.cpm = cpm or critical_path(instance)
        self.model = cp_model.CpModel()
        self.horizon = instance.horizon
        self.power_end = instance.power_until(instance.horizon)
        self.tasks: list[TaskVars] = []
        self.crews = CrewVars()
        self.late: dict[int, cp_model.IntVar] = {}
        self.makespan: cp_model.IntVar | None = None
        self.objective: cp_model.LinearExprT = 0
        self.add_variables()
        self.add_constraints()
        self.add_objective()
        self.add_search_strategy()

    # ------------------------------------------------------------ variables

    def add_variables(self) -> None:
        for i, task in enumerate(self.instance.tasks):
            domain = self.start_domain(task, self.cpm.earliest[i])
            if domain.is_empty():
                raise InfeasibleModel(f"task '{task.id}' has no feasible start day")
            start = self.model.new_int_var_from_domain(domain, f"T{i}_start")
            interval = self.model.new_fixed_size_interval_var(start, task.duration, f"T{i}")
            self.tasks.append(TaskVars(start, interval, task.duration))

    def start_domain(self, task: Task, earliest: int) -> cp_model.Domain:
        """Starts in ``[earliest, latest]`` on which the task's gate is open every day."""
        if task.fixed_start is not None:
            return self.fixed_domain(task)
        latest = self.horizon - task.duration
        for deadline in self.deadlines_of(task):
            latest = min(latest, deadline - task.duration)
        domain = cp_model.Domain(earliest, latest) if earliest <= latest else cp_model.Domain(1, 0)
        if task.gate > 0 and task.duration > 0:
            domain = domain.intersection_with(self.gate_domain(task))
        return domain

    def fixed_domain(self, task: Task) -> cp_model.Domain:
        """A pinned task's one start, checked against the rules the validator checks on
        it (a scenario may slip a supply or a deadline to before what already happened)."""
        day = task.fixed_start
        assert day is not None
        for deadline in self.deadlines_of(task):
            if day > deadline - task.duration:
                raise InfeasibleModel(
                    f"task '{task.id}' is fixed to start on day {day} and "
                    "so ends after a deadline it must meet"
                )
        if task.gate > 0 and task.duration > 0 and not self.gate_domain(task).contains(day):
            raise InfeasibleModel(
                f"task '{task.id}' is fixed to start on day {day}, but its "
                "power supply is not there every day it runs"
            )
        return cp_model.Domain(day, day)

    def gate_domain(self, task: Task) -> cp_model.Domain:
        """Starts whose every day has supply of a kind that passes the task's gate."""
        allowed = [
            [a, b - task.duration] for a, b in self.open_segments(task) if b - task.duration >= a
        ]
        return cp_model.Domain.from_intervals(allowed)

    def deadlines_of(self, task: Task) -> list[int]:
        """Latest end days: the task's own and those of its milestones (day <= deadline
        means every task's end - 1 <= deadline)."""
        own = [task.deadline] if task.deadline is not None else []
        return own + self.milestone_deadlines().get(task.id, [])

    def milestone_deadlines(self) -> dict[str, list[int]]:
        if not hasattr(self, "_milestone_deadlines"):
            found: dict[str, list[int]] = defaultdict(list)
            for milestone in self.instance.milestones:
                if milestone.deadline is not None:
                    for i in milestone.tasks:
                        found[self.instance.tasks[i].id].append(milestone.deadline + 1)
            self._milestone_deadlines = dict(found)
        return self._milestone_deadlines

    def open_segments(self, task: Task) -> list[tuple[int, int]]:
        """Maximal day ranges ``[a, b)`` on which the task's site has supply > 0 of a
        kind passing its gate."""
        windows = sorted(
            (s.start, s.end if s.end is not None else self.power_end + self.horizon)
            for s in self.instance.supplies
            if s.site == task.site and s.kind >= task.gate and s.kw > 0
        )
        merged: list[tuple[int, int]] = []
        for a, b in windows:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return merged

    # ------------------------------------------------------------ constraints

    def add_constraints(self) -> None:
        self.add_links()
        self.add_crews()
        self.add_skill_cumulatives()
        self.add_crew_disjunctions()
        self.add_resources()
        self.add_power()

    def add_links(self) -> None:
        """Each link as ``s_b >= s_a + c`` (durations are fixed: `Link.start_distance`)."""
        tasks = self.instance.tasks
        for link in self.instance.links:
            a, b = self.tasks[link.pred], self.tasks[link.succ]
            self.model.add(b.start >= a.start + link.start_distance(tasks))

    def add_crews(self) -> None:
        """For each task and skill, sum over eligible pools of split = need; for each pool,
        the crews in use on any day <= crews available that day."""
        pools = self.instance.pools
        for i, task in enumerate(self.instance.tasks):
            for skill, need in task.skills.items():
                if need <= 0:
                    continue  # needs nobody (the validator and greedy skip it too)
                eligible = [
                    p for p in self.instance.eligible_pools(task, skill) if pools[p].count > 0
                ]
                if not eligible:
                    raise InfeasibleModel(
                        f"task '{task.id}' needs skill '{skill}' that no crew pool at its site has"
                    )
                self.split_need(i, skill, need, eligible)
        self.name_sums()
        self.pin_crews()
        for p, pool in enumerate(pools):
            users = [(i, use) for (i, q), use in self.crews.use.items() if q == p]
            if pool.count == 1:
                self.add_single_crew(p, users)
            elif users:
                intervals = [self.tasks[i].interval for i, _ in users]
                demands = [use for _, use in users]
                blockers = self.blockers(
                    pool.count, pool.windows, f"pool{p}", self.group("crew-window", pool.id)
                )
                self.model.add_cumulative(
                    intervals + [b for b, _ in blockers],
                    demands + [d for _, d in blockers],
                    pool.count,
                )

    def add_skill_cumulatives(self) -> None:
        """Redundant: for each skill s, sum of need_s over running tasks <= crews that can
        bring s; and over all skills, sum of needs <= crews that bring any of them.

        Implied by the crew constraints (a crew brings one skill to one task at a time),
        but stated on the task intervals it gives CP-SAT's cumulative reasoning a makespan
        lower bound that the per-crew no_overlaps and the split variables do not. Counts
        take each pool at its largest availability and ignore sites, so they only relax.
        Measured on MSPSP only, so kept to models of that size.
        """
        if self.instance.num_tasks > COMPLETE_SEARCH_TASKS:
            return
        every = sorted({skill for task in self.instance.tasks for skill in task.skills})
        groups = [{skill} for skill in every] + ([set(every)] if len(every) > 1 else [])
        for group in groups:
            users = [
                (t.interval, sum(n for s, n in task.skills.items() if s in group))
                for t, task in zip(self.tasks, self.instance.tasks, strict=True)
                if task.duration > 0
            ]
            users = [(interval, need) for interval, need in users if need > 0]
            capacity = sum(most_crews(pool) for pool in self.instance.pools if pool.skills & group)
            if len(users) > 1 and sum(need for _, need in users) > capacity:
                self.model.add_cumulative([i for i, _ in users], [n for _, n in users], capacity)

    def add_crew_disjunctions(self) -> None:
        """Redundant: two tasks whose crew needs together no assignment of the crews can
        meet never overlap; over each maximal clique of such pairs, no_overlap.

        A pair fails when the max-flow from its (task, skill) needs to the pools that serve
        them (each at its largest availability) falls short of the needs. The skill
        cumulatives miss such pairs when crews hold several skills (MSPSP), and the
        no_overlap's edge finding then orders them long before the search would.
        Measured on MSPSP only, so kept to models of that size.
        """
        if self.instance.num_tasks > COMPLETE_SEARCH_TASKS or not self.instance.pools:
            return
        tasks = self.instance.tasks
        staffed = [i for i, t in enumerate(tasks) if t.skills and t.duration > 0]
        clash = nx.Graph()
        for a, b in itertools.combinations(staffed, 2):
            if not self.crews_cover((a, b)):
                clash.add_edge(a, b)
        for clique in nx.find_cliques(clash):
            self.model.add_no_overlap([self.tasks[i].interval for i in clique])

    def crews_cover(self, group: Sequence[int]) -> bool:
        """Can the crews (each pool at its largest availability) meet at once every skill
        need of the tasks in ``group``?"""
        pools = self.instance.pools
        flow, need_total = SimpleMaxFlow(), 0
        source, sink, first = 0, 1, 2 + len(pools)
        for p, pool in enumerate(pools):
            flow.add_arc_with_capacity(2 + p, sink, most_crews(pool))
        node = first
        for i in group:
            task = self.instance.tasks[i]
            for skill, need in task.skills.items():
                flow.add_arc_with_capacity(source, node, need)
                need_total += need
                for p in self.instance.eligible_pools(task, skill):
                    flow.add_arc_with_capacity(node, 2 + p, need)
                node += 1
        return flow.solve(source, sink) == flow.OPTIMAL and flow.optimal_flow() >= need_total

    def split_need(self, i: int, skill: str, need: int, eligible: list[int]) -> None:
        if len(eligible) == 1:
            parts: list[cp_model.LinearExprT] = [need]
        else:
            parts = [
                self.model.new_int_var(
                    0, min(need, self.instance.pools[p].count), f"T{i}_{skill}_P{p}"
                )
                for p in eligible
            ]
            self.model.add(sum(parts) == need)
        for p, part in zip(eligible, parts, strict=True):
            self.crews.split[i, skill, p] = part
            self.crews.use[i, p] = self.crews.use.get((i, p), 0) + part

    def name_sums(self) -> None:
        """A pool giving a task crews for two skills uses their sum; cumulative demands
        must be single variables, so such a sum gets its own: u = x_a + x_b."""
        for (i, p), use in list(self.crews.use.items()):
            if not isinstance(use, int | cp_model.IntVar):
                total = self.model.new_int_var(0, self.instance.pools[p].count, f"T{i}_P{p}_use")
                self.model.add(total == use)
                self.crews.use[i, p] = total

    def pin_crews(self) -> None:
        """A task pinned to named crews (``fixed_crews``) takes from each pool exactly the
        number of those crews that belong to it (the validator asks for the same crews)."""
        ids = [pool.id for pool in self.instance.pools]
        for (i, p), use in self.crews.use.items():
            crews = self.instance.tasks[i].fixed_crews
            if crews is not None and not isinstance(use, int):
                self.model.add(use == sum(1 for c in crews if c.split("#")[0] == ids[p]))

    def add_single_crew(self, p: int, users: list[tuple[int, cp_model.LinearExprT]]) -> None:
        """A one-crew pool: optional intervals, no two present ones overlap."""
        intervals = []
        for i, use in users:
            if self.instance.tasks[i].duration == 0:
                continue  # works no day (as the validator counts it), so it blocks no one
            if isinstance(use, int):
                if use > 1:
                    raise InfeasibleModel(
                        f"task '{self.instance.tasks[i].id}' needs {use} "
                        f"crews of one-crew pool '{self.instance.pools[p].id}'"
                    )
                intervals.append(self.tasks[i].interval)
                continue
            present = self.model.new_bool_var(f"T{i}_on_P{p}")
            self.model.add(use == present)
            t = self.tasks[i]
            intervals.append(
                self.model.new_optional_fixed_size_interval_var(
                    t.start, t.duration, present, f"T{i}_P{p}"
                )
            )
        pool = self.instance.pools[p]
        blockers = self.blockers(1, pool.windows, f"pool{p}", self.group("crew-window", pool.id))
        self.model.add_no_overlap(intervals + [b for b, _ in blockers])

    def group(self, kind: str, key: str) -> cp_model.IntVar | None:
        """The literal that switches a group of constraints on (only when explaining
        infeasibility, see scheduler.diagnose); None: always on."""
        return None

    def blockers(
        self, capacity: int, windows: Sequence, name: str, present: cp_model.IntVar | None = None
    ) -> list[tuple]:
        """Fixed intervals that take ``capacity - value`` on each window."""
        found = []
        for k, w in enumerate(windows):
            if w.value < capacity and w.end > w.start:
                size, label = w.end - w.start, f"{name}_off{k}"
                interval = (
                    self.model.new_fixed_size_interval_var(w.start, size, label)
                    if present is None
                    else self.model.new_optional_fixed_size_interval_var(
                        w.start, size, present, label
                    )
                )
                found.append((interval, capacity - w.value))
        return found

    def add_resources(self) -> None:
        """For each resource and day: sum of amounts of running tasks <= capacity that day."""
        users: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, task in enumerate(self.instance.tasks):
            for rid, amount in task.resources.items():
                users[rid].append((i, amount))
        known = {resource.id for resource in self.instance.resources}
        for rid in sorted(set(users) - known):
            task_id = self.instance.tasks[users[rid][0][0]].id
            raise InfeasibleModel(f"task '{task_id}' uses unknown resource '{rid}'")
        for r, resource in enumerate(self.instance.resources):
            if not users[resource.id]:
                continue
            top = max([resource.capacity, *(w.value for w in resource.windows)])
            windows = list(resource.windows)
            if top > resource.capacity:  # a window above the base: the base holds elsewhere
                windows += gaps(resource.windows, self.instance.horizon, resource.capacity)
            blockers = self.blockers(
                top, windows, f"R{r}", self.group("capacity-window", resource.id)
            )
            if top == 0:  # no capacity ever: no task using it may run
                for i, _ in users[resource.id]:
                    if self.instance.tasks[i].duration > 0:
                        raise InfeasibleModel(
                            f"task '{self.instance.tasks[i].id}' uses "
                            f"'{resource.id}', which has no capacity"
                        )
                continue
            intervals = [self.tasks[i].interval for i, _ in users[resource.id]]
            demands = [a for _, a in users[resource.id]]
            self.model.add_cumulative(
                intervals + [b for b, _ in blockers], demands + [d for _, d in blockers], top
            )

    def add_power(self) -> None:
        """Per site, gate level g and day t: sum of power_kw of running tasks with gate >= g
        + energise_kw of tasks with gate >= g started on or before t <= supply of kinds >= g
        active on t."""
        energised = {
            i: self.energised_interval(i)
            for i, t in enumerate(self.instance.tasks)
            if t.energise_kw > 0
        }
        for site in self.instance.sites():
            for level in (1, 2, 3):
                items = []
                for i, task in enumerate(self.instance.tasks):
                    if task.site != site or task.gate < level:
                        continue
                    if task.power_kw > 0 and task.duration > 0:
                        items.append((self.tasks[i].interval, task.power_kw))
                    if i in energised:
                        items.append((energised[i], task.energise_kw))
                if items:
                    self.add_supply_cumulative(site, level, items)

    def energised_interval(self, i: int) -> cp_model.IntervalVar:
        start = self.tasks[i].start
        return self.model.new_interval_var(
            start, self.power_end - start, self.power_end, f"T{i}_energised"
        )

    def add_supply_cumulative(self, site: str, level: int, items: list[tuple]) -> None:
        profile = self.supply_profile(site, level)
        top = max(kw for _, _, kw in profile)
        blockers = []
        for k, (a, b, kw) in enumerate(profile):
            if kw < top:
                interval = self.model.new_fixed_size_interval_var(a, b - a, f"{site}_g{level}_{k}")
                blockers.append((interval, top - kw))
        intervals = [it for it, _ in items] + [it for it, _ in blockers]
        demands = [d for _, d in items] + [d for _, d in blockers]
        self.model.add_cumulative(intervals, demands, max(top, 0))

    def supply_profile(self, site: str, level: int) -> list[tuple[int, int, int]]:
        """Pieces ``(a, b, kw)`` covering ``[0, power_end)``: supply of kinds >= level."""
        supplies = [s for s in self.instance.supplies if s.site == site and s.kind >= level]
        cuts = {0, self.power_end}
        for s in supplies:
            cuts |= {min(s.start, self.power_end), min(s.end or self.power_end, self.power_end)}
        cuts_sorted = sorted(c for c in cuts if 0 <= c <= self.power_end)
        pieces = []
        for a, b in itertools.pairwise(cuts_sorted):
            kw = sum(s.kw for s in supplies if s.start <= a and (s.end is None or a < s.end))
            pieces.append((a, b, kw))
        return pieces

    # ------------------------------------------------------------ objective

    def add_objective(self) -> None:
        """minimise tardiness_weight x sum(weight x late) + makespan, where
        late_m >= e_t - 1 - target_m for every last task t of milestone m."""
        tasks = self.instance.tasks
        sinks = self.sink_tasks()
        self.makespan = self.model.new_int_var(self.cpm.length, self.horizon, "makespan")
        for i in sinks:
            self.model.add(self.makespan >= self.tasks[i].end)
        weighted = []
        for m, milestone in enumerate(self.instance.milestones):
            if milestone.target is None or not milestone.tasks or milestone.weight == 0:
                continue
            floor = late_floor(self.instance, self.cpm, milestone)
            late = self.model.new_int_var(floor, self.horizon, f"M{m}_late")
            members = set(milestone.tasks)
            for i in milestone.tasks:
                if i in sinks or not self.succ_within(i, members):
                    self.model.add(late >= self.tasks[i].end - 1 - milestone.target)
            self.late[m] = late
            weighted.append(milestone.weight * late)
        del tasks
        self.objective = self.instance.tardiness_weight * sum(weighted) + self.makespan
        self.model.minimize(self.objective)

    def minimise_changes(self, baseline: Solution, cap: int) -> None:
        """Second stage of a replan: keep objective <= cap, then minimise
        MOVE_COST x moved tasks + shift days + CREW_COST x crews moved between pools."""
        self.model.add(self.objective <= cap)
        pool_index = {pool.id: p for p, pool in enumerate(self.instance.pools)}
        terms = []
        for i, (t, task) in enumerate(zip(self.tasks, self.instance.tasks, strict=True)):
            if task.fixed_start is not None:
                continue
            moved = self.model.new_bool_var(f"T{i}_moved")
            shift = self.model.new_int_var(0, self.horizon, f"T{i}_shift")
            self.model.add_abs_equality(shift, t.start - baseline.starts[i])
            self.model.add(t.start == baseline.starts[i]).only_enforce_if(~moved)
            terms += [MOVE_COST * moved, shift]
        was: dict[tuple[int, int], int] = defaultdict(int)
        for i, crews in enumerate(baseline.crews):
            for crew in crews:
                was[i, pool_index.get(crew.split("#")[0], -1)] += 1
        for (i, p), use in self.crews.use.items():
            if not isinstance(use, int):
                change = self.model.new_int_var(
                    0, 2 * self.instance.pools[p].count, f"T{i}_P{p}_chg"
                )
                self.model.add_abs_equality(change, use - was[i, p])
                terms.append(CREW_COST * change)
        self.model.minimize(sum(terms))

    def critical_path_bound(self) -> int:
        return self.path_bound(self.instance, self.cpm)

    @staticmethod
    def path_bound(instance: Instance, cpm: CriticalPath) -> int:
        """The objective's floor from CPM alone: forced late days, then the CPM length."""
        late = sum(
            m.weight * late_floor(instance, cpm, m)
            for m in instance.milestones
            if m.target is not None and m.tasks
        )
        return late * instance.tardiness_weight + cpm.length

    def sink_tasks(self) -> set[int]:
        """Tasks whose end no later task's end is sure to pass (no FS/FF successor with
        lag >= 0): the only ones that can set the makespan."""
        covered = {
            link.pred
            for link in self.instance.links
            if link.type in (LinkType.FS, LinkType.FF) and link.lag >= 0
        }
        return set(range(self.instance.num_tasks)) - covered

    def succ_within(self, i: int, members: set[int]) -> bool:
        if not hasattr(self, "_ends_before"):
            ends_before: dict[int, set[int]] = defaultdict(set)
            for link in self.instance.links:
                if link.type in (LinkType.FS, LinkType.FF) and link.lag >= 0:
                    ends_before[link.pred].add(link.succ)
            self._ends_before = ends_before
        return bool(self._ends_before.get(i, set()) & members)

    # ------------------------------------------------------------ search

    def prefers_complete_search(self) -> bool:
        """Small models with a choice of crews (MSPSP-like): with 2 workers, a second
        complete search (earliest start first, like Chuffed's priority search) proves more
        optima than LNS on that worker (MSPSP set-1a 212 vs 191 of 216 within 10 s). Large
        models keep LNS, which finds their good plans (not measured there)."""
        has_choice = any(not isinstance(v, int) for v in self.crews.split.values())
        return has_choice and self.instance.num_tasks <= COMPLETE_SEARCH_TASKS

    def add_search_strategy(self) -> None:
        """Branch on the lowest start first, at its minimum (used by the ``fixed`` worker)."""
        if self.prefers_complete_search():
            self.model.add_decision_strategy(
                [t.start for t in self.tasks], cp_model.CHOOSE_LOWEST_MIN, cp_model.SELECT_MIN_VALUE
            )

    # ------------------------------------------------------------ hints

    def add_hint(self, solution: Solution) -> None:
        """Warm start from a complete plan (the greedy one, or the baseline)."""
        ends = []
        for i, t in enumerate(self.tasks):
            self.model.add_hint(t.start, solution.starts[i])
            ends.append(solution.starts[i] + t.duration)
        self.model.add_hint(self.makespan, max(ends, default=0))
        for m, late in self.late.items():
            milestone = self.instance.milestones[m]
            day = max(ends[i] for i in milestone.tasks) - 1
            self.model.add_hint(late, max(0, day - (milestone.target or 0)))
        pool_index = {pool.id: p for p, pool in enumerate(self.instance.pools)}
        for i, crews in enumerate(solution.crews):
            left: dict[int, int] = defaultdict(int)
            for crew in crews:
                left[pool_index.get(crew.split("#")[0], -1)] += 1
            for skill in self.instance.tasks[i].skills:
                for p in self.instance.eligible_pools(self.instance.tasks[i], skill):
                    var = self.crews.split.get((i, skill, p))
                    if var is None:
                        continue
                    need = self.instance.tasks[i].skills[skill]
                    take = min(left[p], need)
                    left[p] -= take
                    if not isinstance(var, int):
                        self.model.add_hint(var, take)


class ProgressLogger(cp_model.CpSolverSolutionCallback):
    """Records (seconds since ``started``, objective, bound) at each improving plan.
    `twin` gives the callback of a second search that runs at the same time and writes to
    the same record."""

    def __init__(
        self,
        on_progress: Progress | None,
        started: float,
        history: list[tuple[float, int, int]] | None = None,
        lock: threading.Lock | None = None,
    ):
        super().__init__()
        self.started = started
        self.history = [] if history is None else history
        self.lock = lock or threading.Lock()
        self.on_progress = on_progress

    def twin(self) -> ProgressLogger:
        return ProgressLogger(self.on_progress, self.started, self.history, self.lock)

    def on_solution_callback(self) -> None:
        with self.lock:
            seconds = time.perf_counter() - self.started
            objective = round(self.objective_value)
            bound = round(self.best_objective_bound)  # a later search may know less
            if self.history:
                if objective >= self.history[-1][1]:
                    return  # the other search's plan is better
                bound = max(bound, self.history[-1][2])
            entry = (seconds, objective, bound)
            self.history.append(entry)
            if self.on_progress:
                self.on_progress(*entry)


@dataclass
class SolveOptions:
    time_limit: float = 60.0
    workers: int = 2
    seed: int = 0
    log_search: bool = False


def solve(
    instance: Instance,
    options: SolveOptions | None = None,
    hint: Solution | None = None,
    on_progress: Progress | None = None,
    stop: threading.Event | None = None,
    prefer_crews: list[tuple[str, ...]] | None = None,
    baseline: Solution | None = None,
    cpm: CriticalPath | None = None,
) -> SolveResult:
    """Solve with CP-SAT; ``stop`` set from another thread (a signal) ends the search
    with the best plan so far. With a ``baseline`` (replanning) the time is split: two
    thirds for the objective, then, holding it, the fewest changes to the baseline."""
    options = options or SolveOptions()
    started = time.perf_counter()
    result = SolveResult("cp-sat", Status.UNKNOWN, workers=options.workers, seed=options.seed)
    try:
        built = CpSatModel(instance, cpm)
    except InfeasibleModel as error:
        log.info("infeasible while building: %s", error)
        result.status, result.seconds = Status.INFEASIBLE, time.perf_counter() - started
        return result
    if hint is not None:
        built.add_hint(hint)
    budget = options.time_limit - (time.perf_counter() - started)
    logger = ProgressLogger(on_progress, started)  # times count the model's building
    if baseline is not None:
        best = found(
            built, run(built, options, budget * STAGE_ONE_SHARE, logger, stop), prefer_crews
        )
    else:
        best = search(built, options, budget, logger, stop, hint, prefer_crews)
    result.status = STATUS.get(best.code, Status.UNKNOWN)
    if result.status in (Status.OPTIMAL, Status.FEASIBLE):
        result.solution, result.objective = best.solution, best.objective
        result.bound = max(round(best.bound), built.critical_path_bound())
        result.first_solution_seconds = logger.history[0][0] if logger.history else None
        if baseline is not None and not (stop and stop.is_set()):
            _stabilise(built, options, result, baseline, started, stop, prefer_crews)
    result.history = logger.history
    result.interrupted = bool(stop and stop.is_set())
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class Found:
    """What a search found: CP-SAT's status code, the best plan, its objective and the
    objective bound proved."""

    code: int
    solution: Solution | None = None
    objective: int | None = None
    bound: float = 0.0


def found(
    built: CpSatModel, solver: cp_model.CpSolver, prefer: list[tuple[str, ...]] | None = None
) -> Found:
    code = solver.status_code  # type: ignore[attr-defined]
    if code == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the model (a modsched bug): {built.model.validate()}")
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Found(code, bound=solver.best_objective_bound)
    return Found(
        code,
        read_solution(built, solver, prefer),
        round(solver.objective_value),
        solver.best_objective_bound,
    )


def search(
    built: CpSatModel,
    options: SolveOptions,
    budget: float,
    logger: ProgressLogger,
    stop: threading.Event | None,
    hint: Solution | None = None,
    prefer: list[tuple[str, ...]] | None = None,
) -> Found:
    """The search. A makespan model (no milestone targets: PSPLIB-like) on 2 workers or
    more first gets a proving stage for ``PROOF_SHARE`` of the time (at least
    ``PROOF_SECONDS``): the model and its mirror (`both_ways`) when time can run backwards
    in it and it has at most ``BOTH_WAYS_TASKS`` tasks, else the whole portfolio (one
    complete search that proves, one thread that CP-SAT shares among 13 neighbourhood and
    local searches). If that proves nothing and time is left, every worker runs CP-SAT's
    scheduling neighbourhoods (intervals, precedences, resource and time windows) from the
    best plan, the objective held at or above the proved bound (so a plan on the bound is
    proven optimal). At 60 s on 2 workers: j60 mean deviation from best known 0.206 % (one
    search) -> 0.132 %, j120 sample 2.27 -> 1.60 %, 11 late j60 proofs lost
    (docs/BENCHMARKS.md, "Staged search")."""
    if built.late or options.workers < 2 or built.prefers_complete_search():
        return found(built, run(built, options, budget, logger, stop), prefer)
    started = time.perf_counter()
    stage = min(budget, max(budget * PROOF_SHARE, PROOF_SECONDS))
    mirror = mirrored(built.instance) if built.instance.num_tasks <= BOTH_WAYS_TASKS else None
    if mirror is None:
        first = found(built, run(built, options, stage, logger, stop), prefer)
    else:
        first = both_ways(built, mirror, options, stage, logger, stop, hint, prefer)
    left = budget - (time.perf_counter() - started)
    stopped = stop is not None and stop.is_set()
    if first.code not in (cp_model.FEASIBLE, cp_model.UNKNOWN) or left < 1.0 or stopped:
        return first
    if first.code == cp_model.UNKNOWN:  # no plan yet: the whole portfolio goes on
        return found(built, run(built, options, left, logger, stop), prefer)
    assert first.solution is not None
    built.model.add(built.objective >= round(first.bound))
    built.model.clear_hints()
    built.add_hint(first.solution)
    second = found(built, run(built, options, left, logger, stop, lns_only=True), prefer)
    if second.code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return first  # no plan in the time left: keep the first stage's
    second.bound = max(first.bound, second.bound)
    return second


def both_ways(
    built: CpSatModel,
    mirror: Instance,
    options: SolveOptions,
    budget: float,
    logger: ProgressLogger,
    stop: threading.Event | None,
    hint: Solution | None,
    prefer: list[tuple[str, ...]] | None,
) -> Found:
    """Search the model and its mirror (time running backwards) at once, half the workers
    each (with one worker CP-SAT runs its complete search; up to ``PROVING_TASKS`` tasks
    both with the `proving` settings), until one proves its optimum or the best plan of
    either meets the higher bound. Proofs that are hard one way can be easy the other:
    PSPLIB j30 at 10 s on 2 workers, 473 -> 475 proven (docs/BENCHMARKS.md, "Both
    ways")."""
    back = CpSatModel(mirror)
    if hint is not None:
        back.add_hint(Solution(mirror_starts(built.instance, hint.starts), hint.crews))
    halves = [options.workers - options.workers // 2, options.workers // 2]
    models, callbacks = [built, back], [logger, logger.twin()]
    bounds = [0.0, 0.0]
    solvers = []
    for k, workers in enumerate(halves):
        solver = cp_model.CpSolver()
        configure(solver, replace(options, workers=workers), budget)
        solver.parameters.max_deterministic_time = math.inf  # not repeatable: no cap
        solver.best_bound_callback = lambda value, k=k: bounds.__setitem__(k, value)
        if mirror.num_tasks <= PROVING_TASKS:
            proving(solver.parameters)
        solvers.append(solver)

    def met() -> bool:
        return bool(logger.history) and logger.history[-1][1] <= max(bounds)

    jobs = [(s, m.model, c) for s, m, c in zip(solvers, models, callbacks, strict=True)]
    codes = wait(jobs, stop, met)
    results = []
    for solver, model, code in zip(solvers, models, codes, strict=True):
        solver.status_code = code  # type: ignore[attr-defined]
        results.append(found(model, solver, prefer))
    if any(r.code == cp_model.INFEASIBLE for r in results):
        return Found(cp_model.INFEASIBLE)
    if results[1].solution is not None:
        results[1].solution.starts = mirror_starts(mirror, results[1].solution.starts)
    bound = max(r.bound for r in results)
    if all(r.objective is None for r in results):
        return Found(cp_model.UNKNOWN, bound=bound)
    objective, best = min(
        (r.objective, k) for k, r in enumerate(results) if r.objective is not None
    )
    if any(r.code == cp_model.OPTIMAL for r in results) or objective <= bound:
        return Found(cp_model.OPTIMAL, results[best].solution, objective, objective)
    return Found(cp_model.FEASIBLE, results[best].solution, objective, bound)


def proving(params: sat_parameters_pb2.SatParameters) -> None:
    """Settings of a search meant to prove: no LP relaxation, CP-SAT's conflict analysis
    over integer bounds (`use_new_integer_conflict_resolution`, learning as in lazy clause
    generation), the cumulative without its disjunctive sub-propagator, and the variables
    of a conflict's reasons bumped too. On the three slowest j30 at optimum - 1 day, one
    worker each way: 11-19 s to prove infeasible -> 4-7 s (docs/BENCHMARKS.md, "Proving
    searches")."""
    params.linearization_level = 0
    params.use_new_integer_conflict_resolution = True
    params.use_disjunctive_constraint_in_cumulative = False
    params.also_bump_variables_in_conflict_reasons = True


def run(
    built: CpSatModel,
    options: SolveOptions,
    budget: float,
    callback: cp_model.CpSolverSolutionCallback | None,
    stop: threading.Event | None,
    lns_only: bool = False,
) -> cp_model.CpSolver:
    """Solve in a worker thread while this (main) thread stays in Python, so that signal
    handlers run at once and ``stop`` can end the search."""
    solver = cp_model.CpSolver()
    configure(solver, options, budget)
    if options.workers == 2 and built.prefers_complete_search():
        solver.parameters.num_full_subsolvers = 2  # default_lp + fixed, instead of LNS
    solver.parameters.use_lns_only = lns_only
    if lns_only:
        solver.parameters.ignore_subsolvers.extend(GENERIC_SEARCHES)
    solver.status_code = wait([(solver, built.model, callback)], stop)[0]  # type: ignore[attr-defined]
    return solver


def wait(
    jobs: list[Job], stop: threading.Event | None, done: Callable[[], bool] = lambda: False
) -> list[int]:
    """Run each (solver, model, callback) in a thread of its own until all end; all are
    stopped once ``stop`` is set, ``done()`` holds or one of them ends with a proof
    (optimal or infeasible: CP-SAT's bound callback does not report a search that closes
    its tree). CP-SAT's status code of each."""
    codes: list[int] = [cp_model.UNKNOWN] * len(jobs)
    failures: list[BaseException] = []

    def solve_one(k: int) -> None:
        solver, model, callback = jobs[k]
        try:
            codes[k] = solver.solve(model, callback)
        except BaseException as error:  # handed to the caller below, not lost in the thread
            failures.append(error)

    def proved() -> bool:
        return any(code in (cp_model.OPTIMAL, cp_model.INFEASIBLE) for code in codes)

    threads = [threading.Thread(target=solve_one, args=(k,)) for k in range(len(jobs))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.05)
                if (stop is not None and stop.is_set()) or done() or proved():
                    for solver, _, _ in jobs:
                        solver.stop_search()
    except BaseException:  # Ctrl-C where no handler turns it into `stop` (a library caller)
        for solver, _, _ in jobs:
            solver.stop_search()
        for thread in threads:
            if thread.ident is not None:  # started
                thread.join()
        raise
    if failures:
        raise failures[0]
    return codes


def _stabilise(
    built: CpSatModel,
    options: SolveOptions,
    result: SolveResult,
    baseline: Solution,
    started: float,
    stop: threading.Event | None,
    prefer_crews: list[tuple[str, ...]] | None,
) -> None:
    """Stage two of a replan: the fewest changes at no worse an objective."""
    assert result.solution is not None and result.objective is not None
    built.minimise_changes(baseline, result.objective)
    built.model.clear_hints()
    built.add_hint(result.solution)
    budget = options.time_limit - (time.perf_counter() - started)
    solver = run(built, options, max(budget, 1.0), None, stop)
    if solver.status_code in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # type: ignore[attr-defined]
        result.solution = read_solution(built, solver, prefer_crews)
        result.objective = objective_value(built.instance, result.solution.starts)


def configure(solver: cp_model.CpSolver, options: SolveOptions, budget: float) -> None:
    """Workers, seed and limits. With one worker the search is also cut by a
    deterministic-time limit set below the wall-clock one, so that the same seed gives the
    same plan run after run (the wall clock only stops a search that runs slow)."""
    params = solver.parameters
    params.num_workers = max(1, options.workers)
    params.random_seed = options.seed
    params.max_time_in_seconds = max(0.1, budget)
    if options.workers <= 1:
        params.max_deterministic_time = max(0.05, budget * DETERMINISTIC_SHARE)
    params.log_search_progress = options.log_search
    params.catch_sigint_signal = False  # Ctrl-C reaches Python, which stops the search


# ------------------------------------------------------------ read back


def most_crews(pool: CrewPool) -> int:
    """The most crews the pool has on any day (redundant constraints relax to it)."""
    return max([pool.count, *(w.value for w in pool.windows)])


def read_solution(
    built: CpSatModel, solver: cp_model.CpSolver, prefer: list[tuple[str, ...]] | None = None
) -> Solution:
    starts = [int(solver.value(t.start)) for t in built.tasks]
    crews: list[list[str]] = [[] for _ in built.tasks]
    for p, users in read_crew_counts(built, solver).items():
        name_crews(built.instance, p, users, starts, crews, prefer)
    return Solution(starts, [tuple(c) for c in crews])


def read_crew_counts(built: CpSatModel, solver: cp_model.CpSolver) -> dict[int, list]:
    """pool -> [(task, crews of the pool on it)] for the tasks that use the pool."""
    use: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (i, p), expr in built.crews.use.items():
        count = int(solver.value(expr)) if not isinstance(expr, int) else expr
        if count:
            use[p].append((i, count))
    return use


def name_crews(
    instance: Instance,
    p: int,
    users: list[tuple[int, int]],
    starts: list[int],
    crews: list[list[str]],
    prefer: list[tuple[str, ...]] | None,
) -> None:
    """Give each task the crews of pool ``p`` it uses, by start order: pinned crews first,
    then preferred ones (the baseline's), then the lowest-numbered free crew. In start
    order a crew free on a task's first day is free on all of it, so this never fails
    unless pinned crews make it."""
    pool = instance.pools[p]
    ids = pool.crew_ids()
    busy: dict[str, list[tuple[int, int]]] = {c: [] for c in ids}  # sorted, disjoint
    tasks = instance.tasks

    def free(crew: str, a: int, b: int) -> bool:
        spans = busy[crew]
        k = bisect.bisect_left(spans, (b, b))  # spans starting before b: [:k]
        return k == 0 or spans[k - 1][1] <= a

    order = sorted(users, key=lambda u: (tasks[u[0]].fixed_crews is None, starts[u[0]], u[0]))
    for i, count in order:
        a, b = starts[i], starts[i] + tasks[i].duration
        pinned = [c for c in (tasks[i].fixed_crews or ()) if c in busy]
        wished = [c for c in (prefer[i] if prefer else ()) if c in busy and c not in pinned]
        chosen = pinned[:count]
        for crew in wished + ids:
            if len(chosen) == count:
                break
            if crew not in chosen and (a == b or free(crew, a, b)):
                chosen.append(crew)
        if len(chosen) < count:
            raise RuntimeError(f"could not name {count} crews of '{pool.id}' for '{tasks[i].id}'")
        for crew in chosen:
            if a < b:
                bisect.insort(busy[crew], (a, b))
        crews[i] += chosen
