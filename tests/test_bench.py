"""Tests of `modsched bench` (scheduler/bench.py) on a few published instances.

Known optima, from the shared bounds tables: PSPLIB j301_1 has makespan 43 (closed,
lb = ub = 43, critical path 38); the MSPSP instance below has makespan MSPSP_OPT (Chuffed
proved it, optimal = 1). Timings are reported in the CSV, never asserted.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from scheduler.bench import COLUMNS, Kind, collect_files, deviation_figure, run_bench, summarise
from scheduler.cli import app
from scheduler.errors import BenchInputError
from scheduler.importers import benchmarks_dir, best_known
from scheduler.solvers.budget import SolveOptions

DATA = benchmarks_dir()
J301_1 = DATA / "psplib" / "j30" / "j301_1.sm"
J301_2 = DATA / "psplib" / "j30" / "j301_2.sm"
MSPSP = DATA / "mspsp" / "set-1a" / "inst_set1a_sf0.5_nc1.5_n20_m15_00.dzn"
MSPSP_OPT = 46  # bounds.csv: optimal = 1, lb = ub = 46

pytestmark = pytest.mark.skipif(not J301_1.exists(), reason="shared benchmark data absent")
runner = CliRunner()


def bench(*args: str) -> object:
    return runner.invoke(app, ["bench", *args])


def test_psplib_optima_via_cli(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    result = bench("psplib", str(J301_1), str(J301_2), "--time-limit", "20", "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns[:5]) == ["instance", "status", "makespan", "bound", "best_known"]
    assert list(table.columns) == COLUMNS
    known = best_known("j30")
    for row in table.itertuples():
        assert row.status == "OPTIMAL"
        assert row.makespan == row.bound == known[row.instance]["ub"]
        assert row.violations == 0 and row.greedy_violations == 0
        assert row.greedy_makespan >= row.makespan
    first = table.set_index("instance").loc["j301_1"]
    assert (first.makespan, first.cpm, first.best_known) == (43, 38, 43)
    assert first.dev_best_known_pct == 0.0
    assert first.dev_cpm_pct == pytest.approx(100 * 5 / 38, abs=1e-3)
    assert out.with_suffix(".html").exists()
    assert "benchmark summary" in result.output


def test_mspsp_optimum_via_cli(tmp_path: Path) -> None:
    assert best_known("set-1a")[MSPSP.stem]["ub"] == MSPSP_OPT
    out = tmp_path / "m.csv"
    result = bench("mspsp", str(MSPSP), "--time-limit", "30", "--out", str(out))
    assert result.exit_code == 0, result.output
    row = pd.read_csv(out).iloc[0]
    assert (row.instance, row.status, row.makespan) == (MSPSP.stem, "OPTIMAL", MSPSP_OPT)
    assert row.best_known == MSPSP_OPT and row.set == "set-1a" and row.violations == 0


def test_folder_expands_to_sorted_files(tmp_path: Path) -> None:
    for name in ("j301_10.sm", "j301_2.sm", "j301_1.sm"):
        shutil.copy(J301_1, tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an instance")
    files = collect_files(Kind.PSPLIB, [tmp_path, tmp_path / "j301_1.sm"])
    assert [f.name for f in files] == ["j301_1.sm", "j301_2.sm", "j301_10.sm"]


def test_run_bench_without_greedy(tmp_path: Path) -> None:
    table = run_bench("psplib", [J301_1], SolveOptions(time_limit=20, workers=2), greedy=False)
    row = table.iloc[0]
    assert (row.status, row.makespan, row.violations) == ("OPTIMAL", 43, 0)
    assert pd.isna(row.greedy_makespan) and pd.isna(row.greedy_ratio)


def test_bad_file_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.sm"
    bad.write_text("\n".join(J301_1.read_text().splitlines()[:20]))
    result = bench("psplib", str(J301_1), str(bad), "--out", str(tmp_path / "r.csv"))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("broken.sm:"), result.output
    assert not (tmp_path / "r.csv").exists()  # nothing solved before the files were checked


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["psplib", "missing.sm"], "no such file or folder"),
        (["psplib", str(MSPSP)], "must end in .sm"),
        (["mspsp", str(J301_1)], "must end in .dzn"),
    ],
)
def test_bad_paths_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = bench(*args, "--out", str(tmp_path / "r.csv"))
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BenchInputError, match=r"holds no \.dzn file"):
        collect_files(Kind.MSPSP, [tmp_path])


def test_summary_and_figure_from_a_hand_made_table() -> None:
    rows = [
        {
            "set": "j30",
            "makespan": 43,
            "optimal": True,
            "equal_best_known": True,
            "dev_best_known_pct": 0.0,
            "dev_cpm_pct": 13.0,
            "time_to_proof": 0.5,
            "greedy_ratio": 1.1,
            "violations": 0,
            "greedy_violations": 0,
        },
        {
            "set": "j60",
            "makespan": 110,
            "optimal": False,
            "equal_best_known": False,
            "dev_best_known_pct": 10.0,
            "dev_cpm_pct": 30.0,
            "time_to_proof": None,
            "greedy_ratio": 1.3,
            "violations": 0,
            "greedy_violations": 0,
        },
    ]
    summary = summarise(pd.DataFrame(rows)).set_index("set")
    assert list(summary.index) == ["j30", "j60", "all"]
    assert summary.loc["all", "proven_optimal"] == 1
    assert summary.loc["all", "mean_dev_best_known_pct"] == 5.0
    assert summary.loc["all", "max_dev_best_known_pct"] == 10.0
    assert summary.loc["all", "invalid"] == 0
    figure = deviation_figure(pd.DataFrame(rows))
    names = [trace.name for trace in figure.data]
    assert names[:2] == ["j30 vs best known", "j30 vs critical path"]


def test_console_script_runs(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    script = Path(sys.executable).with_name("modsched")
    command = [str(script), "bench", "psplib", str(J301_1), "--no-greedy", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(out).loc[0, "makespan"] == 43
