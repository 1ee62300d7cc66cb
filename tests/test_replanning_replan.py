"""scheduler/replanning/replan.py: a replan without changes or actuals reproduces its
baseline, whatever the status date (the complete test project, tests/data/complete.yaml)."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pandas as pd
import pytest
from generators import REPLAN_OPTIONS as FAST
from generators import REPLAN_PROJECT as PROJECT
from generators import checked, replan_cli, table

from scheduler.errors import InputError
from scheduler.replanning.replan import replan


@pytest.mark.parametrize("day", ["2027-01-04", "2027-01-14", "2027-01-27", "2027-02-16"])
def test_no_change_reproduces_baseline(baseline, day):
    outcome = checked(replan(PROJECT, baseline, status_date=date.fromisoformat(day), options=FAST))
    assert outcome.changes.empty
    assert outcome.schedule.kpis.moved_tasks == 0
    assert [t.start_day for t in outcome.schedule.tasks] == [
        t.baseline_start_day for t in outcome.schedule.tasks
    ]
    # done tasks keep the crews and needs they had
    base = pd.read_json(baseline, typ="series")["tasks"]
    assert [sorted(c.split(";")) for c in table(outcome).crews] == [
        sorted(";".join(t["crews"]).split(";")) for t in base
    ]
    assert list(table(outcome).skills) == [t["skills"] or "" for t in base]
    # ... and the resources and power draw they had (were blank and 0 once)
    assert list(table(outcome).resources) == [t["resources"] or "" for t in base]
    assert list(table(outcome).power_mw) == [t["power_mw"] for t in base]


def edited(baseline, tmp_path, edit):  # type: ignore[no-untyped-def]
    """The baseline schedule.json after ``edit(document)``."""
    document = json.loads(baseline.read_text())
    edit(document)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document))
    return path


def first_task(document: dict) -> dict:
    return document["tasks"][0]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d.update(program_start="2026-12-07"),
            "baseline was made for a program starting 2026-12-07, the project starts "
            "2027-01-04: replan from a baseline of this start",
        ),
        (
            lambda d: d["tasks"].insert(0, {**first_task(d), "start_day": 0}),
            "task 's1-skid/1/fabricate' is listed twice",
        ),
        (
            lambda d: first_task(d).update(start_day=3, end_day=1),
            "task 's1-skid/1/fabricate': start_day 3 and end_day 1 are not days",
        ),
        (
            lambda d: first_task(d).update(start_day=10**9, end_day=10**9 + 5),
            "task 's1-skid/1/fabricate': start_day 1000000000 and end_day 1000000005",
        ),
    ],
    ids=["program start moved", "task twice", "end before start", "a billion days"],
)
def test_a_baseline_that_is_not_this_projects_plan_is_refused(baseline, tmp_path, edit, message):
    """Found by the adversarial pass: a moved program start was replanned with shifted
    dates, a duplicate entry was read last-wins, end < start reached CP-SAT ("a modsched
    bug"), a start of 10^9 days asked for 29.8 GiB."""
    path = edited(baseline, tmp_path, edit)
    with pytest.raises(InputError) as caught:
        replan(PROJECT, path, status_date=date(2027, 1, 14), options=FAST)
    assert any(message in str(p) for p in caught.value.problems), caught.value


def hookup(document: dict) -> dict:
    """The fourth task, s1-skid/1/hookup: one electrical crew, days 8-11 (in progress on
    2027-01-15)."""
    return document["tasks"][3]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: hookup(d).update(start_day="INF"),
            "tasks[3].start_day: Input should be a valid integer (got inf)",
        ),
        (
            lambda d: hookup(d).update(start_day=13.9),
            "tasks[3].start_day: Input should be a valid integer (got 13.9)",
        ),
        (
            lambda d: hookup(d).update(end_day=11.0),
            "tasks[3].end_day: Input should be a valid integer (got 11.0)",
        ),
        (
            lambda d: hookup(d).update(start_day="8"),
            "tasks[3].start_day: Input should be a valid integer (got '8')",
        ),
        (
            lambda d: hookup(d).update(crews="elec#1"),
            "tasks[3].crews: Input should be a valid array (got 'elec#1')",
        ),
        (
            lambda d: hookup(d).update(crews=None),
            "tasks[3].crews: Input should be a valid array (got None)",
        ),
        (
            lambda d: hookup(d).update(crews=[1]),
            "tasks[3].crews[0]: Input should be a valid string (got 1)",
        ),
        (lambda d: hookup(d).pop("end_day"), "tasks[3].end_day: missing required key 'end_day'"),
        (lambda d: d["tasks"].__setitem__(3, []), "tasks[3]: Input should be an object"),
        (lambda d: d.update(tasks={"a": 1}), "tasks: Input should be a valid array"),
        (
            lambda d: d.update(program_start=20270104),
            "program_start: Input should be a valid date (got 20270104)",
        ),
        (
            lambda d: hookup(d).update(crews=["zz#1"]),
            "tasks[3].crews: task 's1-skid/1/hookup' names unknown crew 'zz#1' (no such pool)",
        ),
        (
            lambda d: hookup(d).update(crews=["elec#3"]),
            "tasks[3].crews: task "
            "'s1-skid/1/hookup' names unknown crew 'elec#3' (pool 'elec' has crews 1 to 2)",
        ),
        (
            lambda d: hookup(d).update(crews=["rig#1"]),
            "tasks[3].crews: task "
            "'s1-skid/1/hookup' needs electrical: 1 but crews 'rig#1' cannot cover them with "
            "one skill each",
        ),
        (
            lambda d: hookup(d).update(crews=["elec#1", "elec#1"]),
            "tasks[3].crews: task 's1-skid/1/hookup' has 2 crew(s) but needs 1 (electrical: 1)",
        ),
    ],
    ids=[
        "Infinity",
        "13.9",
        "11.0",
        "text day",
        "crews text",
        "crews null",
        "crew number",
        "no end_day",
        "task a list",
        "tasks an object",
        "date a number",
        "unknown pool",
        "crew 3 of 2",
        "wrong skill",
        "crew twice",
    ],
)
def test_a_hand_edited_baseline_is_refused_with_the_place(baseline, tmp_path, edit, message):
    """Issue 26, item 2: each key a replan reads must have the type modsched writes, and
    the crews must be crews of the project that can do the task. Before: crews "elec#1"
    (a string) was taken, unknown crews pinned to a task in progress ended in "internal
    error ... please report it" (elec#3) or an infeasible the planner could not act on
    (zz#1, rig#1, two crews); 13.9, Infinity, a list for a task were refused without
    the place in the document."""
    document = json.loads(baseline.read_text())
    edit(document)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(document).replace('"INF"', "Infinity"))
    result = replan_cli(path, tmp_path / "out", "--status-date", "2027-01-15")
    assert result.exit_code == 2, result.output
    assert result.output == f"{path}: {message}\n"


