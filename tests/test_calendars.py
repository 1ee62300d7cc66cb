"""Calendars per site and per factory (DESIGN.md, Time): a task's duration counts the
workdays of the calendar it works by; the day axis is every day some calendar works.
Hand-checked in the CP-SAT model, the greedy scheme, the validator and `modsched check`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from generators import make, solved
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.domain.load import load_project
from scheduler.expand import with_horizon
from scheduler.graph import critical_path
from scheduler.instance import CrewPool, Link, LinkType, Solution, Task, Travel, WorkCalendar
from scheduler.pipeline import load_instance, plan_project
from scheduler.solvers.budget import SolveOptions
from scheduler.solvers.greedy import greedy
from scheduler.validate import validate

DATA = Path(__file__).parent / "data" / "calendars"
runner = CliRunner()

# Monday to Thursday on a Monday-to-Friday axis that starts on a Monday: every day 4, 9,
# 14, ... (the Fridays) is off.
FOUR_DAYS = WorkCalendar("site:s4", range(4, 200, 5), 200)


def rows(outcome) -> dict[str, tuple[int, int, date, date]]:
    return {r.task_id: (r.start_day, r.end_day, r.start, r.finish) for r in outcome.schedule.tasks}


# ----------------------------------------------------------------------------- the days


def test_a_calendar_counts_its_own_workdays():
    assert FOUR_DAYS.end(0, 4) == 4  # Monday to Thursday
    assert FOUR_DAYS.end(0, 5) == 6  # ... and the next Monday: the Friday is skipped
    assert FOUR_DAYS.end(3, 2) == 6  # Thursday, then Monday
    assert FOUR_DAYS.end(4, 1) == 6  # a start on the day off works the next Monday
    assert FOUR_DAYS.start_for(6, 5) == 0
    assert FOUR_DAYS.start_for(5, 2) == 2  # Wednesday and Thursday end by Friday
    assert FOUR_DAYS.first_workday(4) == 5 and FOUR_DAYS.last_workday(4) == 3
    assert FOUR_DAYS.longest_span(2) == 3  # Thursday and Monday
    assert FOUR_DAYS.end(300, 3) == 303  # beyond its limit every day is worked
    assert FOUR_DAYS.days(-2, 8).tolist() == [-2, -1, 0, 1, 2, 3, 5, 6, 7, 8]
    assert FOUR_DAYS.days(158, 162).tolist() == [197, 198, 200, 201]  # 199 off, 200 past it
    starts = np.arange(0, 40)
    for duration in (1, 2, 5, 9):
        assert FOUR_DAYS.ends(starts, duration).tolist() == [
            FOUR_DAYS.end(int(s), duration) for s in starts
        ]


def test_links_read_ends_through_the_calendar():
    a = Task("a", 2, calendar=0)
    b = Task("b", 2, calendar=0)
    fs = make([a, b], links=[Link(0, 1)])
    fs = replace(fs, calendars=(FOUR_DAYS,))
    assert critical_path(fs).earliest == [0, 2]
    late = replace(fs, tasks=(replace(a, release=3), b))
    # a works Thursday and Monday (ends day 6); b starts on Tuesday, day 6
    assert critical_path(late).earliest == [3, 6]
    ff = replace(late, links=(Link(0, 1, LinkType.FF),))
    # b must end on or after a's end (day 6): its latest-starting such start is day 3
    assert ff.link_bound(ff.links[0], 3) == 3
    assert critical_path(ff).earliest == [3, 3]
    ff = with_horizon(ff)
    assert solved(ff).solution.starts == [3, 3]  # both end on day 6, the least makespan
    plan = greedy(ff)
    assert plan is not None and plan.starts == [3, 3] and validate(ff, plan) == []
    assert [v.rule for v in validate(ff, Solution([3, 2], [(), ()]))] == ["link"]


# ----------------------------------------------------------------------------- projects


def test_a_4x10_site_beside_a_5x8_one_in_cp_sat_and_greedy():
    outcome = plan_project(DATA / "four-and-five.yaml", SolveOptions(time_limit=10, workers=1))
    assert rows(outcome) == {
        "a4/1/hookup": (0, 6, date(2027, 1, 4), date(2027, 1, 11)),
        "a5/1/hookup": (0, 5, date(2027, 1, 4), date(2027, 1, 8)),
    }
    late = {m.milestone_id: m.late_days for m in outcome.schedule.milestones}
    assert late == {"s4-done": 1, "s5-done": 0}
    _, instance, _ = load_instance(DATA / "four-and-five.yaml")
    plan = greedy(instance)
    assert plan is not None and plan.starts == [0, 0] and validate(instance, plan) == []


def test_the_axis_holds_every_day_some_calendar_works():
    plan = load_project(DATA / "factory-six.yaml")
    assert plan.calendar.workdays == frozenset(range(6))  # the factory's Saturdays
    assert plan.program_calendar.workdays == frozenset(range(5))
    outcome = plan_project(DATA / "factory-six.yaml", SolveOptions(time_limit=10, workers=1))
    assert rows(outcome) == {
        "k/1/design": (0, 5, date(2027, 1, 4), date(2027, 1, 8)),
        "k/1/fabricate": (5, 11, date(2027, 1, 9), date(2027, 1, 15)),
        "k/1/ship": (12, 13, date(2027, 1, 18), date(2027, 1, 18)),
        "k/1/hookup": (13, 19, date(2027, 1, 19), date(2027, 1, 25)),
    }


def test_without_calendars_of_their_own_the_axis_is_the_program_calendar():
    text = (DATA / "four-and-five.yaml").read_text()
    text = text.replace("    calendar: {workdays: [mon, tue, wed, thu]}\n", "")
    project = DATA / "four-and-five.yaml"
    _, instance, _ = load_instance(project)
    assert instance.has_calendars
    plain = Path(project.parent / "plain.yaml")
    try:
        plain.write_text(text)
        _, instance, _ = load_instance(plain)
    finally:
        plain.unlink()
    assert not instance.has_calendars and instance.calendars == ()


def test_a_site_holiday_adds_to_the_program_holidays(tmp_path):
    text = (
        (DATA / "four-and-five.yaml")
        .read_text()
        .replace(
            "calendar: {workdays: [mon, tue, wed, thu]}",
            "calendar: {workdays: [mon, tue, wed, thu], holidays: [2027-01-05]}",
        )
    )
    text = text.replace("catalog.yaml", str((DATA / "catalog.yaml").resolve()))
    project = tmp_path / "holiday.yaml"
    project.write_text(text)
    outcome = plan_project(project, SolveOptions(time_limit=10, workers=1))
    # Monday, (Tuesday off), Wednesday, Thursday, Monday, Tuesday
    assert rows(outcome)["a4/1/hookup"] == (0, 7, date(2027, 1, 4), date(2027, 1, 12))


# ----------------------------------------------------------------------------- checking


def test_validator_refuses_a_start_on_a_day_off_and_counts_the_span():
    _, instance, _ = load_instance(DATA / "four-and-five.yaml")
    friday = Solution([4, 0], [("pf4#1",), ("pf5#1",)])
    assert [str(v) for v in validate(instance, friday)] == [
        "calendar: task 'a4/1/hookup' starts on day 4, a day its calendar 'site:s4' does not work"
    ]


def test_a_crew_holds_the_weekend_inside_its_task():
    """Two 2-day tasks on one crew at a Monday-to-Thursday site: the first, started on
    Thursday, works Thursday and Monday; the second cannot take the Monday."""
    pool = CrewPool("pf", frozenset({"pipefitting"}), 1)
    tasks = [Task(n, 2, site="s4", skills={"pipefitting": 1}, calendar=0) for n in "ab"]
    instance = with_horizon(replace(make(tasks, pools=[pool]), calendars=(FOUR_DAYS,)))
    clash = Solution([3, 5], [("pf#1",), ("pf#1",)])
    assert [v.rule for v in validate(instance, clash)] == ["crew-overlap"]
    result = solved(instance)
    assert sorted(result.solution.starts) == [0, 2]
    assert validate(instance, result.solution) == []


def test_travel_to_a_site_on_its_own_calendar():
    """A crew ends at s5 (every day of the axis) on day 2 and needs 1 travel day: by the
    days it could start at s4 on day 4, a Friday, s4's day off, so it starts on Monday."""
    pool = CrewPool("cx", frozenset({"commissioning"}), 1)
    tasks = [
        Task("a", 3, site="s5", skills={"commissioning": 1}),
        Task("b", 1, site="s4", skills={"commissioning": 1}, calendar=0),
    ]
    base = make(tasks, links=[Link(0, 1)], pools=[pool])
    instance = with_horizon(replace(base, calendars=(FOUR_DAYS,), travel=Travel(1)))
    result = solved(instance)
    assert result.solution.starts == [0, 5]
    plan = greedy(instance)
    assert plan is not None and plan.starts == [0, 5]


