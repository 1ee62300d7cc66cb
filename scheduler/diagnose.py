"""Why a project cannot be scheduled, in planner's words.

`precheck` runs the cheap certain checks before any search: power gates that never open,
deadlines earlier than the critical path allows, energised load that the site's last
supply cannot carry. `explain_infeasible` is called when CP-SAT proves infeasibility.
"""

from __future__ import annotations

from collections.abc import Callable

from ortools.sat.python import cp_model

from scheduler.errors import Infeasible, InfeasibleModel
from scheduler.graph import CriticalPath, gate_opening
from scheduler.instance import Gate, Instance, Task
from scheduler.solvers.cpsat import CpSatModel

DayText = Callable[[int], str]
GATE_WORDS = {
    Gate.ANY: "any",
    Gate.TEMPORARY: "temporary or permanent",
    Gate.PERMANENT: "permanent",
}


def _day(day: int, day_text: DayText | None) -> str:
    return day_text(day) if day_text else f"day {day}"


def precheck(instance: Instance, cpm: CriticalPath, day_text: DayText | None = None) -> None:
    reasons = gates_never_open(instance)
    reasons += deadlines_before_critical_path(instance, cpm, day_text)
    reasons += energised_load_uncovered(instance)
    if reasons:
        raise Infeasible(reasons)


def gates_never_open(instance: Instance) -> list[str]:
    reasons, seen = [], set()
    for task in instance.tasks:
        key = (task.module_type, task.name, task.site, task.gate)
        if task.gate and key not in seen and gate_opening(instance, task) is None:
            seen.add(key)
            reasons.append(
                f"task '{task.id}' needs {GATE_WORDS[task.gate]} power but site "
                f"'{task.site}' never has any"
            )
    return reasons


def deadlines_before_critical_path(
    instance: Instance, cpm: CriticalPath, day_text: DayText | None
) -> list[str]:
    reasons = []
    for milestone in instance.milestones:
        if milestone.deadline is None or not milestone.tasks:
            continue
        ends = {i: cpm.earliest[i] + instance.tasks[i].duration for i in milestone.tasks}
        last = max(ends, key=lambda i: (ends[i], -i))
        if ends[last] - 1 > milestone.deadline:
            links = chain_to(instance, cpm, last)
            chain = " -> ".join(instance.tasks[i].id for i in links)
            chain += held_by(instance, cpm, links[0], day_text)
            reasons.append(
                f"milestone '{milestone.id}' has deadline "
                f"{_day(milestone.deadline, day_text)} but cannot be reached before "
                f"{_day(ends[last] - 1, day_text)}, because of the chain {chain}"
            )
    return reasons


def held_by(instance: Instance, cpm: CriticalPath, task: int, day_text: DayText | None) -> str:
    """What holds the first task of a chain: its release or its site's power."""
    first, day = instance.tasks[task], cpm.earliest[task]
    if day == 0:
        return ""
    if first.gate > 0 and day > first.release:
        return (
            f", which waits for enough {GATE_WORDS[first.gate]} power at site "
            f"'{first.site}' ({_day(day, day_text)})"
        )
    return f", which is released on {_day(day, day_text)}"


def chain_to(instance: Instance, cpm: CriticalPath, task: int) -> list[int]:
    """The chain of tight links that sets a task's earliest start."""
    into: dict[int, list] = {}
    for link in instance.links:
        into.setdefault(link.succ, []).append(link)
    chain = [task]
    while True:
        tight = [
            link.pred
            for link in into.get(chain[-1], [])
            if cpm.earliest[link.pred] + link.start_distance(instance.tasks)
            == cpm.earliest[chain[-1]]
        ]
        if not tight:
            return chain[::-1]
        chain.append(min(tight))


def energised_load_uncovered(instance: Instance) -> list[str]:
    """After the last supply change the supply is constant and every energised load is
    on: for each site and level, all load of that level must fit the final supply."""
    reasons = []
    last = instance.power_until(0)
    for site in instance.sites():
        for level in (Gate.ANY, Gate.TEMPORARY, Gate.PERMANENT):
            load = sum(t.energise_kw for t in instance.tasks if t.site == site and t.gate >= level)
            final = sum(
                s.kw
                for s in instance.supplies
                if s.site == site
                and s.kind >= level
                and s.start < last
                and (s.end is None or s.end >= last)
            )
            if load > final:
                reasons.append(
                    f"site '{site}': modules energised on {GATE_WORDS[level]} power "
                    f"carry {load / 1000:g} MW for good, but only {final / 1000:g} MW "
                    "of that kind remains once the last supply change is past"
                )
                break
    return reasons


