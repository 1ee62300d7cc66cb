"""Each constraint family of the CP-SAT model on a tiny instance whose optimum is
worked out by hand in the test's docstring. Every plan goes through the validator and its
recomputed objective must equal the solver's (`generators.solved`)."""

from __future__ import annotations

import pytest
from generators import make, solved, starts
from ortools.sat.python import cp_model

from scheduler.errors import InfeasibleModel
from scheduler.instance import (
    CrewPool,
    Gate,
    Link,
    LinkType,
    Milestone,
    Resource,
    Solution,
    Supply,
    SupplyKind,
    Task,
    Window,
)
from scheduler.solvers.budget import SolveOptions
from scheduler.solvers.cpsat import CpSatModel, solve
from scheduler.solvers.cpsat.families import crews_cover
from scheduler.solvers.cpsat.model import skill_split
from scheduler.solvers.result import Status
from scheduler.validate import validate


def test_link_types_with_lags():
    """a(3) -FS+2-> b(2) -SS-1-> c(4) -FF+1-> d(2) -SF+0-> e(1).
    b >= 3+2 = 5; c >= 5-1 = 4; d ends >= c end + 1 = 9, so d = 7; e ends >= d start 7,
    so e >= 6. Makespan = max(9, 8, 7) = 9 with d ending at 9."""
    tasks = [Task(n, d) for n, d in zip("abcde", [3, 2, 4, 2, 1], strict=True)]
    links = [
        Link(0, 1, LinkType.FS, 2),
        Link(1, 2, LinkType.SS, -1),
        Link(2, 3, LinkType.FF, 1),
        Link(3, 4, LinkType.SF, 0),
    ]
    instance = make(tasks, links=links)
    result = solved(instance)
    got = result.solution.starts
    assert got[:4] == [0, 5, 4, 7]
    assert got[4] >= 6
    assert result.objective == 9


def test_release_and_deadline():
    """A task released on day 4 starts there; a deadline that cuts it is infeasible."""
    assert starts(make([Task("a", 3, release=4)])) == [4]
    result = solve(make([Task("a", 3, release=4, deadline=6)]), SolveOptions(time_limit=5))
    assert result.status == Status.INFEASIBLE


def test_site_eligibility_and_unavailability():
    """Pool 'east' works only at site e and is out (both crews) on days 0-4; pool 'west'
    works at w. The task at e waits to day 5; the task at w starts on day 0."""
    east = CrewPool("east", frozenset({"elec"}), 2, frozenset({"e"}), (Window(0, 5, 0),))
    west = CrewPool("west", frozenset({"elec"}), 1, frozenset({"w"}))
    tasks = [Task("a", 2, site="e", skills={"elec": 1}), Task("b", 2, site="w", skills={"elec": 1})]
    result = solved(make(tasks, pools=[east, west]))
    assert result.solution.starts == [5, 0]
    assert result.solution.crews[0][0].startswith("east#")
    assert result.solution.crews[1] == ("west#1",)


def test_partial_unavailability_limits_parallel_work():
    """A 2-crew pool with one crew out on days 0-9: two 3-day tasks cannot overlap before
    day 10, so the second starts on day 3 and the makespan is 6."""
    pool = CrewPool("cx", frozenset({"cx"}), 2, windows=(Window(0, 10, 1),))
    tasks = [Task("a", 3, skills={"cx": 1}), Task("b", 3, skills={"cx": 1})]
    assert solved(make(tasks, pools=[pool])).objective == 6


def test_task_needing_two_skills_takes_two_crews():
    """Needs electrical and commissioning: a one-crew pool with both skills cannot give two
    skills at once (infeasible); with two crews both are named."""
    need = {"elec": 1, "cx": 1}
    one = CrewPool("multi", frozenset({"elec", "cx"}), 1)
    result = solve(make([Task("a", 1, skills=need)], pools=[one]), SolveOptions(time_limit=5))
    assert result.status == Status.INFEASIBLE
    two = CrewPool("multi", frozenset({"elec", "cx"}), 2)
    result = solved(make([Task("a", 1, skills=need)], pools=[two]))
    assert sorted(result.solution.crews[0]) == ["multi#1", "multi#2"]


def test_need_split_across_pools():
    """Needs 3 pipefitting crews; pools of 2 and 1 together cover it at once."""
    pools = [CrewPool("p1", frozenset({"pipe"}), 2), CrewPool("p2", frozenset({"pipe"}), 1)]
    result = solved(make([Task("a", 4, skills={"pipe": 3})], pools=pools))
    assert sorted(result.solution.crews[0]) == ["p1#1", "p1#2", "p2#1"]


