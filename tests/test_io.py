"""scheduler/io.py: schedule.csv and schedule.json read back into the typed rows written,
the messages a bad file gets, and the atomic write."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from scheduler.io import (
    ScheduleFileError,
    read_plan_csv,
    read_schedule_csv,
    read_schedule_json,
    write_atomic,
    write_csv,
    write_json,
)
from scheduler.pipeline import plan_project
from scheduler.replanning.replan import replan
from scheduler.schedule import BASELINE_COLUMNS, EXPLAIN_COLUMNS, Schedule
from scheduler.solvers.cpsat import SolveOptions

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
OPTIONS = SolveOptions(time_limit=20, workers=1, seed=0)


@pytest.fixture(scope="module")
def quickstart() -> Schedule:
    return plan_project(ROOT / "projects" / "quickstart.yaml", OPTIONS).schedule


@pytest.fixture(scope="module")
def replanned(tmp_path_factory) -> Schedule:
    base = plan_project(DATA / "complete.yaml", OPTIONS).schedule
    path = tmp_path_factory.mktemp("base") / "schedule.json"
    write_json(base, path)
    scenario = DATA / "scenarios" / "power-slip.yaml"
    return replan(DATA / "complete.yaml", path, scenario=scenario, options=OPTIONS).schedule


def round_trip(schedule: Schedule, folder: Path) -> None:
    write_csv(schedule, folder / "schedule.csv")
    write_json(schedule, folder / "schedule.json")
    assert read_schedule_csv(folder / "schedule.csv") == schedule.tasks
    saved = read_schedule_json(folder / "schedule.json")
    assert saved.tasks == schedule.tasks
    assert saved.solver == schedule.solver
    assert saved.kpis == schedule.kpis
    assert (saved.project, saved.program_start) == (schedule.project, schedule.program_start)
    planned = read_plan_csv(folder / "schedule.csv")
    assert [(p.task_id, p.start_day, p.crews) for p in planned] == [
        (t.task_id, t.start_day, t.crews) for t in schedule.tasks
    ]
    assert [p.line for p in planned] == list(range(2, len(schedule.tasks) + 2))


def test_quickstart_round_trip(quickstart, tmp_path):
    assert any(t.crews for t in quickstart.tasks) and any(t.resources for t in quickstart.tasks)
    assert quickstart.kpis.moved_tasks is None
    assert quickstart.solver.repeatable is True  # one worker, ended on its own limits
    round_trip(quickstart, tmp_path)
    header = (tmp_path / "schedule.csv").read_text().splitlines()[0]
    assert not header.endswith("baseline_end_day")  # status columns only in a replan


def test_replan_round_trip(replanned, tmp_path):
    statuses = {t.status for t in replanned.tasks}
    assert {"done", "planned"} <= statuses
    assert replanned.kpis.status_date is not None and replanned.kpis.moved_tasks is not None
    round_trip(replanned, tmp_path)
    header = (tmp_path / "schedule.csv").read_text().splitlines()[0]
    # the status columns stay where they were; the explanation's and the baseline dates follow
    later = ",".join(EXPLAIN_COLUMNS + BASELINE_COLUMNS)
    assert header.endswith(f",status,baseline_start_day,baseline_end_day,{later}")
    document = json.loads((tmp_path / "schedule.json").read_text())
    assert list(document["kpis"])[-5:] == [
        "moved_tasks",
        "crew_changes",
        "status_date",
        "baseline_finish",
        "finish_variance_days",
    ]
    assert all("variance_days" in m for m in document["kpis"]["milestones"].values())


FORMULAS = [
    '=HYPERLINK("http://evil.example/?x","click")',
    "+1+2",
    "-2+3",
    "@SUM(A1)",
    "\tx",
    "'=already quoted",
]


def test_text_that_a_spreadsheet_would_run_is_written_as_text(quickstart, tmp_path):
    """OWASP's rule for CSV: a text cell starting with = + - @, tab or CR gets a leading
    ' (and so does one starting with ' so that reading strips exactly one); reading the
    file back gives the text as it was. A lone "-" stays as it is."""
    names = [*FORMULAS, "-"]
    tasks = list(quickstart.tasks)
    for k, name in enumerate(names):
        tasks[k] = replace(tasks[k], task_name=name, module_type=name)
    schedule = replace(quickstart, tasks=tuple(tasks))
    write_csv(schedule, tmp_path / "schedule.csv")
    import csv

    with open(tmp_path / "schedule.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    written = [rows[k]["task_name"] for k in range(len(names))]
    assert written == ["'" + n for n in FORMULAS] + ["-"]
    assert [rows[k]["module_type"] for k in range(len(names))] == written
    assert read_schedule_csv(tmp_path / "schedule.csv") == schedule.tasks


def test_csv_keeps_the_contract_text(quickstart, tmp_path):
    """crews ';'-joined, dates ISO, skills 'skill:n;...', resources with %g amounts."""
    write_csv(quickstart, tmp_path / "schedule.csv")
    lines = (tmp_path / "schedule.csv").read_text().splitlines()
    task = next(t for t in quickstart.tasks if len(t.crews) > 1)
    line = next(x for x in lines if x.startswith(task.task_id + ","))
    fields = line.split(",")
    assert fields[8:10] == [task.start.isoformat(), task.finish.isoformat()]
    assert fields[11] == ";".join(task.crews)


def bad_csv(tmp_path: Path, quickstart: Schedule, column: str, value: str) -> Path:
    write_csv(quickstart, tmp_path / "schedule.csv")
    lines = (tmp_path / "schedule.csv").read_text().splitlines()
    header = lines[0].split(",")
    fields = lines[3].split(",")  # the third task: line 4 of the file
    fields[header.index(column)] = value
    lines[3] = ",".join(fields)
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("column", "value", "what"),
    [
        ("start_day", "soon", "start_day 'soon' is not a whole number of days"),
        ("start_day", "²", "start_day '²' is not a whole number of days"),
        ("start_day", "--3", "start_day '--3' is not a whole number of days"),
        ("start_day", "1e400", "start_day '1e400' is not a whole number of days"),
        ("end_day", "1.5", "end_day '1.5' is not a whole number of days"),
        ("finish", "2027-13-01", "finish '2027-13-01' is not a date (YYYY-MM-DD)"),
        ("power_mw", "lots", "power_mw 'lots' is not a number"),
        ("skills", "rigging", "skills 'rigging' is not 'id:amount;...'"),
    ],
)
def test_bad_csv_names_the_line_task_and_column(quickstart, tmp_path, column, value, what):
    path = bad_csv(tmp_path, quickstart, column, value)
    task = quickstart.tasks[2].task_id
    with pytest.raises(ScheduleFileError) as error:
        read_schedule_csv(path)
    assert str(error.value) == f"{path}: line 4, task '{task}': {what}"
    if column in ("start_day", "end_day", "duration", "start", "finish"):
        with pytest.raises(ScheduleFileError) as error:
            read_plan_csv(path)
        assert str(error.value) == f"{path}: line 4, task '{task}': {what}"
    else:
        read_plan_csv(path)  # check reads the days and dates, not power or skills


def test_csv_without_a_column_or_unreadable(quickstart, tmp_path):
    write_csv(quickstart, tmp_path / "schedule.csv")
    lines = (tmp_path / "schedule.csv").read_text().splitlines()
    path = tmp_path / "nocrews.csv"
    path.write_text("\n".join(",".join(x.split(",")[:11]) for x in lines) + "\n")
    with pytest.raises(ScheduleFileError) as error:
        read_schedule_csv(path)
    assert str(error.value) == f"{path}: cannot read schedule: no column crews, power_mw"
    with pytest.raises(ScheduleFileError) as error:
        read_plan_csv(path)
    assert str(error.value) == f"{path}: cannot read schedule: no column crews"
    missing = tmp_path / "none.csv"
    with pytest.raises(ScheduleFileError) as error:
        read_schedule_csv(missing)
    assert str(error.value).startswith(f"{missing}: cannot read schedule: [Errno 2]")
    # saved by a spreadsheet as "Unicode text" (UTF-16), or with ';' between columns
    utf16 = tmp_path / "utf16.csv"
    utf16.write_text("\n".join(lines) + "\n", encoding="utf-16")
    with pytest.raises(ScheduleFileError) as error:
        read_plan_csv(utf16)
    assert str(error.value) == (
        f"{utf16}: cannot read schedule: byte 0 is not UTF-8 text (save it as CSV, UTF-8; "
        "a UTF-16 'Unicode text' file is not read)"
    )
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_text("\n".join(line.replace(",", ";") for line in lines) + "\n")
    with pytest.raises(ScheduleFileError) as error:
        read_plan_csv(semicolons)
    assert str(error.value) == (
        f"{semicolons}: cannot read schedule: no column task_id, start_day, crews (its "
        "columns are separated by ';': save it as CSV with commas)"
    )


def test_crews_with_spaces_around_them_are_read_as_the_crews(quickstart, tmp_path):
    """' cx#1 ; rig#1' names the crews cx#1 and rig#1, as ' 5' is the start day 5."""
    write_csv(quickstart, tmp_path / "schedule.csv")
    table = pd.read_csv(tmp_path / "schedule.csv", dtype=str, keep_default_na=False)
    crewed = next(k for k, c in enumerate(table.crews) if c)
    spaced = " " + " ; ".join(table.crews[crewed].split(";")) + " "
    table.loc[crewed, "crews"] = spaced
    table.to_csv(tmp_path / "spaced.csv", index=False)
    plan = read_plan_csv(tmp_path / "spaced.csv")
    assert ";".join(plan[crewed].crews) == table.crews[crewed].replace(" ", "")


