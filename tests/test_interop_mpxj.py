"""MSPDI and PMXML exports, read back by MPXJ's own reader (UniversalProjectReader) and
compared with schedule.csv and the project: tasks, dates, durations, links and lags,
resources and their availability, assignments, milestones, a replan's baseline and
actuals. The JVM starts once for the whole session (`start_jvm` is idempotent)."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from generators import REPLAN_PROJECT, replan_cli
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.interop.java import start_jvm
from scheduler.interop.plan import read_export_plan
from scheduler.io import read_schedule_csv

FORMATS = ["mspdi", "pmxml"]


@pytest.fixture(scope="session")
def mpxj() -> Any:
    start_jvm("tests")
    import jpype

    return jpype.JPackage("org").mpxj


def export(schedule_json: Path, fmt: str, out: Path) -> Path:
    args = ["export", str(REPLAN_PROJECT), str(schedule_json), "--format", fmt, "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def read(mpxj: Any, path: Path) -> Any:
    return mpxj.reader.UniversalProjectReader().read(str(path))


def task_key(task: Any, fmt: str) -> str | None:
    """The modsched task id: P6 keeps it as the activity id; MS Project has none, so the
    export puts it in a text field."""
    value = task.getText(6) if fmt == "mspdi" else task.getActivityID()
    return None if value is None else str(value)


def as_date(value: Any) -> date:
    return date(value.getYear(), value.getMonthValue(), value.getDayOfMonth())


def in_days(mpxj: Any, duration: Any, project: Any) -> float:
    days = duration.convertUnits(mpxj.TimeUnit.DAYS, project.getProjectProperties())
    return float(days.getDuration())


def leaf_tasks(project: Any, fmt: str) -> dict[str, Any]:
    found = {}
    for task in project.getTasks():
        key = task_key(task, fmt)
        if not task.getSummary() and not task.getMilestone() and key is not None:
            found[key] = task
    return found


@pytest.mark.parametrize("fmt", FORMATS)
def test_tasks_dates_and_links_read_back(mpxj, baseline, tmp_path, fmt):
    out = export(baseline, fmt, tmp_path / f"plan.{fmt}.xml")
    project = read(mpxj, out)
    plan = read_export_plan(REPLAN_PROJECT, baseline)
    rows = {t.task_id: t for t in plan.schedule.tasks}
    tasks = leaf_tasks(project, fmt)
    assert set(tasks) == set(rows)
    for task_id, task in tasks.items():
        row = rows[task_id]
        assert as_date(task.getStart()) == row.start
        assert as_date(task.getFinish()) == row.finish
        assert in_days(mpxj, task.getDuration(), project) == row.duration
        assert (
            str(task.getText(1) if fmt == "mspdi" else task.getFieldByAlias("Phase")) == row.phase
        )
    written = Counter(
        (
            task_key(r.getPredecessorTask(), fmt),
            task_id,
            str(r.getType()),
            in_days(mpxj, r.getLag(), project),
        )
        for task_id, task in tasks.items()
        for r in task.getPredecessors()
    )
    expected = Counter((k.pred, k.succ, k.type, float(k.lag)) for k in plan.links)
    assert written == expected and len(plan.links) > 0
    # the WBS: site / deployment / module summaries above each task
    parent = tasks["s1-skid/2/set"].getParentTask()
    assert [str(parent.getName()), str(parent.getParentTask().getName())] == [
        "s1-skid/2",
        "s1-skid",
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_calendar_resources_and_milestones_read_back(mpxj, baseline, tmp_path, fmt):
    project = read(mpxj, export(baseline, fmt, tmp_path / f"plan.{fmt}.xml"))
    calendar = project.getDefaultCalendar()
    assert [str(e.getFromDate()) for e in calendar.getCalendarExceptions()] == ["2027-01-18"]
    # complete.yaml: rig 1 crew, elec 2 (1 in the week of 2027-02-01), cx 1
    units = {
        str(r.getName()): [
            (as_date(a.getRange().getStart()), float(a.getUnits())) for a in r.getAvailability()
        ]
        for r in project.getResources()
    }
    assert [u for _, u in units["rig"]] == [100.0] and [u for _, u in units["cx"]] == [100.0]
    assert [u for _, u in units["elec"]] == [200.0, 100.0, 200.0]
    assert units["elec"][1][0] == date(2027, 2, 1)
    # each task's crews as assignments of their pools, 100 % a crew
    rows = {t.task_id: t for t in read_export_plan(REPLAN_PROJECT, baseline).schedule.tasks}
    for task_id, task in leaf_tasks(project, fmt).items():
        assigned = Counter()
        for a in task.getResourceAssignments():
            if a.getResource() is not None:
                assigned[str(a.getResource().getName())] += round(float(a.getUnits()) / 100)
        assert assigned == Counter(c.rsplit("#", 1)[0] for c in rows[task_id].crews)
    milestones = {str(t.getName()): t for t in project.getTasks() if t.getMilestone()}
    assert set(milestones) == {"s1-rfs", "s2-rfs"}
    s2 = milestones["s2-rfs"]
    assert str(s2.getConstraintType()) == "FINISH_NO_LATER_THAN"
    assert as_date(s2.getConstraintDate()) == date(2027, 6, 30)
    target = s2.getDeadline() if fmt == "mspdi" else s2.getSecondaryConstraintDate()
    assert as_date(target) == date(2027, 2, 5)
    assert s2.getPredecessors().size() > 0


@pytest.fixture(scope="module")
def replanned(baseline, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("replanned") / "re"
    result = replan_cli(baseline, out, "--status-date", "2027-01-15")
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_replan_carries_baseline_and_actuals(mpxj, replanned, tmp_path, fmt):
    project = read(mpxj, export(replanned / "schedule.json", fmt, tmp_path / f"re.{fmt}.xml"))
    assert as_date(project.getProjectProperties().getStatusDate()) == date(2027, 1, 15)
    rows = {t.task_id: t for t in read_schedule_csv(replanned / "schedule.csv")}
    statuses = Counter()
    for task_id, task in leaf_tasks(project, fmt).items():
        row = rows[task_id]
        statuses[row.status] += 1
        if row.status == "done":
            assert as_date(task.getActualStart()) == row.start
            assert as_date(task.getActualFinish()) == row.finish
            assert float(task.getPercentageComplete()) == 100.0
        elif row.status == "planned":
            assert task.getActualStart() is None
        if fmt == "mspdi":  # P6 keeps a baseline as another project (see INTEROP.md)
            assert row.baseline_start_day is not None
            calendar = read_export_plan(
                REPLAN_PROJECT, replanned / "schedule.json"
            ).schedule.calendar
            assert as_date(task.getBaselineStart()) == calendar.date_of(row.baseline_start_day)
    assert statuses["done"] > 0 and statuses["planned"] > 0


def test_without_mpxj_export_says_what_to_install(baseline, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mpxj", None)  # import mpxj raises ImportError
    args = ["export", str(REPLAN_PROJECT), str(baseline), "--format", "mspdi"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "p.xml")])
    assert result.exit_code == 2
    needs = "mspdi export needs mpxj and JPype1, which are not installed"
    assert result.output.strip().splitlines() == [f"{needs}: pip install 'modsched[interop]'"]
    assert not (tmp_path / "p.xml").exists()


def test_schedule_and_replan_export_beside_the_other_files(mpxj, baseline, tmp_path):
    out = tmp_path / "plan"
    args = ["schedule", str(REPLAN_PROJECT), "--out", str(out), "--solver", "greedy"]
    result = CliRunner().invoke(app, [*args, "--export", "mspdi,xlsx"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "gantt.html",
        "schedule.csv",
        "schedule.json",
        "schedule.mspdi.xml",
        "schedule.xlsx",
    ]
    rows = read_schedule_csv(out / "schedule.csv")
    assert len(leaf_tasks(read(mpxj, out / "schedule.mspdi.xml"), "mspdi")) == len(rows)
    # a folder of modsched's files, exports included, is replaced whole with --force
    result = CliRunner().invoke(app, [*args, "--force"])
    assert result.exit_code == 0, result.output
    assert not (out / "schedule.xlsx").exists()
    result = replan_cli(
        baseline, tmp_path / "re", "--status-date", "2027-01-15", "--export", "pmxml"
    )
    assert result.exit_code == 0, result.output
    project = read(mpxj, tmp_path / "re" / "schedule.pmxml.xml")
    assert len(leaf_tasks(project, "pmxml")) == len(rows)


def test_an_unknown_export_format_is_refused_before_the_solve(tmp_path):
    args = ["schedule", str(REPLAN_PROJECT), "--out", str(tmp_path / "p"), "--export", "mpp"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "--export: unknown export format 'mpp'" in result.output
    assert not (tmp_path / "p").exists()


CALENDARS = Path(__file__).parent / "data" / "calendars"
# tests/data/calendars, hand-checked in tests/test_calendars.py: each task's calendar as
# written, its start and its finish (the last day worked)
CALENDAR_PLANS = {
    "four-and-five": {
        # s4 works Monday to Thursday: 5 days from Monday 01-04 end on Monday 01-11
        "a4/1/hookup": ("Site s4", date(2027, 1, 4), date(2027, 1, 11)),
        "a5/1/hookup": ("modsched program", date(2027, 1, 4), date(2027, 1, 8)),
    },
    "factory-six": {
        "k/1/design": ("modsched program", date(2027, 1, 4), date(2027, 1, 8)),
        # f1 works Saturdays: 6 days from Saturday 01-09 end on Friday 01-15
        "k/1/fabricate": ("Factory f1", date(2027, 1, 9), date(2027, 1, 15)),
        "k/1/ship": ("modsched program", date(2027, 1, 18), date(2027, 1, 18)),
        "k/1/hookup": ("modsched program", date(2027, 1, 19), date(2027, 1, 25)),
    },
    "vendor-week": {
        # ABL's start-up works by the program's days that its OEM pool works too (Monday to
        # Friday, Thursday 01-07 off): 6 days from Monday 01-04 end on Tuesday 01-12
        "a/1/startup": ("modsched program + Crew oem-a", date(2027, 1, 4), date(2027, 1, 12)),
        "n/1/startup": ("Site nal", date(2027, 1, 4), date(2027, 1, 12)),
    },
}


@pytest.fixture(scope="module")
def calendar_plans(tmp_path_factory) -> dict[str, Path]:
    """Each calendar project scheduled (greedy) with its MSPDI and PMXML exports."""
    found = {}
    for name in CALENDAR_PLANS:
        out = tmp_path_factory.mktemp("calendars") / name
        args = ["schedule", str(CALENDARS / f"{name}.yaml"), "--out", str(out)]
        result = CliRunner().invoke(app, [*args, "--solver", "greedy", "--export", "mspdi,pmxml"])
        assert result.exit_code == 0, result.output
        found[name] = out
    return found


def test_site_and_factory_calendars_give_the_tools_modscheds_finish(mpxj, calendar_plans):
    """Each own calendar is written as a calendar of the file and set on the tasks that
    work by it; MPXJ's own reading of start + duration on a task's calendar is
    modsched's finish (17:00 of the last day worked)."""
    for name, expected in CALENDAR_PLANS.items():
        rows = {t.task_id: t for t in read_schedule_csv(calendar_plans[name] / "schedule.csv")}
        for fmt in FORMATS:
            project = read(mpxj, calendar_plans[name] / f"schedule.{fmt}.xml")
            assert str(project.getDefaultCalendar().getName()) == "modsched program"
            tasks = leaf_tasks(project, fmt)
            assert set(tasks) == set(expected) == set(rows)
            for task_id, task in tasks.items():
                calendar = task.getEffectiveCalendar()
                want, start, finish = expected[task_id]
                assert (name, fmt, task_id, str(calendar.getName())) == (name, fmt, task_id, want)
                assert (rows[task_id].start, rows[task_id].finish) == (start, finish)
                assert as_date(task.getStart()) == start and as_date(task.getFinish()) == finish
                end = calendar.getDate(task.getStart(), task.getDuration())
                assert (as_date(end), end.getHour()) == (finish, 17)
                assert in_days(mpxj, task.getDuration(), project) == rows[task_id].duration
            # MPXJ's MS Project and P6 schedulers, run on the file from the project's start,
            # give every task modsched's dates from the logic and the task calendars
            early = cpm_dates(mpxj, project, fmt)
            assert {k: early[k] for k in tasks} == {
                k: (start, finish) for k, (_, start, finish) in expected.items()
            }
    # s4's calendar: Monday to Thursday, and the program's holiday 2027-01-18 as well
    project = read(mpxj, calendar_plans["four-and-five"] / "schedule.mspdi.xml")
    s4 = next(c for c in project.getCalendars() if str(c.getName()) == "Site s4")
    import jpype

    weekday = jpype.JPackage("java").time.DayOfWeek
    week = [s4.isWorkingDay(getattr(weekday, d)) for d in ("MONDAY", "THURSDAY", "FRIDAY")]
    assert week == [True, True, False]
    assert [str(e.getFromDate()) for e in s4.getCalendarExceptions()] == ["2027-01-18"]


def cpm_dates(mpxj: Any, project: Any, fmt: str) -> dict[str, tuple[date, date]]:
    """Early start and finish of each task by MPXJ's MicrosoftScheduler (MSPDI) or
    PrimaveraScheduler (PMXML). They want each task's actual and remaining duration,
    which MS Project and P6 compute on opening: none done, all remaining."""
    for task in project.getTasks():
        if task.getDuration() is not None:
            if task.getActualDuration() is None:
                task.setActualDuration(mpxj.Duration.getInstance(0.0, mpxj.TimeUnit.DAYS))
            if task.getRemainingDuration() is None:
                task.setRemainingDuration(task.getDuration())
    scheduler = mpxj.cpm.MicrosoftScheduler() if fmt == "mspdi" else mpxj.cpm.PrimaveraScheduler()
    scheduler.schedule(project, project.getProjectProperties().getStartDate())
    return {
        key: (as_date(task.getEarlyStart()), as_date(task.getEarlyFinish()))
        for key, task in leaf_tasks(project, fmt).items()
    }
