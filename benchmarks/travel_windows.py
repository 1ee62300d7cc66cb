"""The window search alone on a project with travel (docs/BENCHMARKS.md, "Travel"): the
greedy plan, then `windows.improve` for a number of seconds, with a share of windows that
may change travelling crews and a first window size. One line a run:

    PYTHONPATH=. .venv/bin/python benchmarks/travel_windows.py projects/three-sites.yaml \\
        DAYS SHARE FIRST_SIZE SECONDS SEED
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scheduler.expand import search_horizon
from scheduler.instance import Travel, objective_terms
from scheduler.pipeline import load_instance
from scheduler.solvers import windows
from scheduler.solvers.budget import Limits, SolveOptions
from scheduler.solvers.greedy import best_greedy


def main() -> None:
    path, days, share, size, seconds, seed = sys.argv[1:7]
    windows.CREW_CHOICE_SHARE = float(share)
    windows.FIRST_SIZE = windows.TRAVEL_FIRST_SIZE = int(size)
    _, instance, _ = load_instance(path)
    if int(days):
        instance = replace(instance, travel=Travel(int(days)))
    plan = best_greedy(instance)
    assert plan is not None
    instance = search_horizon(instance, objective_terms(instance, plan.starts)[1])
    options = SolveOptions(workers=2, seed=int(seed))
    found, stats = windows.improve(instance, plan, options, Limits(float(seconds)))
    before, after = objective_terms(instance, plan.starts), objective_terms(instance, found.starts)
    print(
        f"{Path(path).stem} travel {days} share {share} first {size} seed {seed}: {before} -> "
        f"{after}, {stats.steps} steps, {stats.improved} improving, {stats.proven} proven"
    )


if __name__ == "__main__":
    main()
