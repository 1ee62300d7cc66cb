"""Time of the explanation (float, drivers, why-chains; scheduler/explain.py) against the
solve time of the same plan, and the roots of the late milestones' why-chains (issue 21:
under 10 % of the solve time on atlas-27; every chain ends on a power date, a release, a
crew pool, a resource, a factory or a status date).

    PYTHONPATH=. python benchmarks/explain.py projects/atlas-27.yaml --time-limit 120
"""

from __future__ import annotations

import argparse
import platform
import time

from scheduler.explain import ROOT_KINDS, chain_root, explain, why_summary
from scheduler.pipeline import plan_project
from scheduler.solvers.budget import SolveOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project")
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    options = SolveOptions(time_limit=args.time_limit, workers=args.workers, seed=0)
    outcome = plan_project(args.project, options)
    assert outcome.result.solution is not None
    calendar = outcome.plan.calendar
    seconds = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        explained = explain(outcome.instance, outcome.result.solution, calendar.iso_of)
        seconds.append(time.perf_counter() - began)
    solve = outcome.result.seconds
    best = min(seconds)
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print(
        f"{args.project}: {outcome.instance.num_tasks} tasks, solve {solve:.1f} s "
        f"({outcome.result.engine}, {outcome.result.method}, {outcome.result.status}); "
        f"explain best of {args.repeat} {best:.3f} s = {100 * best / solve:.2f} % of the solve"
    )
    late = [m for m in outcome.schedule.milestones if m.late_days > 0]
    rooted = 0
    for m in late:
        chain = explained.why.get(m.milestone_id, ())
        root = chain_root(chain)
        rooted += root is not None
        print(
            f"  {m.milestone_id}: {m.late_days} wd late, chain of {len(chain)} ending on "
            f"{chain[-1].cause if chain else '-'}, root cause "
            f"{root.cause if root else 'NONE'} ({root.task if root else ''}); "
            f"change: {why_summary(chain)}"
        )
    print(f"late milestones {len(late)}, with a chain rooted in {ROOT_KINDS}: {rooted}")


if __name__ == "__main__":
    main()
