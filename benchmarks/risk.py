"""Schedule risk on three-sites (issue 25); writes the "risk" section of docs/BENCHMARKS.md
and docs/results/risk.json.

The uncertainty is the power-slip scenario's tranche as a distribution: NAL utility
tranche 2 (30 MW, 2027-09-01) slips by a lognormal with a median of 56 calendar days (8
weeks) and a 90th percentile of 112 (the scenario's 16 weeks). Measured:

1. the baseline (`plan_project`, CP-SAT, one worker, seed 0, `--baseline-limit` s);
2. retime: `--samples` samples on 2 local processes, and on 1 (the ratio);
3. the P10-P90 milestone dates against the baseline's and against the scenario's slip
   taken as certain (112 days, re-timed the same way);
4. resolve: `--resolve-samples` samples at `--sample-limit` s each on a Dask
   `LocalCluster` of 1, then 2 worker processes (one thread each): samples a minute.

    .venv/bin/python benchmarks/risk.py --samples 1000 --resolve-samples 20 --sample-limit 10
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import machine, write_section  # noqa: E402
from scheduler.io import write_json  # noqa: E402
from scheduler.pipeline import plan_project  # noqa: E402
from scheduler.risk.executors import sample_risk  # noqa: E402
from scheduler.risk.report import RiskRun, risk_table  # noqa: E402
from scheduler.risk.run import Mode, prepare_risk, run_sample  # noqa: E402
from scheduler.solvers.budget import SolveOptions  # noqa: E402

PROJECT = ROOT / "projects" / "three-sites.yaml"
TRANCHE = "- {name: utility tranche 2, kind: permanent, mw: 30, from: 2027-09-01}"
SLIP = "slip: {p50_days: 56, p90_days: 112}"
SCENARIO_DAYS = 112  # projects/scenarios/power-slip.yaml: 2027-09-01 -> 2027-12-22


def slip_project(folder: Path) -> Path:
    """three-sites with tranche 2's slip, its catalog named by absolute path."""
    text = PROJECT.read_text()
    assert TRANCHE in text, "three-sites.yaml no longer has tranche 2 as written here"
    text = text.replace(TRANCHE, TRANCHE[:-1] + f", {SLIP}}}")
    text = re.sub(r"^catalog: .*$", f"catalog: {ROOT / 'modules_catalog'}", text, flags=re.M)
    path = folder / "three-sites-slip.yaml"
    path.write_text(text)
    return path


def timed_run(problem, samples: int, **where) -> tuple[RiskRun, float]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    run = sample_risk(problem, samples, threading.Event(), **where)
    return run, time.perf_counter() - started


def cpu_seconds(problem, samples: int) -> float:  # type: ignore[no-untyped-def]
    """CPU seconds of ``samples`` samples in this process: what a busy machine's wall
    clock hides."""
    started = time.process_time()
    sample_risk(problem, samples, threading.Event(), processes=1)
    return time.process_time() - started


def load() -> float:
    return os.getloadavg()[0]


