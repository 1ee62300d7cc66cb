"""Interrupting the console script (tests/data/busy.yaml is a project CP-SAT does not close
in seconds): SIGINT or SIGTERM during `schedule`, Ctrl-C during `whatif`. No test here
asserts a wall time: a signal is sent once the search has begun (not after a guessed
sleep)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
BUSY = str(DATA / "busy.yaml")
MODSCHED = str(Path(sys.executable).parent / "modsched")


# The console script's `main`, in a process that touches a file (argv[1]) when a CP-SAT
# search begins, here or in a forked worker: a test then signals at a known point of the
# run however slow the machine, not after a sleep that a loaded machine outlasts. SIGINT
# is given Python's usual handler, as in a terminal: a suite started in the background of
# a shell without job control inherits SIGINT ignored, and so would the command.
SEARCHING = """
import signal
import sys
from pathlib import Path
from ortools.sat.python import cp_model
from scheduler.cli import main

flag, solve = Path(sys.argv.pop(1)), cp_model.CpSolver.solve

def announced(self, *args, **kwargs):
    flag.touch()
    return solve(self, *args, **kwargs)

cp_model.CpSolver.solve = announced
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.argv[0] = "modsched"
main()
"""


def start_searching(flag: Path, *args: str, **popen) -> subprocess.Popen:
    """`modsched ARGS...` that touches ``flag`` when its first search begins."""
    return subprocess.Popen(
        [sys.executable, "-c", SEARCHING, str(flag), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def wait_for_search(flag: Path, process: subprocess.Popen) -> None:
    """Until ``flag`` exists; fails if the process ends first (or after 10 minutes, a
    guard against a hung run, not a bound on its speed)."""
    for _ in range(6000):
        if flag.exists():
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    raise AssertionError("no search began")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_writes_best_plan_and_exits_130(tmp_path, sig):
    """A signal once the search runs: exit 130, the best plan so far written, feasible,
    marked interrupted, and accepted by `modsched check`. The limit is far beyond any
    wait, so an interrupted plan cannot be one that ran to its limit."""
    out, flag = tmp_path / "out", tmp_path / "searching"
    process = start_searching(flag, "schedule", BUSY, "--out", str(out), "--time-limit", "3600")
    wait_for_search(flag, process)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    document = json.loads((out / "schedule.json").read_text())
    assert document["solver"]["status"] == "FEASIBLE"
    assert document["solver"]["interrupted"] is True
    checked = subprocess.run(
        [MODSCHED, "check", BUSY, str(out / "schedule.csv")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert checked.returncode == 0, checked.stderr


def test_whatif_ctrl_c_exits_130_and_writes_nothing(tmp_path):
    """Ctrl-C reaches the whole process group (the scenario workers too): every search
    stops, no further scenario starts, nothing is written. The limit is far beyond any
    wait: a run that ends at all was stopped, not run out."""
    base = tmp_path / "base"
    done = subprocess.run(
        [MODSCHED, "schedule", BUSY, "--out", str(base), "--time-limit", "3"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    scenarios = []
    for pool, count in (("cx", 1), ("elec", 1), ("rig", 0)):
        path = tmp_path / f"{pool}.yaml"
        change = f"{{pool: {pool}, count: {count}, from: 2027-02-01, until: 2027-02-15}}"
        path.write_text(
            f"name: {pool} short\nstatus_date: 2027-01-11\nchanges:\n  - crews: {change}\n"
        )
        scenarios += ["--scenario", str(path)]
    out, flag = tmp_path / "whatif", tmp_path / "searching"
    process = start_searching(
        flag,
        "whatif",
        BUSY,
        "--baseline",
        str(base / "schedule.json"),
        *scenarios,
        "--out",
        str(out),
        "--time-limit",
        "3600",
        "--processes",
        "2",
        start_new_session=True,
    )
    wait_for_search(flag, process)  # a scenario worker is searching
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 130, stderr
    assert "interrupted: no comparison written" in stderr
    assert not out.exists() or not any(out.iterdir())


# The console script's `main` with one function of the run replaced by one that touches a
# file (argv[1]) and then waits: a signal sent once the file exists reaches the run in
# that phase, however slow the machine.
PAUSED = """
import signal
import sys
import time
from importlib import import_module
from pathlib import Path
from scheduler.cli import main

