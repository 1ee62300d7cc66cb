"""Sample a project's uncertainty around a baseline: `modsched risk` (DESIGN.md, Risk).

`prepare_risk` loads the project, its uncertainty and the baseline once; `run_samples`
draws the samples in chunks, in local processes or on a Dask cluster
(`scheduler.risk.executors`), and gives them back in sample order. A sample is a pure
function of (problem, seed, sample number): the same seed gives the same samples on any
number of processes or machines, whatever chunk a sample falls in.

Modes: ``retime`` keeps the baseline's order (`scheduler.risk.retime`); ``resolve``
plans each sample again through the one solve path (`solving.solve_plan`, one CP-SAT
worker, deterministic clock) from the baseline re-timed to the sample as its warm start,
and reads each late milestone's driving chain from `explain`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np

from scheduler.domain.calendar import Calendar
from scheduler.errors import Infeasible, InputError, Problem
from scheduler.explain import explain
from scheduler.instance import Instance, Solution, late_last_tasks
from scheduler.pipeline import load_instance
from scheduler.replanning.replan import check_baseline_fits
from scheduler.replanning.status import read_baseline
from scheduler.risk.retime import Retimed, RetimeError, Sequence, retime, sequence_of
from scheduler.risk.uncertainty import Uncertainty, draw, perturb, planned, read_uncertainty
from scheduler.solvers.budget import SolveOptions
from scheduler.solving import solve_plan

log = logging.getLogger(__name__)

MAX_SAMPLES = 1_000_000
CHUNK_SECONDS = 2.0  # aim: a chunk's work, so that a lost worker loses little
# a retimed sample's CPU per task: three-sites, 3,291 tasks, 26 ms (docs/BENCHMARKS.md)
RETIME_SECONDS_A_TASK = 8e-6


class Mode(StrEnum):
    RETIME = "retime"
    RESOLVE = "resolve"


@dataclass(frozen=True)
class RiskProblem:
    """Everything a worker needs to draw and plan any sample (picklable)."""

    name: str
    instance: Instance
    calendar: Calendar
    uncertainty: Uncertainty
    sequence: Sequence
    baseline: Solution
    mode: Mode
    seed: int
    sample_limit: float  # resolve: CP-SAT seconds a sample

    @property
    def points(self) -> list[str]:
        """What each sample dates: the milestones, then the program's finish."""
        return [m.id for m in self.instance.milestones] + ["finish"]


@dataclass(frozen=True)
class SampleResult:
    """One sample: the day of each point (None: no plan), the tasks on the driving chain
    of a late milestone, and the inputs' values."""

    sample: int
    days: tuple[int, ...] | None
    critical: tuple[int, ...]
    values: np.ndarray = field(compare=False)
    # resolve: False when --sample-limit ended the solve before its deterministic work
    # (`Budget.repeatable`), so that another run may plan this sample otherwise
    repeatable: bool = True


def prepare_risk(
    project: str | Path,
    baseline_path: str | Path,
    mode: Mode = Mode.RETIME,
    seed: int = 0,
    sample_limit: float = 10.0,
) -> RiskProblem:
    """Load and check the project, its uncertainty and its baseline plan."""
    plan, instance, _ = load_instance(project)
    uncertainty = read_uncertainty(plan, instance)
    baseline = read_baseline(baseline_path)
    check_baseline_fits(baseline, instance, Path(baseline_path), plan.calendar)
    solution = Solution(
        [baseline.starts[t.id] for t in instance.tasks],
        [tuple(baseline.crews.get(t.id, ())) for t in instance.tasks],
    )
    try:
        sequence = sequence_of(instance, solution.starts, solution.crews)
    except RetimeError as error:
        raise InputError([Problem(str(baseline_path), "tasks", str(error))]) from None
    return RiskProblem(
        plan.project.program.name,
        instance,
        plan.calendar,
        uncertainty,
        sequence,
        solution,
        Mode(mode),
        seed,
        sample_limit,
    )


