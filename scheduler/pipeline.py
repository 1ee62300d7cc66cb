"""The one front door: project file -> Instance -> solver -> validated Schedule -> files.

The command line and the library API both call `plan_project` and `write_outputs`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from scheduler.diagnose import DayText, Infeasible, NoPlanFound, explain_infeasible, precheck
from scheduler.domain.load import Plan, load_project
from scheduler.domain.yamlio import InputError, Problem
from scheduler.expand import expand, search_horizon
from scheduler.graph import CriticalPath, critical_path, find_cycle, precedence_graph
from scheduler.instance import Instance, Solution, objective_terms, objective_value
from scheduler.io import write_csv, write_json
from scheduler.schedule import Schedule, SolverInfo, build_schedule
from scheduler.solvers import lns as windows
from scheduler.solvers.cpsat import Progress, SolveOptions, solve
from scheduler.solvers.greedy import best_greedy, greedy
from scheduler.solvers.result import SolveResult, Status
from scheduler.validate import assert_valid, validate

log = logging.getLogger(__name__)
SolverName = Literal["cp-sat", "greedy"]
WINDOW_TASKS = 2500  # from this size on, CP-SAT works window by window (solvers/lns.py)


@dataclass
class Outcome:
    """Everything one run produced: the plan, its problem, both solvers' answers."""

    plan: Plan
    instance: Instance
    cpm: CriticalPath
    result: SolveResult
    greedy: SolveResult
    schedule: Schedule


def load_instance(path: str | Path) -> tuple[Plan, Instance, CriticalPath]:
    """Load, check and expand a project; cycles between tasks are input errors."""
    plan = load_project(path)
    instance = expand(plan)
    graph = precedence_graph(instance)
    cycle = find_cycle(instance, graph)
    if cycle:
        raise InputError(
            [Problem(str(plan.path), "deployments", "cycle in task links: " + " -> ".join(cycle))]
        )
    return plan, instance, critical_path(instance, graph)


def run_greedy(instance: Instance) -> SolveResult:
    started = time.perf_counter()
    solution = best_greedy(instance)
    seconds = time.perf_counter() - started
    if solution is None:
        return SolveResult("greedy", Status.UNKNOWN, seconds=seconds)
    objective = objective_value(instance, solution.starts)
    return SolveResult(
        "greedy",
        Status.FEASIBLE,
        solution,
        objective,
        seconds=seconds,
        first_solution_seconds=seconds,
    )


def solve_instance(
    instance: Instance,
    cpm: CriticalPath,
    options: SolveOptions,
    solver: SolverName = "cp-sat",
    on_progress: Progress | None = None,
    stop: threading.Event | None = None,
    day_text: DayText | None = None,
) -> tuple[Instance, SolveResult, SolveResult]:
    """(instance as solved, chosen result, greedy result). CP-SAT is warm-started from the
    greedy plan, within the search horizon that plan sets; if it finds nothing in time, the
    greedy plan is returned and says so."""
    started = time.perf_counter()
    precheck(instance, cpm, day_text)
    greedy = run_greedy(instance)
    if greedy.solution is not None:
        instance = search_horizon(instance, objective_terms(instance, greedy.solution.starts)[1])
        greedy.objective = objective_value(instance, greedy.solution.starts)
    spent = time.perf_counter() - started
    options = replace(options, time_limit=max(1.0, options.time_limit - spent))
    greedy.bound = cpm.length if not instance.milestones else None
    if solver == "greedy":
        if greedy.solution is None:
            raise NoPlanFound(["the greedy scheme could not place every task; try --solver cp-sat"])
        return instance, greedy, greedy
    result = cp_sat(instance, options, greedy.solution, on_progress, stop, cpm)
    if result.status == Status.INFEASIBLE:
        raise Infeasible(explain_infeasible(instance, day_text))
    if result.solution is None and greedy.solution is not None:
        log.warning("CP-SAT found no plan in %.1fs; keeping the greedy plan", result.seconds)
        result.solver, result.status = "cp-sat (greedy plan kept)", Status.FEASIBLE
        result.solution, result.objective = greedy.solution, greedy.objective
    if result.solution is None:
        raise NoPlanFound(
            [
                f"no plan found within {options.time_limit:g} s and none proven "
                "impossible; try a longer --time-limit"
            ]
        )
    left_justify(instance, result)
    return instance, result, greedy


def cp_sat(
    instance: Instance,
    options: SolveOptions,
    hint: Solution | None,
    on_progress: Progress | None = None,
    stop: threading.Event | None = None,
    cpm: CriticalPath | None = None,
) -> SolveResult:
    """CP-SAT on the whole model, or, from ``WINDOW_TASKS`` tasks on, window by window
    from the hint. At 120 s on generated programs (docs/BENCHMARKS.md, "Scale") the whole
    model is better at 2,000 tasks (945 weighted late days against 980), the windows from
    3,291 (three-sites) to 20,000 tasks (5,000: 1,305 vs 1,400; 20,000: 5,415 vs 6,255)."""
    if hint is not None and instance.num_tasks >= WINDOW_TASKS:
        return windows.solve(instance, options, hint, on_progress, stop, cpm)
    return solve(instance, options, hint, on_progress, stop, cpm=cpm)


def left_justify(instance: Instance, result: SolveResult) -> None:
    """Start every task as early as the plan around it allows. CP-SAT leaves tasks off the
    critical path anywhere within their float; a planner wants them early. The serial
    scheme run in the order of the plan's starts moves no task later, so the objective
    can only improve; the shifted plan is kept only if the validator accepts it."""
    assert result.solution is not None
    shifted = greedy(instance, order=result.solution.starts)
    if shifted is None or validate(instance, shifted):
        return
    objective = objective_value(instance, shifted.starts)
    if result.objective is None or objective <= result.objective:
        result.solution, result.objective = shifted, objective


def plan_project(
    path: str | Path,
    options: SolveOptions | None = None,
    solver: SolverName = "cp-sat",
    on_progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> Outcome:
    """Load, solve, validate: the schedule of a project file."""
    options = options or SolveOptions()
    plan, instance, cpm = load_instance(path)
    day_text = plan.calendar.iso_of
    instance, result, greedy = solve_instance(
        instance, cpm, options, solver, on_progress, stop, day_text
    )
    schedule = make_schedule(plan, instance, result.solution, result)  # type: ignore[arg-type]
    return Outcome(plan, instance, cpm, result, greedy, schedule)


def make_schedule(
    plan: Plan, instance: Instance, solution: Solution, result: SolveResult
) -> Schedule:
    """Validate (independently of the solver) and put dates on a plan."""
    assert_valid(instance, solution)
    # DESIGN's `name` is the engine ("cp-sat" or "greedy"); how it ran goes to `method`
    name, _, method = result.solver.partition(" ")
    method = method.strip("()") or ("whole model" if name == "cp-sat" else "priority rules")
    info = SolverInfo(
        name=name,
        method=method,
        status=str(result.status),
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        seconds=round(result.seconds, 3),
        first_solution_seconds=result.first_solution_seconds,
        workers=result.workers,
        seed=result.seed,
        interrupted=result.interrupted,
    )
    return build_schedule(plan.project.program.name, plan.calendar, instance, solution, info)


def write_outputs(schedule: Schedule, out: Path) -> list[Path]:
    """schedule.csv, schedule.json and gantt.html in ``out``, each written atomically."""
    from scheduler.reports.page import write_gantt_html

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "schedule.csv", out / "schedule.json", out / "gantt.html"]
    write_csv(schedule, paths[0])
    write_json(schedule, paths[1])
    write_gantt_html(schedule, paths[2])
    return paths
