"""The output folder: all of one run or all of the previous one (scheduler/output.py), and
the commands that write into it (issue 26, item 3)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.errors import Interrupted
from scheduler.output import OutputError, OutputFolder

DATA = Path(__file__).parent / "data"
PROJECT = str(DATA / "complete.yaml")
runner = CliRunner()
GREEDY = ["--solver", "greedy"]


def schedule(out: Path, *extra: str) -> object:
    return runner.invoke(app, ["schedule", PROJECT, "--out", str(out), *GREEDY, *extra])


def write_files(names: dict[str, str]):
    def write(folder: Path) -> list[Path]:
        for name, text in names.items():
            (folder / name).write_text(text)
        return [folder / name for name in names]

    return write


def test_commit_replaces_the_whole_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "changes.csv").write_text("old replan")
    (out / "schedule.csv").write_text("old")
    os.chmod(out, 0o750)
    with OutputFolder(out, force=True) as folder:
        paths = folder.commit(write_files({"schedule.csv": "new"}))
    assert paths == [out.absolute() / "schedule.csv"]
    assert sorted(p.name for p in out.iterdir()) == ["schedule.csv"]
    assert (out / "schedule.csv").read_text() == "new"
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no lock, no leftovers


def test_a_write_interrupted_leaves_the_previous_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "schedule.csv").write_text("old")

    def write(folder: Path) -> list[Path]:
        (folder / "schedule.csv").write_text("new")
        raise Interrupted(2)

    with pytest.raises(Interrupted), OutputFolder(out, force=True) as folder:
        folder.commit(write)
    assert [p.name for p in out.iterdir()] == ["schedule.csv"]
    assert (out / "schedule.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_second_run_into_a_folder_in_use_is_refused(tmp_path):
    out = tmp_path / "out"
    with OutputFolder(out):
        result = schedule(out)
        assert result.exit_code == 2
        assert result.output == (
            f"{out}: another modsched run is writing this folder; wait for it or choose "
            "another --out\n"
        )
    assert schedule(out).exit_code == 0  # the lock goes with the run


def test_leftovers_of_a_killed_run_are_cleared(tmp_path):
    out = tmp_path / "out"
    (tmp_path / ".out.k1ll3d.partial").mkdir()
    (tmp_path / ".out.k1ll3d.partial" / "schedule.json").write_text("{half")
    (tmp_path / ".out.modsched-lock").write_text("")  # a lock file no process holds
    assert schedule(out).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_force_removes_files_of_another_command(tmp_path):
    """`schedule --force` into an old replan folder: the stale changes.csv goes."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "changes.csv").write_text("task_id\n")
    (out / "schedule.csv").write_text("old")
    assert schedule(out, "--force").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["gantt.html", "schedule.csv", "schedule.json"]


@pytest.mark.parametrize("name", ["changes.csv", "comparison.csv", "gantt.html"])
def test_any_earlier_output_needs_force(tmp_path, name):
    out = tmp_path / "out"
    out.mkdir()
    (out / name).write_text("earlier")
    result = schedule(out)
    assert result.exit_code == 2
    assert result.output == (
        f"{out}: already holds {name}; choose another --out or pass --force to replace them\n"
    )
    assert (out / name).read_text() == "earlier"


def test_a_folder_with_other_files_is_never_replaced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "schedule.csv").write_text("old")
    result = schedule(out, "--force")
    assert result.exit_code == 2
    assert result.output == (
        f"{out}: holds files modsched does not write (notes.txt); a run replaces its "
        "--out whole, so choose an empty or new folder\n"
    )
    assert (out / "notes.txt").read_text() == "mine"


def test_a_subfolder_is_ours_only_when_it_holds_only_our_files(tmp_path):
    """A what-if writes DIR/<scenario>/: such a folder is replaced with --force; one that
    also holds something else is never."""
    out = tmp_path / "out"
    (out / "slip").mkdir(parents=True)
    (out / "slip" / "schedule.csv").write_text("old")
    assert schedule(out, "--force").exit_code == 0
    assert not (out / "slip").exists()
    (out / "mine").mkdir()
    (out / "mine" / "notes.txt").write_text("mine")
    result = schedule(out, "--force")
    assert result.exit_code == 2
    assert "holds files modsched does not write (mine)" in result.output
    assert (out / "mine" / "notes.txt").read_text() == "mine"


def test_a_dangling_symlink_out_is_refused_before_solving(tmp_path):
    out = tmp_path / "link"
    out.symlink_to(tmp_path / "gone")
    result = schedule(out)
    assert result.exit_code == 2
    assert result.output == f"{out}: is a symlink to {tmp_path / 'gone'}, which does not exist\n"


def test_a_symlink_to_a_folder_writes_into_the_folder(tmp_path):
    (tmp_path / "real").mkdir()
    out = tmp_path / "link"
    out.symlink_to(tmp_path / "real")
    assert schedule(out).exit_code == 0
    assert out.is_symlink()
    assert (tmp_path / "real" / "schedule.json").exists()


def test_the_current_folder_is_not_an_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match=r"^\.: is the current folder or above it"):
        OutputFolder(Path(".")).reserve()


def test_replan_refuses_a_lone_changes_csv_without_force(tmp_path, baseline):
    out = tmp_path / "out"
    out.mkdir()
    (out / "changes.csv").write_text("earlier")
    args = ["replan", PROJECT, "--baseline", str(baseline), "--out", str(out)]
    result = runner.invoke(app, [*args, "--status-date", "2027-01-11", "--time-limit", "5"])
    assert result.exit_code == 2
    assert "already holds changes.csv" in result.output
    assert (out / "changes.csv").read_text() == "earlier"


def test_whatif_refuses_an_earlier_comparison_without_force(tmp_path, baseline):
    out = tmp_path / "out"
    out.mkdir()
    (out / "comparison.csv").write_text("earlier")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: none\nstatus_date: 2027-01-11\nchanges: []\n")
    args = ["whatif", PROJECT, "--baseline", str(baseline), "--scenario", str(scenario)]
    result = runner.invoke(app, [*args, "--out", str(out), "--processes", "1"])
    assert result.exit_code == 2
    assert "already holds comparison.csv" in result.output
    forced = runner.invoke(app, [*args, "--out", str(out), "--processes", "1", "--force"])
    assert forced.exit_code == 0, forced.output
    # the comparison and the scenario's own folder (named after its file, s.yaml)
    assert sorted(p.name for p in out.iterdir()) == ["comparison.csv", "comparison.html", "s"]
