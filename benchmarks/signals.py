"""How fast `modsched schedule` acts on Ctrl-C / SIGTERM in each phase of a run.

The console script runs with each phase's entry point wrapped to touch a file when the
phase begins (loading, the greedy scheme, the CP-SAT search, the Gantt chart); the
signal is sent ``--into`` seconds after that, and the time from the signal to the exit
is measured. Outside the search the run must end at once (exit 130, the folder as it
was); in the search the first signal ends the search and the best plan is written, so
that row also sends a second signal ``--into`` seconds after the first and measures from
the second.

    .venv/bin/python benchmarks/signals.py projects/atlas-27.yaml --repeats 3
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHASES = {
    "loading": "scheduler.pipeline.load_project",
    "greedy": "scheduler.solving.best_greedy",
    "search": "ortools.sat.python.cp_model.CpSolver.solve",
    "gantt": "scheduler.reports.page.write_gantt_html",
}
# `main` with one function wrapped to touch argv[1] when it is first called
WRAPPED = """
import signal, sys
from importlib import import_module
from pathlib import Path
from scheduler.cli import main

flag = Path(sys.argv.pop(1))
path = sys.argv.pop(1).split(".")
for cut in range(len(path) - 1, 0, -1):
    try:
        owner = import_module(".".join(path[:cut]))
        break
    except ImportError:
        continue
for part in path[cut:-1]:
    owner = getattr(owner, part)
inner = getattr(owner, path[-1])

def touched(*args, **kwargs):
    flag.touch()
    return inner(*args, **kwargs)

setattr(owner, path[-1], touched)
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.argv[0] = "modsched"
main()
"""


def one(project: str, phase: str, into: float, limit: float) -> tuple[float, int, str]:
    """Seconds from the (last) signal to the exit, the exit code, the last stderr line."""
    folder = Path(tempfile.mkdtemp())
    flag, out = folder / "flag", folder / "out"
    run = ["schedule", project, "--out", str(out), "--time-limit", str(limit)]
    process = subprocess.Popen(
        [sys.executable, "-c", WRAPPED, str(flag), PHASES[phase], *run],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not flag.exists() and process.poll() is None:
        time.sleep(0.01)
    time.sleep(into)
    process.send_signal(signal.SIGINT)
    if phase == "search":  # the first ends the search; the second the writing
        time.sleep(into)
        process.send_signal(signal.SIGINT)
    sent = time.perf_counter()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - sent
    shutil.rmtree(folder, ignore_errors=True)
    lines = stderr.strip().splitlines()
    return seconds, process.returncode, lines[-1] if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--into", type=float, default=0.5, help="seconds into the phase")
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    print("| phase | signal to exit, s (each run) | exit | last line |")
    print("|---|---|---|---|")
    for phase in PHASES:
        runs = [one(args.project, phase, args.into, args.time_limit) for _ in range(args.repeats)]
        seconds = ", ".join(f"{s:.2f}" for s, _, _ in runs)
        codes = sorted({c for _, c, _ in runs})
        print(f"| {phase} | {seconds} | {codes} | {runs[-1][2]} |", flush=True)


if __name__ == "__main__":
    main()
