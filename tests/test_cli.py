"""The command line: exit codes, messages and the files of DESIGN.md's contracts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.schedule import TASK_COLUMNS

DATA = Path(__file__).parent / "data"
PROJECT = str(DATA / "complete.yaml")
runner = CliRunner()


def test_validate_ok():
    result = runner.invoke(app, ["validate", PROJECT])
    assert result.exit_code == 0, result.output
    assert "19 tasks" in result.output


def test_validate_bad_input_exit_2(tmp_path):
    shutil.copytree(DATA / "catalog", tmp_path / "catalog")
    bad = tmp_path / "p.yaml"
    bad.write_text((DATA / "complete.yaml").read_text().replace("site: s1, module: skid",
                                                                "site: s7, module: skid"))
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "deployments[0].site (line 25, column 25): deployment 's1-skid' names unknown " \
           "site 's7'" in result.output  # fmt: skip
    assert "Traceback" not in result.output


def test_missing_file_exit_2(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "cannot read file" in result.output


def test_schedule_writes_contract_files(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["schedule", PROJECT, "--out", str(out), "--time-limit", "10"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "schedule.csv")
    assert list(table.columns[: len(TASK_COLUMNS)]) == TASK_COLUMNS
    assert len(table) == 19
    document = json.loads((out / "schedule.json").read_text())
    assert document["solver"]["status"] == "OPTIMAL"
    assert document["solver"]["objective"] == document["kpis"]["makespan_days"] == 31
    assert set(document["kpis"]["milestones"]) == {"s1-rfs", "s2-rfs"}
    assert isinstance(document["tasks"][2]["crews"], list)
    assert "plotly" in (out / "gantt.html").read_text()[:10_000_000]
    assert "s1-rfs" in result.output and "wrote" in result.output


def test_schedule_refuses_to_mix_runs(tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(app, ["schedule", PROJECT, "--out", str(out), "--solver", "greedy"]
                         ).exit_code == 0  # fmt: skip
    before = (out / "schedule.csv").read_text()
    result = runner.invoke(app, ["schedule", PROJECT, "--out", str(out)])
    assert result.exit_code == 2
    assert "pass --force" in result.output
    assert (out / "schedule.csv").read_text() == before
    forced = runner.invoke(app, ["schedule", PROJECT, "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output


def test_infeasible_project_exit_1(tmp_path):
    shutil.copytree(DATA / "catalog", tmp_path / "catalog")
    bad = tmp_path / "p.yaml"
    bad.write_text((DATA / "complete.yaml").read_text().replace("deadline: 2027-06-30",
                                                                "deadline: 2027-01-20"))
    result = runner.invoke(app, ["schedule", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "milestone 's2-rfs' has deadline 2027-01-20 but cannot be reached before " \
           "2027-01-29" in result.output  # fmt: skip
    assert not (tmp_path / "o").exists()


def test_check_accepts_and_rejects(tmp_path):
    out = tmp_path / "out"
    runner.invoke(app, ["schedule", PROJECT, "--out", str(out), "--time-limit", "10"])
    ok = runner.invoke(app, ["check", PROJECT, str(out / "schedule.csv")])
    assert ok.exit_code == 0, ok.output
    table = pd.read_csv(out / "schedule.csv", keep_default_na=False)
    table.loc[table.task_id == "s1-hall/1/ist", "start_day"] = 5
    table.to_csv(tmp_path / "bad.csv", index=False)
    bad = runner.invoke(app, ["check", PROJECT, str(tmp_path / "bad.csv")])
    assert bad.exit_code == 1
    assert "s1-hall/1/ist" in bad.output


def test_console_script_runs(tmp_path):
    """One real subprocess run of the installed console script."""
    script = Path(sys.executable).parent / "modsched"
    done = subprocess.run([str(script), "schedule", PROJECT, "--out", str(tmp_path / "o"),
                           "--time-limit", "10", "--workers", "1"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o" / "schedule.csv").exists()