def test_a_plan_whose_crews_cover_two_skills_is_a_hint_the_model_takes():
    """a needs elec 1 and cx 1; pool "multi" (elec and cx, 1 crew) comes first, pool "el"
    (elec, 1 crew) second. The only plan gives el#1 to elec and multi#1 to cx. The hint
    splits the crews so (a maximum flow); fixed to its hint, the model has that plan.
    Given to the first skill each pool has, as the hint once was, multi went to elec
    beside el, and cx had none: no plan of the model (MSPSP set-1b m40_00)."""
    pools = [
        CrewPool("multi", frozenset({"elec", "cx"}), 1),
        CrewPool("el", frozenset({"elec"}), 1),
    ]
    instance = make([Task("a", 2, skills={"elec": 1, "cx": 1})], pools=pools)
    plan = Solution([0], [("el#1", "multi#1")])
    assert validate(instance, plan) == []
    assert skill_split(instance, 0, {0: 1, 1: 1}) == {
        ("elec", 0): 0,
        ("elec", 1): 1,
        ("cx", 0): 1,
    }
    built = CpSatModel(instance)
    built.add_hint(plan)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.fix_variables_to_their_hinted_value = True
    assert solver.solve(built.model) == cp_model.OPTIMAL


def test_crane_capacity_and_window():
    """One crane (capacity 1), out of service on days 0-2 (capacity 0): three 1-day lifts
    happen on days 3, 4 and 5; makespan 6."""
    crane = Resource("s/crane", 1, "site", windows=(Window(0, 3, 0),))
    tasks = [Task(f"set{k}", 1, resources={"s/crane": 1}) for k in range(3)]
    result = solved(make(tasks, resources=[crane]))
    assert sorted(result.solution.starts) == [3, 4, 5]


def test_window_above_capacity_raises_it_only_there():
    """A factory of 1 slot with 3 slots on days 4-5: six 1-day builds run one a day on
    days 0-3 and the last two together on day 4 (makespan 5). The model once gave the
    window's 3 slots to every day (makespan 2, which the validator rejects)."""
    factory = Resource("factory/f", 1, "factory", windows=(Window(4, 6, 3),))
    tasks = [Task(f"b{k}", 1, resources={"factory/f": 1}) for k in range(6)]
    result = solved(make(tasks, resources=[factory]))
    assert result.objective == 5
    assert sorted(result.solution.starts)[:4] == [0, 1, 2, 3]


def test_zero_day_task_needs_no_free_day_of_a_one_crew_pool():
    """cx (one crew) is out on days 0-9 and busy with 'a' on days 10-14; a 0-day sign-off
    needing cx with release 5 and deadline 8 works no day, so it may sit in both."""
    pool = CrewPool("cx", frozenset({"cx"}), 1, windows=(Window(0, 10, 0),))
    tasks = [
        Task("a", 5, skills={"cx": 1}),
        Task("sign", 0, skills={"cx": 1}, release=5, deadline=8),
    ]
    result = solved(make(tasks, pools=[pool]))
    assert result.solution.starts == [10, 5]


def test_program_resource_and_factory_shared_by_sites():
    """Load banks: 3 MW (scale 1000) shared; two 2 MW tests at two sites cannot overlap.
    A factory with one slot serves both sites: two 5-day builds run one after another."""
    bank = Resource("load-bank-mw", 3000, "program", scale=1000)
    factory = Resource("factory/f1", 1, "factory")
    tasks = [
        Task("t1", 2, site="a", resources={"load-bank-mw": 2000}),
        Task("t2", 2, site="b", resources={"load-bank-mw": 2000}),
        Task("f1", 5, site="a", resources={"factory/f1": 1}),
        Task("f2", 5, site="b", resources={"factory/f1": 1}),
    ]
    result = solved(make(tasks, resources=[bank, factory]))
    s = result.solution.starts
    assert abs(s[0] - s[1]) >= 2 and abs(s[2] - s[3]) >= 5
    assert result.objective == 10


def test_gate_waits_for_supply():
    """An 'any' gated energise waits for the backfeed from day 10."""
    supply = Supply("backfeed", "s", SupplyKind.BACKFEED, 1000, 10)
    assert starts(make([Task("e", 1, site="s", gate=Gate.ANY)], supplies=[supply])) == [10]


def test_gate_needs_supply_for_whole_duration():
    """Temporary power on days [0, 5) and permanent from day 8: a 4-day temporary-gated
    test fits on days 0-3; a 6-day one must wait for day 8."""
    supplies = [
        Supply("gt", "s", SupplyKind.TEMPORARY, 1000, 0, 5),
        Supply("grid", "s", SupplyKind.PERMANENT, 1000, 8),
    ]
    assert starts(make([Task("t", 4, site="s", gate=Gate.TEMPORARY)], supplies=supplies)) == [0]
    assert starts(make([Task("t", 6, site="s", gate=Gate.TEMPORARY)], supplies=supplies)) == [8]


def test_power_draw_against_supply():
    """2 MW of temporary power: two 1.5 MW load-bank tests of 3 days run one after another."""
    supply = Supply("gt", "s", SupplyKind.TEMPORARY, 2000, 0)
    tasks = [Task(f"lb{k}", 3, site="s", gate=Gate.TEMPORARY, power_kw=1500) for k in range(2)]
    assert solved(make(tasks, supplies=[supply])).objective == 6


