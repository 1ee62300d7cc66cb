"""Tables, figures and the HTML page of scheduler.reports, on a hand-made schedule and a
10k-task one."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

from scheduler.domain.calendar import Calendar
from scheduler.instance import PHASES, Travel
from scheduler.pipeline import plan_project
from scheduler.reports import (
    crew_table,
    crew_weeks,
    crewview,
    gantt_data,
    gantt_html,
    power_table,
    power_view,
    resource_view,
    write_gantt_html,
)
from scheduler.reports import page as page_module
from scheduler.reports.crewview import CrewTask, CrewTravel, crew_moves, crew_view, merge_stays
from scheduler.reports.style import MS_PER_DAY, PHASE_COLORS
from scheduler.reports.tables import task_frame
from scheduler.schedule import (
    Kpis,
    MilestoneRow,
    PoolRow,
    PoolTravel,
    PoolWindow,
    Schedule,
    SolverInfo,
    SupplyRow,
    TaskRow,
)
from scheduler.solvers.budget import SolveOptions

DATA = Path(__file__).parent / "data" / "travel"
START = date(2027, 1, 4)  # a Monday
HOLIDAYS = [date(2027, 1, 11)]  # the second Monday: day 5 is Tue 2027-01-12
CAL = Calendar(START, frozenset(range(5)), frozenset(HOLIDAYS))

# (module_id, task, phase, start_day, end_day, crews, power_mw, gate, energise_mw)
FIXTURE_TASKS = [
    ("s1-power/1", "fabricate", "factory", 0, 5, "", 0.0, "none", 0.0),
    ("s1-power/1", "set", "site", 5, 7, "elec#1", 0.0, "none", 0.0),
    ("s1-power/1", "energise", "commissioning", 7, 8, "elec#1;cx#1", 0.0, "any", 2.0),
    ("s1-power/1", "ist", "commissioning", 8, 10, "cx#1", 1.5, "temporary", 0.0),
    ("s1-power/2", "fabricate", "factory", 2, 7, "", 0.0, "none", 0.0),
    ("s1-power/2", "ship", "transport", 7, 9, "", 0.0, "none", 0.0),
    ("s2-cool/1", "hookup", "site", 3, 5, "elec#1;elec#2", 0.0, "none", 0.0),
    ("s2-cool/1", "energise", "commissioning", 5, 6, "elec#2", 0.0, "permanent", 0.5),
]


def _task_row(
    cal: Calendar,
    module: str,
    task: str,
    phase: str,
    start: int,
    end: int,
    crews: str,
    power: float,
    gate: str,
    energise: float,
) -> TaskRow:
    deployment = module.rsplit("/", 1)[0]
    return TaskRow(
        task_id=f"{module}/{task}",
        module_id=module,
        deployment=deployment,
        module_type="ehouse" if "power" in deployment else "cdu",
        task=task,
        site=deployment.split("-")[0],
        start_day=start,
        end_day=end,
        start=cal.date_of(start),
        finish=cal.finish_date(end, end - start),
        duration=end - start,
        crews=tuple(c for c in crews.split(";") if c),
        power_mw=power,
        phase=phase,
        gate=gate,
        energise_mw=energise,
        skills=(),
        resources=(),
        task_name=task,
    )


def _milestone(
    cal: Calendar, milestone_id: str, day: int, target: int, weight: int
) -> MilestoneRow:
    return MilestoneRow(
        milestone_id,
        day,
        cal.date_of(day),
        target,
        cal.date_of(target),
        max(0, day - target),
        None,
        None,
        weight,
        (),
    )


def _supply(
    cal: Calendar, site: str, name: str, kind: str, mw: float, first: int, until: int | None = None
) -> SupplyRow:
    end = cal.date_of(until) if until is not None else None
    return SupplyRow(site, name, kind, mw, first, until, cal.date_of(first), end)


def _schedule(
    tasks: list[TaskRow],
    milestones: list[MilestoneRow],
    supplies: list[SupplyRow],
    pools: list[PoolRow],
    project: str,
    cal: Calendar,
) -> Schedule:
    end = max(t.end_day for t in tasks)
    late = sum(m.late_days for m in milestones)
    return Schedule(
        project=project,
        program_start=cal.start,
        workdays=tuple(sorted(cal.workdays)),
        holidays=tuple(sorted(cal.holidays)),
        tasks=tuple(tasks),
        milestones=tuple(milestones),
        supplies=tuple(supplies),
        pools=tuple(pools),
        solver=SolverInfo("cp-sat", "", "OPTIMAL", objective=10),
        kpis=Kpis(end, cal.finish_date(end, 1), late, late),
    )


def make_fixture() -> Schedule:
    """2 sites, 3 modules, 8 tasks, 2 supplies, 1 milestone, 2 pools."""
    tasks = [_task_row(CAL, *t) for t in FIXTURE_TASKS]
    milestones = [_milestone(CAL, "s1-rfs", 9, 8, 10)]  # 2027-01-18 against 2027-01-15
    supplies = [
        _supply(CAL, "s1", "gas turbines", "temporary", 4.0, 6),  # from 2027-01-13
        _supply(CAL, "s2", "utility", "permanent", 1.0, 5),  # from 2027-01-12
    ]
    pools = [
        PoolRow("elec", ("electrical",), 2, None),
        PoolRow("cx", ("commissioning",), 1, None),
    ]
    return _schedule(tasks, milestones, supplies, pools, "Fixture campus <test>", CAL)


def make_large(
    n_sites: int = 10,
    deployments_per_site: int = 7,
    modules_per_dep: int = 10,
    tasks_per_module: int = 14,
    extra_tasks: int = 200,
    seed: int = 1,
) -> Schedule:
    """A generated plan: 700 modules and 10,000 tasks by default (not a feasible one:
    figures do not care)."""
    rng = random.Random(seed)
    cal = Calendar(date(2027, 1, 4), frozenset(range(6)), frozenset([date(2027, 7, 5)]))
    chain = [
        "design",
        "procurement",
        "factory",
        "factory",
        "fat",
        "transport",
        "site",
        "site",
        "site",
        "site",
        "commissioning",
        "commissioning",
        "commissioning",
        "commissioning",
        "commissioning",
    ]
    pools = [PoolRow(f"p{k}", (f"skill{k}",), rng.randint(4, 12), None) for k in range(12)]
    tasks, supplies, milestones = [], [], []
    extra_left = extra_tasks
    for s in range(n_sites):
        site = f"site{s + 1}"
        supplies += [
            _supply(cal, site, "backfeed", "backfeed", 10.0, 60),
            _supply(cal, site, "turbines", "temporary", 30.0, 120, 400),
            _supply(cal, site, "utility", "permanent", 80.0, 300),
        ]
        last = 0
        for d in range(deployments_per_site):
            dep = f"{site}-d{d + 1}"
            for i in range(1, modules_per_dep + 1):
                module = f"{dep}/{i}"
                day = rng.randint(0, 150) + 10 * d
                n = tasks_per_module + (1 if extra_left > 0 else 0)
                extra_left -= n - tasks_per_module
                for k in range(n):
                    dur = rng.randint(1, 12)
                    phase = chain[k % len(chain)]
                    crews = f"p{rng.randrange(12)}#1" if phase in ("site", "commissioning") else ""
                    energise = 0.3 if k == 10 else 0.0
                    gate = "any" if k == 10 else "temporary" if k == 12 else "none"
                    row = _task_row(
                        cal,
                        module,
                        f"t{k}",
                        phase,
                        day,
                        day + dur,
                        crews,
                        0.5 if k == 12 else 0.0,
                        gate,
                        energise,
                    )
                    tasks.append(row)
                    day += dur + rng.randint(0, 3)
                last = max(last, day)
        milestones.append(_milestone(cal, f"{site}-rfs", last - 1, 300, 1))
    return _schedule(tasks, milestones, supplies, pools, "Generated mega-campus", cal)


@pytest.fixture
def fixture() -> Schedule:
    return make_fixture()


def bar_traces(fig: go.Figure) -> list:
    return [t for t in fig.data if t.type == "bar" and t.name != "baseline"]


def step_value(trace, day: str) -> float:
    """The value of a step (``hv``) curve on a date."""
    xs = list(trace.x)
    i = max(k for k, x in enumerate(xs) if x <= day)
    return float(trace.y[i])


def trace_named(fig: go.Figure, name: str, site: str):
    found = [t for t in fig.data if t.name == name and t.meta == site]
    assert len(found) == 1, (name, site, [(t.name, t.meta) for t in fig.data])
    return found[0]


# --------------------------------------------------------------------------- gantt


def task_rows(data: dict) -> list[dict]:
    """The tasks of `gantt_data`, one dict each, with their task id."""
    fields = data["tasks"]
    rows = [dict(zip(fields, values, strict=True)) for values in zip(*fields.values(), strict=True)]
    for row in rows:
        row["id"] = f"{data['rows'][row['row']][0]}/{row['task']}"
    return rows


def test_gantt_data_holds_exactly_the_tasks_by_phase(fixture):
    data = gantt_data(fixture)
    rows = task_rows(data)
    assert sorted(r["id"] for r in rows) == sorted(task_frame(fixture.tasks)["task_id"])
    phases = [p for p, _ in data["phases"]]
    assert phases == [*PHASES, "other"]
    assert [c for _, c in data["phases"][:-1]] == [PHASE_COLORS[p] for p in PHASES]
    phase_of = {t.task_id: t.phase for t in fixture.tasks}
    assert all(phases[r["phase"]] == phase_of[r["id"]] for r in rows)
    # sorted by row, phase and start: the order the browser merges runs in
    keys = [(r["row"], r["phase"], r["sd"]) for r in rows]
    assert keys == sorted(keys)
    assert [data["phases"][k][0] for k in data["lead"]] == ["design", "procurement", "factory"]


def test_gantt_data_days_are_calendar_days_from_the_start(fixture):
    ist = next(r for r in task_rows(gantt_data(fixture)) if r["id"] == "s1-power/1/ist")
    # ist: working days 8-9 = Fri 2027-01-15 and Mon 2027-01-18 (2027-01-04 + 11 and + 14)
    assert (ist["first"], ist["last"], ist["sd"], ist["ed"]) == (11, 14, 8, 10)
    assert (ist["crews"], ist["gate"], ist["mw"]) == ("cx#1", "temporary", "1.5")
    assert ist["pools"] == [gantt_data(fixture)["pools"].index("cx")]


def test_gantt_data_rows_grouped_by_site_and_deployment(fixture):
    data = gantt_data(fixture)
    assert data["sites"] == ["s1", "s2"]
    assert data["deps"] == [["s1-power", 0], ["s2-cool", 1]]
    assert data["rows"] == [["s1-power/1", 0], ["s1-power/2", 0], ["s2-cool/1", 1]]
    assert data["start"] == "2027-01-04" and data["status"] is None
    assert data["supplies"] == [
        [0, "temporary", "gas turbines", "4", 9, None],
        [1, "permanent", "utility", "1", 8, None],
    ]
    assert data["workdays"] == [0, 1, 2, 3, 4] and data["holidays"] == [7]


def test_gantt_data_milestones_know_the_deployments_they_follow(fixture):
    """A deployment's view shows the milestones that come after it, whatever their ids:
    with the milestones' deployments known it goes by those, else by the id's site."""
    (m,) = gantt_data(fixture)["milestones"]
    # s1-rfs: finish Mon 2027-01-18 (+14), target Fri 2027-01-15 (+11), 1 day late
    assert m == ["s1-rfs", 14, 11, None, 1, [0]]
    milestones = tuple(replace(m, deployments=("s2-cool",)) for m in fixture.milestones)
    moved = gantt_data(replace(fixture, milestones=milestones))
    assert moved["milestones"][0][5] == [1]


def test_gantt_data_baseline_ghosts(fixture):
    replanned = replanned_fixture()  # s1-power/2/ship moves two working days later
    for baseline in (fixture.tasks, True):
        data = gantt_data(replanned, baseline)
        rows = {r["id"]: r for r in task_rows(data)}
        assert sum(r["ghost"] is not None for r in rows.values()) == 8
        ship = rows["s1-power/2/ship"]
        # baseline: Thu 2027-01-14 and Fri 01-15; now Mon 01-18 and Tue 01-19
        assert ship["ghost"] == [10, 11] and (ship["first"], ship["last"]) == (14, 15)
        assert rows["s1-power/1/fabricate"]["status"] == "done"
    assert data["status"] == 8  # 2027-01-12
    assert all(g is None for g in gantt_data(fixture)["tasks"]["ghost"])


def test_gantt_data_drivers_and_chains(fixture):
    ist = replace(fixture.tasks[3], driver="link:s1-power/1/energise", driver_kind="link")
    crew = replace(fixture.tasks[7], driver="crew:elec#2<-s2-cool/1/hookup", driver_kind="crew")
    tasks = (*fixture.tasks[:3], ist, *fixture.tasks[4:7], crew)
    data = gantt_data(replace(fixture, tasks=tasks))
    rows = task_rows(data)
    by_id = {r["id"]: r for r in rows}
    assert rows[by_id["s1-power/1/ist"]["driver"]]["id"] == "s1-power/1/energise"
    assert rows[by_id["s2-cool/1/energise"]["driver"]]["id"] == "s2-cool/1/hookup"
    assert by_id["s1-power/1/set"]["driver"] == -1


# --------------------------------------------------------------------------- power


def test_power_table_by_hand(fixture):
    table = power_table(fixture).set_index(["site", "date"])

    def at(site: str, day: str, col: str) -> float:
        return float(table.loc[(site, date.fromisoformat(day)), col])

    # s1: temporary 4 MW from 2027-01-13; energise (any, 2 MW) on 2027-01-14 stays;
    # ist (temporary, 1.5 MW) on 2027-01-15 and 2027-01-18
    assert at("s1", "2027-01-12", "avail_any") == 0
    assert at("s1", "2027-01-13", "supply_temporary") == 4
    assert at("s1", "2027-01-13", "avail_permanent") == 0
    assert at("s1", "2027-01-13", "load_any") == 0
    assert at("s1", "2027-01-14", "load_any") == 2.0
    assert at("s1", "2027-01-15", "load_any") == 3.5
    assert at("s1", "2027-01-15", "load_temporary") == 1.5
    assert at("s1", "2027-01-18", "load_any") == 3.5
    # days run to the end of the schedule (day 9, 2027-01-18) here
    assert table.loc["s1"].index.max() == date(2027, 1, 18)
    # s2: energise on permanent gate (0.5 MW) from 2027-01-12 on
    assert at("s2", "2027-01-12", "load_permanent") == 0.5
    assert at("s2", "2027-01-12", "load_any") == 0.5
    assert at("s2", "2027-01-18", "supply_permanent") == 1.0
    assert at("s2", "2027-01-18", "load_any") == 0.5
    assert at("s2", "2027-01-08", "load_any") == 0


def test_power_view_curves_on_dates(fixture):
    fig = power_view(fixture)
    load = trace_named(fig, "load (all gated tasks)", "s1")
    assert load.line.shape == "hv"
    for day, mw in [
        ("2027-01-13", 0),
        ("2027-01-14", 2.0),
        ("2027-01-15", 3.5),
        ("2027-01-16", 3.5),
        ("2027-01-18", 3.5),
    ]:
        assert step_value(load, day) == mw, day
    temp_load = trace_named(fig, "load needing temporary+", "s1")
    assert step_value(temp_load, "2027-01-18") == 1.5
    supply = trace_named(fig, "temporary supply", "s1")
    assert step_value(supply, "2027-01-12") == 0 and step_value(supply, "2027-01-13") == 4
    s2 = trace_named(fig, "permanent supply", "s2")
    assert step_value(s2, "2027-01-12") == 1.0
    assert step_value(trace_named(fig, "load needing permanent", "s2"), "2027-01-12") == 0.5
    assert not [t for t in fig.data if t.name == "over supply"]


def test_power_supply_until_is_exclusive_and_over_supply_shows(fixture):
    turbines = replace(fixture.supplies[0], until_day=9, until_date=date(2027, 1, 18))
    sched = replace(fixture, supplies=(turbines, *fixture.supplies[1:]))  # leave on day 9
    table = power_table(sched).set_index(["site", "day"])
    assert table.loc[("s1", 8), "supply_temporary"] == 4
    assert table.loc[("s1", 9), "supply_temporary"] == 0
    # the energised 2 MW must be covered up to one day past the last supply change
    assert table.loc["s1"].index.max() == 9
    fig = power_view(sched)
    over = trace_named(fig, "over supply", "s1")
    assert list(over.x) == ["2027-01-18"]


# --------------------------------------------------------------------------- crews


def test_crew_table_and_weeks_by_hand(fixture):
    table = crew_table(fixture)
    elec = table[table["pool"] == "elec"]["busy"].tolist()
    cx = table[table["pool"] == "cx"]["busy"].tolist()
    assert elec == [0, 0, 0, 2, 2, 2, 1, 1, 0, 0]
    assert cx == [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]
    weeks = crew_weeks(fixture).set_index(["pool", "week"])
    w1, w2, w3 = date(2027, 1, 4), date(2027, 1, 11), date(2027, 1, 18)
    assert weeks.loc[("elec", w1), "mean"] == pytest.approx(0.8)
    assert weeks.loc[("elec", w1), "peak"] == 2
    assert weeks.loc[("elec", w2), "mean"] == pytest.approx(1.0)  # 4 workdays: 2, 1, 1, 0
    assert weeks.loc[("cx", w2), "utilisation"] == pytest.approx(0.5)
    assert weeks.loc[("cx", w3), "utilisation"] == pytest.approx(1.0)


def test_crew_weeks_and_idle_days_count_the_crews_available(fixture):
    """elec has 2 crews but 1 on days 6-7 (the first window that covers a day holds) and
    3 on days 0-5: week 2 (days 5-8: 3, 1, 1, 2 crews; busy 2, 1, 1, 0) is used 4 of 7
    crew-days with 1 crew at its lowest; idle days count only crews that were there.
    Once the heatmap divided by the pool's count whatever its absences."""
    from scheduler.replanning.compare import idle_days

    windows = (PoolWindow(6, 8, 1), PoolWindow(0, 6, 3))
    short = replace(fixture, pools=(replace(fixture.pools[0], available=windows), fixture.pools[1]))
    table = crew_table(short)
    assert table[table["pool"] == "elec"]["count"].tolist() == [3, 3, 3, 3, 3, 3, 1, 1, 2, 2]
    weeks = crew_weeks(short).set_index(["pool", "week"])
    w1, w2 = date(2027, 1, 4), date(2027, 1, 11)
    assert weeks.loc[("elec", w2), "count"] == 1
    assert weeks.loc[("elec", w2), "utilisation"] == pytest.approx(4 / 7, abs=1e-4)
    assert weeks.loc[("elec", w1), "utilisation"] == pytest.approx(4 / 15, abs=1e-4)
    # elec works days 3-7: 3 + 3 + 3 + 1 + 1 = 11 crew-days there, 8 busy
    assert idle_days(short)["elec"] == 11 - 8
    assert idle_days(fixture)["elec"] == 2 * 5 - 8


