"""Does the window search (scheduler/solvers/windows.py) ever make a plan that breaks a
rule? Every window plan that changes the incumbent goes through the validator
(`WindowSearch.breaks_a_rule`), which logs and drops a broken one; this script runs the
search where such bugs hide and counts them (`Stats.broken`). One worker and
deterministic limits, so that a line repeats with its seed.

- ``--random N``: N small random programs (2-3 sites, most on calendars of their own, a
  travelling pool of 1-3 crews, one of 1-2 crews, a local pool per site, travel 1-4
  days, chains of 2-4 tasks linked by every link type, weighted milestones), each from
  a random-order greedy plan, with tiny windows (3-12 tasks): many windows that hold a
  travelling pool at one site, or cut a crew's sequence between pinned and freed tasks.
- ``--project PATH``: the project as it is (calendars and travel), from the best greedy
  plan, once per seed, with the shipped window sizes.

    PYTHONPATH=. .venv/bin/python benchmarks/windows_check.py --random 40
    PYTHONPATH=. .venv/bin/python benchmarks/windows_check.py --project projects/atlas-27.yaml \\
        --seeds 0 1 2 3 --nominal 200

The lines of a run: per case (``--project``: per seed) the steps, the window plans taken
that changed the incumbent, the broken ones (not taken; each also logged with its window
and rule) and whether the plan returned is valid; then the totals.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.expand import search_horizon, with_horizon  # noqa: E402
from scheduler.instance import (  # noqa: E402
    CrewPool,
    Instance,
    Link,
    LinkType,
    Milestone,
    Solution,
    Task,
    Travel,
    WorkCalendar,
    objective_terms,
)
from scheduler.pipeline import load_instance  # noqa: E402
from scheduler.solvers import windows as lns  # noqa: E402
from scheduler.solvers.budget import Limits, SolveOptions  # noqa: E402
from scheduler.solvers.greedy import best_greedy, greedy  # noqa: E402
from scheduler.validate import validate  # noqa: E402

DAYS = 400  # the random programs' calendars cover days [0, DAYS)
SKILLS = ("mv", "cx", "el")


def random_program(rng: random.Random) -> Instance:
    sites = [f"s{k}" for k in range(rng.randint(2, 3))]
    calendars: list[WorkCalendar] = []
    calendar_of: dict[str, int] = {}
    for site in sites:
        if rng.random() < 0.7:
            week = rng.choice([5, 6, 7])
            off = {d for d in range(DAYS) if d % 7 >= week} | set(rng.sample(range(DAYS), 8))
            calendar_of[site] = len(calendars)
            calendars.append(WorkCalendar(f"site:{site}", sorted(off), DAYS))
    pools = [
        CrewPool("mvt", frozenset({"mv"}), rng.randint(1, 3)),
        CrewPool("cx", frozenset({"cx"}), rng.randint(1, 2)),
    ]
    pools += [
        CrewPool(f"el-{s}", frozenset({"el"}), rng.randint(1, 2), sites=frozenset({s}))
        for s in sites
    ]
    tasks: list[Task] = []
    links: list[Link] = []
    milestones: list[Milestone] = []
    for m in range(rng.randint(3, 8)):
        site, first = rng.choice(sites), len(tasks)
        for k in range(rng.randint(2, 4)):
            skills = {rng.choice(SKILLS): 1}
            if rng.random() < 0.3:
                skills[rng.choice(SKILLS)] = 1
            duration = rng.randint(1, 5)
            release = rng.choice([0, 0, rng.randint(0, 10)])
            task = Task(
                f"{site}-m{m}-t{k}",
                duration,
                release=release,
                site=site,
                skills=skills,
                calendar=calendar_of.get(site, -1),
            )
            tasks.append(task)
            if k:
                kind = rng.choice(list(LinkType))
                links.append(Link(len(tasks) - 2, len(tasks) - 1, kind, rng.randint(-1, 2)))
        members = tuple(range(first, len(tasks)))
        milestones.append(Milestone(f"m{m}", members, rng.randint(5, 30), None, rng.randint(1, 3)))
    instance = Instance(
        "random",
        tuple(tasks),
        tuple(links),
        pools=tuple(pools),
        milestones=tuple(milestones),
        travel=Travel(rng.randint(1, 4)),
        calendars=tuple(calendars),
    )
    return with_horizon(instance)


def checked_run(
    instance: Instance, plan: Solution, seed: int, limits: Limits
) -> tuple[lns.Stats, int, bool]:
    """(stats, window plans taken that changed the incumbent, the returned plan is
    valid)."""
    changed = 0
    step = lns.WindowSearch.step

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal changed
        before = (self.starts, self.crews)
        taken = step(self, *args, **kwargs)
        changed += (self.starts, self.crews) != before
        return taken

    lns.WindowSearch.step = counting  # type: ignore[method-assign]
    try:
        found, stats = lns.improve(instance, plan, SolveOptions(workers=1, seed=seed), limits)
    finally:
        lns.WindowSearch.step = step  # type: ignore[method-assign]
    return stats, changed, not validate(instance, found)


def run_random(cases: int, first: int) -> None:
    lns.FIRST_SIZE = lns.TRAVEL_FIRST_SIZE = 6
    lns.MIN_SIZE, lns.MAX_SIZE = 3, 12
    totals = [0, 0, 0, 0]  # cases, steps, changed, broken
    for seed in range(first, first + cases):
        rng = random.Random(seed)
        instance = random_program(rng)
        plan = greedy(instance, order=[rng.randrange(1000) for _ in instance.tasks])
        if plan is None:
            continue
        instance = search_horizon(instance, objective_terms(instance, plan.starts)[1])
        stats, changed, valid = checked_run(instance, plan, seed, Limits(8.0, 2.0))
        print(
            f"random seed {seed}: {instance.num_tasks} tasks, {stats.steps} steps, "
            f"{changed} changed, {stats.broken} broken, returned plan valid: {valid}",
            flush=True,
        )
        for k, n in enumerate((1, stats.steps, changed, stats.broken)):
            totals[k] += n
    cases, steps, changed, broken = totals
    print(f"random: {cases} cases, {steps} steps, {changed} window plans changed, {broken} broken")


def run_project(path: Path, seeds: list[int], nominal: float) -> None:
    started = time.perf_counter()
    _, instance, _ = load_instance(path)
    plan = best_greedy(instance)
    assert plan is not None
    instance = search_horizon(instance, objective_terms(instance, plan.starts)[1])
    print(
        f"{path.stem}: {instance.num_tasks} tasks, greedy {objective_terms(instance, plan.starts)}"
        f" in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    for seed in seeds:
        started = time.perf_counter()
        stats, changed, valid = checked_run(instance, plan, seed, Limits(4 * nominal, nominal))
        print(
            f"{path.stem} seed {seed} nominal {nominal:g} s: {stats.steps} steps, "
            f"{stats.improved} improving, {changed} changed, {stats.broken} broken, "
            f"returned plan valid: {valid}, {time.perf_counter() - started:.0f} s",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--random", type=int, default=0, help="random programs to run")
    parser.add_argument("--first", type=int, default=0, help="seed of the first one")
    parser.add_argument("--project", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--nominal", type=float, default=200.0, help="nominal seconds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(name)s: %(message)s")
    if args.random:
        run_random(args.random, args.first)
    if args.project:
        run_project(args.project, args.seeds, args.nominal)


if __name__ == "__main__":
    main()