def test_check_refuses_a_plan_moved_onto_a_day_off(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["schedule", str(DATA / "four-and-five.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    csv = (out / "schedule.csv").read_text().splitlines()
    header = csv[0].split(",")
    at = {name: k for k, name in enumerate(header)}
    plan, instance, _ = load_instance(DATA / "four-and-five.yaml")
    end = instance.end_of(0, 4)  # counted from the Monday after: the Friday is off
    moved = []
    for line in csv:
        cells = line.split(",")
        if cells[0] == "a4/1/hookup":
            cells[at["start_day"]], cells[at["end_day"]] = "4", str(end)
            cells[at["start"]] = plan.calendar.iso_of(4)
            cells[at["finish"]] = plan.calendar.iso_of(end - 1)
        moved.append(",".join(cells))
    edited = tmp_path / "moved.csv"
    edited.write_text("\n".join(moved) + "\n")
    result = runner.invoke(app, ["check", str(DATA / "four-and-five.yaml"), str(edited)])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "task 'a4/1/hookup' starts on day 4, a day its calendar 'site:s4' does not work" in (
        text
    )


@pytest.mark.parametrize("name", ["four-and-five", "factory-six"])
def test_check_accepts_the_plans_it_wrote(tmp_path, name):
    out = tmp_path / "out"
    project = str(DATA / f"{name}.yaml")
    assert runner.invoke(app, ["schedule", project, "--out", str(out)]).exit_code == 0
    result = runner.invoke(app, ["check", project, str(out / "schedule.csv")])
    assert result.exit_code == 0, result.output


def test_an_unknown_weekday_in_a_site_calendar_is_refused(tmp_path):
    text = (DATA / "four-and-five.yaml").read_text().replace("[mon, tue, wed, thu]", "[mon, xyz]")
    text = text.replace("catalog.yaml", str((DATA / "catalog.yaml").resolve()))
    project = tmp_path / "bad.yaml"
    project.write_text(text)
    result = runner.invoke(app, ["schedule", str(project), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "sites[0].calendar.workdays[1]" in result.output


def test_a_replan_counts_remaining_days_on_the_site_calendar(tmp_path):
    """Status Thursday 2027-01-07 (day 3): a4's hook-up started Monday with 2 days left,
    which at s4 (Monday to Thursday) are Thursday and Monday: it ends on day 6. a5's, not
    listed, is in progress as planned and ends Friday (day 5)."""
    from scheduler.io import write_json
    from scheduler.replanning.replan import replan

    outcome = plan_project(DATA / "four-and-five.yaml", SolveOptions(time_limit=10, workers=1))
    baseline = tmp_path / "schedule.json"
    write_json(outcome.schedule, baseline)
    actuals = tmp_path / "actuals.csv"

    def replanned(remaining: int):  # type: ignore[no-untyped-def]
        actuals.write_text(
            "task_id,actual_start,actual_finish,remaining_days\n"
            f"a4/1/hookup,2027-01-04,,{remaining}\n"
        )
        return replan(
            DATA / "four-and-five.yaml",
            baseline,
            actuals,
            status_date=date(2027, 1, 7),
            options=SolveOptions(time_limit=5, workers=1),
        )

    again = replanned(2)
    assert validate(again.instance, again.result.solution) == []
    assert rows(again) == {
        "a4/1/hookup": (0, 6, date(2027, 1, 4), date(2027, 1, 11)),
        "a5/1/hookup": (0, 5, date(2027, 1, 4), date(2027, 1, 8)),
    }
    again = replanned(3)
    assert rows(again)["a4/1/hookup"] == (0, 7, date(2027, 1, 4), date(2027, 1, 12))


def test_an_infeasible_project_on_calendars_is_explained(tmp_path):
    """Two 5-day hook-ups at s4 for its one crew by Monday 2027-01-11: one ends that day
    (Monday to Thursday and Monday), the other cannot; the explaining model (calendar
    tasks at their duration, a relaxation) still finds the deadline in the conflict."""
    text = (DATA / "four-and-five.yaml").read_text()
    text = text.replace("module: pad}\n  - {id: a5", "module: pad, quantity: 2}\n  - {id: a5")
    text = text.replace(
        "{id: s4-done, after: [a4], target: 2027-01-08}",
        "{id: s4-done, after: [a4], target: 2027-01-08, deadline: 2027-01-11}",
    )
    text = text.replace("catalog.yaml", str((DATA / "catalog.yaml").resolve()))
    project = tmp_path / "late.yaml"
    project.write_text(text)
    result = runner.invoke(app, ["schedule", str(project), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert "these cannot all hold: the deadline of milestone 's4-done' (2027-01-11)" in " ".join(
        result.output.split()
    )


# ----------------------------------------------------------------------------- crew pools


def _variant(tmp_path, old: str, new: str) -> Path:
    text = (DATA / "vendor-week.yaml").read_text()
    assert old in text
    text = text.replace(old, new).replace("catalog.yaml", str((DATA / "catalog.yaml").resolve()))
    project = tmp_path / "variant.yaml"
    project.write_text(text)
    return project


def test_a_pool_on_its_own_week_narrows_the_days_its_tasks_work():
    """ABL works the program's six days, its OEM pool five and not Thursday 2027-01-07:
    the 6-day start-up works Mon-Wed, Fri, Mon, Tue (vendor-week.yaml says why)."""
    _, instance, _ = load_instance(DATA / "vendor-week.yaml")
    assert [instance.calendars[t.calendar].id for t in instance.tasks] == [
        "program+crew:oem-a",
        "site:nal",  # NAL's pool works every day NAL does: no narrowing, no new calendar
    ]
    assert instance.end_of(0, 0) == 8 and instance.end_of(1, 0) == 8
    outcome = plan_project(DATA / "vendor-week.yaml", SolveOptions(time_limit=10, workers=1))
    assert rows(outcome) == {
        "a/1/startup": (0, 8, date(2027, 1, 4), date(2027, 1, 12)),
        "n/1/startup": (0, 8, date(2027, 1, 4), date(2027, 1, 12)),
    }
    plan = greedy(instance)
    assert plan is not None and plan.starts == [0, 0] and validate(instance, plan) == []
    # the pool's Thursday off: a start there is refused, as is the Saturday
    for day in (3, 5):
        moved = Solution([day, 0], [("oem-a#1",), ("oem-n#1",)])
        assert [str(v) for v in validate(instance, moved)] == [
            f"calendar: task 'a/1/startup' starts on day {day}, a day its calendar "
            "'program+crew:oem-a' does not work"
        ]


def test_a_pool_calendar_holds_after_a_release_in_cp_sat_and_greedy(tmp_path):
    """A release on Wednesday 2027-01-06 (day 2): the next day is the pool's holiday, so
    the start-up runs Wednesday, Friday, Monday to Thursday: end_day 10 (Thu 01-14)."""
    project = _variant(
        tmp_path,
        "{id: a, site: abl, module: vendor}",
        "{id: a, site: abl, module: vendor, release: 2027-01-06}",
    )
    outcome = plan_project(project, SolveOptions(time_limit=10, workers=1))
    assert rows(outcome)["a/1/startup"] == (2, 10, date(2027, 1, 6), date(2027, 1, 14))
    _, instance, _ = load_instance(project)
    plan = greedy(instance)
    assert plan is not None and plan.starts[0] == 2


def test_pools_that_can_take_one_task_keep_one_calendar(tmp_path):
    project = _variant(
        tmp_path,
        "  - {id: oem-n, skills: [oem], count: 1, sites: [nal],",
        "  - {id: oem-x, skills: [oem], count: 1}\n"
        "  - {id: oem-n, skills: [oem], count: 1, sites: [nal],",
    )
    result = runner.invoke(app, ["schedule", str(project), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        f"{project}: crews[1].calendar (line 21, column 5): crew pools 'oem-a' and 'oem-x' "
        "can both take skill 'oem' at site 'abl' (task 'startup' of module 'vendor') but keep "
        "a calendar of its own (mon, tue, wed, thu, fri) and the calendar of the task: pools "
        "that can take the same task keep one calendar",
        f"{project}: crews[2].calendar (line 23, column 16): crew pools 'oem-x' and 'oem-n' "
        "can both take skill 'oem' at site 'nal' (task 'startup' of module 'vendor') but keep "
        "the calendar of the task and a calendar of its own (mon, tue, wed, thu, fri): pools "
        "that can take the same task keep one calendar",
    ]
    assert not (tmp_path / "out").exists()


def test_a_pool_that_works_none_of_a_sites_days_is_refused(tmp_path):
    project = _variant(
        tmp_path,
        "  - {id: oem-n, skills: [oem], count: 1, sites: [nal],\n"
        "     calendar: {workdays: [mon, tue, wed, thu, fri]}}",
        "  - {id: oem-n, skills: [oem], count: 1, sites: [nal],\n"
        "     calendar: {workdays: [fri, sat]}}",
    )
    result = runner.invoke(app, ["check", str(project), str(tmp_path / "none.csv")])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        f"{project}: crews[1].calendar.workdays (line 22, column 27): crew pool 'oem-n' works "
        "none of the workdays of site 'nal', by which task 'n/1/startup' that needs its crews "
        "works"
    ]
