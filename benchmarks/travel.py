"""Crews that travel between sites and sites on calendars of their own (issue 24): the
same project without travel and with ``travel: {default: N}``, side by side in one run;
writes the "Travel" rows of docs/BENCHMARKS.md by hand from its table. Each run is a fresh
process.

    .venv/bin/python benchmarks/travel.py --time-limit 60 --workers 2 --days 2 \\
        projects/three-sites.yaml projects/atlas-27.yaml

``--days project`` keeps the travel the project file states and ``--calendars`` runs
each project four ways: without travel or site calendars, with its calendars only, with
its travel only and as it is (``plain``, ``calendars``, ``travel``, ``both``).

A run is ``(project, days, encoding, engine)``: ``encoding`` is the CP-SAT encoding of
travel (`families.TRAVEL_ENCODING`: ``tails`` as shipped, ``pairs`` the prototype of one
disjunction per pair of tasks), followed by ``/S`` for the share of windows in which
freed tasks may change their travelling crews (`windows.CREW_CHOICE_SHARE`, shipped 0.5;
1: every window, the per-crew model alone); ``engine`` ``solve`` is `solve_plan` as
`modsched schedule` runs it (windows from 2,500 tasks), ``whole`` the whole CP-SAT model
from the greedy plan.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def crew_moves(instance, solution) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(moves between sites of named crews, moves with no day between)."""
    worked = defaultdict(list)
    for i, (start, crews) in enumerate(zip(solution.starts, solution.crews, strict=True)):
        task = instance.tasks[i]
        if task.duration > 0 and task.site is not None:
            for crew in crews:
                worked[crew].append((start, instance.end_of(i, start), task.site))
    moves = tight = 0
    for spans in worked.values():
        spans.sort()
        for a, b in itertools.pairwise(spans):
            if a[2] != b[2]:
                moves += 1
                tight += b[0] <= a[1]
    return moves, tight


def load_variant(project: str, variant: str):  # type: ignore[no-untyped-def]
    """(instance, cpm) of the project with its site and factory calendars and its travel
    kept or dropped: ``plain``, ``calendars``, ``travel`` or ``both`` (as it is)."""
    from scheduler.domain.load import load_project
    from scheduler.domain.models import TravelSpec
    from scheduler.expand import expand
    from scheduler.graph import critical_path

    plan = load_project(project)
    p = plan.project
    if variant in ("plain", "travel"):
        sites = [s.model_copy(update={"calendar": None}) for s in p.sites]
        factories = [f.model_copy(update={"calendar": None}) for f in p.factories]
        p = p.model_copy(update={"sites": sites, "factories": factories})
    if variant in ("plain", "calendars"):
        p = p.model_copy(update={"travel": TravelSpec()})
    plan.project = p
    instance = expand(plan)
    return instance, critical_path(instance)


def run_one(
    project: str, days: int, encoding: str, engine: str, limit: float, workers: int
) -> dict:
    from scheduler.instance import Travel, objective_terms
    from scheduler.pipeline import load_instance
    from scheduler.solvers import cpsat, windows
    from scheduler.solvers.budget import Budget, SolveOptions
    from scheduler.solvers.cpsat import families
    from scheduler.solving import solve_plan
    from scheduler.validate import validate

    if not encoding.startswith("variant:"):
        families.TRAVEL_ENCODING, _, share = encoding.partition("/")
        windows.CREW_CHOICE_SHARE = float(share or windows.CREW_CHOICE_SHARE)
    started = time.perf_counter()
    variant = ""
    if encoding.startswith("variant:"):
        variant = encoding.removeprefix("variant:")
        encoding = "tails"
        instance, cpm = load_variant(project, variant)
    else:
        _, instance, cpm = load_instance(project)
    loaded = time.perf_counter() - started
    if days >= 0 and not variant:  # 0: no travel; -1: the project's own
        instance = replace(instance, travel=Travel(days))
    options = SolveOptions(time_limit=limit, workers=workers)
    budget = Budget.of(options)
    solved = solve_plan(instance, options, budget, cpm=cpm)
    instance, result, greedy = solved.instance, solved.result, solved.greedy
    if engine == "whole":
        result = cpsat.solve(instance, options, greedy.solution, Budget.of(options), cpm=cpm)
    row = {
        "project": Path(project).stem,
        "travel_days": days if days >= 0 else "project",
        "encoding": variant or (encoding if days else "-"),
        "engine": engine if engine == "whole" else f"{result.method}",
        "tasks": instance.num_tasks,
        "greedy_s": round(greedy.seconds, 1),
        "load_s": round(loaded, 1),
        "first_plan_s": round(
            (0 if engine == "whole" else loaded) + (result.first_solution_seconds or -1), 1
        ),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    if greedy.solution is not None:
        row["greedy_lateness"] = objective_terms(instance, greedy.solution.starts)[0]
    if result.solution is not None:
        tardiness, makespan = objective_terms(instance, result.solution.starts)
        moves, tight = crew_moves(instance, result.solution)
        row |= {
            "status": str(result.status),
            "lateness": tardiness,
            "makespan": makespan,
            "moves": moves,
            "moves_no_day": tight,
            "valid": not validate(instance, result.solution),
        }
    row["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("projects", nargs="*")
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--days", default="2", help="travel days, or 'project'")
    parser.add_argument(
        "--calendars", action="store_true", help="run plain, calendars, travel and both"
    )
    parser.add_argument("--encodings", default="tails/1,pairs/1,tails/0.5")
    parser.add_argument("--engines", default="solve")
    parser.add_argument("--one", nargs=4, metavar=("PROJECT", "DAYS", "ENCODING", "ENGINE"))
    args = parser.parse_args()
    if args.one:
        project, days, encoding, engine = args.one
        row = run_one(project, int(days), encoding, engine, args.time_limit, args.workers)
        print(json.dumps(row))
        return
    for project in args.projects:
        for engine in args.engines.split(","):
            days = "-1" if args.days == "project" else args.days
            runs = [("0", "tails")] + [(days, e) for e in args.encodings.split(",")]
            if args.calendars:
                variants = ("plain", "calendars", "travel", "both")
                runs = [("-1", f"variant:{v}") for v in variants]
            for days, encoding in runs:
                command = [sys.executable, __file__, "--time-limit", str(args.time_limit)]
                command += [
                    "--workers",
                    str(args.workers),
                    "--one",
                    project,
                    days,
                    encoding,
                    engine,
                ]
                out = subprocess.run(command, capture_output=True, text=True, check=False)
                line = (
                    out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-500:]
                )
                print(line, flush=True)


if __name__ == "__main__":
    main()
