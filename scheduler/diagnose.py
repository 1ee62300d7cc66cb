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
from scheduler.instance import Gate, Instance
from scheduler.solvers.budget import Budget, Limits, SolveOptions
from scheduler.solvers.cpsat import CpSatModel
from scheduler.solvers.cpsat.search import configure, wait

DayText = Callable[[int], str]
EXPLAIN_SECONDS = 30.0  # the most an explanation takes, when the time limit leaves more
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
        ends = {i: instance.end_of(i, cpm.earliest[i]) for i in milestone.tasks}
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
            if instance.first_start(chain[-1], instance.link_bound(link, cpm.earliest[link.pred]))
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


def _feasible(
    built: CpSatModel, on: list[cp_model.IntVar], budget: Budget, tests_left: int, cap: float
) -> bool | None:
    """Is there a plan with the groups ``on`` switched on? True / False when proven,
    None when its time ran out: ``cap``, or less when the budget has less left for each
    of the ``tests_left`` tests."""
    built.model.clear_assumptions()
    built.model.add_assumptions(on)
    solver = cp_model.CpSolver()
    # wall time only, in deterministic mode too: the search before took the nominal share
    seconds = min(cap, budget.share(1 / max(1, tests_left)))
    configure(solver, SolveOptions(workers=1), Limits(seconds))
    status = wait([(solver, built.model, None)], budget.stop)[0]
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
    instance: Instance, budget: Budget, day_text: DayText | None = None
) -> list[str]:
    """A small set of constraint groups that cannot hold together (deletion filter over
    the groups, each test a feasibility solve within its share of ``budget``), said in
    planner's words."""
    try:
        built = CpSatModel(instance, explain=True)
    except InfeasibleModel as error:
        return [str(error)]
    groups = list(built.literals)
    cap = EXPLAIN_SECONDS / (len(groups) + 2)  # each test's share of at most 30 s
    if _feasible(built, [], budget, len(groups) + 2, cap) is False:
        return [
            "no plan exists even without deadlines, releases, power limits and crew or "
            "capacity windows: check crew counts, factory and crane capacities, links "
            "and the tasks already done or in progress"
        ]
    core = list(groups)
    for k, group in enumerate(list(core)):
        rest = [g for g in core if g != group]
        tests_left = len(groups) - k + 1
        if _feasible(built, [built.literals[g] for g in rest], budget, tests_left, cap) is False:
            core = rest
    if (
        len(core) == len(groups)
        and _feasible(built, [built.literals[g] for g in core], budget, 1, cap) is not False
    ):
        return [
            "CP-SAT proved that no plan meets every constraint, but no smaller conflict "
            "was found in the time left"
        ]
    parts = [describe(kind, key, instance, day_text) for kind, key in core]
    return [
        "these cannot all hold: "
        + "; ".join(parts)
        + (". Relaxing any one of them makes a plan possible" if len(parts) > 1 else "")
    ]