def baseline_days(problem: RiskProblem) -> tuple[int, ...]:
    """The baseline's day of each point."""
    ends = [problem.instance.end_of(i, s) for i, s in enumerate(problem.baseline.starts)]
    return _point_days(problem.instance, ends)


def planned_days(problem: RiskProblem) -> tuple[int, ...] | None:
    """The points of the baseline re-timed with the plan's own inputs (a check that the
    baseline is tight: then these are its own days)."""
    return run_sample(problem, -1, planned(problem.uncertainty)).days


def _point_days(instance: Instance, ends: list[int]) -> tuple[int, ...]:
    days = [max(ends[i] for i in m.tasks) - 1 if m.tasks else 0 for m in instance.milestones]
    return (*days, max(ends, default=1) - 1)


def run_chunk(problem: RiskProblem, samples: list[int]) -> list[SampleResult]:
    """Draw and plan each sample of a chunk (what a worker runs)."""
    return [run_sample(problem, k, draw(problem.uncertainty, problem.seed, k)) for k in samples]


def run_sample(problem: RiskProblem, k: int, values: np.ndarray) -> SampleResult:
    instance = perturb(problem.instance, problem.uncertainty, values, problem.calendar)
    try:
        retimed = retime(instance, problem.sequence)
    except RetimeError as error:
        log.info("sample %d: %s", k, error)
        retimed = None
    if problem.mode == Mode.RESOLVE:
        return _resolve(problem, k, instance, values, retimed)
    if retimed is None:
        return SampleResult(k, None, (), values)
    chains = _chains(instance, retimed.ends, retimed.drivers)
    return SampleResult(k, _point_days(instance, retimed.ends), chains, values)


def _chains(instance: Instance, ends: list[int], drivers: list[int]) -> tuple[int, ...]:
    """The tasks on the driving chain of any late milestone (each task once)."""
    found: dict[int, None] = {}
    for _, task in late_last_tasks(instance, ends):
        while task >= 0 and task not in found:
            found[task] = None
            task = drivers[task]
    return tuple(sorted(found))


def _resolve(
    problem: RiskProblem,
    k: int,
    instance: Instance,
    values: np.ndarray,
    retimed: Retimed | None,
) -> SampleResult:
    """Plan the sample again (one worker, deterministic limits: the same seed gives the
    same plan on any machine fast enough to do their work within --sample-limit; a solve
    the clock ended says so, `SampleResult.repeatable`)."""
    options = SolveOptions(time_limit=problem.sample_limit, workers=1, seed=problem.seed)
    warm = Solution(retimed.starts, list(problem.sequence.crews)) if retimed else None
    try:
        solved = solve_plan(instance, options, warm_start=warm, day_text=problem.calendar.iso_of)
    except Infeasible as error:
        log.info("sample %d: %s", k, "; ".join(error.reasons))
        return SampleResult(k, None, (), values)
    solution = solved.result.solution
    assert solution is not None
    ends = [instance.end_of(i, s) for i, s in enumerate(solution.starts)]
    why = explain(solved.instance, solution, problem.calendar.iso_of).why
    index = instance.task_index()
    critical = sorted({index[step.task] for steps in why.values() for step in steps})
    repeatable = solved.result.repeatable is not False
    return SampleResult(k, _point_days(instance, ends), tuple(critical), values, repeatable)


def chunks(num_samples: int, size: int) -> list[list[int]]:
    return [list(range(k, min(k + size, num_samples))) for k in range(0, num_samples, size)]


def chunk_size(problem: RiskProblem, num_samples: int, workers: int) -> int:
    """Samples a chunk: about `CHUNK_SECONDS` of work, and at least four chunks a worker
    so that the workers share the work evenly to the end."""
    per_sample = (
        problem.sample_limit
        if problem.mode == Mode.RESOLVE
        else max(0.001, RETIME_SECONDS_A_TASK * problem.instance.num_tasks)
    )
    by_time = max(1, int(CHUNK_SECONDS / per_sample))
    by_share = max(1, num_samples // (4 * max(1, workers)))
    return min(by_time, by_share)


Progress = Callable[[int, int], None]  # (samples done, samples asked)
