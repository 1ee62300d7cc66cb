"""Stage two of a replan: hold the objective found, then move as little as possible."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from ortools.sat.python import cp_model

from scheduler.instance import Solution, objective_value, pool_of
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
    model.minimize(sum(terms))


def stabilise(
    built: CpSatModel,
    options: SolveOptions,
    result: Result,
    baseline: Solution,
    budget: Budget,
    prefer_crews: list[tuple[str, ...]] | None,
) -> Result:
    """The fewest changes to ``baseline`` at no worse an objective than ``result``'s, in
    what is left of ``budget``; ``result`` itself when no such plan is found in time."""
    assert result.solution is not None and result.objective is not None
    minimise_changes(built, baseline, result.objective)
    built.model.clear_hints()
    built.add_hint(result.solution)
    solver = run(built, options, budget.take(), None, budget.stop)
    if solver.status_code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # type: ignore[attr-defined]
        return result
    solution = read_solution(built, solver, prefer_crews)
    return replace(
        result, solution=solution, objective=objective_value(built.instance, solution.starts)
    )