def test_resource_view_heatmap(fixture):
    fig = resource_view(fixture)
    assert len(fig.data) == 1
    heat = fig.data[0]
    assert heat.type == "heatmap"
    assert list(heat.y) == ["elec (2)", "cx (1)"]
    # cell edges: Monday to Monday
    assert list(heat.x) == ["2027-01-04", "2027-01-11", "2027-01-18", "2027-01-25"]
    z = np.array(heat.z, dtype=float)
    assert z[0].tolist() == pytest.approx([0.4, 0.5, 0.0])
    assert z[1].tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert [list(r) for r in heat.text] == [["2/2", "2/2", ""], ["", "1/1", "1/1"]]
    assert list(heat.customdata[1][2][1:3]) == ["1", "1"]  # peak 1 of 1


# ---------------------------------------------------------------------------- html


def test_write_gantt_html(fixture, tmp_path):
    out = write_gantt_html(fixture, tmp_path / "gantt.html")
    assert out == tmp_path / "gantt.html"
    assert [p.name for p in tmp_path.iterdir()] == ["gantt.html"]  # no temporary left
    page = out.read_text(encoding="utf-8")
    js = plotly_js()
    assert page.count(js[:400]) == 1  # plotly.js embedded once
    assert "plotly.js v" not in page  # not the full bundle
    assert "<script src=" not in page  # nothing fetched: works offline
    assert "Fixture campus &lt;test&gt;" in page
    assert "<title>Fixture campus &lt;test&gt;" in page
    for div in ("gantt", "gantt-data", "crews", "power", "crew-view"):
        assert f"id='{div}'" in page
    # one copy of the plan: the Gantt's data, its figures drawn in the browser
    assert page.count('"s1-power/2"') == 1
    assert "2027-01-15" in page and "s1-rfs" in page  # milestone table


