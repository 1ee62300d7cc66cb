"""scheduler/solvers/bounds.py: lateness lower bounds by deadline probes.

A bound must never exceed what a valid plan has: over random instances (drawn here, with
tight targets so that probes have something to prove, and the generated projects of
tests/generators.py) every proven bound is at most the late days of CP-SAT's optimum and
of the greedy plan. Hand-checked cases show that the probes reach the optimum where the
relaxation allows it. Probe limits are deterministic (one worker), never wall time.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from generators import PROPERTY_SETTINGS, GeneratedProject, make, projects, write_project
from hypothesis import given
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from scheduler.expand import with_horizon
from scheduler.instance import (
    CrewPool,
    Instance,
    Link,
    LinkType,
    Milestone,
    Task,
    Window,
    WorkCalendar,
    objective_terms,
)
from scheduler.pipeline import load_instance, plan_project
from scheduler.solvers.bounds import Bounds, corners, floors, late_days, parts, prove, weighted
from scheduler.solvers.budget import Limits, SolveOptions
from scheduler.solvers.cpsat import CpSatModel, solve
from scheduler.solvers.greedy import best_greedy
from scheduler.solvers.result import Status
from scheduler.validate import validate

ONE_WORKER = SolveOptions(time_limit=20, workers=1)
PROBES = Limits(wall=60.0, nominal=20.0)  # deterministic: one worker's clock ends them


def one_crew_site(num_sites: int = 1) -> Instance:
    """Per site, two 5-day tasks on the site's one crew, each its own milestone with
    target day 4 (met when the task starts on day 0), weights 2 and 1. One task waits 5
    days for the other: the least weighted late days are 5 a site (the weight-1 task
    waits), and each milestone alone can be on time, so only the pair's probes prove it."""
    tasks, milestones, pools = [], [], []
    for s in range(num_sites):
        site = f"s{s}"
        pools.append(CrewPool(f"rig-{site}", frozenset({"rig"}), 1, frozenset({site})))
        for k, weight in zip("ab", (2, 1), strict=True):
            milestones.append(Milestone(f"{site}-{k}", (len(tasks),), target=4, weight=weight))
            tasks.append(Task(f"{site}-{k}", 5, site=site, skills={"rig": 1}))
    return make(tasks, pools=pools, milestones=milestones)


def test_corners_of_the_issue_example():
    """10 l1 + 6 l2 >= 176 from l1 >= 14, l2 >= 0: the four boxes of issue 20."""
    assert corners((10, 6), (14, 0), 176) == [(14, 5), (15, 4), (16, 2), (17, 0)]
    assert corners((1, 1), (3, 3), 6) == []  # 3 + 3 >= 6 already


def test_parts_are_sites_joined_by_links():
    """Sites a and b are joined by a link, c stands alone."""
    tasks = [Task("a1", 1, site="a"), Task("a2", 1, site="a"), Task("b1", 1, site="b")]
    tasks.append(Task("c1", 1, site="c"))
    instance = make(tasks, links=[Link(1, 2)])
    assert sorted(sorted(p) for p in parts(instance)) == [[0, 1, 2], [3]]


def test_pair_probes_prove_the_optimum_of_each_site():
    """Two sites, no link between them: each part proves its 5 weighted late days by the
    pair's boxes (2 l_a + l_b >= 5), 10 in all, which is the optimum."""
    instance = one_crew_site(2)
    assert len(parts(instance)) == 2
    bounds = prove(instance, None, ONE_WORKER, PROBES)
    assert bounds.late == {0: 0, 1: 0, 2: 0, 3: 0}
    assert bounds.tardiness == 10
    assert objective_terms(instance, solve(instance, ONE_WORKER).solution.starts)[0] == 10


