"""The Excel workbook (`modsched export --format xlsx`), read back with openpyxl."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import openpyxl
from generators import REPLAN_PROJECT, replan_cli
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.interop.plan import LinkRow, read_export_plan
from scheduler.interop.xlsx import predecessor_text, write_xlsx
from scheduler.io import read_schedule_csv


def as_date(value: object) -> date:
    assert isinstance(value, datetime), value  # an Excel date, not text
    return value.date()


def export(schedule_json: Path, out: Path) -> object:
    result = CliRunner().invoke(
        app,
        ["export", str(REPLAN_PROJECT), str(schedule_json), "--format", "xlsx", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    return openpyxl.load_workbook(out)


def test_predecessors_in_p6_notation():
    links = [LinkRow("a/1/set", "b", "FS", 0), LinkRow("c/1/ist", "b", "SS", -2)]
    assert predecessor_text(links) == "a/1/set FS+0, c/1/ist SS-2"


def test_schedule_sheet_has_every_task_with_dates_and_logic(baseline, tmp_path):
    book = export(baseline, tmp_path / "plan.xlsx")
    assert book.sheetnames == ["Schedule", "Milestones", "Crews", "Power"]
    sheet = book["Schedule"]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    plan = read_export_plan(REPLAN_PROJECT, baseline)
    by_id = {t.task_id: t for t in plan.schedule.tasks}
    assert len(body) == len(by_id)
    column = {name: k for k, name in enumerate(header)}
    for row in body:
        task = by_id[row[column["task_id"]]]
        assert as_date(row[column["start"]]) == task.start
        assert as_date(row[column["finish"]]) == task.finish
        assert row[column["duration"]] == task.duration
        assert (row[column["crews"]] or "") == ";".join(task.crews)
    # every link of the project appears once, as "pred TYPE+lag" on its successor's row
    written = sum(
        len(row[column["predecessors"]].split(", ")) for row in body if row[column["predecessors"]]
    )
    assert written == len(plan.links) > 0
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}{len(rows)}"


def test_milestones_crews_and_power_sheets(baseline, tmp_path):
    book = export(baseline, tmp_path / "plan.xlsx")
    milestones = list(book["Milestones"].iter_rows(values_only=True))
    # complete.yaml: s1-rfs (target 2027-02-26) and s2-rfs (target 2027-02-05, deadline)
    assert [m[0] for m in milestones[1:]] == ["s1-rfs", "s2-rfs"]
    s2 = milestones[2]
    assert as_date(s2[2]) == date(2027, 2, 5)
    assert as_date(s2[4]) == date(2027, 6, 30) and s2[5] == "yes"
    crews = list(book["Crews"].iter_rows(values_only=True))
    assert crews[0] == ("pool", "week", "busy_mean", "busy_peak", "available", "utilisation")
    # elec has 2 crews, one absent in the week of 2027-02-01
    elec = {as_date(r[1]): r[4] for r in crews[1:] if r[0] == "elec"}
    assert elec[date(2027, 2, 1)] == 1 and elec[date(2027, 1, 25)] == 2
    for row in crews[1:]:
        assert row[3] <= row[4]  # the plan never uses more crews than there are
    power = list(book["Power"].iter_rows(values_only=True))
    column = {name: k for k, name in enumerate(power[0])}
    assert {r[0] for r in power[1:]} == {"s1", "s2"}
    s2_supply = {
        as_date(r[1]): r[column["supply_min_permanent_mw"]] for r in power[1:] if r[0] == "s2"
    }
    assert s2_supply[date(2027, 1, 25)] == 4 and s2_supply[date(2027, 1, 18)] == 0


def test_replanned_schedule_has_status_and_baseline(baseline, tmp_path):
    result = replan_cli(baseline, tmp_path / "re", "--status-date", "2027-01-15")
    assert result.exit_code == 0, result.output
    book = export(tmp_path / "re" / "schedule.json", tmp_path / "re.xlsx")
    rows = list(book["Schedule"].iter_rows(values_only=True))
    column = {name: k for k, name in enumerate(rows[0])}
    csv = {t.task_id: t for t in read_schedule_csv(tmp_path / "re" / "schedule.csv")}
    assert {r[column["status"]] for r in rows[1:]} >= {"done", "planned"}
    for row in rows[1:]:
        assert isinstance(row[column["baseline_start"]], datetime)
        assert row[column["status"]] == csv[row[column["task_id"]]].status


def test_text_that_looks_like_a_formula_stays_text(baseline, tmp_path):
    plan = read_export_plan(REPLAN_PROJECT, baseline)
    first = dataclasses.replace(plan.schedule.tasks[0], task_name='=HYPERLINK("x")')
    schedule = dataclasses.replace(plan.schedule, tasks=(first, *plan.schedule.tasks[1:]))
    write_xlsx(dataclasses.replace(plan, schedule=schedule), tmp_path / "f.xlsx")
    cell = openpyxl.load_workbook(tmp_path / "f.xlsx")["Schedule"]["B2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("x")'


def test_export_refuses_a_schedule_of_another_project(tmp_path):
    other = tmp_path / "schedule.json"
    other.write_text(
        '{"project": "p", "program_start": "2027-01-04", "solver": {"name": "greedy", '
        '"method": "greedy", "status": "FEASIBLE"}, "kpis": {"makespan_days": 0, '
        '"finish": "2027-01-04", "tardiness_days": 0, "weighted_tardiness": 0}, "tasks": []}'
    )
    result = CliRunner().invoke(
        app,
        [
            "export",
            str(REPLAN_PROJECT),
            str(other),
            "--format",
            "xlsx",
            "--out",
            str(tmp_path / "x.xlsx"),
        ],
    )
    assert result.exit_code == 2
    assert "is missing" in result.output and not (tmp_path / "x.xlsx").exists()


def test_export_refuses_an_unknown_format_and_an_existing_file(baseline, tmp_path):
    out = tmp_path / "plan.xlsx"
    args = ["export", str(REPLAN_PROJECT), str(baseline), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--format", "mpp"])
    assert result.exit_code == 2 and "unknown export format 'mpp'" in result.output
    out.write_text("mine")
    result = CliRunner().invoke(app, [*args, "--format", "xlsx"])
    assert result.exit_code == 2 and "pass --force" in result.output
    assert out.read_text() == "mine"


def test_a_task_on_a_site_calendar_shows_its_span_and_calendar(tmp_path):
    """tests/data/calendars/four-and-five.yaml (hand-checked in test_calendars.py): the
    hook-up at s4 (Monday to Thursday) works 5 days from Monday 2027-01-04 and finishes
    Monday 2027-01-11; at s5 (the program's week) it finishes Friday 2027-01-08."""
    project = Path(__file__).parent / "data" / "calendars" / "four-and-five.yaml"
    args = ["schedule", str(project), "--out", str(tmp_path / "p"), "--solver", "greedy"]
    result = CliRunner().invoke(app, [*args, "--export", "xlsx"])
    assert result.exit_code == 0, result.output
    rows = list(openpyxl.load_workbook(tmp_path / "p" / "schedule.xlsx")["Schedule"].values)
    assert rows[0][-1] == "calendar"
    column = {name: k for k, name in enumerate(rows[0])}
    found = {
        r[0]: (as_date(r[column["start"]]), as_date(r[column["finish"]]), r[-1]) for r in rows[1:]
    }
    assert found == {
        "a4/1/hookup": (date(2027, 1, 4), date(2027, 1, 11), "site:s4"),
        "a5/1/hookup": (date(2027, 1, 4), date(2027, 1, 8), "program"),
    }
