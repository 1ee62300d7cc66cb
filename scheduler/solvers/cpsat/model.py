"""The CP-SAT model of an Instance: variables, constraint families, objective, hints.

One interval per task; crews, factories, cranes and load banks as cumulative resources
whose changing capacity is modelled by fixed blocking intervals; power as one cumulative
per site and gate level (DESIGN.md, Power); weighted milestone tardiness then makespan as
one scalar objective. The constraints come from the families of `families.py`, posted in
`FAMILIES` order. A model built with ``explain=True`` has no objective, start domains
that hold only each task's own deadline, and an enforcement literal per group of
relaxable rules (`switch`), for `scheduler.diagnose`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python.max_flow import SimpleMaxFlow
from ortools.sat.python import cp_model

from scheduler.errors import InfeasibleModel
from scheduler.graph import CriticalPath, critical_path
from scheduler.instance import Instance, LinkType, Milestone, Solution, Task, pool_of
from scheduler.solvers.cpsat.families import COMPLETE_SEARCH_TASKS, FAMILIES, Family


@dataclass
class TaskVars:
    """``T{i}_start``, the task's end and its interval: of fixed size, or, for a task on
    a calendar of its own, sized by the workdays its start leaves before its end."""

    start: cp_model.IntVar
    interval: cp_model.IntervalVar
    duration: int
    end: cp_model.LinearExprT
    size: cp_model.LinearExprT
    # a task on its own calendar: per span it can take, the literal that picks it
    spans: dict[int, cp_model.IntVar] = field(default_factory=dict)


@dataclass
class CrewVars:
    """``use[(task, pool)]``: crews of ``pool`` on ``task`` (an int or a variable);
    ``split[(task, skill, pool)]``: how many of them bring ``skill``."""

    use: dict[tuple[int, int], cp_model.LinearExprT] = field(default_factory=dict)
    split: dict[tuple[int, str, int], cp_model.LinearExprT] = field(default_factory=dict)
    # crews of travelling pools by name: (task, pool) -> one 0/1 per crew k (``pool#k+1``)
    named: dict[tuple[int, int], list[cp_model.IntVar | int]] = field(default_factory=dict)


def late_floor(instance: Instance, cpm: CriticalPath, milestone: Milestone) -> int:
    """Late days the critical path alone forces on a milestone with a target."""
    day = max(instance.end_of(i, cpm.earliest[i]) for i in milestone.tasks) - 1
    return max(0, day - (milestone.target if milestone.target is not None else day))


def skill_split(instance: Instance, i: int, held: dict[int, int]) -> dict[tuple[str, int], int]:
    """How the crews a plan gives task ``i`` (``held[p]`` of pool ``p``) cover its skills:
    crews of each pool given to the skills they have, every need met where they can
    (a maximum flow). Giving each pool's crews to the first skill they have, as the hint
    once did, can leave a need with none: on MSPSP set-1b m40_00 the greedy plan was no
    plan of the model, and CP-SAT's first came 7 s later (docs/BENCHMARKS.md)."""
    task = instance.tasks[i]
    skills = list(task.skills)
    flow, source, sink = SimpleMaxFlow(), 0, 1
    arcs: dict[tuple[str, int], int] = {}
    for k, skill in enumerate(skills):
        need = task.skills[skill]
        flow.add_arc_with_capacity(source, 2 + k, need)
        for p in instance.eligible_pools(task, skill):
            arcs[skill, p] = flow.add_arc_with_capacity(2 + k, 2 + len(skills) + p, need)
    for p, n in held.items():
        flow.add_arc_with_capacity(2 + len(skills) + p, sink, n)
    if flow.solve(source, sink) != flow.OPTIMAL:
        return {}
    return {key: flow.flow(arc) for key, arc in arcs.items()}


