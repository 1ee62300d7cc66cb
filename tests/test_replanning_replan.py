"""scheduler/replanning/replan.py: a replan without changes or actuals reproduces its
baseline, whatever the status date (the complete test project, tests/data/complete.yaml)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from generators import REPLAN_OPTIONS as FAST
from generators import REPLAN_PROJECT as PROJECT
from generators import checked, table

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