def test_write_gantt_html_replaces_atomically(fixture, tmp_path):
    target = tmp_path / "gantt.html"
    target.write_text("old")
    write_gantt_html(fixture, target)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gantt.html"]


def test_html_escapes_script_breakers(fixture):
    first = replace(fixture.tasks[0], task="fab</script><script>alert(1)</script>")
    page = gantt_html(replace(fixture, tasks=(first, *fixture.tasks[1:])))
    assert "</script><script>alert(1)" not in page


# --------------------------------------------------------------------------- large


@pytest.fixture(scope="module")
def large() -> Schedule:
    return make_large()


def test_large_schedule_few_traces(large):
    assert len(large.tasks) == 10_000
    assert len({t.module_id for t in large.tasks}) == 700
    data = gantt_data(large)
    assert len(data["tasks"]["row"]) == 10_000 and len(data["rows"]) == 700
    assert len(power_view(large).data) < 10 * 7
    assert len(resource_view(large).data) == 1


def test_large_schedule_html(large, tmp_path):
    out = write_gantt_html(large, tmp_path / "big.html")
    page = out.read_text(encoding="utf-8")
    assert page.count(plotly_js()[:400]) == 1
    # the plan once, in a few flat lists: well under 200 bytes a task
    assert len(page) - len(plotly_js()) < 10_000 * 200


