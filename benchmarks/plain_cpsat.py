"""The product against a plain CP-SAT model of the same instance (issue 20, PSPLIB / MSPSP).

For every instance file, one after the other, two runs with the same time limit and the
same number of CP-SAT workers (2 by default):

- ``product``: `scheduler.bench.bench_one`, exactly what `modsched bench psplib|mspsp`
  runs (greedy warm start, the product's CP-SAT model and search, all within the limit);
- ``pyjobshop``: PyJobShop's own CP-SAT model (PyPI ``pyjobshop``, default parameters
  except ``num_workers`` and the time limit). PSPLIB files are read by PyJobShop's own
  reader (``pyjobshop.read(path, "psplib")``). PyJobShop has no skills, so an MSPSP
  instance is written in its primitives: one machine per resource, one task per activity,
  and per unit of skill need one sub-task with a mode on each resource that masters the
  skill, tied to its activity by start-at-start and end-at-end (sub-tasks of one
  zero-length activity also get different-resources: a machine does not separate
  zero-length intervals).

The order of the two alternates from instance to instance (product first on the 1st, 3rd,
... file), so neither always runs on a machine the other has just warmed or loaded.
Every plan of either solver is mapped onto the product's `Instance` and checked by the
product's validator (scheduler/validate.py, independent of both models); the makespan is
recomputed from the plan's start days. Each row records the 1-minute load before and
after its run.

    PYTHONPATH=. .venv/bin/python benchmarks/plain_cpsat.py psplib DIR_OR_FILES... \\
        --bounds bounds.csv --time-limit 20 --out docs/results/plain-cpsat-j90-20s.csv
    PYTHONPATH=. .venv/bin/python benchmarks/plain_cpsat.py mspsp DIR... --bounds B.csv \\
        --time-limit 20 --out docs/results/plain-cpsat-mspsp-20s-1.csv

``--bounds`` is a table with the columns of ``../shared/benchmarks/*/bounds.csv``
(``instance``, ``set``, ``lb``, ``ub`` and, for PSPLIB, ``cpm``, ``closed``); without it
the shared table of the family is used. ``--open-only`` keeps the instances whose
``closed`` is 0. The deviation is taken from the best known makespan (``ub``) where the
table has one, else from the critical path (``dev_reference`` says which).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from itertools import combinations
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.bench import Kind, bench_one, collect_files  # noqa: E402
from scheduler.graph import critical_path  # noqa: E402
from scheduler.importers import best_known, read_benchmark  # noqa: E402
from scheduler.instance import CrewPool, Instance, Solution, objective_value  # noqa: E402
from scheduler.io import write_frame  # noqa: E402
from scheduler.solvers.budget import SolveOptions  # noqa: E402
from scheduler.validate import validate  # noqa: E402

COLUMNS = [
    "instance",
    "set",
    "solver",
    "order",
    "time_limit",
    "workers",
    "status",
    "makespan",
    "optimal",
    "bound",
    "best_known",
    "known_lb",
    "cpm",
    "dev_reference",
    "dev_pct",
    "wall_seconds",
    "solver_seconds",
    "violations",
    "load1_before",
    "load1_after",
    "greedy_makespan",
    "time_to_best",
    "first_solution_seconds",
]


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def run_product(instance: Instance, known: dict, options: SolveOptions, set_name: str) -> dict:
    """`modsched bench`'s own measurement of one instance (it validates the plan)."""
    start = time.perf_counter()
    row = bench_one(instance, known, options, True, set_name)
    return {
        "status": row["status"],
        "makespan": row["makespan"],
        "optimal": bool(row["optimal"]),
        "bound": row["bound"],
        "wall_seconds": round(time.perf_counter() - start, 3),
        "solver_seconds": row["seconds"],
        "violations": row["violations"],
        "greedy_makespan": row["greedy_makespan"],
        "time_to_best": row["time_to_best"],
        "first_solution_seconds": row["first_solution_seconds"],
    }


