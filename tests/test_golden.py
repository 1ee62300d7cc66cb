"""Golden outputs: schedule.csv of the examples at one worker and seed 0 stays byte for
byte what it was when the file was made. One worker stops on deterministic limits sized
so that a quiet machine ends three-sites at a 40 s limit in 13-14 s: a machine up to
about three times as slow repeats the plan too. A run that the clock ended says so
(`repeatable` False) and then promises no plan: the comparison is skipped, with the
reason, rather than failed on a machine too busy for the limit; but a run that says so
within half its limit is a fault of its own (the deterministic work no longer fits, or
a stage marks the run wrongly), and fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.io import write_csv
from scheduler.pipeline import plan_project
from scheduler.solvers.budget import SolveOptions
from scheduler.validate import validate

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize(("name", "limit"), [("quickstart", 20), ("three-sites", 40)])
def test_schedule_csv_is_the_golden_one(tmp_path, name, limit):
    outcome = plan_project(
        ROOT / "projects" / f"{name}.yaml", SolveOptions(time_limit=limit, workers=1, seed=0)
    )
    assert validate(outcome.instance, outcome.result.solution) == []
    if not outcome.result.repeatable:
        assert outcome.result.seconds > limit / 2, "not repeatable, yet done in half the limit"
        pytest.skip(f"{name}: the {limit} s limit ended the deterministic work (machine busy)")
    write_csv(outcome.schedule, tmp_path / "schedule.csv")
    golden = ROOT / "tests" / "data" / "golden" / f"{name}.csv"
    assert (tmp_path / "schedule.csv").read_bytes() == golden.read_bytes()
