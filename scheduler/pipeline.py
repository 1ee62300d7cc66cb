"""The one front door: project file -> Instance -> solve path -> validated Schedule -> files.

The command line and the library API both call `plan_project` and `write_outputs`; the
solve path itself is `scheduler.solving.solve_plan`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scheduler.domain.load import Plan, load_project
from scheduler.errors import InputError, Problem
from scheduler.expand import expand
from scheduler.graph import CriticalPath, critical_path, find_cycle, precedence_graph
from scheduler.instance import Instance, objective_terms
from scheduler.io import write_csv, write_json
from scheduler.schedule import Schedule, SolverInfo, build_schedule, tardiness_gap
from scheduler.solvers.budget import Budget, Progress, SolveOptions
from scheduler.solvers.result import Engine, Result
from scheduler.solving import solve_plan
from scheduler.validate import assert_valid

SolverName = Literal["cp-sat", "greedy"]

# What follows the solve, kept out of the search's time so that `--time-limit` bounds the
# whole command: validating the plan, its schedule and explanation, its three files and the
# summary printed. Measured 2026-12-03 on the 2-core machine, quiet: 0.31 s for 657 tasks,
# 0.73 s for 3,291, 2.6-2.7 s for 9,525-9,783 (0.22-0.47 ms a task); kept with room for a
# busier machine. `--export` files (a JVM for MSPDI and PMXML) come on top.
FINISH_SECONDS = 0.3
FINISH_SECONDS_PER_TASK = 0.00045


def finishing_seconds(tasks: int) -> float:
    """Wall seconds kept at the end of a run of ``tasks`` tasks for what follows the solve."""
    return FINISH_SECONDS + FINISH_SECONDS_PER_TASK * tasks


@dataclass
class Outcome:
    """Everything one run produced: the plan, its problem, both solvers' answers."""

    plan: Plan
    instance: Instance
    cpm: CriticalPath
    result: Result
    greedy: Result
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


def plan_project(
    path: str | Path,
    options: SolveOptions | None = None,
    solver: SolverName = "cp-sat",
    on_progress: Progress | None = None,
    stop: threading.Event | None = None,
    started: float | None = None,
) -> Outcome:
    """Load, solve, validate: the schedule of a project file, all within
    ``options.time_limit`` from ``started`` (a `time.perf_counter` reading: the command's
    start) or from the call, loading included, with `finishing_seconds` kept for making
    and writing the schedule."""
    options = options or SolveOptions()
    budget = Budget.of(options, stop, on_progress, started)
    plan, instance, cpm = load_instance(path)
    budget.after = finishing_seconds(instance.num_tasks)
    solved = solve_plan(
        instance,
        options,
        budget,
        engine=Engine(solver),
        cpm=cpm,
        day_text=plan.calendar.iso_of,
    )
    schedule = make_schedule(plan, solved.instance, solved.result)
    return Outcome(plan, solved.instance, cpm, solved.result, solved.greedy, schedule)


def make_schedule(
    plan: Plan, instance: Instance, result: Result, status_day: int | None = None
) -> Schedule:
    """Validate (independently of the solver) and put dates on a plan (``status_day``: a
    replan's, which the explanation names as a driver)."""
    assert result.solution is not None
    assert_valid(instance, result.solution)
    tardiness = objective_terms(instance, result.solution.starts)[0]
    info = SolverInfo(
        name=str(result.engine),
        method=str(result.method),
        status=str(result.status),
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        seconds=round(result.seconds, 3),
        first_solution_seconds=result.first_solution_seconds,
        workers=result.workers,
        seed=result.seed,
        interrupted=result.interrupted,
        tardiness_bound=result.tardiness_bound,
        tardiness_gap=tardiness_gap(tardiness, result.tardiness_bound),
        repeatable=result.repeatable,
    )
    return build_schedule(
        plan.project.program.name,
        plan.calendar,
        instance,
        result.solution,
        info,
        status_day,
        dict(result.late_bounds),
    )


def write_outputs(schedule: Schedule, out: Path) -> list[Path]:
    """schedule.csv, schedule.json and gantt.html in ``out``, each written atomically."""
    from scheduler.reports.page import write_gantt_html

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "schedule.csv", out / "schedule.json", out / "gantt.html"]
    write_csv(schedule, paths[0])
    write_json(schedule, paths[1])
    write_gantt_html(schedule, paths[2])
    return paths