def test_single_milestone_bisection():
    """Three 4-day tasks on one crew, all in one milestone of target day 3: the last
    ends on day 12 at best (day 11 worked), 8 days late; the critical path alone says 0."""
    tasks = [Task(f"t{k}", 4, site="s", skills={"rig": 1}) for k in range(3)]
    pool = CrewPool("rig", frozenset({"rig"}), 1)
    instance = make(tasks, pools=[pool], milestones=[Milestone("m", (0, 1, 2), target=3)])
    bounds = prove(instance, None, ONE_WORKER, PROBES)
    assert bounds.late == {0: 8}
    assert bounds.tardiness == 8


def test_cuts_keep_the_optimum():
    """The proven bounds as cuts: the model still finds the optimum, 5 late days."""
    instance = one_crew_site()
    bounds = prove(instance, None, ONE_WORKER, PROBES)
    assert bounds.tardiness == 5
    result = solve(instance, ONE_WORKER, bounds=bounds)
    assert result.status == Status.OPTIMAL
    assert validate(instance, result.solution) == []
    assert objective_terms(instance, result.solution.starts)[0] == 5


def test_post_adds_late_and_sum_cuts():
    """The cuts are in the model: a (wrong) sum bound of 6 above the optimum's 5 lifts the
    objective to 6 weighted late days, and a milestone bound of 3 on the weight-2 one to
    10: its task now waits 5 days (2 x 5) rather than count 3 and let the other wait
    (2 x 3 + 5)."""
    instance = one_crew_site()
    weight = instance.tardiness_weight
    for bounds, tardiness in ((Bounds({0: 0, 1: 0}, 6), 6), (Bounds({0: 3, 1: 0}, 0), 10)):
        built = CpSatModel(instance)
        bounds.post(built)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        assert solver.solve(built.model) == cp_model.OPTIMAL
        assert solver.objective_value == tardiness * weight + 10  # makespan: 5 + 5 days


# ---------------------------------------------------------------- never above a plan


@st.composite
def tight_programs(draw: st.DrawFn) -> Instance:
    """1-3 sites, 2-7 tasks each with a crew of the site or of a shared pool (sometimes
    off for some days), release days, links of every type with lags from -2 to 3 inside a
    site, sometimes a link between sites; sometimes a 5-day and a Monday-to-Thursday week
    mixed with the axis's every day, task by task (the parts run on their main
    calendar's workdays: `on_workdays`); milestones of 1-3 tasks with targets around the
    tasks' earliest days (so that many are late)."""
    num_sites = draw(st.integers(1, 3))
    week = draw(st.booleans())
    tasks: list[Task] = []
    links: list[Link] = []
    shared_off = draw(st.one_of(st.none(), st.integers(0, 10)))
    off = () if shared_off is None else (Window(shared_off, shared_off + 4, 0),)
    pools = [CrewPool("shared", frozenset({"cx"}), draw(st.integers(1, 2)), windows=off)]
    for s in range(num_sites):
        site = f"s{s}"
        pools.append(CrewPool(f"rig-{site}", frozenset({"rig"}), 1, frozenset({site})))
        first = len(tasks)
        for k in range(draw(st.integers(2, 7))):
            skill = draw(st.sampled_from(["rig", "cx"]))
            duration = draw(st.integers(1, 6))
            calendar = draw(st.sampled_from([-1, 0, 0, 1])) if week else -1
            release = draw(st.sampled_from([0, 0, 1, 3, 5]))
            task = Task(
                f"{site}-{k}",
                duration,
                release,
                site=site,
                skills={skill: 1},
                calendar=calendar,
            )
            tasks.append(task)
            if k and draw(st.booleans()):
                pred = draw(st.integers(first, len(tasks) - 2))
                kind = draw(st.sampled_from(list(LinkType)))
                links.append(Link(pred, len(tasks) - 1, kind, draw(st.integers(-2, 3))))
    if num_sites > 1 and draw(st.booleans()):
        links.append(Link(0, len(tasks) - 1))
    milestones = []
    for m in range(draw(st.integers(1, 5))):
        members = draw(st.lists(st.integers(0, len(tasks) - 1), min_size=1, max_size=3))
        target = draw(st.integers(0, 12))
        weight = draw(st.integers(1, 4))
        milestones.append(Milestone(f"m{m}", tuple(sorted(set(members))), target, weight=weight))
    weekends = [d for d in range(400) if d % 7 >= 5]
    fridays_too = [d for d in range(400) if d % 7 >= 4]
    calendars = (
        (WorkCalendar("5-day", weekends, 400), WorkCalendar("4-day", fridays_too, 400))
        if week
        else ()
    )
    instance = with_horizon(
        Instance(
            "tight",
            tuple(tasks),
            tuple(links),
            (),
            tuple(pools),
            (),
            tuple(milestones),
            calendars=calendars,
        )
    )
    # weekends lengthen tasks on the axis: room for every plan of the serial scheme
    return replace(instance, horizon=2 * instance.horizon + 20)