def plotly_js() -> str:
    return (Path(page_module.__file__).parent / page_module.PLOTLY_JS).read_text(encoding="utf-8")


def test_shipped_plotly_js_is_the_python_packages_version():
    """The pages embed the cartesian bundle of the plotly.js that the Python plotly package
    bundles (its figures and template are written for that version)."""
    full = re.search(r"plotly\.js v(\d+\.\d+\.\d+)", get_plotlyjs()[:300])
    shipped = re.search(r"plotly\.js \(cartesian - minified\) v(\d+\.\d+\.\d+)", plotly_js()[:300])
    assert full and shipped and shipped.group(1) == full.group(1)
    licence = Path(page_module.__file__).parent / "vendor" / "plotly.js-LICENSE"
    assert "MIT License" in licence.read_text(encoding="utf-8")


def test_large_power_matches_a_day_by_day_sum(large):
    table = power_table(large).set_index(["site", "day"])
    t = task_frame(large.tasks)
    site = t[t["site"] == "site3"]
    for day in (0, 130, 250, 399, 400):
        running = site[(site["start_day"] <= day) & (day < site["end_day"])]["power_mw"].sum()
        energised = site[site["start_day"] <= day]["energise_mw"].sum()
        assert table.loc[("site3", day), "load_any"] == pytest.approx(running + energised)
        expected = (10 if day >= 60 else 0) + (30 if 120 <= day < 400 else 0)
        expected += 80 if day >= 300 else 0
        assert table.loc[("site3", day), "avail_any"] == expected


