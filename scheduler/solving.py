"""The one solve path: precheck -> greedy -> horizon -> CP-SAT -> explain -> fallback ->
left-justify, used by `modsched schedule`, `replan`, `whatif`, `bench` and the library.

`solve_plan(instance, options, budget)` returns the plan as solved (`Solved`); a replan
passes its warm start (the baseline repaired to the new facts) and a `Stability` (the
baseline to stay close to). CP-SAT works on the whole model, or window by window from
`LARGE_PROGRAM_TASKS` tasks on (solvers/windows.py); a replan stays on the whole model
and then looks for the fewest changes at no worse an objective. Every stage stays inside
the one `Budget`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace

from scheduler.diagnose import DayText, explain_infeasible, precheck
from scheduler.errors import Infeasible, NoPlanFound
from scheduler.expand import search_horizon
from scheduler.graph import CriticalPath, critical_path
from scheduler.instance import (
    LARGE_PROGRAM_TASKS,
    Instance,
    Solution,
    objective_terms,
    objective_value,
)
from scheduler.solvers import cpsat, windows
from scheduler.solvers.bounds import Bounds, floors, prove, weighted
from scheduler.solvers.budget import PLACED_PER_SECOND, Budget, SolveOptions, searching
from scheduler.solvers.cpsat.stability import changes
from scheduler.solvers.greedy import PRIORITY_RULES, best_of, greedy, rule_plans, rule_processes
from scheduler.solvers.result import Engine, Method, Result, Status
from scheduler.validate import validate

log = logging.getLogger(__name__)

# of the search's time, what the deadline probes may take first (solvers/bounds.py); they
# end sooner once every bound meets the known plan or a round settles nothing. At 60 s on
# 2 workers (docs/BENCHMARKS.md, "Lateness bounds"): three-sites before site calendars
# proved 176, the optimum, in 5.9-15.3 s; the plans found were the same without probes
PROBE_SHARE = 0.3


@dataclass(frozen=True)
class Stability:
    """A replan's baseline as a plan of the instance being solved: the new plan should
    move as few of its tasks and crews as the objective allows."""

    baseline: Solution
    last_end: int  # the baseline's finish: the search horizon keeps room for it


@dataclass(frozen=True)
class Solved:
    """The instance as solved (its search horizon set), the chosen result, and the greedy
    scheme's (the warm start from scratch; its objective is what CP-SAT improved on)."""

    instance: Instance
    result: Result
    greedy: Result


def run_greedy(
    instance: Instance,
    options: SolveOptions | None = None,
    deadline: float | None = None,
    stop: threading.Event | None = None,
) -> Result:
    """Every priority rule of the serial scheme (past ``deadline``, those that have not
    run once one has a plan: `rule_plans`; ``stop``, a `Stop` set, ends them:
    `Interrupted`); the best plan, ``repeatable`` False when a rule was skipped (another
    run may get further)."""
    options = options or SolveOptions()
    started = time.perf_counter()
    plans = rule_plans(instance, options.workers, deadline, stop)
    found = best_of(instance, plans)
    seconds = time.perf_counter() - started
    repeatable = None if len(plans) == len(PRIORITY_RULES) else False
    if found is None:
        return Result(
            Engine.GREEDY,
            Method.PRIORITY_RULES,
            Status.UNKNOWN,
            seconds=seconds,
            repeatable=repeatable,
        )
    rule, solution = found
    return Result(
        Engine.GREEDY,
        Method.PRIORITY_RULES,
        Status.FEASIBLE,
        solution,
        objective_value(instance, solution.starts),
        seconds=seconds,
        first_solution_seconds=seconds,
        workers=options.workers,
        seed=options.seed,
        rule=rule,
        repeatable=repeatable,
    )