def run_pyjobshop(kind: Kind, path: Path, instance: Instance, options: SolveOptions) -> dict:
    """PyJobShop's CP-SAT model of the instance, its plan checked by the product's validator."""
    import pyjobshop  # the `bench` extra; imported here so that --help works without it

    start = time.perf_counter()
    if kind is Kind.PSPLIB:
        data = pyjobshop.read(path, instance_format="psplib")
        to_plan = psplib_plan
    else:
        data = mspsp_model(instance).data()
        to_plan = mspsp_plan
    result = pyjobshop.solve(
        data, time_limit=options.time_limit, num_workers=options.workers, display=False
    )
    wall = time.perf_counter() - start
    status = result.status.value
    row = {
        "status": status,
        "optimal": status == "Optimal",
        "bound": _int(result.lower_bound),
        "wall_seconds": round(wall, 3),
        "solver_seconds": round(result.runtime, 3),
        "makespan": None,
        "violations": None,
    }
    if status in ("Optimal", "Feasible"):
        plan = to_plan(instance, result.best.tasks)
        makespan = objective_value(instance, plan.starts)
        violations = len(validate(instance, plan))
        if _int(result.objective) != makespan:  # PyJobShop's own figure must agree
            violations += 1
        row |= {"makespan": makespan, "violations": violations}
    return row


def psplib_plan(instance: Instance, tasks: list) -> Solution:
    """PyJobShop's task k is PSPLIB job k + 1; the product's task ids are the job numbers."""
    for task in instance.tasks:
        scheduled = tasks[int(task.id) - 1]
        if scheduled.end - scheduled.start != task.duration:
            raise ValueError(f"job {task.id}: PyJobShop read another duration")
    return Solution(
        [tasks[int(t.id) - 1].start for t in instance.tasks], [() for _ in instance.tasks]
    )


def mspsp_model(instance: Instance):  # -> pyjobshop.Model
    """MSPSP in PyJobShop's primitives (see the module docstring): tasks 0..n-1 are the
    activities in Instance order, then the sub-tasks in `need_units` order."""
    import pyjobshop

    model = pyjobshop.Model()
    crews = machine_crews(instance)
    machines = [model.add_machine(name=crew) for crew, _ in crews]
    activities = []
    for task in instance.tasks:
        activity = model.add_task(name=task.id)
        model.add_mode(activity, [], task.duration)
        activities.append(activity)
    for i, skill in need_units(instance):
        task = instance.tasks[i]
        sub = model.add_task(name=f"{task.id}:{skill}")
        for r, (_, pool) in enumerate(crews):
            if skill in pool.skills:
                model.add_mode(sub, machines[r], task.duration)
        model.add_start_at_start(activities[i], sub)
        model.add_end_at_end(activities[i], sub)
        activities.append(sub)
    subs_of: dict[int, list] = {}
    for (i, _), sub in zip(need_units(instance), activities[len(instance.tasks) :], strict=True):
        subs_of.setdefault(i, []).append(sub)
    for i, subs in subs_of.items():
        if instance.tasks[i].duration == 0:
            for a, b in combinations(subs, 2):
                model.add_different_resources(a, b)
    for link in instance.links:
        model.add_end_before_start(activities[link.pred], activities[link.succ])
    return model


def need_units(instance: Instance) -> list[tuple[int, str]]:
    """(task index, skill) per unit of skill need, in task then skill order."""
    return [
        (i, skill)
        for i, task in enumerate(instance.tasks)
        for skill, count in sorted(task.skills.items())
        for _ in range(count)
    ]


def machine_crews(instance: Instance) -> list[tuple[str, CrewPool]]:
    """One PyJobShop machine per crew (the file's resources: the product's reader makes
    the resources that master the same skills one pool of that many crews)."""
    return [(crew, pool) for pool in instance.pools for crew in pool.crew_ids()]