class ExplainModel(CpSatModel):
    """The CP-SAT model with its soft-to-blame constraint groups behind literals:
    milestone deadlines, deployment releases, each site's power supplies, crew pools'
    unavailability and resources' reduced-capacity windows. No objective: only "is there
    a plan at all with these groups on?"."""

    def __init__(self, instance: Instance):
        self.literals: dict[tuple[str, str], cp_model.IntVar] = {}
        super().__init__(instance)

    def group(self, kind: str, key: str) -> cp_model.IntVar:
        if (kind, key) not in self.literals:
            self.literals[kind, key] = self.model.new_bool_var(f"{kind}:{key}")
        return self.literals[kind, key]

    def start_domain(self, task: Task, earliest: int) -> cp_model.Domain:
        if task.fixed_start is not None:
            return self.fixed_domain(task)  # a pin that breaks a rule is the reason itself
        latest = self.horizon - task.duration
        if task.deadline is not None:
            latest = min(latest, task.deadline - task.duration)
        return cp_model.Domain(0, latest)

    def add_constraints(self) -> None:
        super().add_constraints()
        for i, task in enumerate(self.instance.tasks):
            if task.fixed_start is not None:
                continue
            start = self.tasks[i].start
            if task.release > 0:
                literal = self.group("release", task.deployment or task.id)
                self.model.add(start >= task.release).only_enforce_if(literal)
            if task.gate > 0 and task.duration > 0:
                literal = self.group("power", task.site or "")
                self.model.add_linear_expression_in_domain(
                    start, self.gate_domain(task)
                ).only_enforce_if(literal)
        for milestone in self.instance.milestones:
            if milestone.deadline is not None:
                literal = self.group("deadline", milestone.id)
                for i in milestone.tasks:
                    self.model.add(self.tasks[i].end <= milestone.deadline + 1).only_enforce_if(
                        literal
                    )

    def add_supply_cumulative(self, site: str, level: int, items: list[tuple]) -> None:
        literal = self.group("power", site)
        optional = []
        for interval, demand in items:
            copy = self.model.new_optional_interval_var(
                interval.start_expr(), interval.size_expr(), interval.end_expr(), literal, ""
            )
            optional.append((copy, demand))
        super().add_supply_cumulative(site, level, optional)

    def add_objective(self) -> None:
        """No objective: a feasibility question."""


def _feasible(model: ExplainModel, on: list[cp_model.IntVar], seconds: float) -> bool | None:
    """True / False when proven, None when the time ran out."""
    model.model.clear_assumptions()
    model.model.add_assumptions(on)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = seconds
    status = solver.solve(model.model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True
    return False if status == cp_model.INFEASIBLE else None


def describe(kind: str, key: str, instance: Instance, day_text: DayText | None) -> str:
    if kind == "deadline":
        milestone = next(m for m in instance.milestones if m.id == key)
        return f"the deadline of milestone '{key}' ({_day(milestone.deadline or 0, day_text)})"
    if kind == "release":
        release = max(t.release for t in instance.tasks if (t.deployment or t.id) == key)
        return f"the release of deployment '{key}' (no work before {_day(release, day_text)})"
    if kind == "power":
        return f"the power supplies of site '{key}' (their dates, kinds and MW)"
    if kind == "crew-window":
        return f"the unavailability windows of crew pool '{key}'"
    return f"the reduced-capacity windows of '{key}'"


def explain_infeasible(
    instance: Instance, day_text: DayText | None = None, seconds: float = 30.0
) -> list[str]:
    """A small set of constraint groups that cannot hold together (deletion filter over
    the groups, each test a feasibility solve), said in planner's words."""
    try:
        model = ExplainModel(instance)
    except InfeasibleModel as error:
        return [str(error)]
    groups = list(model.literals)
    budget = seconds / (len(groups) + 2)
    if _feasible(model, [], budget) is False:
        return [
            "no plan exists even without deadlines, releases, power limits and crew or "
            "capacity windows: check crew counts, factory and crane capacities, links "
            "and the tasks already done or in progress"
        ]
    core = list(groups)
    for group in list(core):
        rest = [g for g in core if g != group]
        if _feasible(model, [model.literals[g] for g in rest], budget) is False:
            core = rest
    if (
        len(core) == len(groups)
        and _feasible(model, [model.literals[g] for g in core], budget) is not False
    ):
        return [
            "CP-SAT proved that no plan meets every constraint, but no smaller conflict "
            "was found in time"
        ]
    parts = [describe(kind, key, instance, day_text) for kind, key in core]
    return [
        "these cannot all hold: "
        + "; ".join(parts)
        + (". Relaxing any one of them makes a plan possible" if len(parts) > 1 else "")
    ]