def test_energised_load_stays_after_temporary_supply_leaves():
    """Turbines (1 MW) on days [0, 20), grid (1 MW) from day 30. A module energised with
    0.8 MW of load must be carried on every later day, so energising before day 30 would
    leave it unpowered on days 20-29: it starts on day 30."""
    supplies = [
        Supply("gt", "s", SupplyKind.TEMPORARY, 1000, 0, 20),
        Supply("grid", "s", SupplyKind.PERMANENT, 1000, 30),
    ]
    task = Task("energise", 1, site="s", gate=Gate.ANY, energise_kw=800)
    assert starts(make([task], supplies=supplies)) == [30]


def test_nested_power_levels():
    """Temporary 2 MW from day 0, permanent 1 MW from day 10. A permanent-gated 1 MW IST
    waits to day 10. An any-gated 1.5 MW test overlaps it: level any holds 2.5 <= 3, level
    permanent holds 1 <= 1. A second permanent 1 MW IST must follow the first."""
    supplies = [
        Supply("gt", "s", SupplyKind.TEMPORARY, 2000, 0),
        Supply("grid", "s", SupplyKind.PERMANENT, 1000, 10),
    ]
    ist = Task("ist", 4, site="s", gate=Gate.PERMANENT, power_kw=1000, release=10)
    lb = Task("lb", 4, site="s", gate=Gate.ANY, power_kw=1500, release=10)
    assert starts(make([ist, lb], supplies=supplies)) == [10, 10]
    ist2 = Task("ist2", 4, site="s", gate=Gate.PERMANENT, power_kw=1000)
    got = starts(make([ist, ist2], supplies=supplies))
    assert sorted(got) == [10, 14]


def test_weighted_tardiness_then_makespan():
    """One crew, tasks a and b of 3 days. Milestone A (weight 10) on a and B (weight 1) on
    b, both targeting day 2. a first: A on time, B on day 5, 3 late days x 1 = 3.
    b first would cost 30. Objective 3 x (horizon + 1) + makespan 6."""
    pool = CrewPool("c", frozenset({"x"}), 1)
    tasks = [Task("a", 3, skills={"x": 1}), Task("b", 3, skills={"x": 1})]
    milestones = [Milestone("A", (0,), target=2, weight=10), Milestone("B", (1,), target=2)]
    instance = make(tasks, pools=[pool], milestones=milestones)
    result = solved(instance)
    assert result.solution.starts == [0, 3]
    assert result.objective == 3 * instance.tardiness_weight + 6


def test_milestone_deadline_is_hard():
    """Same two tasks without targets but B has a deadline on day 2: b must go first."""
    pool = CrewPool("c", frozenset({"x"}), 1)
    tasks = [Task("a", 3, skills={"x": 1}), Task("b", 3, skills={"x": 1})]
    instance = make(tasks, pools=[pool], milestones=[Milestone("B", (1,), deadline=2)])
    assert solved(instance).solution.starts == [3, 0]


def test_pairs_the_crews_cannot_staff_at_once_never_overlap():
    """a needs 2 y, b needs 1 x; only crews A and C (one each, both x and y) bring either,
    two z crews the rest. Per skill (2 x, 2 y crews) and over all skills (3 needs, 4 crews)
    the counts fit, but no assignment staffs a and b at once: the model adds a no_overlap
    on their own intervals, and the optimum runs them one after the other (3 + 2 days)."""

    pools = [
        CrewPool("A", frozenset({"x", "y"}), 1),
        CrewPool("C", frozenset({"x", "y"}), 1),
        CrewPool("B", frozenset({"z"}), 2),
    ]
    tasks = [
        Task("a", 3, skills={"y": 2}),
        Task("b", 2, skills={"x": 1}),
        Task("c", 4, skills={"z": 1}),
    ]
    instance = make(tasks, pools=pools)
    built = CpSatModel(instance)
    assert not crews_cover(built, (0, 1))
    assert crews_cover(built, (0, 2)) and crews_cover(built, (1, 2))
    groups = [
        sorted(c.no_overlap.intervals) for c in built.model.proto.constraints if c.has_no_overlap()
    ]
    assert sorted([built.tasks[0].interval.index, built.tasks[1].interval.index]) in groups
    assert solved(instance).objective == 5


def test_a_power_draw_without_a_gate_waits_for_supply():
    """A task that draws 5 MW but names no gate is gated on any supply (DESIGN.md):
    with 1 MW of backfeed from day 0 and 5 MW of grid from day 10 it starts on day 10.
    The model once left it unconstrained, a plan the validator rejected."""
    supplies = [
        Supply("backfeed", "s", SupplyKind.BACKFEED, 1000, 0),
        Supply("grid", "s", SupplyKind.PERMANENT, 5000, 10),
    ]
    task = Task("load", 2, site="s", power_kw=5000)
    assert task.gate == Gate.ANY
    assert starts(make([task], supplies=supplies)) == [10]


def test_unknown_resource_and_zero_need():
    """A resource id no resource has is refused (as the validator and greedy refuse it),
    not left unconstrained; a skill need of 0 asks for no crew and no pool."""
    with pytest.raises(InfeasibleModel, match="task 'a' uses unknown resource 'crane'"):
        CpSatModel(make([Task("a", 1, resources={"crane": 1})]))
    assert starts(make([Task("a", 2, skills={"welding": 0})])) == [0]
