"""scheduler/replanning/replan.py: a replan without changes or actuals reproduces its
baseline, whatever the status date (the complete test project, tests/data/complete.yaml)."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from generators import REPLAN_OPTIONS as FAST
from generators import REPLAN_PROJECT as PROJECT
from generators import checked, table

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