def test_bad_json_names_the_task_and_key(quickstart, tmp_path):
    path = tmp_path / "schedule.json"
    write_json(quickstart, path)
    document = json.loads(path.read_text())
    task = document["tasks"][1]["task_id"]

    def broken(change) -> str:
        bad = json.loads(json.dumps(document))
        change(bad)
        path.write_text(json.dumps(bad))
        with pytest.raises(ScheduleFileError) as error:
            read_schedule_json(path)
        return str(error.value)

    def start_text(d):
        d["tasks"][1]["start_day"] = "3"

    def start_fraction(d):
        d["tasks"][1]["start_day"] = 13.9

    def crews_text(d):
        d["tasks"][1]["crews"] = 7

    def no_finish(d):
        del d["tasks"][1]["finish"]

    def no_tasks(d):
        del d["tasks"]

    def bad_finish(d):
        d["kpis"]["finish"] = "soon"

    assert (
        broken(start_text)
        == f"{path}: task 1 ('{task}'): start_day '3' is not a whole number of days"
    )
    assert broken(start_fraction) == (
        f"{path}: task 1 ('{task}'): start_day 13.9 is not a whole number of days"
    )
    assert broken(crews_text) == f"{path}: task 1 ('{task}'): crews 7 is not a list of crew ids"
    assert broken(no_finish) == f"{path}: task 1: no key finish"
    assert broken(no_tasks) == f"{path}: cannot read schedule: no key tasks"
    assert broken(bad_finish) == f"{path}: kpis: finish 'soon' is not a date (YYYY-MM-DD)"
    path.write_text("{not json")
    with pytest.raises(ScheduleFileError) as error:
        read_schedule_json(path)
    assert str(error.value).startswith(f"{path}: cannot read schedule: Expecting property name")


