"""Milestone promotion (solvers/promote.py): moving a late milestone's chain up the greedy
scheme's order re-divides a crew pool two sites share. Hand-checked against CP-SAT."""

from __future__ import annotations

import threading

import pytest
from generators import make, solved

from scheduler.instance import CrewPool, Link, Milestone, Task, objective_terms
from scheduler.solvers import windows
from scheduler.solvers.budget import PLACED_PER_SECOND, Budget, Limits, SolveOptions
from scheduler.solvers.greedy import greedy
from scheduler.solvers.promote import STALL, promote
from scheduler.validate import validate


def two_sites():
    """Sites a and b each prepare (5 days, own crew) then commission (10 days) with the
    one crew of the shared pool cx. Hall a is due on day 14 (weight 1), hall b on day 15
    (weight 10). The greedy's `target` order serves a first (day 14 < 15): b finishes on
    day 24, 9 days late, 90 weighted. Serving b first leaves a 10 days late: 10."""
    pools = [
        CrewPool("el-a", frozenset({"electrical"}), 1, frozenset({"a"})),
        CrewPool("el-b", frozenset({"electrical"}), 1, frozenset({"b"})),
        CrewPool("cx", frozenset({"commissioning"}), 1),
    ]
    tasks = [
        Task("a/prep", 5, site="a", skills={"electrical": 1}),
        Task("a/cx", 10, site="a", skills={"commissioning": 1}),
        Task("b/prep", 5, site="b", skills={"electrical": 1}),
        Task("b/cx", 10, site="b", skills={"commissioning": 1}),
    ]
    links = [Link(0, 1), Link(2, 3)]
    milestones = [Milestone("a-rfs", (1,), target=14), Milestone("b-rfs", (3,), 15, weight=10)]
    return make(tasks, links=links, pools=pools, milestones=milestones)


def test_promotion_hands_the_shared_crew_to_the_heavier_hall():
    instance = two_sites()
    plan = greedy(instance, "target")
    assert plan is not None and plan.starts == [0, 5, 0, 15]
    assert objective_terms(instance, plan.starts) == (90, 25)
    best, stats = promote(instance, plan, "target", Limits(60.0))
    assert best.starts == [0, 15, 0, 5]
    assert objective_terms(instance, best.starts) == (10, 25)
    assert objective_terms(instance, solved(instance).solution.starts) == (10, 25)  # optimal
    assert validate(instance, best) == []
    # one step gave it; the others promoted a-rfs back, which is worse, till the stall
    assert (stats.improved, stats.steps) == (1, 1 + STALL)


def test_a_milestone_on_its_bound_is_not_promoted():
    instance = two_sites()
    plan = greedy(instance, "target")
    assert plan is not None
    best, stats = promote(instance, plan, "target", Limits(60.0), late_bounds={1: 9})
    assert best is plan and stats.steps == 0


def test_deterministic_mode_counts_the_work_done():
    """Three steps' worth of tasks placed, then it stops, whatever the wall clock says;
    one seed, one plan."""
    instance = two_sites()
    plan = greedy(instance, "target")
    assert plan is not None
    nominal = (3 * instance.num_tasks + 0.5) / PLACED_PER_SECOND  # (no rounding down)
    runs = [promote(instance, plan, "target", Limits(60.0, nominal), seed=7) for _ in range(2)]
    assert [stats.steps for _, stats in runs] == [3, 3]
    assert runs[0][0].starts == runs[1][0].starts


@pytest.mark.parametrize(("nominal", "marked"), [(10.0, True), (0.0, False)])
def test_deterministic_mode_without_wall_time_marks_its_run_only_with_work_left(nominal, marked):
    """No wall time: no step, the hint kept. With nominal work left the run's `clock`
    says the clock ended the stage (its plan may not repeat); with none (earlier stages
    took the run's share) the stage ends on its work count and marks nothing."""
    instance = two_sites()
    plan = greedy(instance, "target")
    assert plan is not None
    cut = threading.Event()
    best, stats = promote(instance, plan, "target", Limits(0.0, nominal, cut))
    assert best is plan and stats.steps == 0
    assert cut.is_set() is marked


def test_the_window_search_starts_from_the_promoted_plan():
    """`windows.solve` given the greedy rule: promotion first, then the windows; the
    history holds the greedy plan, then the promoted one, and the bound (no probes: the
    critical path) is below it."""
    instance = two_sites()
    plan = greedy(instance, "target")
    assert plan is not None
    options = SolveOptions(time_limit=1, workers=2)
    result = windows.solve(instance, options, plan, Budget.of(options), rule="target")
    assert objective_terms(instance, result.solution.starts) == (10, 25)
    weight = instance.tardiness_weight
    assert [o // weight for _, o, _ in result.history][:2] == [90, 10]
    assert validate(instance, result.solution) == []