def replanned_fixture() -> Schedule:
    """The fixture replanned on 2027-01-12: fabricate of module 1 done, ship 2 days later."""
    fixture = make_fixture()
    statuses = ["done", "in_progress"] + ["planned"] * 6
    moved = [
        replace(t, status=status, baseline_start_day=t.start_day, baseline_end_day=t.end_day)
        for t, status in zip(fixture.tasks, statuses, strict=True)
    ]
    i = next(k for k, t in enumerate(moved) if t.task_id == "s1-power/2/ship")
    moved[i] = replace(
        moved[i], start_day=9, end_day=11, start=CAL.date_of(9), finish=CAL.date_of(10)
    )
    kpis = replace(fixture.kpis, status_date=date(2027, 1, 12))
    return replace(fixture, tasks=tuple(moved), kpis=kpis)


def test_html_of_a_replan_ghosts_the_baseline(tmp_path):
    sched = replanned_fixture()
    page = write_gantt_html(sched, tmp_path / "g.html").read_text(encoding="utf-8")
    assert page.count('"ghost":[[0,4],') == 1  # fabricate of module 1, days 0 to 4
    assert "status date 2027-01-12" in page
    explicit = gantt_html(make_fixture(), baseline=make_fixture().tasks)
    assert explicit.count('"ghost":[[0,4],') == 1
    assert '"ghost":[null,' in gantt_html(make_fixture())