class CpSatModel:
    """Variables, then each family of ``families`` in order, then the objective."""

    def __init__(
        self,
        instance: Instance,
        cpm: CriticalPath | None = None,
        families: tuple[Family, ...] = FAMILIES,
        explain: bool = False,
    ):
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
        self.explain = explain
        self.literals: dict[tuple[str, str], cp_model.IntVar] = {}
        self._milestone_deadlines: dict[str, list[int]] | None = None
        self._ends_before: dict[int, set[int]] | None = None
        self.add_variables()
        for family in families:
            family(self)
        if not explain:
            self.add_objective()
            self.add_search_strategy()

    def switch(self, kind: str, key: str) -> cp_model.IntVar | None:
        """The enforcement literal of a group of relaxable rules (``kind``, ``key``):
        None when the model solves (the rules always hold), else one Boolean a group."""
        if not self.explain:
            return None
        if (kind, key) not in self.literals:
            self.literals[kind, key] = self.model.new_bool_var(f"{kind}:{key}")
        return self.literals[kind, key]

    # ------------------------------------------------------------ variables

    def add_variables(self) -> None:
        for i, task in enumerate(self.instance.tasks):
            domain = self.start_domain(i, self.cpm.earliest[i])
            calendar = self.instance.calendar_of(i)
            if self.explain:
                # a relaxation: each task at its shortest span (its duration) from any
                # day. A conflict found in it is one of the real model too; the starts of
                # a calendar over the whole safe horizon would take longer to build than
                # the search had (three-sites: 35 s)
                calendar = None
            if calendar is not None and task.duration > 0:
                domain = calendar.workdays_within(domain)
            if domain.is_empty():
                raise InfeasibleModel(f"task '{task.id}' has no feasible start day")
            start = self.model.new_int_var_from_domain(domain, f"T{i}_start")
            if calendar is None or task.duration <= 0 or domain.size() == 1:
                size = (
                    task.duration
                    if calendar is None
                    else self.instance.end_of(i, domain.min()) - domain.min()
                )
                interval = self.model.new_fixed_size_interval_var(start, size, f"T{i}")
                self.tasks.append(TaskVars(start, interval, task.duration, start + size, size))
                continue
            self.tasks.append(self.calendar_task(i, start, domain))

    def calendar_task(self, i: int, start: cp_model.IntVar, domain: cp_model.Domain) -> TaskVars:
        """A task on its own calendar lasts, on the axis, the span its start gives it: the
        starts are grouped by span (a 4-day task on a 4-day week in a 6-day axis: 4 days,
        or 6 across a weekend), one literal picks the group and with it the size.

        Measured on the quickstart with a 4-day site week: an element constraint from a
        start index to the start and the end (one table entry per start) presolved to
        594k variables and found no plan in 30 s; this encoding presolves to 2.6k."""
        duration = self.instance.tasks[i].duration
        calendar = self.instance.calendar_of(i)
        assert calendar is not None
        flat = np.array(domain.flattened_intervals(), dtype=np.int64)
        starts = np.arange(flat[0], flat[-1] + 1, dtype=np.int64)  # then the domain's only
        inside = np.zeros(len(starts) + 1, dtype=np.int64)
        np.add.at(inside, flat[::2] - flat[0], 1)
        np.add.at(inside, flat[1::2] + 1 - flat[0], -1)
        starts = starts[np.cumsum(inside)[:-1] > 0]
        spans = calendar.ends(starts, duration) - starts
        by_span: dict[int, list[int]] = {
            int(span): starts[spans == span].tolist() for span in np.unique(spans)
        }
        if len(by_span) == 1:
            (span,) = by_span
            interval = self.model.new_fixed_size_interval_var(start, span, f"T{i}")
            return TaskVars(start, interval, duration, start + span, span)
        size = self.model.new_int_var_from_domain(
            cp_model.Domain.from_values(sorted(by_span)), f"T{i}_size"
        )
        choice = {}
        for span, values in sorted(by_span.items()):
            on = self.model.new_bool_var(f"T{i}_span{span}")
            self.model.add_linear_expression_in_domain(
                start, cp_model.Domain.from_values(values)
            ).only_enforce_if(on)
            self.model.add(size == span).only_enforce_if(on)
            choice[span] = on
        self.model.add_exactly_one(choice.values())
        last = int(starts[-1])
        end = self.model.new_int_var(
            int(starts[0] + spans[0]), self.instance.end_of(i, last), f"T{i}_end"
        )
        interval = self.model.new_interval_var(start, size, end, f"T{i}")
        return TaskVars(start, interval, duration, end, size, choice)

    def start_domain(self, i: int, earliest: int) -> cp_model.Domain:
        """Starts of task ``i`` in ``[earliest, latest]`` on which its gate is open every
        day. Explaining, only the task's own deadline: the rest are switched families."""
        task = self.instance.tasks[i]
        if task.fixed_start is not None:
            return self.fixed_domain(i)  # a pin that breaks a rule is the reason itself
        if self.explain:
            latest = self.instance.start_for(i, self.horizon)
            if task.deadline is not None:
                latest = min(latest, self.instance.start_for(i, task.deadline))
            return cp_model.Domain(0, latest)
        latest = self.instance.start_for(i, self.horizon)
        for deadline in self.deadlines_of(task):
            latest = min(latest, self.instance.start_for(i, deadline))
        domain = cp_model.Domain(earliest, latest) if earliest <= latest else cp_model.Domain(1, 0)
        if task.gate > 0 and task.duration > 0:
            domain = domain.intersection_with(self.gate_domain(i))
        return domain

    def fixed_domain(self, i: int) -> cp_model.Domain:
        """A pinned task's one start, checked against the rules the validator checks on
        it (a scenario may slip a supply or a deadline to before what already happened)."""
        task = self.instance.tasks[i]
        day = task.fixed_start
        assert day is not None
        for deadline in self.deadlines_of(task):
            if self.instance.end_of(i, day) > deadline:
                raise InfeasibleModel(
                    f"task '{task.id}' is fixed to start on day {day} and "
                    "so ends after a deadline it must meet"
                )
        if task.gate > 0 and task.duration > 0 and not self.gate_domain(i).contains(day):
            raise InfeasibleModel(
                f"task '{task.id}' is fixed to start on day {day}, but its "
                "power supply is not there every day it runs"
            )
        return cp_model.Domain(day, day)

    def gate_domain(self, i: int) -> cp_model.Domain:
        """Starts of task ``i`` whose every day has supply of a kind that passes its gate."""
        allowed = [
            [a, self.instance.start_for(i, b)]
            for a, b in self.open_segments(self.instance.tasks[i])
            if self.instance.start_for(i, b) >= a
        ]
        return cp_model.Domain.from_intervals(allowed)

    def deadlines_of(self, task: Task) -> list[int]:
        """Latest end days: the task's own and those of its milestones (day <= deadline
        means every task's end - 1 <= deadline)."""
        own = [task.deadline] if task.deadline is not None else []
        return own + self.milestone_deadlines().get(task.id, [])

    def milestone_deadlines(self) -> dict[str, list[int]]:
        if self._milestone_deadlines is None:
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
        if self._ends_before is None:
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
            ends.append(self.instance.end_of(i, solution.starts[i]))
            if t.spans:
                span = ends[-1] - solution.starts[i]
                for value, literal in t.spans.items():
                    self.model.add_hint(literal, value == span)
                self.model.add_hint(t.size, span)  # type: ignore[arg-type]
                self.model.add_hint(t.end, ends[-1])  # type: ignore[arg-type]
        assert self.makespan is not None
        self.model.add_hint(self.makespan, max(ends, default=0))
        for m, late in self.late.items():
            milestone = self.instance.milestones[m]
            day = max(ends[i] for i in milestone.tasks) - 1
            self.model.add_hint(late, max(0, day - (milestone.target or 0)))
        pool_index = {pool.id: p for p, pool in enumerate(self.instance.pools)}
        for i, crews in enumerate(solution.crews):
            held: dict[int, int] = defaultdict(int)
            for crew in crews:
                if pool_of(crew) in pool_index:
                    held[pool_index[pool_of(crew)]] += 1
            for (skill, p), n in skill_split(self.instance, i, held).items():
                var = self.crews.split.get((i, skill, p))
                if var is not None and not isinstance(var, int):
                    self.model.add_hint(var, n)  # type: ignore[call-overload]
        self.hint_named(solution)

    def hint_named(self, solution: Solution) -> None:
        """The crews of travelling pools as the plan names them."""
        for (i, p), on in self.crews.named.items():
            ids = self.instance.pools[p].crew_ids()
            for crew, var in zip(ids, on, strict=True):
                if not isinstance(var, int):
                    self.model.add_hint(var, crew in solution.crews[i])
