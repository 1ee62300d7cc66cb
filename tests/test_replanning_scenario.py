"""scheduler/replanning/scenario.py: each kind of scenario change, replanned from a status
date on the complete test project (tests/data/complete.yaml), and the messages of bad ones.

Its optimal baseline: the s1 hall IST is held by the s1 utility (permanent power from
2027-02-15 = working day 29, the holiday on 2027-01-18 counted); s2's skid finishes by day
19. Every expected shift below follows from one change and is explained where asserted.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from generators import REPLAN_OPTIONS as FAST
from generators import REPLAN_PROJECT as PROJECT
from generators import checked, replan_cli, table

from scheduler.errors import InputError
from scheduler.io import write_json
from scheduler.replanning.replan import replan
from scheduler.replanning.status import TaskStatus
from scheduler.reports import gantt_data


def scenario(tmp_path: Path, *changes: str, status: str = "2027-01-11") -> Path:
    path = tmp_path / "scenario.yaml"
    body = "".join(f"\n  - {c}" for c in changes)
    path.write_text(f"name: test\nstatus_date: {status}\nchanges:{body}\n")
    return path


def starts(outcome) -> dict[str, int]:
    return {t.task_id: t.start_day for t in outcome.schedule.tasks}


def test_power_supply_moved_pushes_only_what_needs_it(baseline, tmp_path):
    """The s1 utility moves 4 weeks (20 working days) later: the permanent-gated hall IST
    moves from day 29 to day 49, by exactly 20; nothing at s2 moves."""
    change = "power: {site: s1, supply: utility, from: 2027-03-15}"
    outcome = checked(replan(PROJECT, baseline, scenario=scenario(tmp_path, change), options=FAST))
    assert starts(outcome)["s1-hall/1/ist"] == 49
    moved = outcome.changes[outcome.changes.shift_days != 0]
    assert list(moved.task_id) == ["s1-hall/1/ist"] and list(moved.shift_days) == [20]


def test_power_supply_removed(baseline, tmp_path):
    """Without the s1 turbines the s1 load-bank tests (temporary gate) wait for the
    utility on day 29, the IST after them on day 31 at the earliest."""
    change = "power: {site: s1, supply: turbines, remove: true}"
    outcome = checked(replan(PROJECT, baseline, scenario=scenario(tmp_path, change), options=FAST))
    got = starts(outcome)
    assert min(got["s1-skid/1/loadbank"], got["s1-skid/2/loadbank"]) >= 29
    assert got["s1-hall/1/ist"] >= 31
    assert got["s2-skid/1/loadbank"] == 17  # s2 has its own utility: unchanged


def test_power_supply_resized(baseline, tmp_path):
    """The s2 utility shrinks to 0.4 MW: the 0.5 MW skid can never be energised there."""
    change = "power: {site: s2, supply: utility, mw: 0.4}"
    from scheduler.errors import Infeasible

    with pytest.raises(Infeasible) as caught:
        replan(PROJECT, baseline, scenario=scenario(tmp_path, change), options=FAST)
    assert "site 's2'" in caught.value.reasons[0]


def test_crews_window(baseline, tmp_path):
    """The only cx crew is away 2027-01-25 to 2027-02-08 (days 14-23): no task needing
    commissioning runs on those days."""
    change = "crews: {pool: cx, count: 0, from: 2027-01-25, until: 2027-02-08}"
    outcome = checked(replan(PROJECT, baseline, scenario=scenario(tmp_path, change), options=FAST))
    tasks = table(outcome)
    cx = tasks[tasks.skills.str.contains("commissioning")]
    spans = zip(cx.start_day, cx.end_day, strict=True)
    assert all(end <= 14 or start >= 24 for start, end in spans)


def test_factory_window(baseline, tmp_path):
    """Factory f1 is shut from the status date (day 5) to 2027-01-19 (day 10). The two s1
    fabrications ran on days 0-4 and are done; the s2 one (released on day 5) waits for
    day 10."""
    change = "factory: {id: f1, slots: 0, from: 2027-01-11, until: 2027-01-19}"
    outcome = checked(
        replan(
            PROJECT,
            baseline,
            scenario=scenario(tmp_path, change, status="2027-01-11"),
            options=FAST,
        )
    )
    got = starts(outcome)
    fab = sorted(got[f"{d}/fabricate"] for d in ("s1-skid/1", "s1-skid/2", "s2-skid/1"))
    assert fab[0] == 0 and fab[1] == 0  # done before the status date: kept
    assert fab[2] >= 10


def test_delay_one_task_and_a_deployment(baseline, tmp_path):
    """Delays lengthen: s2-skid/1/ship by 15 days (2 -> 17), every s1-skid ship by 3."""
    changes = (
        "delay: {task: s2-skid/1/ship, days: 15}",
        "delay: {deployment: s1-skid, task: ship, days: 3}",
    )
    outcome = checked(
        replan(
            PROJECT,
            baseline,
            scenario=scenario(tmp_path, *changes, status="2027-01-04"),
            options=FAST,
        )
    )
    durations = dict((t.task_id, t.duration) for t in outcome.schedule.tasks)
    assert durations["s2-skid/1/ship"] == 17
    assert durations["s1-skid/1/ship"] == durations["s1-skid/2/ship"] == 5
    got = starts(outcome)
    assert got["s2-skid/1/set"] >= got["s2-skid/1/ship"] + 17
    # the Gantt ghosts the baseline's 2-day ship (was drawn with the new 17 days) and draws
    # the status date (was never drawn: the KPIs did not carry it)
    tasks = table(outcome).set_index("task_id")
    b, e = tasks.loc["s2-skid/1/ship", ["baseline_start_day", "baseline_end_day"]]
    assert e - b == 2
    data = gantt_data(outcome.schedule, baseline=True)
    rows, names = data["tasks"]["row"], data["tasks"]["task"]
    ids = [f"{data['rows'][r][0]}/{t}" for r, t in zip(rows, names, strict=True)]
    ghost = data["tasks"]["ghost"][ids.index("s2-skid/1/ship")]
    cal = outcome.plan.calendar
    t0 = cal.start
    assert ghost == [(cal.date_of(b) - t0).days, (cal.finish_date(e, e - b) - t0).days]
    assert outcome.schedule.kpis.status_date == date(2027, 1, 4)
    assert data["status"] == (date(2027, 1, 4) - t0).days


def test_delay_of_a_task_in_progress_carries_over(baseline, tmp_path):
    """A 15-day delay announced while s2-skid/1/ship runs (status date: its last baseline
    day, so it started and has not finished) ends it 15 days after its baseline end."""
    base = {t["task_id"]: t for t in pd.read_json(baseline, typ="series")["tasks"]}
    ship = base["s2-skid/1/ship"]
    assert ship["end_day"] - ship["start_day"] == 2
    change = "delay: {task: s2-skid/1/ship, days: 15}"
    outcome = checked(
        replan(
            PROJECT,
            baseline,
            scenario=scenario(tmp_path, change, status=ship["finish"]),
            options=FAST,
        )
    )
    tasks = table(outcome).set_index("task_id")
    assert tasks.loc["s2-skid/1/ship", "status"] == TaskStatus.IN_PROGRESS
    assert tasks.loc["s2-skid/1/ship", "start_day"] == ship["start_day"]
    assert tasks.loc["s2-skid/1/ship", "end_day"] == ship["end_day"] + 15
    assert tasks.loc["s2-skid/1/set", "start_day"] >= ship["end_day"] + 15


def test_duration_factor(baseline, tmp_path):
    """Hook-up of every skid takes 1.5 x 3 = 4.5, rounded up to 5 days."""
    change = "duration: {module: skid, task: hookup, factor: 1.5}"
    outcome = checked(
        replan(
            PROJECT,
            baseline,
            scenario=scenario(tmp_path, change, status="2027-01-04"),
            options=FAST,
        )
    )
    hookups = [t for t in outcome.schedule.tasks if t.task == "hookup"]
    assert {t.duration for t in hookups} == {5}


def test_milestone_target_moved(baseline, tmp_path):
    """s2-rfs pulled forward to 2027-01-20 (day 11). The s2 chain cannot end before its
    CPM bound (release day 5 + 5 + 2 + 1 + 3 + 1 + 2 = day 19, last day 18): 7 late days."""
    change = "milestone: {id: s2-rfs, target: 2027-01-20}"
    outcome = checked(
        replan(
            PROJECT,
            baseline,
            scenario=scenario(tmp_path, change, status="2027-01-04"),
            options=FAST,
        )
    )
    assert outcome.schedule.kpis.milestones["s2-rfs"].late_days == 7


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            "power: {site: s1, supply: gas, from: 2027-03-15}",
            "site 's1' has no power supply 'gas' "
            "(valid supplies of 's1': 'backfeed', 'turbines', 'utility')",
        ),
        (
            "crews: {pool: nope, count: 1, from: 2027-02-01, until: 2027-02-08}",
            "unknown crew pool 'nope' (valid crew pools: 'cx', 'elec', 'rig')",
        ),
        (
            "factory: {id: f9, slots: 1, from: 2027-02-01, until: 2027-02-08}",
            "unknown factory 'f9' (valid factories: 'f1')",
        ),
        (
            "delay: {task: s1-skid/7/ship, days: 3}",
            "unknown task 's1-skid/7/ship' (a task id is 'deployment/module/task')",
        ),
        (
            "delay: {deployment: s1-skid, task: fly, days: 3}",
            "deployment 's1-skid' has no task 'fly' (valid tasks of 's1-skid': "
            "'energise', 'fabricate', 'hookup', 'loadbank', 'set', 'ship')",
        ),
        (
            "duration: {module: skid, task: paint, factor: 2}",
            "no deployed module 'skid' has a task 'paint' (valid tasks of 'skid': "
            "'energise', 'fabricate', 'hookup', 'loadbank', 'set', 'ship')",
        ),
        (
            "milestone: {id: m9, target: 2027-03-01}",
            "unknown milestone 'm9' (valid milestones: 's1-rfs', 's2-rfs')",
        ),
    ],
)
def test_unknown_ids_in_scenarios_are_errors(baseline, tmp_path, change, message):
    with pytest.raises(InputError) as caught:
        replan(PROJECT, baseline, scenario=scenario(tmp_path, change), options=FAST)
    (problem,) = caught.value.problems
    assert str(problem).endswith(message)
    assert "changes[0]" in str(problem)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            "crews: {pool: cx, count: 10000000000, from: 2027-02-01, until: 2027-02-08}",
            "changes[0].crews.count (line 4, column 30): "
            "Input should be less than or equal to 1000",
        ),
        (
            "duration: {module: skid, task: hookup, factor: .inf}",
            "changes[0].duration.factor (line 4, column 52): Input should be a finite number",
        ),
        (
            "power: {site: s1, supply: utility, from: 9999-03-15}",
            "changes[0].power.from (line 4, column 46): date 9999-03-15 is more than 100 years "
            "after the program start 2027-01-04",
        ),
        (
            "power: {site: s1, supply: turbines, from: 2027-05-03}",  # past its until
            "changes[0].power (line 4, column 12): supply 'turbines' of site 's1' would run "
            "from 2027-05-03 until 2027-04-01: not one day; move 'until' too, or remove the "
            "supply",
        ),
        (
            "crews: {pool: cx, count: 0, from: 2027-02-08, until: 2027-02-01}",
            "changes[0].crews.until (line 4, column 58): window 'until' 2027-02-01 is not after "
            "'from' 2027-02-08",
        ),
    ],
)
def test_out_of_range_scenarios_are_errors(baseline, tmp_path, change, message):
    with pytest.raises(InputError) as caught:
        replan(PROJECT, baseline, scenario=scenario(tmp_path, change), options=FAST)
    assert any(message in str(p) for p in caught.value.problems), caught.value


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            ["delay: {deployment: s1-hall, task: ist, days: 10000}"] * 100,
            "changes[0].delay (line 4, column 12): task 's1-hall/1/ist' would last 10002 "
            "working days, more than 10000, the longest a task may last",
        ),
        (
            ["delay: {deployment: s1-hall, task: ist, days: 6000}"] * 2,
            "changes[1].delay (line 5, column 12): task 's1-hall/1/ist' would last 12002 "
            "working days, more than 10000, the longest a task may last",
        ),
        (
            ["duration: {module: skid, task: fabricate, factor: 100}"] * 2,
            "changes[1].duration (line 5, column 15): task 's1-skid/1/fabricate' would "
            "last 50000 working days, more than 10000, the longest a task may last",
        ),
    ],
    ids=["100 delays of 10000 days", "two delays of 6000", "two factors of 100"],
)
def test_a_scenario_may_not_make_a_task_longer_than_a_project_may(
    baseline, tmp_path, changes, message
):
    """Issue 26, item 3: 100 delays of 10,000 days made a task of a million days, and the
    plan ended past any horizon the validator accepts: "internal error ... please report
    it". A task's duration after the changes is bounded as the loader bounds it; the
    first change that passes the bound is named, once."""
    path = scenario(tmp_path, *changes)
    result = replan_cli(baseline, tmp_path / "out", "--scenario", str(path))
    assert result.exit_code == 2, result.output
    assert result.output == f"{path}: {message}\n"


def test_a_date_centuries_away_in_a_window_is_refused_before_it_becomes_a_day(baseline, tmp_path):
    """Found by the replan fuzzer (issue 26): a crews window from 9999-12-31 was reported
    and then applied all the same, an OverflowError traceback in the calendar."""
    path = scenario(tmp_path, "crews: {pool: cx, count: 0, from: 9999-12-31, until: 2027-02-08}")
    result = replan_cli(baseline, tmp_path / "out", "--scenario", str(path))
    assert result.exit_code == 2, result.output
    assert result.output == (
        f"{path}: changes[0].crews.from (line 4, column 39): date 9999-12-31 is more than "
        "100 years after the program start 2027-01-04\n"
        f"{path}: changes[0].crews.until (line 4, column 58): window 'until' 2027-02-08 is "
        "not after 'from' 9999-12-31\n"
    )


def test_baseline_variance_of_milestones_and_finish(baseline, tmp_path):
    """Issue 21, item 4: after a replan each milestone gives its baseline date and the
    variance in working days; a delay of the s2 fabrication by 10 days moves s2-rfs."""
    from scheduler.domain.load import load_project

    calendar = load_project(PROJECT).calendar
    base = json.loads(baseline.read_text())["kpis"]
    path = scenario(tmp_path, "delay: {task: s2-skid/1/fabricate, days: 10}", status="2027-01-04")
    outcome = replan(PROJECT, baseline, scenario=path, options=FAST)
    kpis = outcome.schedule.kpis
    for name, m in kpis.milestones.items():
        was = date.fromisoformat(base["milestones"][name]["date"])
        assert m.baseline == was
        assert m.variance_days == calendar.day_of(m.date) - calendar.day_of(was)
    assert kpis.milestones["s2-rfs"].variance_days > 0
    assert kpis.baseline_finish == date.fromisoformat(base["finish"])
    finish_moved = calendar.day_of(kpis.finish) - calendar.day_of(kpis.baseline_finish)
    assert kpis.finish_variance_days == finish_moved
    write_json(outcome.schedule, tmp_path / "schedule.json")
    written = json.loads((tmp_path / "schedule.json").read_text())["kpis"]
    assert (
        written["milestones"]["s2-rfs"]["variance_days"] == kpis.milestones["s2-rfs"].variance_days
    )
    assert written["milestones"]["s2-rfs"]["baseline"] == base["milestones"]["s2-rfs"]["date"]
    assert written["finish_variance_days"] == finish_moved