def test_a_baseline_of_another_calendar_is_refused(baseline, tmp_path):
    """Issue 26, item 2: a holiday added since the baseline moved every later day by one
    (the days count working days), so done tasks were replanned on other dates."""
    shutil.copytree(PROJECT.parent / "catalog", tmp_path / "catalog")
    project = tmp_path / "p.yaml"
    text = PROJECT.read_text().replace(
        "holidays: [2027-01-18]", "holidays: [2027-01-06, 2027-01-18]"
    )
    project.write_text(text)
    with pytest.raises(InputError) as caught:
        replan(project, baseline, status_date=date(2027, 1, 14), options=FAST)
    assert [str(p) for p in caught.value.problems] == [
        f"{baseline}: tasks: baseline was made with another calendar: task "
        "'s1-skid/1/ship' starts on day 5, 2027-01-11 in the baseline but 2027-01-12 "
        "in this project's working days (a holiday or workday changed since?); replan from "
        "a baseline of this calendar"
    ]


def test_a_replan_counts_its_time_from_the_commands_start(baseline, budgets):
    """`replan(started=...)` as the console script calls it: the budget counts from the
    command's start and keeps `finishing_seconds` of the project's size for the schedule
    and its files; the run reports at least the time that had passed before it."""
    import time

    from scheduler.pipeline import finishing_seconds

    started = time.perf_counter() - 2.0
    outcome = checked(
        replan(PROJECT, baseline, status_date=date(2027, 1, 14), options=FAST, started=started)
    )
    (budget,) = budgets
    assert budget.started == started
    assert budget.after == finishing_seconds(outcome.instance.num_tasks)
    assert outcome.schedule.solver.seconds >= 2.0
