"""Interruption, atomic writes, reproducibility and the time limit (tests/data/busy.yaml
is a project CP-SAT does not close in seconds)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scheduler.io import write_atomic

DATA = Path(__file__).parent / "data"
BUSY = str(DATA / "busy.yaml")
MODSCHED = str(Path(sys.executable).parent / "modsched")


def start(out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [MODSCHED, "schedule", BUSY, "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_writes_best_plan_and_exits_130(tmp_path, sig):
    out = tmp_path / "out"
    process = start(out, "--time-limit", "120")
    time.sleep(6)  # loading, greedy and the first CP-SAT plans
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    document = json.loads((out / "schedule.json").read_text())
    assert document["solver"]["status"] == "FEASIBLE"
    assert document["solver"]["interrupted"] is True
    assert document["solver"]["seconds"] < 60
    checked = subprocess.run(
        [MODSCHED, "check", BUSY, str(out / "schedule.csv")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr


def test_same_seed_one_worker_is_byte_identical(tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        process = start(out, "--time-limit", "8", "--workers", "1", "--seed", "7")
        process.communicate(timeout=120)
        assert process.returncode == 0
        outs.append((out / "schedule.csv").read_bytes())
    assert outs[0] == outs[1]


def test_time_limit_holds(tmp_path):
    began = time.perf_counter()
    process = start(tmp_path / "out", "--time-limit", "4")
    process.communicate(timeout=120)
    assert process.returncode == 0
    document = json.loads((tmp_path / "out" / "schedule.json").read_text())
    assert document["solver"]["seconds"] <= 4.5
    assert time.perf_counter() - began < 60  # the whole command, start-up and files included


def test_atomic_write_keeps_old_file_on_crash(tmp_path):
    target = tmp_path / "schedule.csv"
    target.write_text("old plan\n")

    def crash(stream):
        stream.write("half a new pl")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, crash)
    assert target.read_text() == "old plan\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schedule.csv"]


INFEASIBLE = sorted((DATA.parent / "corpus" / "infeasible").glob("*.yaml"))


@pytest.mark.parametrize("path", INFEASIBLE, ids=[p.stem for p in INFEASIBLE])
def test_infeasible_examples_are_explained(tmp_path, path):
    """Three edits of the example projects that no plan can meet: exit 1 with the reason
    in the file's first line (`# expect: ...`)."""
    expected = path.read_text().splitlines()[0].removeprefix("# expect: ")
    done = subprocess.run(
        [MODSCHED, "schedule", str(path), "--out", str(tmp_path / "o"), "--time-limit", "60"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert expected in " ".join(done.stderr.split()), done.stderr
    assert not (tmp_path / "o").exists()


def test_whatif_ctrl_c_exits_130_and_writes_nothing(tmp_path):
    """Ctrl-C reaches the whole process group (the scenario workers too): every search
    stops, no further scenario starts, nothing is written."""
    base = tmp_path / "base"
    done = subprocess.run(
        [MODSCHED, "schedule", BUSY, "--out", str(base), "--time-limit", "3"],
        capture_output=True,
        text=True,
        timeout=120,
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
    out = tmp_path / "whatif"
    process = subprocess.Popen(
        [
            MODSCHED,
            "whatif",
            BUSY,
            "--baseline",
            str(base / "schedule.json"),
            *scenarios,
            "--out",
            str(out),
            "--time-limit",
            "120",
            "--processes",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(8)  # loading, the scenarios' greedy repairs and first CP-SAT plans
    began = time.perf_counter()
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted: no comparison written" in stderr
    assert time.perf_counter() - began < 30  # not the 120 s limit of the third scenario
    assert not out.exists() or not any(out.iterdir())
