"""Crews that travel between sites (DESIGN.md, Travel): the rule in the CP-SAT model, the
greedy scheme, the validator, `modsched check` and the KPIs, on hand-built instances.

The rule: a named crew whose next task is at another site starts it no earlier than the
previous task's end plus the travel days between the two sites.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

from generators import PROPERTY_SETTINGS, GeneratedProject, make, projects, solved, write_project
from hypothesis import given
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.expand import with_horizon
from scheduler.instance import CrewPool, Instance, Link, Solution, Task, Travel
from scheduler.pipeline import load_instance, plan_project
from scheduler.replanning.status import Baseline, Report, as_planned, pin_status
from scheduler.schedule import PoolTravel, travel_kpis
from scheduler.solvers.budget import SolveOptions
from scheduler.solvers.cpsat import solve
from scheduler.solvers.greedy import best_greedy, greedy
from scheduler.solvers.result import Status
from scheduler.validate import validate

DATA = Path(__file__).parent / "data" / "travel"
runner = CliRunner()
CX = CrewPool("cx", frozenset({"commissioning"}), 1)


def travelling(tasks: list[Task], days: int | Travel, **parts: object) -> Instance:
    """``make`` with travel (a default, or a `Travel`)."""
    travel = days if isinstance(days, Travel) else Travel(days)
    return with_horizon(replace(make(tasks, **parts), travel=travel))


def visit(task_id: str, site: str, duration: int = 3) -> Task:
    return Task(task_id, duration, site=site, skills={"commissioning": 1})


def chain(days: int) -> Instance:
    """One crew, a (s1, 3 days) then b (s2, 2 days) by FS: b waits for the crew to travel.
    Optimum: a on [0, 3), b on [3 + days, 5 + days): makespan 5 + days."""
    return travelling([visit("a", "s1"), visit("b", "s2", 2)], days, links=[Link(0, 1)], pools=[CX])


def test_fs_chain_waits_for_travel_in_cp_sat_and_greedy():
    instance = chain(2)
    result = solved(instance)
    assert result.solution.starts == [0, 5]
    assert result.objective == 7
    plan = greedy(instance)
    assert plan is not None and plan.starts == [0, 5] and validate(instance, plan) == []


def test_without_travel_the_chain_is_back_to_back():
    assert solved(chain(0)).solution.starts == [0, 3]


def test_validator_names_the_crew_both_tasks_and_the_days_missing():
    instance = chain(2)
    plan = Solution([0, 4], [("cx#1",), ("cx#1",)])
    assert [str(v) for v in validate(instance, plan)] == [
        "crew-travel: crew 'cx#1' ends task 'a' at site 's1' on day 2 and starts task 'b' "
        "at site 's2' on day 4: 2 travel day(s) needed, 1 missing"
    ]
    assert validate(instance, Solution([0, 5], [("cx#1",), ("cx#1",)])) == []


def test_travel_between_a_pair_overrides_the_default():
    instance = replace(chain(2), travel=Travel(2, {("s1", "s2"): 4}))
    assert solved(instance).solution.starts == [0, 7]
    plan = Solution([0, 5], [("cx#1",), ("cx#1",)])
    assert "4 travel day(s) needed, 2 missing" in str(validate(instance, plan)[0])


def test_two_crews_each_stay_at_their_site():
    """Two crews, two tasks at each site, each pair chained by FS; travel 5 days. Optimum
    4: each crew keeps to one site (a crew that switched would lose 5 days)."""
    pool = replace(CX, count=2)
    tasks = [visit("a1", "s1", 2), visit("b1", "s2", 2), visit("a2", "s1", 2), visit("b2", "s2", 2)]
    instance = travelling(tasks, 5, links=[Link(0, 2), Link(1, 3)], pools=[pool])
    result = solved(instance)
    assert result.objective == 4
    crews = result.solution.crews
    assert crews[0] == crews[2] and crews[1] == crews[3] and crews[0] != crews[1]
    plan = best_greedy(instance)
    assert plan is not None and validate(instance, plan) == []
    assert max(s + 2 for s in plan.starts) == 4


def test_a_pool_at_one_site_never_travels():
    local = CrewPool("el", frozenset({"electrical"}), 1, sites=frozenset({"s1"}))
    anywhere = CrewPool("cx", frozenset({"commissioning"}), 1)
    tasks = [
        Task("a", 2, site="s1", skills={"electrical": 1}),
        Task("b", 2, site="s1", skills={"commissioning": 1}),
        Task("c", 2, site="s1", skills={"commissioning": 1}),
    ]
    instance = travelling(tasks, 3, pools=[local, anywhere])
    assert instance.travelling_pools() == []  # cx could travel, but all its work is at s1
    result = solved(instance)
    assert result.objective == 4  # b and c back to back at s1: no travel between them
    assert travel_kpis(instance, result.solution) == {}


def test_tasks_that_work_no_day_or_have_no_site_need_no_travel():
    tasks = [visit("a", "s1"), visit("m", "s2", 0), Task("n", 1, skills={"commissioning": 1})]
    instance = travelling(tasks, 2, links=[Link(0, 1), Link(1, 2)], pools=[CX])
    assert solved(instance).solution.starts == [0, 3, 3]


def test_pinned_tasks_are_facts_even_when_they_break_travel():
    """A replan's facts (pinned start and crews) that break travel between themselves do
    not make the model infeasible; a free task still keeps its travel from them."""
    tasks = [
        replace(visit("a", "s1"), fixed_start=0, fixed_crews=("cx#1",)),
        replace(visit("b", "s2"), fixed_start=3, fixed_crews=("cx#1",)),
        visit("c", "s1"),
    ]
    instance = travelling(tasks, 2, links=[Link(1, 2)], pools=[CX])
    plan = greedy(instance)
    assert plan is not None and plan.starts[2] == 8
    cp = solve(instance, SolveOptions(time_limit=10, workers=1))
    assert cp.status == Status.OPTIMAL and cp.solution is not None
    assert cp.solution.starts[2] == 8
    assert [v.rule for v in validate(instance, cp.solution)] == ["crew-travel"]  # the facts


def test_kpis_count_moves_and_travel_days_per_pool():
    instance = chain(2)
    plan = Solution([0, 5], [("cx#1",), ("cx#1",)])
    assert travel_kpis(instance, plan) == {"cx": PoolTravel(moves=1, travel_days=2)}


# ---------------------------------------------------------------- from a project file


def test_travel_across_a_weekend(tmp_path):
    outcome = plan_project(DATA / "weekend.yaml", SolveOptions(time_limit=10, workers=1))
    rows = {row.task_id: row for row in outcome.schedule.tasks}
    first, second = rows["first/1/test"], rows["second/1/test"]
    assert (first.start.isoformat(), first.finish.isoformat()) == ("2027-01-06", "2027-01-08")
    assert second.start.isoformat() == "2027-01-13"  # Monday and Tuesday on the road
    assert outcome.schedule.kpis.travel == {"cx": PoolTravel(1, 2)}
    out = tmp_path / "out"
    result = runner.invoke(app, ["schedule", str(DATA / "weekend.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    kpis = json.loads((out / "schedule.json").read_text())["kpis"]
    assert kpis["travel"] == {"cx": {"moves": 1, "travel_days": 2}}


def test_check_exit_1_names_the_crew_of_a_plan_made_without_travel(tmp_path):
    text = (DATA / "weekend.yaml").read_text()
    catalog = (DATA / "catalog.yaml").resolve()
    no_travel = tmp_path / "no-travel.yaml"
    no_travel.write_text(
        text.replace("default: 2", "default: 0").replace("catalog.yaml", str(catalog))
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["schedule", str(no_travel), "--out", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["check", str(DATA / "weekend.yaml"), str(out / "schedule.csv")])
    assert result.exit_code == 1, result.output
    assert (
        "crew 'cx#1' ends task 'first/1/test' at site 's1' on day 2 and starts task "
        "'second/1/test' at site 's2' on day 3: 2 travel day(s) needed, 2 missing"
    ) in " ".join(result.output.split())
    result = runner.invoke(app, ["check", str(no_travel), str(out / "schedule.csv")])
    assert result.exit_code == 0, result.output


def test_loader_reads_travel():
    _, instance, _ = load_instance(DATA / "weekend.yaml")
    assert instance.travel.days("s1", "s2") == 2 and instance.travel.days("s2", "s2") == 0
    assert [instance.pools[p].id for p in instance.travelling_pools()] == ["cx"]


# ---------------------------------------------------------------- generated projects


def with_travel(generated: GeneratedProject) -> GeneratedProject:
    """The project with travel between any two sites (3 days), and 1 between s1 and s2."""
    project = dict(generated.project)
    project["travel"] = {"default": 3, "between": [{"sites": ["s1", "s2"], "days": 1}]}
    if len(project["sites"]) < 2:
        project["travel"] = {"default": 3}
    return GeneratedProject(project, generated.modules)


@PROPERTY_SETTINGS
@given(projects())
def test_greedy_and_cp_sat_plans_with_travel_pass_the_validator(generated: GeneratedProject):
    with tempfile.TemporaryDirectory() as folder:
        path = write_project(with_travel(generated), Path(folder))
        _, instance, _ = load_instance(path)
        plan = best_greedy(instance)
        assert plan is not None
        assert validate(instance, plan) == []
        outcome = plan_project(path, SolveOptions(time_limit=5, workers=1))
    assert outcome.result.solution is not None
    assert validate(outcome.instance, outcome.result.solution) == []


# ---------------------------------------------------------------- replanning


def test_a_replan_knows_where_a_crew_just_finished():
    """Baseline: cx#1 at s1 on [0, 3) (a), then b at s2 on [5, 7). Status day 3: a is
    done, yet its crew is still 2 days from s2, so b starts on day 5 at the earliest; a
    done task that ended long before the status day (c, [0, 1) at s2 for cx#2) is let go."""
    pool = replace(CX, count=2)
    tasks = [visit("a", "s1"), visit("b", "s2", 2), visit("c", "s2", 1)]
    instance = travelling(tasks, 2, pools=[pool])
    baseline = Baseline(
        {"a": 0, "b": 5, "c": 0},
        {"a": 3, "b": 7, "c": 1},
        {"a": ("cx#1",), "b": ("cx#1",), "c": ("cx#2",)},
        "2027-01-04",
    )
    report = Report("baseline.json", baseline)
    pinned, _ = pin_status(instance, baseline, as_planned(baseline, instance, 3), 3, report)
    assert pinned.tasks[0].fixed_crews == ("cx#1",) and pinned.tasks[0].skills
    assert pinned.tasks[2].fixed_crews is None and not pinned.tasks[2].skills
    plan = greedy(pinned)
    assert plan is not None and validate(pinned, plan) == []
    moved = Solution([0, 3, 0], [("cx#1",), ("cx#1",), ()])
    assert [v.rule for v in validate(pinned, moved)] == ["crew-travel"]
    result = solve(pinned, SolveOptions(time_limit=10, workers=1))
    assert result.solution is not None and validate(pinned, result.solution) == []
    assert result.solution.starts[1] == 3 and result.solution.crews[1] == ("cx#2",)


def test_a_crew_too_close_after_a_start_on_day_0_moves_the_start_on():
    """One crew, 3 travel days: B at site b from day 4 (placed first by its order), then
    A at site a, released on day 0: a start on day 0 ends on day 2, too close before B;
    the scheme looks past B (nothing before day 0 to look back at) and places A after it,
    on day 9 (B ends on day 6, plus 3 days of travel)."""
    tasks = (
        Task("B", 2, release=4, site="b", skills={"w": 1}),
        Task("A", 2, release=0, site="a", skills={"w": 1}),
    )
    pool = CrewPool("c", frozenset({"w"}), 1)
    instance = Instance("t", tasks, pools=(pool,), horizon=60, travel=Travel(3))
    for plan in (
        greedy(instance, "target"),
        greedy(instance, "mts"),
        greedy(instance, order=[0, 1]),
    ):
        assert plan is not None and plan.starts == [4, 9]
        assert validate(instance, plan) == []