flag = Path(sys.argv.pop(1))
module, name = sys.argv.pop(1).rsplit(".", 1)

def paused(*args, **kwargs):
    flag.touch()
    time.sleep(3600)

setattr(import_module(module), name, paused)
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.argv[0] = "modsched"
main()
"""


@pytest.mark.parametrize(
    ("phase", "sig"),
    [
        ("scheduler.pipeline.load_project", signal.SIGINT),
        ("scheduler.pipeline.load_project", signal.SIGTERM),
        ("scheduler.solving.rule_plans", signal.SIGTERM),
        ("scheduler.reports.page.write_gantt_html", signal.SIGINT),
        ("scheduler.reports.page.write_gantt_html", signal.SIGTERM),
    ],
)
def test_a_signal_outside_the_search_ends_the_run_and_keeps_the_folder(tmp_path, phase, sig):
    """Loading, the greedy scheme, the Gantt chart: the run ends (the phase waits an
    hour, so ending at all is the signal's doing), exit 130, and the earlier run's folder
    is as it was, with nothing left beside it."""
    out, flag = tmp_path / "out", tmp_path / "paused"
    done = subprocess.run(
        [MODSCHED, "schedule", str(DATA / "complete.yaml"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    args = ["schedule", str(DATA / "complete.yaml"), "--out", str(out), "--force"]
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSED, str(flag), phase, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_search(flag, process)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 130, stderr
    assert stderr.endswith(f"interrupted: nothing written; {out} is as it was\n")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "paused"]


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def gone(pid: int) -> bool:
    """``pid`` has ended (a zombie, waiting for its new parent to reap it, counts)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_whatif_workers_end_with_their_parent(tmp_path, baseline, sig):
    """SIGTERM to the parent alone (not the group): it ends the pool, exit 130, nothing
    written; SIGKILL, which runs no clean-up: the workers end as their parent dies."""
    scenarios = []
    for k in range(2):
        path = tmp_path / f"s{k}.yaml"
        path.write_text(f"name: s{k}\nstatus_date: 2027-01-11\nchanges: []\n")
        scenarios += ["--scenario", str(path)]
    out, flag = tmp_path / "whatif", tmp_path / "paused"
    whatif = ["whatif", str(DATA / "complete.yaml"), "--baseline", str(baseline), *scenarios]
    paused = [sys.executable, "-c", PAUSED, str(flag), "scheduler.replanning.compare.replan"]
    process = subprocess.Popen(
        [*paused, *whatif, "--out", str(out), "--processes", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_search(flag, process)  # a worker is in its (paused) replan
    workers = children(process.pid)
    assert workers
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == (130 if sig == signal.SIGTERM else -signal.SIGKILL), stderr
    for _ in range(6000):  # a guard against a hang, not a bound on speed
        if all(gone(pid) for pid in workers):
            break
        time.sleep(0.1)
    assert all(gone(pid) for pid in workers)
    assert "Traceback" not in stderr
    assert not out.exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_rules_run_in_processes_ends_them_all(tmp_path, sig):
    """three-sites (3,291 tasks) runs the greedy rules in forked processes (2 workers); a
    signal while they run (each paused in its rule): exit 130, nothing written, and no
    rule's process left."""
    out, flag = tmp_path / "out", tmp_path / "paused"
    project = str(Path(__file__).parents[1] / "projects" / "three-sites.yaml")
    paused = [sys.executable, "-c", PAUSED, str(flag), "scheduler.solvers.greedy._rule_plan"]
    process = subprocess.Popen(
        [*paused, "schedule", project, "--out", str(out), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_search(flag, process)  # a forked process is in its (paused) rule
    workers = children(process.pid)
    assert workers
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 130, stderr
    assert stderr.endswith(f"interrupted: nothing written; {out} is as it was\n")
    for _ in range(6000):  # a guard against a hang, not a bound on speed
        if all(gone(pid) for pid in workers):
            break
        time.sleep(0.1)
    assert all(gone(pid) for pid in workers)
    assert not out.exists()
