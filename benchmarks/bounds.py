"""Lateness bounds by deadline probes (scheduler/solvers/bounds.py, issue 20): the bound
found, the time the probes take, and the plan's weighted late days with and without them,
side by side in one run, on the example programs.

For each project and time limit, four runs:

- ``product``: the one solve path (`solve_plan`) as `modsched schedule` runs it: greedy,
  probes for `solving.PROBE_SHARE` of the time, then the search (windows from 2,500 tasks,
  which cannot take the cuts; the whole model below that) with the bounds;
- ``product, no probes``: the same with the probes left out (the critical path's floors
  only), so the search has all the time;
- ``whole model + cuts`` / ``whole model``: CP-SAT on the whole model from the greedy
  plan, with and without the proven bounds as cuts (`Bounds.post`), each for the time the
  product's search had after its probes.

Every plan goes through the validator, and every bound is checked against every plan of
the run (a bound above a plan's late days would be a bug): ``ok`` says both held.

    .venv/bin/python benchmarks/bounds.py                       # both examples, 2 workers
    .venv/bin/python benchmarks/bounds.py --project projects/three-sites.yaml --limit 60
    .venv/bin/python benchmarks/bounds.py --project P.yaml --limit 120 --no-whole  # large
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler import solving  # noqa: E402
from scheduler.instance import Instance, objective_terms  # noqa: E402
from scheduler.pipeline import load_instance  # noqa: E402
from scheduler.solvers import cpsat  # noqa: E402
from scheduler.solvers.bounds import Bounds, floors, late_days  # noqa: E402
from scheduler.solvers.budget import Budget, SolveOptions  # noqa: E402
from scheduler.solvers.result import Result  # noqa: E402
from scheduler.validate import validate  # noqa: E402

DEFAULT = [
    (ROOT / "projects" / "three-sites.yaml", 60.0),
    (ROOT / "projects" / "atlas-27.yaml", 120.0),
]


def product(path: Path, options: SolveOptions, probes: bool) -> tuple[Instance, Result, Bounds]:
    """`solve_plan` on the project, with or without the probes; the bounds it used."""
    _, instance, cpm = load_instance(path)
    used: list[Bounds] = []
    original = solving.lateness_bounds

    def recorded(instance: Instance, *args: object) -> Bounds:
        bounds = original(instance, *args) if probes else floors(instance)  # type: ignore[arg-type]
        used.append(bounds)
        return bounds

    solving.lateness_bounds = recorded  # type: ignore[assignment]
    try:
        solved = solving.solve_plan(instance, options, Budget.of(options), cpm=cpm)
    finally:
        solving.lateness_bounds = original
    return solved.instance, solved.result, used[0]


def row(name: str, instance: Instance, result: Result, bounds: Bounds, wall: float) -> dict:
    if result.solution is None:  # CP-SAT found no plan in time: the greedy plan stands
        return {
            "run": f"{name} (no plan)",
            "late": "-",
            "makespan": "-",
            "bound": bounds.tardiness,
            "probes": bounds.probes,
            "probe_s": round(bounds.seconds, 1),
            "wall_s": round(wall, 1),
            "valid": True,
            "starts": None,
        }
    late, makespan = objective_terms(instance, result.solution.starts)
    return {
        "run": name,
        "late": late,
        "makespan": makespan,
        "bound": bounds.tardiness,
        "probes": bounds.probes,
        "probe_s": round(bounds.seconds, 1),
        "wall_s": round(wall, 1),
        "valid": validate(instance, result.solution) == [],
        "starts": result.solution.starts,
    }


def whole_model(
    instance: Instance, hint: Result, options: SolveOptions, seconds: float, bounds: Bounds | None
) -> Result:
    budget = Budget(seconds, options.deterministic)
    return cpsat.solve(instance, options, hint.solution, budget, bounds=bounds)


def measure(path: Path, limit: float, workers: int, whole: bool = True) -> list[dict]:
    options = SolveOptions(time_limit=limit, workers=workers)
    rows = []
    began = time.perf_counter()
    instance, result, bounds = product(path, options, probes=True)
    rows.append(row("product", instance, result, bounds, time.perf_counter() - began))
    began = time.perf_counter()
    plain_instance, plain, floor = product(path, options, probes=False)
    rows.append(
        row("product, no probes", plain_instance, plain, floor, time.perf_counter() - began)
    )
    greedy = solving.run_greedy(instance, options)
    search_seconds = max(1.0, limit - bounds.seconds - greedy.seconds)
    for name, cuts in (("whole model + cuts", bounds), ("whole model", None)) if whole else ():
        began = time.perf_counter()
        found = whole_model(instance, greedy, options, search_seconds, cuts)
        shown = cuts if cuts is not None else floors(instance)
        rows.append(row(name, instance, found, shown, time.perf_counter() - began))
    # every bound against every plan of the run, milestone by milestone
    plans = [r for r in rows if r["starts"] is not None]
    for r in rows:
        r["ok"] = r["valid"] and all(
            bounds.tardiness <= objective_terms(instance, other["starts"])[0]
            and all(
                k <= late_days(instance, instance.milestones[m], other["starts"])
                for m, k in bounds.late.items()
            )
            for other in plans
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--project", type=Path)
    parser.add_argument("--limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--no-whole", action="store_true", help="only the product's runs (large programs)"
    )
    args = parser.parse_args()
    runs = [(args.project, args.limit)] if args.project else DEFAULT
    print(f"load {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}")
    print(
        "| project | limit s | run | weighted late days | bound | gap | makespan | probes "
        "| probe s | wall s | ok |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for path, limit in runs:
        for r in measure(path, limit, args.workers, not args.no_whole):
            late = r["late"]
            gap = "-" if late == "-" else f"{0.0 if late == 0 else (late - r['bound']) / late:.1%}"
            print(
                f"| {path.stem} | {limit:g} | {r['run']} | {late} | {r['bound']} | "
                f"{gap} | {r['makespan']} | {r['probes']} | {r['probe_s']} | "
                f"{r['wall_s']} | {r['ok']} |",
                flush=True,
            )
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
