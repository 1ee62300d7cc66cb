"""Greedy against CP-SAT on the example projects; writes a section of docs/BENCHMARKS.md.

Each run is a fresh process (`python benchmarks/examples.py --one PROJECT`), so that its
peak memory (ru_maxrss) is its own. Usage:

    .venv/bin/python benchmarks/examples.py --time-limit 60 --workers 2 \
        projects/quickstart.yaml projects/three-sites.yaml projects/atlas-27.yaml
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import machine, write_section  # noqa: E402


def run_one(project: str, time_limit: float, workers: int) -> dict:
    """Load, greedy, CP-SAT; the figures of one project."""
    sys.path.insert(0, str(ROOT))
    from scheduler.instance import objective_terms
    from scheduler.pipeline import load_instance
    from scheduler.solvers.budget import SolveOptions
    from scheduler.solving import solve_plan
    from scheduler.validate import validate

    started = time.perf_counter()
    _, instance, cpm = load_instance(project)
    loaded = time.perf_counter() - started
    options = SolveOptions(time_limit=time_limit, workers=workers)
    solved = solve_plan(instance, options, cpm=cpm)
    instance, result, greedy = solved.instance, solved.result, solved.greedy
    row = {
        "project": Path(project).stem,
        "time_limit": time_limit,
        "tasks": instance.num_tasks,
        "load_s": round(loaded, 1),
        "cpm_days": cpm.length,
        "greedy_s": round(greedy.seconds, 1),
    }
    if greedy.solution is not None:
        tardiness, makespan = objective_terms(instance, greedy.solution.starts)
        row |= {
            "greedy_tardiness": tardiness,
            "greedy_makespan": makespan,
            "greedy_valid": not validate(instance, greedy.solution),
        }
    row |= {
        "solver": f"{result.engine} {result.method}",
        "status": str(result.status),
        "seconds": round(result.seconds, 1),
        "first_solution_s": round(result.first_solution_seconds or -1, 1),
        "objective": result.objective,
        "bound": result.bound,
        "gap": None if result.gap is None else round(100 * result.gap, 2),
    }
    if result.solution is not None:
        tardiness, makespan = objective_terms(instance, result.solution.starts)
        bound_tardiness = (result.bound or 0) // instance.tardiness_weight
        row |= {
            "cpsat_tardiness": tardiness,
            "cpsat_makespan": makespan,
            "tardiness_bound": bound_tardiness,
            "cpsat_valid": not validate(instance, result.solution),
        }
    row["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return row


def table(rows: list[dict]) -> str:
    head = (
        "| project | limit s | tasks | solver | greedy late x w / makespan | CP-SAT late x w "
        "/ makespan | tardiness bound | status | gap % | first plan s | solve s | peak MB |"
    )
    lines = [head, "|" + "---|" * 12]
    for r in rows:
        lines.append(
            f"| {r['project']} | {r['time_limit']:g} | {r['tasks']} | {r.get('solver', '-')} | "
            f"{r.get('greedy_tardiness', '-')} / "
            f"{r.get('greedy_makespan', '-')} | {r.get('cpsat_tardiness', '-')} / "
            f"{r.get('cpsat_makespan', '-')} | {r.get('tardiness_bound', '-')} | {r['status']} | "
            f"{r['gap']} | {r['first_solution_s']} | {r['seconds']} | {r['peak_rss_mb']} |"
        )
    return "\n".join(lines)


def write(rows: list[dict], command: str) -> None:
    write_section(
        "examples",
        f"""## Example projects: greedy against CP-SAT

Machine: {machine()}. Date: {date.today()}. Command:

```
{command}
```

{table(rows)}

Late x w is the weighted late days of the milestones; the objective is that times
(horizon + 1) plus the makespan. Solver as `modsched schedule` picks it: the whole CP-SAT
model below 2,500 tasks, window by window above (`cp-sat windows`, whose first plan is the
greedy one: first plan s 0.0 counts from the end of the greedy). Peak MB is the resident
memory of the process that loaded the project and ran the greedy and CP-SAT.""",
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("projects", nargs="+", help="PROJECT or PROJECT@SECONDS")
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--one", action="store_true", help="run one project, print JSON")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.projects[0], args.time_limit, args.workers)))
        return
    rows = []
    for spec in args.projects:  # PROJECT or PROJECT@SECONDS
        project, _, seconds = spec.partition("@")
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                project,
                "--time-limit",
                seconds or str(args.time_limit),
                "--workers",
                str(args.workers),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    write(rows, " ".join(["python", "benchmarks/examples.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
