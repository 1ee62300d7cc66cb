"""How much the window search (scheduler/solvers/windows.py) improves a poor plan in a budget.

Moved from tests/test_windows.py (`test_windows_keep_valid_plans_and_improve_a_poor_one
[busy]` asserted that 10 s of windows on two workers bring a random-order plan of
tests/data/busy.yaml under 300 weighted late days; it failed on a loaded machine, as an
improvement within a wall-clock budget is a measurement of the machine). The test keeps
the properties: every kept plan valid, never worse than the start. Here, for each budget:
the random-order plan's late days and objective, the search's, its steps (improving,
proven), CP-SAT's deterministic time, the wall time and the load.

    .venv/bin/python benchmarks/windows.py --seconds 2 5 10 20 --workers 1 2
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.expand import search_horizon  # noqa: E402
from scheduler.instance import Instance, Solution, objective_terms, objective_value  # noqa: E402
from scheduler.pipeline import load_instance  # noqa: E402
from scheduler.solvers import windows as lns  # noqa: E402
from scheduler.solvers.budget import Limits, SolveOptions  # noqa: E402
from scheduler.solvers.greedy import greedy  # noqa: E402
from scheduler.validate import validate  # noqa: E402

BUSY = ROOT / "tests" / "data" / "busy.yaml"


def random_order_plan(path: Path, seed: int) -> tuple[Instance, Solution]:
    """The serial scheme in a random order (busy.yaml: 358-376 weighted late days, against
    132 for the best greedy rule), as the test builds it."""
    _, instance, _ = load_instance(path)
    rng = random.Random(seed)
    plan = greedy(instance, order=[rng.randrange(1000) for _ in instance.tasks])
    assert plan is not None
    instance = search_horizon(instance, objective_terms(instance, plan.starts)[1])
    return instance, plan


def run(path: Path, seconds: float, workers: int, seed: int) -> dict:
    """The test's settings (windows of 40-120 tasks, the first of 60) for ``seconds``."""
    instance, start = random_order_plan(path, seed=3)
    lns.FIRST_SIZE, lns.MIN_SIZE, lns.MAX_SIZE = 60, 40, 120
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    options = SolveOptions(workers=workers, seed=seed)
    solution, stats = lns.improve(instance, start, options, Limits(seconds))
    wall = time.perf_counter() - began
    return {
        "project": path.stem,
        "seconds": seconds,
        "workers": workers,
        "start_late": objective_terms(instance, start.starts)[0],
        "late": objective_terms(instance, solution.starts)[0],
        "start_objective": objective_value(instance, start.starts),
        "objective": objective_value(instance, solution.starts),
        "valid": validate(instance, solution) == [],
        "steps": stats.steps,
        "improved": stats.improved,
        "proven": stats.proven,
        "deterministic_s": round(stats.deterministic_time, 2),
        "wall_s": round(wall, 1),
        "load1": f"{load_before:.2f} -> {os.getloadavg()[0]:.2f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--project", type=Path, default=BUSY)
    parser.add_argument("--seconds", type=float, nargs="+", default=[2.0, 5.0, 10.0, 20.0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(
        "| project | s | workers | late: start -> end | steps (improving, proven) | "
        "det. s | wall s | valid | load1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for workers in args.workers:
        for seconds in args.seconds:
            r = run(args.project, seconds, workers, args.seed)
            print(
                f"| {r['project']} | {r['seconds']:g} | {r['workers']} | {r['start_late']} -> "
                f"{r['late']} | {r['steps']} ({r['improved']}, {r['proven']}) | "
                f"{r['deterministic_s']} | {r['wall_s']} | {r['valid']} | {r['load1']} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