def solve_plan(
    instance: Instance,
    options: SolveOptions | None = None,
    budget: Budget | None = None,
    *,
    engine: Engine = Engine.CP_SAT,
    warm_start: Solution | None = None,
    stability: Stability | None = None,
    cpm: CriticalPath | None = None,
    day_text: DayText | None = None,
    use_greedy: bool = True,
) -> Solved:
    """The best plan of ``instance`` within ``budget``. Raises `Infeasible` (with the
    constraints that conflict) or `NoPlanFound` (nothing found, nothing proven)."""
    options = options or SolveOptions()
    budget = budget or Budget.of(options)
    cpm = cpm or critical_path(instance)
    precheck(instance, cpm, day_text)
    deadline = budget.deadline
    fresh = run_greedy(instance, options, deadline, budget.stop) if use_greedy else None
    if fresh is not None:
        budget.charge(len(PRIORITY_RULES) * instance.num_tasks / PLACED_PER_SECOND)
        if budget.deterministic and fresh.repeatable is False:
            budget.clock.set()  # rules were skipped at the limit
    candidates = [s for s in (warm_start, fresh.solution if fresh else None) if s is not None]
    hint = min(candidates, key=lambda s: objective_terms(instance, s.starts), default=None)
    if hint is not None:
        known = objective_terms(instance, hint.starts)[1]
        if stability is not None:
            known = max(known, stability.last_end)
        instance = search_horizon(instance, known)
    if fresh is None:
        fresh = Result(Engine.GREEDY, Method.PRIORITY_RULES, Status.UNKNOWN)
    elif fresh.solution is not None:
        fresh = replace(
            fresh,
            objective=objective_value(instance, fresh.solution.starts),
            bound=cpm.length if not instance.milestones else None,
        )
    # left-justification runs the serial scheme once more, one rule: keep its time (the
    # rules ran in rule_processes processes at once)
    budget.tail = fresh.seconds * rule_processes(instance, options.workers) / len(PRIORITY_RULES)
    if engine == Engine.GREEDY:
        if fresh.solution is None:
            raise NoPlanFound(["the greedy scheme could not place every task; try --solver cp-sat"])
        fresh = with_lateness(instance, fresh, floors(instance))
        done = budget.elapsed()  # the greedy's plan is the run's first and only one
        fresh = replace(
            fresh, repeatable=budget.repeatable, seconds=done, first_solution_seconds=done
        )
        return Solved(instance, fresh, fresh)
    with searching(budget.stop):
        bounds = lateness_bounds(instance, options, hint, budget, stability)
        rule = fresh.rule if fresh.solution is hint else None
        result = _cp_sat(instance, options, hint, budget, cpm, stability, bounds, rule)
    if result.status == Status.INFEASIBLE:
        raise Infeasible(explain_infeasible(instance, budget, day_text))
    if result.solution is not None and hint is not None and stability is None:
        result = _no_worse_than(instance, result, hint)
    if result.solution is None and hint is not None:
        log.warning("CP-SAT found no plan in %.1fs; keeping the warm start", result.seconds)
        kept = (Engine.GREEDY, Method.REPAIR) if stability else (Engine.CP_SAT, Method.GREEDY_KEPT)
        result = replace(
            result,
            engine=kept[0],
            method=kept[1],
            status=Status.FEASIBLE,
            solution=hint,
            objective=objective_value(instance, hint.starts),
        )
    if result.solution is None:
        raise NoPlanFound(
            [
                f"no plan found within {budget.limit:g} s and none proven impossible; "
                "try a longer --time-limit"
            ]
        )
    result = with_bounds(instance, left_justify(instance, result, stability), bounds, cpm)
    # the run's seconds from the budget's start (a stage's own were only its part)
    result = replace(result, repeatable=budget.repeatable, seconds=budget.elapsed())
    return Solved(instance, result, fresh)


def _no_worse_than(instance: Instance, result: Result, hint: Solution) -> Result:
    """CP-SAT's plan, or the warm start where that is better: CP-SAT does not always take
    its hint as a first plan (crews named another way than its model can complete), and
    then may end worse than the greedy plan (MSPSP set-1b m40_00: 108 against the greedy
    106, docs/BENCHMARKS.md, "Against a plain CP-SAT model")."""
    assert result.solution is not None
    kept = objective_value(instance, hint.starts)
    found = objective_value(instance, result.solution.starts)
    if kept >= found:
        return result
    log.warning("CP-SAT's plan (%d) is worse than the warm start (%d); keeping it", found, kept)
    bound = result.bound
    if bound is not None and bound > kept:  # the model and the validator disagree
        log.error("CP-SAT's bound %d is above a valid plan's %d (a bug): no bound", bound, kept)
        bound = None
    return replace(
        result,
        method=Method.GREEDY_KEPT,
        status=Status.FEASIBLE,
        solution=hint,
        objective=kept,
        bound=bound,
    )