def mspsp_plan(instance: Instance, tasks: list) -> Solution:
    """Starts of the activities; each sub-task's machine r is the crew `machine_crews`
    gives it."""
    n = len(instance.tasks)
    names = [crew for crew, _ in machine_crews(instance)]
    crews: list[list[str]] = [[] for _ in range(n)]
    for (i, _), scheduled in zip(need_units(instance), tasks[n:], strict=True):
        crews[i] += [names[r] for r in scheduled.resources]
    return Solution([tasks[i].start for i in range(n)], [tuple(c) for c in crews])


def _int(value: float) -> int | None:
    return None if value is None or value != value or abs(value) == float("inf") else round(value)


def deviation(makespan: object, known: dict, cpm: int) -> tuple[str, float | None]:
    reference = known.get("ub")
    name = "best_known"
    if not isinstance(reference, int):
        reference, name = cpm, "cpm"
    if not isinstance(makespan, int) or reference <= 0:
        return name, None
    return name, round(100 * (makespan - reference) / reference, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=[k.value for k in Kind])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--bounds", type=Path, help="bounds.csv (default: the shared one)")
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--open-only", action="store_true", help="only rows with closed = 0")
    parser.add_argument("--solvers", default="product,pyjobshop")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    kind = Kind(args.kind)
    bounds = best_known(args.bounds if args.bounds else kind.value)
    files = collect_files(kind, args.paths)
    if args.open_only:
        files = [f for f in files if bounds.get(f.stem, {}).get("closed") == 0]
    options = SolveOptions(time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    solvers = args.solvers.split(",")
    rows: list[dict] = []
    for number, path in enumerate(files):
        instance = read_benchmark(path)
        known = bounds.get(instance.name, {})
        cpm = critical_path(instance).length
        order = solvers if number % 2 == 0 else solvers[::-1]
        for position, solver in enumerate(order, 1):
            before = load1()
            if solver == "product":
                result = run_product(instance, known, options, path.parent.name)
            else:
                result = run_pyjobshop(kind, path, instance, options)
            reference, dev = deviation(result["makespan"], known, cpm)
            rows.append(
                {
                    "instance": instance.name,
                    "set": known.get("set", path.parent.name),
                    "solver": solver,
                    "order": position,
                    "time_limit": args.time_limit,
                    "workers": args.workers,
                    "best_known": known.get("ub"),
                    "known_lb": known.get("lb"),
                    "cpm": cpm,
                    "dev_reference": reference,
                    "dev_pct": dev,
                    "load1_before": before,
                    "load1_after": load1(),
                }
                | result
            )
            row = rows[-1]
            print(
                f"{row['instance']:>36} {solver:>9}: {row['status']:>9} {row['makespan']} "
                f"(best {row['best_known']}, dev {row['dev_pct']} %) {row['wall_seconds']} s "
                f"load {before}->{row['load1_after']} violations {row['violations']}",
                flush=True,
            )
            write_frame(pd.DataFrame(rows, columns=COLUMNS), args.out)
    table = pd.DataFrame(rows, columns=COLUMNS)
    # the mean deviation over the instances where every solver has a plan, so that an
    # instance one of them left without a plan does not flatter it
    planned = table.groupby("instance")["makespan"].transform(lambda m: m.notna().all())
    both = table[planned].groupby("solver", sort=False)["dev_pct"].mean()
    summary = table.groupby("solver", sort=False).agg(
        n=("instance", "size"),
        no_plan=("makespan", lambda m: int(m.isna().sum())),
        mean_dev_pct=("dev_pct", "mean"),
        optimal=("optimal", "sum"),
        at_best=("dev_pct", lambda d: int((d <= 0).sum())),
        invalid=("violations", lambda v: int((v.fillna(0) > 0).sum())),
        mean_wall=("wall_seconds", "mean"),
    )
    summary["mean_dev_pct_where_all_planned"] = both
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