def test_older_schedules_without_the_extra_columns_read(quickstart, tmp_path):
    """Extra columns are not the contract's: a schedule without them still reads."""
    path = tmp_path / "schedule.json"
    write_json(quickstart, path)
    document = json.loads(path.read_text())
    for task in document["tasks"]:
        del task["task_name"], task["resources"]
    path.write_text(json.dumps(document))
    saved = read_schedule_json(path)
    assert saved.tasks == tuple(
        replace(t, task_name=t.task, resources=()) for t in quickstart.tasks
    )


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


def test_schedule_files_must_be_regular_and_bounded(tmp_path, monkeypatch):
    """`check /dev/zero` read until memory ran out (issue 26, item 7)."""
    with pytest.raises(ScheduleFileError) as error:
        read_plan_csv(Path("/dev/zero"))
    assert str(error.value) == (
        "/dev/zero: cannot read schedule: a device, not a regular file; only regular "
        "files are read (DESIGN.md, Limits)"
    )
    monkeypatch.setattr("scheduler.io.MAX_SCHEDULE_BYTES", 10)
    big = tmp_path / "schedule.json"
    big.write_text("{}" * 6)
    with pytest.raises(ScheduleFileError) as error:
        read_schedule_json(big)
    assert str(error.value) == (
        f"{big}: cannot read schedule: file is 12 bytes; at most 10 are read (DESIGN.md, Limits)"
    )
