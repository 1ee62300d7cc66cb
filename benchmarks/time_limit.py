"""How long `modsched schedule` takes against its `--time-limit`.

Moved from tests/test_reliability.py (`test_time_limit_holds` asserted `solver.seconds`
<= 4.5 at `--time-limit 4` on tests/data/busy.yaml and the whole command under 60 s): a
bound on wall time holds on a quiet machine, not on every machine, so it is measured here
and reported, never asserted. For each project and limit, one real process: the solver's
own `seconds` (schedule.json), the whole command's wall time (start-up, loading and the
files included), the overshoot of each over the limit, whether the run says its plan
repeats (`solver.repeatable`, one worker) and a hash of its schedule.csv (`--runs 2`: do
two runs give one plan?), and the 1-minute load average before and after (other jobs on
the machine slow everything but the wall limit).

    .venv/bin/python benchmarks/time_limit.py --limits 1 4 10 \
        tests/data/busy.yaml projects/quickstart.yaml
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODSCHED = str(Path(sys.executable).parent / "modsched")


def run(project: str, limit: float, workers: int) -> dict:
    """One `modsched schedule` with ``limit``; its times and the machine's load."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        began = time.perf_counter()
        limits = ["--time-limit", str(limit), "--workers", str(workers)]
        command = [MODSCHED, "schedule", project, "--out", str(out), *limits]
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - began
        solver = (
            json.loads((out / "schedule.json").read_text())["solver"]
            if done.returncode == 0
            else {}
        )
        plan = (out / "schedule.csv").read_bytes() if done.returncode == 0 else b""
    return {
        "project": Path(project).stem,
        "time_limit": limit,
        "workers": workers,
        "exit": done.returncode,
        "status": solver.get("status"),
        "solver_s": solver.get("seconds"),
        "command_s": round(wall, 2),
        "solver_over_s": round(solver["seconds"] - limit, 2) if solver else None,
        "command_over_s": round(wall - limit, 2),
        "objective": solver.get("objective"),
        "repeatable": solver.get("repeatable"),
        "plan": hashlib.sha256(plan).hexdigest()[:8] if plan else None,
        "load1_before": round(load_before, 2),
        "load1_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("projects", nargs="+")
    parser.add_argument("--limits", type=float, nargs="+", default=[1.0, 4.0, 10.0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="runs of each (a plan repeats?)")
    parser.add_argument("--json", type=Path, help="write the rows here as well")
    args = parser.parse_args()
    rows = [
        run(p, limit, args.workers)
        for p in args.projects
        for limit in args.limits
        for _ in range(args.runs)
    ]
    print(
        "| project | limit s | workers | status | solver s | command s | "
        "over: solver / command | repeatable | plan (sha256) | load1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['project']} | {r['time_limit']:g} | {r['workers']} | {r['status']} | "
            f"{r['solver_s']} | {r['command_s']} | {r['solver_over_s']} / "
            f"{r['command_over_s']} | {r['repeatable']} | {r['plan']} | "
            f"{r['load1_before']} -> {r['load1_after']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