def assert_below(instance: Instance, bounds: Bounds, starts: list[int]) -> None:
    """No bound above what the plan ``starts`` has."""
    assert bounds.tardiness <= objective_terms(instance, starts)[0]
    for m, k in bounds.late.items():
        assert k <= late_days(instance, instance.milestones[m], starts), instance.milestones[m]


@PROPERTY_SETTINGS
@given(tight_programs())
def test_bounds_never_exceed_the_optimum(instance: Instance):
    optimum = solve(instance, SolveOptions(time_limit=20, workers=2))
    assert optimum.status == Status.OPTIMAL
    greedy = best_greedy(instance)
    assert greedy is not None
    bounds = prove(instance, greedy, ONE_WORKER, PROBES)
    for plan in (optimum.solution, greedy):
        assert_below(instance, bounds, plan.starts)
    cold = prove(instance, None, ONE_WORKER, PROBES)  # bisecting up to the horizon
    assert_below(instance, cold, optimum.solution.starts)


@PROPERTY_SETTINGS
@given(projects())
def test_generated_projects_report_a_bound_below_their_plan(generated: GeneratedProject):
    """Through the whole pipeline: the reported bounds are below the plan's late days."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_project(generated, Path(folder))
        outcome = plan_project(path, SolveOptions(time_limit=5, workers=1))
    solver, kpis = outcome.schedule.solver, outcome.schedule.kpis
    assert solver.tardiness_bound is not None
    assert solver.tardiness_bound <= kpis.weighted_tardiness
    assert solver.tardiness_gap is not None and 0 <= solver.tardiness_gap <= 1
    for name, milestone in kpis.milestones.items():
        if milestone.late_days_bound is not None:
            assert milestone.late_days_bound <= milestone.late_days, name
    for m in weighted(outcome.instance):
        assert outcome.instance.milestones[m].id in kpis.milestones


EXAMPLES = Path(__file__).parent.parent / "projects"


def test_quickstart_bound_is_below_its_plan():
    """Every example small enough for a unit test: the bound against the plan found
    (three-sites and atlas-27 are measured in benchmarks/bounds.py)."""
    _, instance, _ = load_instance(EXAMPLES / "quickstart.yaml")
    greedy = best_greedy(instance)
    assert greedy is not None
    bounds = prove(instance, greedy, ONE_WORKER, PROBES)
    assert_below(instance, bounds, greedy.starts)
    outcome = plan_project(EXAMPLES / "quickstart.yaml", SolveOptions(time_limit=10, workers=1))
    assert_below(outcome.instance, bounds, outcome.result.solution.starts)


def test_a_milestone_of_weight_zero_has_its_floor():
    """a(4) -FS-> b(3): milestone m on b, target day 4, weight 0 (reported, in no sum).
    b cannot end before day 7 (last day 6): 2 days late at least; the floor says so,
    and the weighted sum's floor stays 0."""
    instance = make(
        [Task("a", 4), Task("b", 3)],
        links=[Link(0, 1, LinkType.FS, 0)],
        milestones=[Milestone("m", (1,), 4, None, 0)],
    )
    bounds = floors(instance)
    assert bounds.late == {0: 2}
    assert bounds.tardiness == 0