# --------------------------------------------------------------------------- crew view

# (module_id, task, site, start_day, end_day, crews): cx#1 works at s1 until Thu 2027-01-07
# (days 0-3), travels Fri 01-08 and Tue 01-12 (Mon 01-11 is a holiday: days 4 and 5) and
# works at s2 from day 6; cx#2 stays at s1; cx#3 works nowhere; elec#1 stays at s2
CREW_TASKS = [
    ("s1-power/1", "energise", "s1", 0, 4, "cx#1;cx#2"),
    ("s1-power/1", "ist", "s1", 4, 6, "cx#2"),
    ("s2-cool/1", "energise", "s2", 6, 8, "cx#1"),
    ("s2-cool/1", "flush", "s2", 8, 8, "cx#1"),  # works no day: places the crew nowhere
    ("s2-cool/1", "hookup", "s2", 0, 3, "elec#1"),
]


def make_travelling() -> Schedule:
    """Travel 2 days between any two sites; cx's crews travel (kpis.travel)."""
    tasks = [
        replace(_task_row(CAL, m, t, "commissioning", a, b, crews, 0.0, "none", 0.0), site=site)
        for m, t, site, a, b, crews in CREW_TASKS
    ]
    pools = [
        PoolRow("elec", ("electrical",), 1, ("s2",)),
        PoolRow("cx", ("commissioning",), 3, None),
    ]
    schedule = _schedule(tasks, [], [], pools, "Travelling <crews>", CAL)
    kpis = replace(schedule.kpis, travel={"cx": PoolTravel(1, 2)})
    return replace(schedule, kpis=kpis, travel=Travel(default=2))


