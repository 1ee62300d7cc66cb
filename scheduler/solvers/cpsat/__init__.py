"""CP-SAT on the whole model of an Instance: the product's exact engine.

`model.py` builds the variables and posts the constraint families of `families.py`;
`search.py` runs CP-SAT on it; `readback.py` reads the plan back and names the crews;
`stability.py` is a replan's second stage. `solve` puts them together for one stage of
the orchestrator (`scheduler.solving`), which decides when to call it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from scheduler.errors import InfeasibleModel
from scheduler.graph import CriticalPath
from scheduler.instance import Instance, Solution
from scheduler.solvers.budget import Budget, SolveOptions
from scheduler.solvers.cpsat.model import CpSatModel
from scheduler.solvers.cpsat.readback import name_crews, read_crew_counts, read_solution
from scheduler.solvers.cpsat.search import STATUS, ProgressLogger, found, run
from scheduler.solvers.cpsat.search import search as staged_search
from scheduler.solvers.cpsat.stability import stabilise
from scheduler.solvers.result import Engine, Method, Result, Status

if TYPE_CHECKING:
    from scheduler.solvers.bounds import Bounds

__all__ = [
    "CpSatModel",
    "name_crews",
    "read_crew_counts",
    "read_solution",
    "run",
    "solve",
]

log = logging.getLogger(__name__)
STAGE_ONE_SHARE = 2 / 3  # of a replan's time, for the objective (the rest: fewest changes)


def solve(
    instance: Instance,
    options: SolveOptions | None = None,
    hint: Solution | None = None,
    budget: Budget | None = None,
    prefer_crews: list[tuple[str, ...]] | None = None,
    baseline: Solution | None = None,
    cpm: CriticalPath | None = None,
    bounds: Bounds | None = None,
) -> Result:
    """Solve with CP-SAT within ``budget`` (by default ``options.time_limit`` from now);
    its stop event, set from another thread (a signal), ends the search with the best
    plan so far. With a ``baseline`` (replanning) the time is split: two thirds for the
    objective, then, holding it, the fewest changes to the baseline. ``bounds``, proven
    lateness bounds (`solvers.bounds`), are added to the model as cuts."""
    options = options or SolveOptions()
    budget = budget or Budget.of(options)
    started = budget.elapsed()
    result = Result(
        Engine.CP_SAT,
        Method.WHOLE_MODEL,
        Status.UNKNOWN,
        workers=options.workers,
        seed=options.seed,
    )
    try:
        built = CpSatModel(instance, cpm)
    except InfeasibleModel as error:
        log.info("infeasible while building: %s", error)
        return replace(result, status=Status.INFEASIBLE, seconds=budget.elapsed() - started)
    if bounds is not None:
        bounds.post(built)
    if hint is not None:
        built.add_hint(hint)
    logger = ProgressLogger(budget.on_progress, budget.started)  # times count the building
    if baseline is not None:
        solver = run(built, options, budget.take(STAGE_ONE_SHARE), logger, budget.stop)
        best = found(built, solver, prefer_crews)
    else:
        best = staged_search(built, options, budget.take(), logger, budget.stop, hint, prefer_crews)
    result = replace(result, status=STATUS.get(best.code, Status.UNKNOWN))
    if result.status in (Status.OPTIMAL, Status.FEASIBLE):
        result = replace(
            result,
            solution=best.solution,
            objective=best.objective,
            bound=max(round(best.bound), built.critical_path_bound()),
            first_solution_seconds=logger.history[0][0] if logger.history else None,
        )
        if baseline is not None and not budget.stopped:
            result = stabilise(
                built, options, result, baseline, budget, prefer_crews, [hint] if hint else []
            )
    return replace(
        result,
        history=tuple(logger.history),
        interrupted=budget.stopped,
        seconds=budget.elapsed() - started,
        repeatable=budget.repeatable,
    )
