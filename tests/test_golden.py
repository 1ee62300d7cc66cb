"""Golden outputs: schedule.csv of the examples at one worker and seed 0 stays byte for
byte what it was before the one-solve-path change (issue 19). One worker stops on
CP-SAT's deterministic clock, so this holds on a busy machine too."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.io import write_csv
from scheduler.pipeline import plan_project
from scheduler.solvers.budget import SolveOptions

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize("name", ["quickstart", "three-sites"])
def test_schedule_csv_is_the_golden_one(tmp_path, name):
    outcome = plan_project(
        ROOT / "projects" / f"{name}.yaml", SolveOptions(time_limit=20, workers=1, seed=0)
    )
    write_csv(outcome.schedule, tmp_path / "schedule.csv")
    golden = ROOT / "tests" / "data" / "golden" / f"{name}.csv"
    assert (tmp_path / "schedule.csv").read_bytes() == golden.read_bytes()