def test_crew_view_travel_bar_spans_exactly_the_travel_days():
    schedule = make_travelling()
    moves = crew_moves(schedule)
    assert moves.travels == (
        CrewTravel(
            "cx#1",
            "s1-power/1/energise",
            "s2-cool/1/energise",
            "s1",
            "s2",
            2,
            4,
            date(2027, 1, 8),
            date(2027, 1, 12),
        ),
    )
    fig = crew_view(schedule, moves)
    (travel,) = [t for t in fig.data if t.name == "travel"]
    assert list(travel.y) == ["cx#1"]
    assert list(travel.base) == ["2027-01-08"]  # from the Friday after the task's end ...
    assert list(travel.x) == [5 * MS_PER_DAY]  # ... to the end of Tuesday (Monday: holiday)
    assert list(travel.text) == ["s1→s2 2d"]
    nxt = next(t for t in schedule.tasks if t.task_id == "s2-cool/1/energise")
    assert nxt.start == date(2027, 1, 13)  # the next task starts right after the travel


def test_crew_view_one_row_per_named_crew_of_the_travelling_pools():
    schedule = make_travelling()
    fig = crew_view(schedule)
    # cx travels (kpis.travel); cx#3 has no task and still has its row; elec works at s2
    assert list(fig.layout.yaxis.tickvals) == ["▸ cx", "cx#1", "cx#2", "cx#3"]
    assert "cx: 1 moves, 2 d" in fig.layout.yaxis.ticktext[0]
    bars = [t for t in fig.data if t.name != "travel"]
    assert {t.name for t in bars} == {"s1", "s2"}
    per_crew = sorted(y for t in bars for y in t.y)
    assert per_crew == ["cx#1", "cx#1", "cx#2", "cx#2"]  # a task that works no day: no bar
    s2 = next(t for t in bars if t.name == "s2")
    assert s2.marker.color != next(t for t in bars if t.name == "s1").marker.color
    assert list(s2.base) == ["2027-01-13"] and list(s2.x) == [2 * MS_PER_DAY]


def test_crew_view_a_crew_staying_at_one_site_has_no_travel_bar():
    schedule = make_travelling()
    stay = [
        replace(t, site="s1") if t.task_id == "s2-cool/1/energise" else t for t in schedule.tasks
    ]
    moves = crew_moves(replace(schedule, tasks=tuple(stay), kpis=replace(schedule.kpis, travel={})))
    assert moves.travels == ()
    assert moves.pools == ()  # no crew works at two sites between which travel takes days
    assert all(t.name != "travel" for t in crew_view(replace(schedule, tasks=tuple(stay))).data)


def test_crew_view_counts_moves_as_the_kpis_do_without_them():
    schedule = make_travelling()
    moves = crew_moves(replace(schedule, kpis=replace(schedule.kpis, travel={})))
    assert moves.pools == ("cx",) and moves.moves == schedule.kpis.travel


def test_crew_view_without_travel_shows_the_crews_that_change_site(fixture):
    moves = crew_moves(fixture)  # elec#1: s2 hookup, then s1: one move, no travel days
    assert not moves.travel and moves.pools == ("elec",)
    assert moves.crews == ("elec#1", "elec#2")
    assert moves.moves == {"elec": PoolTravel(1, 0)} and moves.travels == ()
    page = gantt_html(fixture)
    assert "id='crew-moves'" in page and "elec: 1 move" in page
    assert "The project has no travel" in page


