"""How CP-SAT searches a built model: the staged portfolio, both ways in time, the
proving settings, and the threads that keep Python (signals, ``stop``) responsive."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ortools.sat import sat_parameters_pb2
from ortools.sat.python import cp_model

from scheduler.instance import Instance, Solution, mirror_starts, mirrored
from scheduler.solvers.budget import Limits, Progress, SolveOptions
from scheduler.solvers.cpsat.model import CpSatModel
from scheduler.solvers.cpsat.readback import read_solution
from scheduler.solvers.result import Status

Job = tuple[cp_model.CpSolver, cp_model.CpModel, cp_model.CpSolverSolutionCallback | None]
STATUS: dict[cp_model.CpSolverStatus | int, Status] = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
}

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
@dataclass
class Found:
    """What a search found: CP-SAT's status code, the best plan, its objective and the
    objective bound proved."""

    code: cp_model.CpSolverStatus | int
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
    limits: Limits,
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
        return found(built, run(built, options, limits, logger, stop), prefer)
    started, budget = time.perf_counter(), limits.wall
    stage = min(budget, max(budget * PROOF_SHARE, PROOF_SECONDS))
    mirror = mirrored(built.instance) if built.instance.num_tasks <= BOTH_WAYS_TASKS else None
    if mirror is None:
        first = found(built, run(built, options, Limits(stage), logger, stop), prefer)
    else:
        first = both_ways(built, mirror, options, stage, logger, stop, hint, prefer)
    left = budget - (time.perf_counter() - started)
    stopped = stop is not None and stop.is_set()
    if first.code not in (cp_model.FEASIBLE, cp_model.UNKNOWN) or left < 1.0 or stopped:
        return first
    if first.code == cp_model.UNKNOWN:  # no plan yet: the whole portfolio goes on
        return found(built, run(built, options, Limits(left), logger, stop), prefer)
    assert first.solution is not None
    built.model.add(built.objective >= round(first.bound))
    built.model.clear_hints()
    built.add_hint(first.solution)
    second = found(built, run(built, options, Limits(left), logger, stop, lns_only=True), prefer)
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
        configure(solver, replace(options, workers=workers), Limits(budget))
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


def proving(params: sat_parameters_pb2.SatParameters | Any) -> None:
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
    limits: Limits,
    callback: cp_model.CpSolverSolutionCallback | None,
    stop: threading.Event | None,
    lns_only: bool = False,
) -> cp_model.CpSolver:
    """Solve in a worker thread while this (main) thread stays in Python, so that signal
    handlers run at once and ``stop`` can end the search."""
    solver = cp_model.CpSolver()
    configure(solver, options, limits)
    if any(t.spans for t in built.tasks):
        # tasks whose span depends on their start (site calendars): probing their span
        # literals is most of presolve. The quickstart with a 4-day site week, one worker,
        # greedy hint, to the optimum: 10.0 s of CPU at probing level 2 (the default) or
        # 1, 3.6 s at 0 (docs/BENCHMARKS.md, "Calendars per site").
        solver.parameters.cp_model_probing_level = 0
    if options.workers == 2 and built.prefers_complete_search():
        solver.parameters.num_full_subsolvers = 2  # default_lp + fixed, instead of LNS
    solver.parameters.use_lns_only = lns_only
    if lns_only:
        solver.parameters.ignore_subsolvers.extend(GENERIC_SEARCHES)
    solver.status_code = wait([(solver, built.model, callback)], stop)[0]  # type: ignore[attr-defined]
    note_clock(solver, solver.status_code, limits, stop)  # type: ignore[attr-defined]
    return solver


def note_clock(
    solver: cp_model.CpSolver,
    code: cp_model.CpSolverStatus | int,
    limits: Limits,
    stop: threading.Event | None,
) -> None:
    """A deterministic search that ended with no proof before its deterministic limit
    was ended by the wall clock: say so to the run's budget (`Limits.clock_cut`)."""
    if limits.deterministic_time is None or code in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
        return
    if stop is not None and stop.is_set():
        return  # an interrupted run says so itself
    if solver.deterministic_time < limits.deterministic_time:
        limits.clock_cut()


def wait(
    jobs: Sequence[Job], stop: threading.Event | None, done: Callable[[], bool] = lambda: False
) -> list[cp_model.CpSolverStatus | int]:
    """Run each (solver, model, callback) in a thread of its own until all end; all are
    stopped once ``stop`` is set, ``done()`` holds or one of them ends with a proof
    (optimal or infeasible: CP-SAT's bound callback does not report a search that closes
    its tree). CP-SAT's status code of each."""
    codes: list[cp_model.CpSolverStatus | int] = [cp_model.UNKNOWN] * len(jobs)
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


def configure(solver: cp_model.CpSolver, options: SolveOptions, limits: Limits) -> None:
    """Workers, seed and limits. In deterministic mode (one worker) the search is cut by
    CP-SAT's deterministic clock (`Limits.deterministic_time`), so that the same seed
    gives the same plan run after run; the wall clock is then only a backstop."""
    params = solver.parameters
    params.num_workers = max(1, options.workers)
    params.random_seed = options.seed
    params.max_time_in_seconds = max(0.1, limits.wall)
    if limits.deterministic_time is not None:
        params.max_deterministic_time = limits.deterministic_time
    params.log_search_progress = options.log_search
    params.catch_sigint_signal = False  # Ctrl-C reaches Python, which stops the search
