"""The command line: exit codes, messages and the files of DESIGN.md's contracts; runs of
the console script on tests/data/busy.yaml (a project CP-SAT does not close in seconds):
reproducibility and the time limit, with no wall time asserted (benchmarks/time_limit.py
measures it)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.schedule import TASK_COLUMNS

DATA = Path(__file__).parent / "data"
PROJECT = str(DATA / "complete.yaml")
BUSY = str(DATA / "busy.yaml")
MODSCHED = str(Path(sys.executable).parent / "modsched")
runner = CliRunner()


def test_validate_ok():
    result = runner.invoke(app, ["validate", PROJECT])
    assert result.exit_code == 0, result.output
    assert "19 tasks" in result.output


def test_validate_bad_input_exit_2(tmp_path):
    shutil.copytree(DATA / "catalog", tmp_path / "catalog")
    bad = tmp_path / "p.yaml"
    bad.write_text(
        (DATA / "complete.yaml")
        .read_text()
        .replace("site: s1, module: skid", "site: s7, module: skid")
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert (
        "deployments[0].site (line 25, column 25): deployment 's1-skid' names unknown "
        "site 's7'" in result.output
    )
    assert "Traceback" not in result.output


def test_missing_file_exit_2(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "cannot read file" in result.output


def edited_project(tmp_path: Path, old: str, new: str) -> Path:
    shutil.copytree(DATA / "catalog", tmp_path / "catalog")
    text = (DATA / "complete.yaml").read_text()
    assert old in text, old
    path = tmp_path / "p.yaml"
    path.write_text(text.replace(old, new))
    return path


def test_a_catalog_that_is_a_device_exit_2(tmp_path):
    """`catalog: [catalog, /dev/zero]` read until memory ran out (issue 26, item 7)."""
    project = edited_project(tmp_path, "catalog: catalog", "catalog: [catalog, /dev/zero]")
    result = runner.invoke(app, ["validate", str(project)])
    assert result.exit_code == 2, result.output
    assert result.output == (
        "/dev/zero: a device, not a regular file; only regular files are read (DESIGN.md, Limits)\n"
    )


def test_a_lone_surrogate_in_a_name_exit_2_at_load(tmp_path):
    """`"Hall \\udc80 A"` passed validate and crashed schedule (UnicodeEncodeError) with
    gantt.html missing."""
    project = edited_project(tmp_path, "name: Complete test program", 'name: "Hall \\udc80 A"')
    out = tmp_path / "out"
    result = runner.invoke(app, ["schedule", str(project), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"{project}: program.name (line 2, column 9): holds U+DC80, a lone surrogate (from "
        "a \\u escape), not a character; text must be valid Unicode (DESIGN.md, Limits)\n"
    )
    assert not out.exists()


BIG = "  - {id: big%d, site: s1, module: skid, quantity: 1000, factory: f1}\n"


def test_too_many_tasks_exit_2_before_they_are_built(tmp_path):
    """Nine deployments of 1,000 six-task skids: 54,000 tasks, refused by the count (it
    was a MemoryError at quickstart x80, 50,880 tasks)."""
    more = "".join(BIG % k for k in range(9))
    project = edited_project(tmp_path, "milestones:\n", more + "milestones:\n")
    result = runner.invoke(app, ["validate", str(project)])
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"{project}: deployments (line 25, column 3): the deployments expand to 54,019 "
        "tasks (quantity x tasks of the module); at most 50,000 are planned (DESIGN.md, "
        "Limits)\n"
    )


def test_too_many_links_exit_2_before_they_are_built(tmp_path):
    """1,000 skids after 1,000 skids: a million links between 12,019 tasks."""
    more = BIG % 0 + BIG.replace("f1}", "f1, after: [{deployment: big0}]}") % 1
    project = edited_project(tmp_path, "milestones:\n", more + "milestones:\n")
    result = runner.invoke(app, ["validate", str(project)])
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"{project}: deployments (line 25, column 3): the deployments expand to 1,010,017 "
        "task links (a link between deployments joins every module of one to every module "
        "of the other; the largest, deployments[4].after[0], makes 1,000,000); at most "
        "500,000 are planned (DESIGN.md, Limits)\n"
    )


def test_schedule_writes_contract_files(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["schedule", PROJECT, "--out", str(out), "--time-limit", "10"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "schedule.csv")
    assert list(table.columns[: len(TASK_COLUMNS)]) == TASK_COLUMNS
    assert len(table) == 19
    # amounts in the project's units (the model counts the 1.5 MW load bank in thousandths)
    uses = table.set_index("task_id").resources
    assert uses["s2-skid/1/loadbank"] == "load-bank-mw:1.5"
    assert uses["s1-skid/1/set"] == "s1/crane:1"
    document = json.loads((out / "schedule.json").read_text())
    assert document["solver"]["status"] == "OPTIMAL"
    assert (document["solver"]["name"], document["solver"]["method"]) == ("cp-sat", "whole model")
    assert document["solver"]["objective"] == document["kpis"]["makespan_days"] == 31
    assert set(document["kpis"]["milestones"]) == {"s1-rfs", "s2-rfs"}
    assert isinstance(document["tasks"][2]["crews"], list)
    assert "plotly" in (out / "gantt.html").read_text()[:10_000_000]
    assert "s1-rfs" in result.output and "wrote" in result.output
    # the headline in words: no late day, proven the least; the finish against the CPM
    assert (document["solver"]["tardiness_bound"], document["solver"]["tardiness_gap"]) == (0, 0)
    assert document["solver"]["repeatable"] is None  # two workers: no repeat is promised
    cpm = document["kpis"]["critical_path_days"]
    assert "weighted late days 0, proven minimum 0: optimal" in result.output
    assert f"finish 31, critical path {cpm} working days" in result.output
    assert all(m["late_days_bound"] == 0 for m in document["kpis"]["milestones"].values())


def test_schedule_refuses_to_mix_runs(tmp_path):
    out = tmp_path / "out"
    assert (
        runner.invoke(app, ["schedule", PROJECT, "--out", str(out), "--solver", "greedy"]).exit_code
        == 0
    )
    before = (out / "schedule.csv").read_text()
    result = runner.invoke(app, ["schedule", PROJECT, "--out", str(out)])
    assert result.exit_code == 2
    assert "pass --force" in result.output
    assert (out / "schedule.csv").read_text() == before
    forced = runner.invoke(app, ["schedule", PROJECT, "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output


def test_out_that_cannot_be_a_folder_is_refused_before_solving(tmp_path):
    (tmp_path / "afile").write_text("keep me")
    for out, reason in [
        (tmp_path / "afile", "is a file; --out must be a folder"),
        (tmp_path / "afile" / "sub", "is not a folder"),
    ]:
        result = runner.invoke(app, ["schedule", PROJECT, "--out", str(out), "--solver", "greedy"])
        assert result.exit_code == 2, result.output
        assert reason in result.output and "Traceback" not in result.output
        assert "solver" not in result.output  # refused before any solve
    assert (tmp_path / "afile").read_text() == "keep me"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--workers", "0"),
        ("--time-limit", "0"),
        ("--workers", "65536"),  # a traceback from CP-SAT before
        ("--seed", "2147483648"),  # above CP-SAT's 32-bit seed: a traceback before
        ("--seed", "-1"),
        ("--time-limit", "1e9"),
    ],
)
def test_solver_options_out_of_range_exit_2(tmp_path, option, value):
    """--workers 0 ran one worker and recorded 0 in schedule.json, --workers 65536 and
    --seed 2147483648 ended in tracebacks; each is refused with its range, exit 2."""
    result = runner.invoke(app, ["schedule", PROJECT, "--out", str(tmp_path / "o"), option, value])
    assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.output
    assert not (tmp_path / "o").exists()


def test_infeasible_project_exit_1(tmp_path):
    shutil.copytree(DATA / "catalog", tmp_path / "catalog")
    bad = tmp_path / "p.yaml"
    bad.write_text(
        (DATA / "complete.yaml").read_text().replace("deadline: 2027-06-30", "deadline: 2027-01-20")
    )
    result = runner.invoke(app, ["schedule", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert (
        "milestone 's2-rfs' has deadline 2027-01-20 but cannot be reached before "
        "2027-01-29" in result.output
    )
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
    table = table.astype({"start_day": str})
    table.loc[table.task_id == "s1-hall/1/ist", "start_day"] = "soon"
    table.to_csv(tmp_path / "text.csv", index=False)
    line = int(table.index[table.task_id == "s1-hall/1/ist"][0]) + 2  # after the header
    text = runner.invoke(app, ["check", PROJECT, str(tmp_path / "text.csv")])
    assert text.exit_code == 2
    assert (
        f"line {line}, task 's1-hall/1/ist': start_day 'soon' is not a whole number of days"
        in text.output
    )
    table.drop(columns="crews").to_csv(tmp_path / "nocrews.csv", index=False)
    nocrews = runner.invoke(app, ["check", PROJECT, str(tmp_path / "nocrews.csv")])
    assert nocrews.exit_code == 2
    assert "cannot read schedule: no column crews" in nocrews.output


def check_edited(tmp_path: Path, edit):  # type: ignore[no-untyped-def]
    """`check` of the complete project's schedule.csv after ``edit(rows)`` (a list of
    dicts, in file order)."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["schedule", PROJECT, "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "schedule.csv", dtype=str, keep_default_na=False)
    rows = table.to_dict(orient="records")
    edit(rows)
    pd.DataFrame(rows, columns=table.columns).to_csv(tmp_path / "edited.csv", index=False)
    return runner.invoke(app, ["check", PROJECT, str(tmp_path / "edited.csv")])