def test_crew_moves_section_of_the_page_escapes_user_text():
    schedule = make_travelling()
    evil = "<b>s3</b>"
    tasks = tuple(replace(t, site=evil) if t.site == "s2" else t for t in schedule.tasks)
    evil_schedule = replace(schedule, tasks=tasks)
    shown = str(crew_view(evil_schedule).to_dict())  # plotly renders <b>, <a> in names
    assert "<b>s3" not in shown and "s1→&lt;b&gt;s3&lt;/b&gt; 2d" in shown
    page = gantt_html(evil_schedule)
    assert "Moves per pool</b>: cx: 1 move, 2 travel days" in page
    assert "&lt;b&gt;s3&lt;/b&gt;" in page
    assert "href='#crew-moves'" in page


def test_crew_view_of_a_plan_with_travel_across_a_weekend():
    outcome = plan_project(DATA / "weekend.yaml", SolveOptions(time_limit=10, workers=1))
    schedule = outcome.schedule
    assert schedule.travel.default > 0 or schedule.travel.between
    moves = crew_moves(schedule)
    (trip,) = moves.travels
    assert (trip.start.isoformat(), trip.finish.isoformat()) == ("2027-01-11", "2027-01-12")
    assert moves.moves == schedule.kpis.travel == {"cx": PoolTravel(1, 2)}


def test_crew_view_of_many_tasks_draws_a_site_as_one_path(monkeypatch):
    """Over CREW_MERGE_ABOVE crew tasks the bars of a site are one SVG path (a stroke a
    bar as thick as a bar: from its start to the end of its last day), with an undrawn
    trace on the middle day of each bar for the hover and a legend entry."""
    schedule = make_travelling()
    bars = crew_view(schedule)
    monkeypatch.setattr(crewview, "CREW_MERGE_ABOVE", 0)
    fig = crew_view(schedule)
    assert "travel grey" in fig.layout.title.text
    paths = [s for s in fig.layout.shapes if s.type == "path"]
    colors = [b.marker.color for b in bars.data[:-1]] + [crewview.TRAVEL_LINE]
    assert [p.line.color for p in paths] == colors
    assert all(p.layer == "between" and p.xref == "x" and p.yref == "y" for p in paths)
    assert all(p.line.width == round(0.62 * 24) for p in paths)  # as thick as a bar
    rows = list(fig.layout.yaxis.categoryarray)  # ▸ cx, cx#1, cx#2, cx#3
    travel = paths[-1]  # cx#1 (row 1): Friday 8th to the end of Tuesday 12th (Monday: holiday)
    assert travel.path == "M2027-01-08,1H2027-01-13" and rows[1] == "cx#1"
    hover = [t for t in fig.data if t.mode == "none"]
    assert [t.name for t in hover] == [b.name for b in bars.data]
    for bar, trace in zip(bars.data, hover, strict=True):
        assert trace.hovertemplate == bar.hovertemplate and not trace.showlegend
    assert list(hover[-1].x) == ["2027-01-10"]  # the middle of 5 days from the 8th
    assert list(hover[-1].customdata[0][:2]) == ["s1", "s2"]
    legend = [t.name for t in fig.data if t.mode == "markers"]
    assert legend == [b.name for b in bars.data]


def test_crew_view_of_many_tasks_draws_a_stay_as_one_bar():
    """Over CREW_MERGE_ABOVE tasks a crew's back-to-back tasks at one site are one bar;
    a free working day between two tasks, or another site, starts a new one."""
    tasks = [  # cx#1 at s1: Mon-Tue, Wed (back to back), Fri (Thu free), then s2 Mon
        CrewTask("cx#1", "a", "s1", date(2027, 1, 4), date(2027, 1, 5)),
        CrewTask("cx#1", "b", "s1", date(2027, 1, 6), date(2027, 1, 6)),
        CrewTask("cx#1", "c", "s1", date(2027, 1, 8), date(2027, 1, 8)),
        CrewTask("cx#1", "d", "s2", date(2027, 1, 12), date(2027, 1, 12)),  # Mon 11th: holiday
        CrewTask("cx#1", "e", "s2", date(2027, 1, 13), date(2027, 1, 13)),
    ]
    merged = merge_stays(tasks, CAL.is_workday)
    assert [(t.task_id, t.start, t.finish) for t in merged] == [
        ("2 tasks: a … b", date(2027, 1, 4), date(2027, 1, 6)),
        ("c", date(2027, 1, 8), date(2027, 1, 8)),
        ("2 tasks: d … e", date(2027, 1, 12), date(2027, 1, 13)),
    ]