def lateness_bounds(
    instance: Instance,
    options: SolveOptions,
    hint: Solution | None,
    budget: Budget,
    stability: Stability | None,
) -> Bounds:
    """Deadline probes for ``PROBE_SHARE`` of the time (a replan keeps its time for the
    fewest changes: the critical path's floors only)."""
    if stability is not None or not weighted(instance):
        return floors(instance)
    limits = budget.take(PROBE_SHARE)
    bounds = prove(instance, hint, options, limits, budget.stop)
    budget.give_back(limits, bounds.work)
    return bounds


def with_lateness(instance: Instance, result: Result, bounds: Bounds) -> Result:
    """The result with the proven lateness bounds."""
    late = tuple((instance.milestones[m].id, k) for m, k in sorted(bounds.late.items()))
    return replace(result, tardiness_bound=bounds.tardiness, late_bounds=late)


def with_bounds(instance: Instance, result: Result, bounds: Bounds, cpm: CriticalPath) -> Result:
    """The result with the proven lateness bounds, and the scalar objective's bound
    lifted to them; a plan on both bounds is optimal."""
    result = with_lateness(instance, result, bounds)
    plan = result.solution
    if plan is None or result.bound is None:
        return result
    bound = max(result.bound, bounds.objective_bound(instance, cpm.length))
    if result.objective is not None and result.objective <= bound:
        result = replace(result, bound=result.objective, status=Status.OPTIMAL)
    if result.status == Status.OPTIMAL:
        # the objective ranks weighted late days first (x the tardiness weight, above any
        # finish), so a plan proven optimal on it has the fewest weighted late days
        late = objective_terms(instance, plan.starts)[0]
        return replace(result, tardiness_bound=max(result.tardiness_bound or 0, late))
    return replace(result, bound=bound)


def _cp_sat(
    instance: Instance,
    options: SolveOptions,
    hint: Solution | None,
    budget: Budget,
    cpm: CriticalPath,
    stability: Stability | None,
    bounds: Bounds | None = None,
    rule: str | None = None,
) -> Result:
    """CP-SAT on the whole model, or, from ``LARGE_PROGRAM_TASKS`` tasks on, window by
    window from the hint. At 120 s on generated programs (docs/BENCHMARKS.md, "Scale")
    the whole model is better at 2,000 tasks (945 weighted late days against 980), the
    windows from 3,291 (three-sites) to 20,000 tasks (5,000: 1,305 vs 1,400; 20,000:
    5,415 vs 6,255). A replan stays on the whole model at every size (objective, then the
    fewest changes): with the windows as its first stage the three-sites power slip
    moved 100 tasks, then 23 once the second stage started from the warm start, against
    4 on the whole model, and held its objective at 14.6 s against 1.2 s, at the same
    objective (docs/BENCHMARKS.md, "Replanning")."""
    if stability is not None:
        prefer = list(stability.baseline.crews)
        return cpsat.solve(instance, options, hint, budget, prefer, stability.baseline, cpm)
    if hint is None or instance.num_tasks < LARGE_PROGRAM_TASKS:
        return cpsat.solve(instance, options, hint, budget, cpm=cpm, bounds=bounds)
    return windows.solve(instance, options, hint, budget, cpm, bounds, rule)


def left_justify(instance: Instance, result: Result, stability: Stability | None) -> Result:
    """Start every task as early as the plan around it allows. CP-SAT leaves tasks off the
    critical path anywhere within their float; a planner wants them early. The serial
    scheme run in the order of the plan's starts moves no task later, so the objective
    can only improve; the shifted plan is kept only if the validator accepts it. In a
    replan no task moves before its baseline start, and the shifted plan is kept only if
    it changes no more tasks and crews than the plan it came from."""
    assert result.solution is not None
    plan = result.solution
    if stability is not None:
        floors = [min(s, b) for s, b in zip(plan.starts, stability.baseline.starts, strict=True)]
        tasks = tuple(
            t if t.fixed_start is not None else replace(t, release=max(t.release, floor))
            for t, floor in zip(instance.tasks, floors, strict=True)
        )
        shifted = greedy(replace(instance, tasks=tasks), order=plan.starts, prefer=plan.crews)
    else:
        shifted = greedy(instance, order=plan.starts)
    if shifted is None or validate(instance, shifted):
        return result
    objective = objective_value(instance, shifted.starts)
    if result.objective is not None and objective > result.objective:
        return result
    if stability is not None and changes(instance, shifted, stability.baseline) > changes(
        instance, plan, stability.baseline
    ):
        return result
    return replace(result, solution=shifted, objective=objective)