def test_check_refuses_a_task_twice(tmp_path):
    """A copy of a task's row starting at day 0, ahead of the good one, was taken (the
    last row of an id held) and the plan called valid."""

    def edit(rows):
        ship = next(r for r in rows if r["task_id"] == "s1-skid/1/ship")
        rows.insert(0, {**ship, "start_day": "0"})

    result = check_edited(tmp_path, edit)
    assert result.exit_code == 1, result.output
    assert "task 's1-skid/1/ship' again (first on line 2)" in " ".join(result.output.split())


def test_check_recomputes_end_day_duration_and_dates(tmp_path):
    """check read only start_day and crews: end_day 1 and duration 1 for a longer task, or
    a start date of 2030, passed."""

    def edit(rows):
        fab = next(r for r in rows if r["task_id"] == "s1-skid/1/fabricate")
        fab["end_day"], fab["duration"], fab["start"] = "1", "1", "2030-01-01"

    result = check_edited(tmp_path, edit)
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    for column in ("duration", "end_day", "start"):
        assert f"task 's1-skid/1/fabricate': {column} " in text
    assert "start 2030-01-01 but the project makes it" in text


def test_console_script_runs(tmp_path):
    """One real subprocess run of the installed console script."""
    script = Path(sys.executable).parent / "modsched"
    done = subprocess.run(
        [
            str(script),
            "schedule",
            PROJECT,
            "--out",
            str(tmp_path / "o"),
            "--time-limit",
            "10",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o" / "schedule.csv").exists()


def test_no_plan_found_is_not_called_infeasible(capsys):
    """A search that ends without a plan proved nothing: exit 1, but not "infeasible"."""
    from scheduler.cli import fail_infeasible
    from scheduler.errors import Infeasible, NoPlanFound

    assert fail_infeasible(NoPlanFound(["no plan found within 1 s"])).exit_code == 1
    assert capsys.readouterr().err == (
        "no schedule found (none proven impossible)\n- no plan found within 1 s\n"
    )
    assert fail_infeasible(Infeasible(["power gate"])).exit_code == 1
    assert capsys.readouterr().err == (
        "infeasible: no schedule meets every constraint\n- power gate\n"
    )


def test_a_plan_the_validator_rejects_is_never_written(tmp_path, monkeypatch):
    """Should the search ever hand on a plan that breaks a rule (a bug), the command says
    so without a traceback, exits 1 and writes nothing."""
    from scheduler import pipeline
    from scheduler.errors import ScheduleInvalid
    from scheduler.validate import Violation

    def reject(instance, solution):
        raise ScheduleInvalid([Violation("crew-overlap", "t", 3, "crew c#1 on two tasks")])

    monkeypatch.setattr(pipeline, "assert_valid", reject)
    out = tmp_path / "out"
    result = runner.invoke(app, ["schedule", PROJECT, "--out", str(out)])
    assert result.exit_code == 1
    assert "internal error: the plan found breaks rules" in result.output
    assert "crew-overlap: crew c#1 on two tasks" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()


def test_task_column_is_the_catalog_id_and_task_name_its_name(tmp_path):
    """A catalog task with a display name keeps its id in `task` (as task_id ends) and
    shows the name in `task_name`."""
    shutil.copytree(DATA / "catalog", tmp_path / "catalog")
    catalog = tmp_path / "catalog" / "skid.yaml"
    named = catalog.read_text().replace(
        "{id: hookup, duration: 3,", "{id: hookup, name: Hook-up, duration: 3,"
    )
    catalog.write_text(named)
    shutil.copy(DATA / "complete.yaml", tmp_path / "p.yaml")
    out = tmp_path / "out"
    result = runner.invoke(app, ["schedule", str(tmp_path / "p.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "schedule.csv").set_index("task_id")
    assert table.loc["s1-skid/1/hookup", ["task", "task_name"]].tolist() == ["hookup", "Hook-up"]
    assert table.loc["s1-skid/1/set", ["task", "task_name"]].tolist() == ["set", "set"]


def test_user_text_with_brackets_is_printed_as_it_is(tmp_path):
    """Rich markup in user text (a program name, an --out folder) is data: the run ends
    with exit 0, the files written, the name printed as written (it ended in MarkupError
    after the files were written, and "[draft]" vanished)."""
    shutil.copytree(DATA / "catalog", tmp_path / "catalog")
    name = "Plan [draft] v2 [/phase 2]"
    project = (DATA / "complete.yaml").read_text().replace("Complete test program", name)
    (tmp_path / "p.yaml").write_text(project)
    out = tmp_path / "run[/2]"
    result = runner.invoke(app, ["schedule", str(tmp_path / "p.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{name}: milestones" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["gantt.html", "schedule.csv", "schedule.json"]


def start(out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [MODSCHED, "schedule", BUSY, "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_same_seed_one_worker_is_byte_identical(tmp_path):
    """One worker and a seed: the same schedule.csv twice, where each run says it ended on
    its deterministic limits (`repeatable`; a quiet machine does their work in about a
    quarter of the limit). A run the clock ended promises nothing, and is only allowed
    where it used more than half the limit (a machine too busy): the check is skipped."""
    outs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        process = start(out, "--time-limit", "4", "--workers", "1", "--seed", "7")
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr
        outs.append((out / "schedule.csv").read_bytes())
        solver = json.loads((out / "schedule.json").read_text())["solver"]
        if not solver["repeatable"]:
            assert solver["seconds"] > 2.0, "not repeatable, yet done in half the limit"
            pytest.skip("the 4 s limit ended the deterministic work (machine busy)")
    assert outs[0] == outs[1]


def test_a_short_time_limit_ends_with_a_checked_plan(tmp_path):
    """A limit far below what busy.yaml needs for a proof: the search ends on its own (not
    interrupted) with a feasible plan that `modsched check` accepts, whatever the plan CP-SAT
    reached by then (the greedy warm start at worst). The seconds it takes against the
    limit are measured by benchmarks/time_limit.py, not asserted."""
    process = start(tmp_path / "out", "--time-limit", "1")
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    document = json.loads((tmp_path / "out" / "schedule.json").read_text())
    assert document["solver"]["status"] == "FEASIBLE"
    assert document["solver"]["interrupted"] is False
    checked = subprocess.run(
        [MODSCHED, "check", BUSY, str(tmp_path / "out" / "schedule.csv")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert checked.returncode == 0, checked.stderr


def test_the_time_limit_counts_the_imports(tmp_path):
    """The console script counts `--time-limit` from when it began to import the package
    (`scheduler.IMPORTED_AT`), imports included: a process that sleeps 1 s after that and
    before `main` reports a run of at least 1 s (`solver.seconds`), however fast the solve."""
    out = tmp_path / "out"
    code = "import time, scheduler; time.sleep(1); from scheduler.cli import main; main()"
    command = [sys.executable, "-c", code, "schedule", PROJECT, "--out", str(out)]
    done = subprocess.run([*command, "--time-limit", "30"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "schedule.json").read_text())["solver"]["seconds"] >= 1.0


def test_a_shell_that_execs_the_command_does_not_count_its_own_wait(tmp_path):
    """`bash -c "sleep 3; exec modsched ..."` runs the command in the shell's process, born
    before the wait: the limit counts from the command, not from the process's birth, so
    the run reports no more than the time from the end of the wait to its own end."""
    out, mark = tmp_path / "out", tmp_path / "t0"
    script = (
        f"sleep 3; date +%s.%N > {mark}; "
        f"exec {MODSCHED} schedule {PROJECT} --out {out} --time-limit 30"
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    since_wait = time.time() - float(mark.read_text())
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "schedule.json").read_text())["solver"]["seconds"] <= since_wait


@pytest.mark.parametrize(("age", "called"), [(3600.0, False), (25.0, True)])
def test_a_process_that_did_other_work_first_counts_its_limit_from_main(
    tmp_path, monkeypatch, age, called
):
    """`main` counts the limit from the package's import only when that was recent (under
    `STARTUP_SECONDS`) and only at its first call: a service that imported it an hour ago,
    or a second command in one process, counts from the call (its run reports far less
    than the age), and nothing of it stays for commands called another way afterwards."""
    from scheduler import cli

    out = tmp_path / "out"
    monkeypatch.setattr(cli, "IMPORTED_AT", time.perf_counter() - age)
    monkeypatch.setattr(cli, "_MAIN_CALLED", called)
    command = ["modsched", "schedule", PROJECT, "--out", str(out), "--time-limit", "30"]
    monkeypatch.setattr(sys, "argv", command)
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code in (0, None)
    assert json.loads((out / "schedule.json").read_text())["solver"]["seconds"] < age
    assert cli.STARTED is None
