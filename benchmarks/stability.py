"""How little a replan moves, against a fresh solve given the same search time.

Moved from tests/test_stability.py (`test_power_slip_replan_moves_little`, 30 s a solve,
three solves): its bounds (the replan moves at most a fifth of the tasks a fresh solve
moves, ends no more than 1 % later, moves at most 10 % of the tasks at the sites the
scenario leaves alone) are reached within wall-clock budgets, so they measure the machine
as much as the code. The tests keep hand-checked replans of tests/data/complete.yaml
(tests/test_replanning_scenario.py: exactly which tasks move, by how many days). Here the
same figures are reported, each former bound with whether it held.

    .venv/bin/python benchmarks/stability.py --time-limit 30 \
        projects/three-sites.yaml:projects/scenarios/power-slip.yaml
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.instance import objective_terms  # noqa: E402
from scheduler.io import write_json  # noqa: E402
from scheduler.pipeline import plan_project  # noqa: E402
from scheduler.replanning.replan import prepare, replan  # noqa: E402
from scheduler.solvers.budget import SolveOptions  # noqa: E402
from scheduler.solvers.cpsat import STAGE_ONE_SHARE, solve  # noqa: E402
from scheduler.solving import run_greedy  # noqa: E402
from scheduler.validate import validate  # noqa: E402

THREE_SITES = "projects/three-sites.yaml:projects/scenarios/power-slip.yaml"


def run(project: str, scenario: str, options: SolveOptions, untouched: set[str]) -> dict:
    load_before = os.getloadavg()[0]
    base = plan_project(project, options)
    folder = Path(tempfile.mkdtemp())
    write_json(base.schedule, folder / "schedule.json")
    new = replan(project, folder / "schedule.json", scenario=scenario, options=options)
    prepared = prepare(project, folder / "schedule.json", scenario=scenario)
    instance, baseline = prepared.instance, prepared.baseline
    greedy = run_greedy(instance)  # a fresh solve as `modsched schedule` does it
    # the same search time as the replan gives the objective (its first stage)
    same_effort = SolveOptions(
        time_limit=options.time_limit * STAGE_ONE_SHARE, workers=options.workers
    )
    fresh = solve(instance, same_effort, hint=greedy.solution)
    assert new.result.solution is not None and fresh.solution is not None

    def moved(starts: list[int], sites: set[str] | None = None) -> int:
        return sum(
            start != baseline.starts[t.id]
            for t, start in zip(instance.tasks, starts, strict=True)
            if t.fixed_start is None and (sites is None or t.site in sites)
        )

    replan_moved, fresh_moved = moved(new.result.solution.starts), moved(fresh.solution.starts)
    late = objective_terms(new.instance, new.result.solution.starts)[0]
    fresh_late = objective_terms(instance, fresh.solution.starts)[0]
    others = sum(t.site in untouched and t.fixed_start is None for t in instance.tasks)
    others_moved = moved(new.result.solution.starts, untouched)
    return {
        "project": Path(project).stem,
        "scenario": Path(scenario).stem,
        "valid": validate(new.instance, new.result.solution) == [],
        "replan_moved": replan_moved,
        "fresh_moved": fresh_moved,
        "a_fifth_or_fewer": replan_moved * 5 <= fresh_moved,
        "replan_late": late,
        "fresh_late": fresh_late,
        "within_1_pct": late <= fresh_late * 1.01,
        "untouched_moved": f"{others_moved} of {others}",
        "untouched_10_pct_or_fewer": others_moved <= 0.1 * others,
        "load1": f"{load_before:.2f} -> {os.getloadavg()[0]:.2f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("pairs", nargs="*", default=[THREE_SITES], help="PROJECT:SCENARIO")
    parser.add_argument("--time-limit", type=float, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--untouched", nargs="+", default=["abl", "rpl"], help="sites the scenario leaves alone"
    )
    args = parser.parse_args()
    options = SolveOptions(time_limit=args.time_limit, workers=args.workers)
    for pair in args.pairs:
        project, scenario = pair.split(":")
        print(run(project, scenario, options, set(args.untouched)), flush=True)


if __name__ == "__main__":
    main()
