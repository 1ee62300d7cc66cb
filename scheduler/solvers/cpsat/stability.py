"""Stage two of a replan: hold the objective found, then move as little as possible."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from ortools.sat.python import cp_model

from scheduler.instance import Instance, Solution, objective_value, pool_of
from scheduler.solvers.budget import Budget, SolveOptions
from scheduler.solvers.cpsat.model import CpSatModel
from scheduler.solvers.cpsat.readback import read_solution
from scheduler.solvers.cpsat.search import run
from scheduler.solvers.result import Result

MOVE_COST = 100  # a moved task weighs as much as 100 days of shift
CREW_COST = 10  # a crew taken from another pool weighs as much as 10 days of shift


def minimise_changes(built: CpSatModel, baseline: Solution, cap: int) -> None:
    """Keep objective <= cap, then minimise MOVE_COST x moved tasks + shift days +
    CREW_COST x crews moved between pools."""
    model = built.model
    model.add(built.objective <= cap)
    pool_index = {pool.id: p for p, pool in enumerate(built.instance.pools)}
    terms: list[cp_model.LinearExprT] = []
    for i, (t, task) in enumerate(zip(built.tasks, built.instance.tasks, strict=True)):
        if task.fixed_start is not None:
            continue
        moved = model.new_bool_var(f"T{i}_moved")
        shift = model.new_int_var(0, built.horizon, f"T{i}_shift")
        model.add_abs_equality(shift, t.start - baseline.starts[i])
        model.add(t.start == baseline.starts[i]).only_enforce_if(~moved)
        terms += [MOVE_COST * moved, shift]
    was: dict[tuple[int, int], int] = defaultdict(int)
    for i, crews in enumerate(baseline.crews):
        for crew in crews:
            was[i, pool_index.get(pool_of(crew), -1)] += 1
    for (i, p), use in built.crews.use.items():
        if not isinstance(use, int):
            change = model.new_int_var(0, 2 * built.instance.pools[p].count, f"T{i}_P{p}_chg")
            model.add_abs_equality(change, use - was[i, p])
            terms.append(CREW_COST * change)
    terms += renamed(built, baseline)
    model.minimize(sum(terms))


def renamed(built: CpSatModel, baseline: Solution) -> list[cp_model.LinearExprT]:
    """CREW_COST x each crew of a travelling pool (named in the model) that a task takes
    or drops against the baseline; the other pools are named after the solve, preferring
    the baseline's crews."""
    terms: list[cp_model.LinearExprT] = []
    for (i, p), on in built.crews.named.items():
        ids = built.instance.pools[p].crew_ids()
        for crew, var in zip(ids, on, strict=True):
            if not isinstance(var, int):
                terms.append(CREW_COST * ((1 - var) if crew in baseline.crews[i] else var))
    return terms


def changes(instance: Instance, plan: Solution, baseline: Solution) -> int:
    """Planned tasks moved plus planned tasks whose crews changed, against the baseline."""
    count = 0
    for i, task in enumerate(instance.tasks):
        if task.fixed_start is None:
            count += plan.starts[i] != baseline.starts[i]
            count += sorted(plan.crews[i]) != sorted(baseline.crews[i])
    return count


def stabilise(
    built: CpSatModel,
    options: SolveOptions,
    result: Result,
    baseline: Solution,
    budget: Budget,
    prefer_crews: list[tuple[str, ...]] | None,
    candidates: Sequence[Solution] = (),
) -> Result:
    """The fewest changes to ``baseline`` at no worse an objective than ``result``'s, in
    what is left of ``budget``. The search starts from the plan, among ``result``'s and
    ``candidates`` (the warm start: the baseline repaired) that meet that objective,
    that changes least; a plan found at an equal objective by a search that did not
    look at changes (the window search) does not pull the answer away from the
    baseline. Never more changes than that starting plan."""
    assert result.solution is not None and result.objective is not None
    instance, cap = built.instance, result.objective
    meeting = [result.solution] + [
        c for c in candidates if objective_value(instance, c.starts) <= cap
    ]
    start = min(meeting, key=lambda plan: changes(instance, plan, baseline))
    minimise_changes(built, baseline, cap)
    built.model.clear_hints()
    built.add_hint(start)
    solver = run(built, options, budget.take(), None, budget.stop)
    found = start
    if solver.status_code in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # type: ignore[attr-defined]
        solution = read_solution(built, solver, prefer_crews)
        if changes(instance, solution, baseline) <= changes(instance, start, baseline):
            found = solution
    return replace(result, solution=found, objective=objective_value(instance, found.starts))