def resolve_on_cluster(problem, samples: int, workers: int) -> tuple[RiskRun, float]:  # type: ignore[no-untyped-def]
    import distributed

    with distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        return timed_run(problem, samples, dask=cluster.scheduler_address)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline-limit", type=float, default=60.0)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--resolve-samples", type=int, default=20)
    parser.add_argument("--sample-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="risk-bench-"))
    project = slip_project(folder)
    outcome = plan_project(project, SolveOptions(time_limit=args.baseline_limit, workers=1))
    baseline = folder / "schedule.json"
    write_json(outcome.schedule, baseline)
    problem = prepare_risk(project, baseline, Mode.RETIME, args.seed)
    loads = [load()]
    two, two_s = timed_run(problem, args.samples, processes=2)
    one, one_s = timed_run(problem, args.samples, processes=1)
    cpu = cpu_seconds(problem, args.samples)
    loads.append(load())
    assert risk_table(one).equals(risk_table(two)), "1 and 2 processes disagree"
    certain = run_sample(problem, -1, np.array([float(SCENARIO_DAYS)])).days
    resolve = prepare_risk(project, baseline, Mode.RESOLVE, args.seed, args.sample_limit)
    cluster = {w: resolve_on_cluster(resolve, args.resolve_samples, w) for w in (1, 2)}
    loads.append(load())
    report(args, problem, two, (two_s, one_s, cpu), certain, cluster, loads)


def report(args, problem, run, seconds, certain, cluster, loads) -> None:  # type: ignore[no-untyped-def]
    two_s, one_s, cpu = seconds
    table = risk_table(run).set_index("milestone")
    resolved = risk_table(cluster[2][0]).set_index("milestone")
    n = args.resolve_samples  # the same draws as the resolve samples (same seed, numbers)
    first = RiskRun(problem, run.samples[:n], n, run.baseline)
    retimed = risk_table(first).set_index("milestone")
    date_of = problem.calendar.iso_of
    lines = [
        f"Machine: {machine()}, shared with three other engineers; 1-minute load average "
        f"{loads[0]:.1f} before the retime runs, {loads[1]:.1f} after, {loads[2]:.1f} after "
        f"the resolve runs. {date.today()}.",
        "Command: `.venv/bin/python benchmarks/risk.py --samples "
        f"{args.samples} --resolve-samples {args.resolve_samples} --sample-limit "
        f"{args.sample_limit}`.",
        "",
        f"**Retime, {args.samples} samples of three-sites (3,291 tasks):** "
        f"{two_s:.1f} s on 2 local processes, {one_s:.1f} s on 1 "
        f"({one_s / two_s:.2f}x), loading and the baseline's order read once before "
        f"(target: 60 s on 2 cores); {cpu:.1f} CPU seconds in one process "
        f"({cpu / args.samples * 1000:.0f} ms a sample). Same `risk.csv` on 1 and 2 processes.",
        "",
        "| milestone | target | baseline | slip of 112 days, certain | P50 | P80 | P90 | "
        f"on time | retime P80, samples 0-{n - 1} | resolve P80, samples 0-{n - 1} |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p, point in enumerate(problem.points):
        row = table.loc[point]
        lines.append(
            f"| {point} | {row['target'] or '-'} | {row['baseline']} | {date_of(certain[p])} "
            f"| {row['p50']} | {row['p80']} | {row['p90']} | {row['prob_on_time']} "
            f"| {retimed.loc[point, 'p80']} | {resolved.loc[point, 'p80']} |"
        )
    rates = {w: len(r.samples) / s * 60 for w, (r, s) in cluster.items()}
    lines += [
        "",
        f"**Resolve on a Dask LocalCluster**, {args.resolve_samples} samples at "
        f"{args.sample_limit:g} s each: 1 worker process {cluster[1][1]:.0f} s "
        f"({rates[1]:.2f} samples/min), 2 worker processes {cluster[2][1]:.0f} s "
        f"({rates[2]:.2f} samples/min), {rates[2] / rates[1]:.2f}x.",
    ]
    rows = [
        {"mode": "retime", "samples": args.samples, "processes": 2, "seconds": two_s},
        {"mode": "retime", "samples": args.samples, "processes": 1, "seconds": one_s},
        {"mode": "retime", "samples": args.samples, "processes": 1, "cpu_seconds": cpu},
    ]
    rows += [
        {"mode": "resolve", "samples": args.resolve_samples, "dask_workers": w, "seconds": s}
        for w, (_, s) in cluster.items()
    ]
    rows += [{"milestone": k, **v} for k, v in table.to_dict("index").items()]
    print("\n".join(lines))
    write_section("risk", "## Schedule risk (issue 25)\n\n" + "\n".join(lines), rows)


if __name__ == "__main__":
    main()
