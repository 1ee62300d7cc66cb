"""scheduler/replanning/compare.py: `modsched whatif` compares scenarios against a baseline
(comparison.csv and comparison.html)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from scheduler.cli import app

DATA = Path(__file__).parent / "data"
PROJECT = str(DATA / "complete.yaml")
runner = CliRunner()


def test_whatif_compares_scenarios(tmp_path):
    """Two scenarios in two processes against an optimal baseline: each only takes power or
    crews away after the status date, so neither can end less late than the baseline."""
    base = tmp_path / "base"
    assert runner.invoke(app, ["schedule", PROJECT, "--out", str(base)]).exit_code == 0
    assert json.loads((base / "schedule.json").read_text())["solver"]["status"] == "OPTIMAL"
    out = tmp_path / "whatif"
    scenarios = [str(DATA / "scenarios" / n) for n in ("power-slip.yaml", "crew-out.yaml")]
    result = runner.invoke(
        app,
        [
            "whatif",
            PROJECT,
            "--baseline",
            str(base / "schedule.json"),
            "--scenario",
            scenarios[0],
            "--scenario",
            scenarios[1],
            "--out",
            str(out),
            "--time-limit",
            "10",
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.scenario) == [
        "baseline",
        "s1 utility slips 4 weeks",
        "cx crew out for two weeks",
    ]
    assert list(table.status) == ["-", "OPTIMAL", "OPTIMAL"]
    assert (table.weighted_tardiness[1:] >= table.weighted_tardiness[0]).all()
    # utility at s1 from Monday 2027-03-15: s1-rfs (target Fri 02-26, weight 10) ends on
    # 03-16, 12 working days late; without cx for two weeks s2-rfs ends 3 days late
    assert list(table.weighted_tardiness) == [0, 120, 3]
    assert list(table["s1-rfs_date"]) == ["2027-02-16", "2027-03-16", "2027-02-17"]
    assert table.moved_tasks[0] == 0
    assert (out / "comparison.html").exists()
