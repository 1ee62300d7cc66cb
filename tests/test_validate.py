"""Tests of the independent validator: a valid plan passes, each rule catches a mutation.

Tiny hand-built instances; each expected message was worked out by hand.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.errors import ScheduleInvalid
from scheduler.instance import (
    CrewPool,
    Gate,
    Instance,
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
from scheduler.validate import RULES, Violation, assert_valid, recompute_objective, validate

# ----------------------------------------------------------------------------- helpers


def make(*tasks: Task, **fields) -> Instance:
    return Instance(name="t", tasks=tuple(tasks), **fields)


def plan(starts: list[int], crews: list[tuple[str, ...]] | None = None) -> Solution:
    return Solution(list(starts), crews if crews is not None else [() for _ in starts])


def moved(solution: Solution, index: int, start: int) -> Solution:
    starts = list(solution.starts)
    starts[index] = start
    return Solution(starts, list(solution.crews))


def recrewed(solution: Solution, index: int, *crews: str) -> Solution:
    new = list(solution.crews)
    new[index] = tuple(crews)
    return Solution(list(solution.starts), new)


def rules(violations: list[Violation]) -> list[str]:
    return [v.rule for v in violations]


def messages(violations: list[Violation]) -> list[str]:
    return [v.message for v in violations]


# ----------------------------------------------------------------------------- complete fixture
#
# One module through fab -> set -> hookup -> energise -> IST (load bank) -> L5, plus a
# survey at a second site. Supplies at s1: backfeed 100 kW from day 2, temporary 300 kW on
# [4, 9), permanent 1000 kW from day 9.
#
#  i task            days    crews       notes
#  0 m/1/fab         0-1     -           fixed to day 0
#  1 m/1/set         2       rig#1       crane (capacity 0 on day 0, 1 after); FS fab
#  2 m/1/hookup      3-4     ab#1 ab#2   needs a:1 b:1 from pool {a, b}; FS set
#  3 m/1/energise    6       cx#1        gate any, energises 100 kW; FS hookup lag 1
#  4 m/1/ist         7-8     cx#2        gate temporary, draws 200 kW; SS energise lag 1
#  5 m/1/l5          9       cx#1        gate permanent; FF ist lag 1 (end 10 >= 9 + 1)
#  6 m/1/rfs         10 (0d) -           SF l5 lag 1 (end 10 >= 9 + 1)
#  7 s2/survey       0-2     ab#1        site s2
#
# Power on day 7 (any): 200 running + 100 energised = 300 <= 100 + 300; (temporary): 200 <=
# 300. Pool cx has 1 crew on [6, 8): one busy crew a day there. Milestone m1 (tasks 0-5) is
# reached on day 9, target 8, weight 3: tardiness 3; makespan 10; scalar 3 * 21 + 10 = 73.


def complete() -> tuple[Instance, Solution]:
    tasks = (
        Task("m/1/fab", 2, site="s1", fixed_start=0, fixed_crews=()),
        Task("m/1/set", 1, site="s1", skills={"rigging": 1}, resources={"crane": 1}),
        Task("m/1/hookup", 2, site="s1", skills={"a": 1, "b": 1}),
        Task(
            "m/1/energise",
            1,
            site="s1",
            skills={"commissioning": 1},
            gate=Gate.ANY,
            energise_kw=100,
        ),
        Task(
            "m/1/ist", 2, site="s1", skills={"commissioning": 1}, gate=Gate.TEMPORARY, power_kw=200
        ),
        Task("m/1/l5", 1, site="s1", skills={"commissioning": 1}, gate=Gate.PERMANENT),
        Task("m/1/rfs", 0, site="s1"),
        Task("s2/survey", 3, site="s2", skills={"a": 1}),
    )
    instance = make(
        *tasks,
        links=(
            Link(0, 1),
            Link(1, 2),
            Link(2, 3, LinkType.FS, 1),
            Link(3, 4, LinkType.SS, 1),
            Link(4, 5, LinkType.FF, 1),
            Link(5, 6, LinkType.SF, 1),
        ),
        resources=(Resource("crane", 1, kind="site", windows=(Window(0, 1, 0),)),),
        pools=(
            CrewPool("rig", frozenset({"rigging"}), 1, sites=frozenset({"s1"})),
            CrewPool("ab", frozenset({"a", "b"}), 2),
            CrewPool("cx", frozenset({"commissioning"}), 2, windows=(Window(6, 8, 1),)),
        ),
        supplies=(
            Supply("backfeed", "s1", SupplyKind.BACKFEED, 100, start=2),
            Supply("turbines", "s1", SupplyKind.TEMPORARY, 300, start=4, end=9),
            Supply("utility", "s1", SupplyKind.PERMANENT, 1000, start=9),
        ),
        milestones=(
            Milestone("m1", tuple(range(6)), target=8, deadline=12, weight=3),
            Milestone("m2", (6,)),
        ),
        horizon=20,
    )
    solution = plan(
        [0, 2, 3, 6, 7, 9, 10, 0],
        [(), ("rig#1",), ("ab#2", "ab#1"), ("cx#1",), ("cx#2",), ("cx#1",), (), ("ab#1",)],
    )
    return instance, solution


def test_complete_fixture_is_valid():
    instance, solution = complete()
    assert validate(instance, solution) == []
    assert_valid(instance, solution)


def test_recompute_objective_of_complete_fixture():
    instance, solution = complete()
    assert recompute_objective(instance, solution) == (3, 10, 73)


def test_recompute_objective_without_targets_is_the_makespan():
    instance = make(Task("a", 4), Task("b", 0), milestones=(Milestone("m", (0,)),), horizon=9)
    assert recompute_objective(instance, plan([2, 7])) == (0, 7, 7)


def test_recompute_objective_sums_weighted_late_days():
    # m1 day = 5 - 1 = 4, target 1: 3 late x 2; m2 day = 2 - 1 = 1, target 3: on time.
    instance = make(
        Task("a", 3),
        Task("b", 2),
        milestones=(Milestone("m1", (0, 1), target=1, weight=2), Milestone("m2", (1,), 3)),
        horizon=10,
    )
    assert recompute_objective(instance, plan([2, 0])) == (6, 5, 6 * 11 + 5)


def test_recompute_objective_rejects_wrong_length():
    with pytest.raises(ValueError, match="1 starts for 2 tasks"):
        recompute_objective(make(Task("a", 1), Task("b", 1)), plan([0]))


# ----------------------------------------------------------------------------- tasks, start


def test_wrong_length_is_reported_alone():
    instance, solution = complete()
    short = Solution(solution.starts[:-1], solution.crews)
    assert validate(instance, short) == [
        Violation("tasks", None, None, "solution has 7 starts and 8 crew lists for 8 tasks")
    ]


def test_start_not_a_whole_day_and_crews_not_a_list():
    instance, solution = complete()
    bad = Solution([*solution.starts[:7], 1.5], [*solution.crews[:7], "ab#1"])
    assert messages(validate(instance, bad)) == [
        "task 's2/survey' has start 1.5, not a whole day",
        "task 's2/survey' has crews 'ab#1', not a list of crew ids",
    ]


def test_crews_none_is_a_shape_error():
    instance, solution = complete()
    bad = Solution(solution.starts, [*solution.crews[:7], None])
    assert messages(validate(instance, bad)) == [
        "task 's2/survey' has crews None, not a list of crew ids"
    ]


def test_absurd_start_is_a_shape_error():
    instance, solution = complete()
    assert rules(validate(instance, moved(solution, 7, 10**9))) == ["tasks"]


def test_negative_start():
    instance, solution = complete()
    found = validate(instance, moved(solution, 7, -1))
    assert found == [
        Violation("start", "s2/survey", -1, "task 's2/survey' starts on day -1 before day 0")
    ]


# ----------------------------------------------------------------------------- release, deadline


def test_release():
    instance = make(Task("a/1/set", 1, release=5))
    assert validate(instance, plan([5])) == []
    assert validate(instance, plan([3])) == [
        Violation(
            "release", "a/1/set", 3, "task 'a/1/set' starts on day 3 before its release day 5"
        )
    ]


def test_deadline_is_an_exclusive_end_day():
    instance = make(Task("a", 3, deadline=4))
    assert validate(instance, plan([1])) == []  # days 1-3, end 4
    assert messages(validate(instance, plan([2]))) == [
        "task 'a' ends on day 5 after its deadline day 4"
    ]


def test_release_zero_is_left_to_start():
    instance = make(Task("a", 1), Task("b", 1, release=2))
    assert rules(validate(instance, plan([-1, -1]))) == ["start", "start", "release"]


def test_zero_duration_task_obeys_release_and_deadline():
    instance = make(Task("gate", 0, release=2, deadline=3))
    assert validate(instance, plan([3])) == []
    assert rules(validate(instance, plan([1]))) == ["release"]
    assert rules(validate(instance, plan([4]))) == ["deadline"]


# ----------------------------------------------------------------------------- links

# a: duration 2 at day 5 (s_a 5, e_a 7); b: duration 3; lag 1.
LINK_CASES = [
    (
        LinkType.FS,
        8,
        7,
        "task 'b' starts on day 7 but link FS from task 'a' (ends on day 7, "
        "lag 1) needs day 8 or later",
    ),
    (
        LinkType.SS,
        6,
        5,
        "task 'b' starts on day 5 but link SS from task 'a' (starts on day 5, "
        "lag 1) needs day 6 or later",
    ),
    (
        LinkType.FF,
        5,
        4,
        "task 'b' ends on day 7 but link FF from task 'a' (ends on day 7, "
        "lag 1) needs day 8 or later",
    ),
    (
        LinkType.SF,
        3,
        2,
        "task 'b' ends on day 5 but link SF from task 'a' (starts on day 5, "
        "lag 1) needs day 6 or later",
    ),
]


@pytest.mark.parametrize(("link_type", "earliest", "too_early", "message"), LINK_CASES)
def test_link_types(link_type, earliest, too_early, message):
    instance = make(Task("a", 2), Task("b", 3), links=(Link(0, 1, link_type, 1),))
    assert validate(instance, plan([5, earliest])) == []
    # the violation's day is the successor's side of the inequality (its start or end)
    day = too_early + (3 if link_type in (LinkType.FF, LinkType.SF) else 0)
    assert validate(instance, plan([5, too_early])) == [Violation("link", "b", day, message)]


def test_negative_lag_lets_the_successor_overlap():
    instance = make(Task("a", 4), Task("b", 1), links=(Link(0, 1, LinkType.FS, -2),))
    assert validate(instance, plan([0, 2])) == []
    assert rules(validate(instance, plan([0, 1]))) == ["link"]


def test_link_in_complete_fixture():
    instance, solution = complete()
    found = validate(instance, moved(solution, 2, 2))  # hookup on the set day
    assert rules(found) == ["link", "crew-overlap"]  # ab#1 is also on the survey on day 2
    assert found[0].message == (
        "task 'm/1/hookup' starts on day 2 but link FS from task "
        "'m/1/set' (ends on day 3, lag 0) needs day 3 or later"
    )


def test_zero_duration_task_obeys_links():
    instance = make(Task("a", 3), Task("done", 0), links=(Link(0, 1),))
    assert validate(instance, plan([0, 3])) == []
    assert rules(validate(instance, plan([0, 2]))) == ["link"]


# ----------------------------------------------------------------------------- fixed


def test_fixed_start_and_crews():
    pool = CrewPool("ab", frozenset({"a"}), 2)
    instance = make(
        Task("a", 1, skills={"a": 1}, fixed_start=4, fixed_crews=("ab#1",)), pools=(pool,)
    )
    assert validate(instance, plan([4], [("ab#1",)])) == []
    assert messages(validate(instance, plan([5], [("ab#2",)]))) == [
        "task 'a' is fixed to start on day 4 but starts on day 5",
        "task 'a' is fixed to crews 'ab#1' but has 'ab#2'",
    ]


def test_fixed_crews_in_any_order():
    pool = CrewPool("ab", frozenset({"a", "b"}), 2)
    task = Task("t", 1, skills={"a": 1, "b": 1}, fixed_crews=("ab#1", "ab#2"))
    assert validate(make(task, pools=(pool,)), plan([0], [("ab#2", "ab#1")])) == []


def test_fixed_start_in_complete_fixture():
    instance, solution = complete()
    found = validate(instance, moved(solution, 0, 1))
    assert rules(found) == ["link", "fixed"]  # fab moved: set now starts before fab's end


# ----------------------------------------------------------------------------- crews


@pytest.mark.parametrize(
    ("crew", "why"),
    [
        ("ab#3", "pool 'ab' has crews 1 to 2"),
        ("ab#0", "pool 'ab' has crews 1 to 2"),
        ("zz#1", "no such pool"),
        ("ab", "no such pool"),
        ("ab#x", "pool 'ab' has crews 1 to 2"),
    ],
)
def test_crew_unknown(crew, why):
    instance, solution = complete()
    found = validate(instance, recrewed(solution, 7, crew))
    assert found[0] == Violation(
        "crew-unknown", "s2/survey", 0, f"task 's2/survey' names unknown crew '{crew}' ({why})"
    )
    # the unknown crew covers no skill either
    assert rules(found) == ["crew-unknown", "crew-skill"]


def test_crew_count_too_many():
    instance, solution = complete()
    found = validate(instance, recrewed(solution, 7, "ab#1", "ab#2"))
    assert found == [
        Violation("crew-count", "s2/survey", 0, "task 's2/survey' has 2 crew(s) but needs 1 (a: 1)")
    ]


def test_crew_count_too_few():
    instance, solution = complete()
    found = validate(instance, recrewed(solution, 2, "ab#1"))
    assert rules(found) == ["crew-count", "crew-skill"]
    assert found[0].message == "task 'm/1/hookup' has 1 crew(s) but needs 2 (a: 1, b: 1)"


def test_crews_on_a_task_that_needs_none():
    instance, solution = complete()
    found = validate(instance, recrewed(solution, 0, "ab#2"))
    assert "task 'm/1/fab' has 1 crew(s) but needs 0 (no crew)" in messages(found)


def test_one_crew_listed_for_two_skills():
    # Pool {a, b} x 2 covers needs {a: 1, b: 1} with two crews, not with one crew twice.
    instance, solution = complete()
    found = validate(instance, recrewed(solution, 2, "ab#1", "ab#1"))
    assert found == [
        Violation(
            "crew-count", "m/1/hookup", 3, "task 'm/1/hookup' lists crew 'ab#1' more than once"
        ),
        Violation(
            "crew-skill",
            "m/1/hookup",
            3,
            "task 'm/1/hookup' needs a: 1, b: 1 but crews 'ab#1' cannot cover them "
            "with one skill each",
        ),
    ]


def test_crew_skill_missing_skill():
    pool = CrewPool("aa", frozenset({"a"}), 2)
    instance = make(Task("t", 1, skills={"a": 1, "b": 1}), pools=(pool,))
    assert validate(instance, plan([0], [("aa#1", "aa#2")])) == [
        Violation(
            "crew-skill",
            "t",
            0,
            "task 't' needs a: 1, b: 1 but crews 'aa#1', 'aa#2' "
            "cannot cover them with one skill each",
        )
    ]


@pytest.mark.parametrize("order", [("x#1", "y#1"), ("y#1", "x#1")])
def test_crew_skill_needs_a_matching_not_a_greedy_pick(order):
    # x can do a or b, y only a: x must take b, whatever the order the crews are listed in.
    pools = (CrewPool("x", frozenset({"a", "b"}), 1), CrewPool("y", frozenset({"a"}), 1))
    instance = make(Task("t", 1, skills={"a": 1, "b": 1}), pools=pools)
    assert validate(instance, plan([0], [order])) == []


def test_crew_skill_with_two_crews_of_one_skill():
    pools = (CrewPool("x", frozenset({"a", "b"}), 1), CrewPool("y", frozenset({"a"}), 2))
    instance = make(Task("t", 1, skills={"a": 2, "b": 1}), pools=pools)
    assert validate(instance, plan([0], [("y#1", "x#1", "y#2")])) == []
    assert rules(validate(instance, plan([0], [("y#1", "y#2", "y#1")]))) == [
        "crew-count",
        "crew-skill",
    ]


def test_crew_site():
    instance, solution = complete()
    instance = replace(
        instance, tasks=(*instance.tasks[:7], replace(instance.tasks[7], skills={"rigging": 1}))
    )
    found = validate(instance, recrewed(moved(solution, 7, 3), 7, "rig#1"))
    assert found == [
        Violation(
            "crew-site",
            "s2/survey",
            3,
            "crew 'rig#1' of task 's2/survey' may not work at site 's2' (pool 'rig' works at 's1')",
        )
    ]


def test_crew_overlap():
    instance, solution = complete()
    found = validate(instance, moved(solution, 7, 2))  # survey on days 2-4, hookup 3-4
    assert found == [
        Violation(
            "crew-overlap",
            "s2/survey",
            3,
            "crew 'ab#1' works on tasks 'm/1/hookup', 's2/survey' on day 3",
        )
    ]


def test_crew_overlap_first_day_of_each_run():
    # c#1 on a (days 0-9), b (days 2-3) and d (days 6-7): double-booked on 2-3 and 6-7.
    pool = CrewPool("c", frozenset({"x"}), 1)
    tasks = [Task(t, d, skills={"x": 1}) for t, d in (("a", 10), ("b", 2), ("d", 2))]
    found = validate(make(*tasks, pools=(pool,)), plan([0, 2, 6], [("c#1",)] * 3))
    assert [(v.rule, v.task_id, v.day) for v in found] == [
        ("crew-overlap", "b", 2),
        ("crew-overlap", "d", 6),
    ]
    assert found[1].message == "crew 'c#1' works on tasks 'a', 'd' on day 6"


def test_crew_back_to_back_is_no_overlap():
    instance, solution = complete()
    assert validate(instance, moved(solution, 7, 5)) == []  # hookup ends on day 5


def test_zero_duration_task_holds_its_crew_on_no_day():
    pool = CrewPool("c", frozenset({"a"}), 1)
    instance = make(Task("a", 2, skills={"a": 1}), Task("b", 0, skills={"a": 1}), pools=(pool,))
    assert validate(instance, plan([0, 1], [("c#1",), ("c#1",)])) == []


def test_crew_availability_first_day_of_each_run():
    # Two crews, only one available on [3, 5) and on [7, 8).
    pool = CrewPool("cx", frozenset({"c"}), 2, windows=(Window(3, 5, 1), Window(7, 8, 1)))
    instance = make(Task("a", 8, skills={"c": 1}), Task("b", 8, skills={"c": 1}), pools=(pool,))
    found = validate(instance, plan([2, 2], [("cx#2",), ("cx#1",)]))
    assert found == [
        Violation(
            "crew-availability",
            None,
            3,
            "pool 'cx' has 2 crews busy on day 3 but "
            "only 1 available ('cx#1' on 'b', 'cx#2' on 'a')",
        ),
        Violation(
            "crew-availability",
            None,
            7,
            "pool 'cx' has 2 crews busy on day 7 but "
            "only 1 available ('cx#1' on 'b', 'cx#2' on 'a')",
        ),
    ]


def test_crew_availability_in_complete_fixture():
    instance, solution = complete()
    # Give the survey to cx#1 on days 5-7: on day 7 it and the IST (cx#2) are two busy
    # crews of pool cx where one is available.
    survey = replace(instance.tasks[7], skills={"commissioning": 1})
    instance = replace(instance, tasks=(*instance.tasks[:7], survey))
    found = validate(instance, recrewed(moved(solution, 7, 5), 7, "cx#1"))
    assert rules(found) == ["crew-overlap", "crew-availability"]  # cx#1 also energises day 6
    assert found[1].message == (
        "pool 'cx' has 2 crews busy on day 7 but only 1 available "
        "('cx#1' on 's2/survey', 'cx#2' on 'm/1/ist')"
    )


# ----------------------------------------------------------------------------- resources


def test_resource_over_capacity_once_per_run():
    # Capacity 1, raised to 2 on [10, 20): a and b together on 0-29 are over on 0-9, 20-29.
    crane = Resource("crane", 1, windows=(Window(10, 20, 2),))
    instance = make(
        Task("a", 30, resources={"crane": 1}),
        Task("b", 30, resources={"crane": 1}),
        resources=(crane,),
    )
    assert validate(instance, plan([0, 0])) == [
        Violation(
            "resource",
            None,
            0,
            "resource 'crane' is used 2 on day 0 over its capacity 1 (tasks 'a', 'b')",
        ),
        Violation(
            "resource",
            None,
            20,
            "resource 'crane' is used 2 on day 20 over its capacity 1 (tasks 'a', 'b')",
        ),
    ]
    assert validate(instance, plan([0, 30])) == []


def test_resource_in_complete_fixture():
    instance, solution = complete()
    # The crane has capacity 0 on day 0: set there breaks it (and the FS link from fab).
    found = validate(instance, moved(solution, 1, 0))
    assert "resource 'crane' is used 1 on day 0 over its capacity 0 (tasks 'm/1/set')" in (
        messages(found)
    )


def test_resource_with_scale_and_many_tasks():
    bank = Resource("load-bank-mw", 15, scale=10)  # 1.5 MW, amounts in 0.1 MW
    tasks = [Task(f"t{i}", 1, resources={"load-bank-mw": 2}) for i in range(8)]
    found = validate(make(*tasks, resources=(bank,)), plan([0] * 8))
    assert messages(found) == [
        "resource 'load-bank-mw' is used 1.6 on day 0 over its capacity 1.5 "
        "(tasks 't0', 't1', 't2', 't3', 't4' and 3 more)"
    ]


def test_unknown_resource():
    found = validate(make(Task("a", 1, resources={"ghost": 1})), plan([0]))
    assert found == [Violation("resource", "a", 0, "task 'a' uses unknown resource 'ghost'")]


# ----------------------------------------------------------------------------- power gate


def gate_instance(*tasks: Task) -> Instance:
    """s1: backfeed 100 kW always, temporary 200 kW on [0, 5), permanent 0 kW from day 0."""
    return make(
        *tasks,
        supplies=(
            Supply("backfeed", "s1", SupplyKind.BACKFEED, 100),
            Supply("turbines", "s1", SupplyKind.TEMPORARY, 200, end=5),
            Supply("utility (not yet)", "s1", SupplyKind.PERMANENT, 0),
        ),
    )


def test_power_gate_with_zero_supply():
    instance = gate_instance(Task("l5", 2, site="s1", gate=Gate.PERMANENT))
    assert validate(instance, plan([0])) == [
        Violation(
            "power-gate",
            "l5",
            0,
            "task 'l5' runs on day 0 but site 's1' has no permanent power then",
        )
    ]


def test_power_gate_when_the_supply_ends_mid_task():
    instance = gate_instance(Task("l4", 3, site="s1", gate=Gate.TEMPORARY))
    assert validate(instance, plan([1])) == []
    assert messages(validate(instance, plan([4]))) == [
        "task 'l4' runs on day 5 but site 's1' has no temporary or permanent power then"
    ]


def test_power_gate_any_accepts_backfeed():
    instance = gate_instance(Task("l3", 10, site="s1", gate=Gate.ANY))
    assert validate(instance, plan([3])) == []


def test_power_gate_site_without_supply_or_without_site():
    instance = gate_instance(
        Task("far", 1, site="s2", gate=Gate.ANY), Task("nowhere", 1, gate=Gate.ANY)
    )
    assert messages(validate(instance, plan([0, 0]))) == [
        "task 'far' runs on day 0 but site 's2' has no power of any kind then",
        "task 'nowhere' needs power of any kind but has no site",
    ]


def test_power_gate_in_complete_fixture():
    instance, solution = complete()
    # L5 on day 8 has no permanent power yet (and breaks its FF link with the IST)
    found = validate(instance, moved(solution, 5, 8))
    assert found[-1] == Violation(
        "power-gate",
        "m/1/l5",
        8,
        "task 'm/1/l5' runs on day 8 but site 's1' has no permanent power then",
    )


# ----------------------------------------------------------------------------- power


def test_energised_load_stays_after_the_temporary_supply_ends():
    # Energised on turbines at day 2; turbines leave on day 10, utility arrives on day 15:
    # the load has no supply on days 10-14, reported once, on day 10.
    supplies = (
        Supply("turbines", "s1", SupplyKind.TEMPORARY, 1000, start=0, end=10),
        Supply("utility", "s1", SupplyKind.PERMANENT, 2000, start=15),
    )
    task = Task("hall/energise", 1, site="s1", gate=Gate.ANY, energise_kw=500)
    instance = make(task, supplies=supplies)
    assert validate(instance, plan([2])) == [
        Violation(
            "power",
            None,
            10,
            "site 's1' needs 500 kW of power of any kind on day 10 "
            "but has 0 kW (energised 'hall/energise' 500 kW)",
        )
    ]
    with_backfeed = replace(
        instance, supplies=(*supplies, Supply("backfeed", "s1", SupplyKind.BACKFEED, 500))
    )
    assert validate(with_backfeed, plan([2])) == []


def test_energised_load_checked_to_the_last_supply_change():
    # The schedule ends on day 3 but the turbines leave on day 20: still checked then.
    supplies = (Supply("turbines", "s1", SupplyKind.TEMPORARY, 1000, end=20),)
    task = Task("e", 1, site="s1", gate=Gate.TEMPORARY, energise_kw=300)
    found = validate(make(task, supplies=supplies), plan([2]))
    assert [(v.rule, v.day) for v in found] == [("power", 20), ("power", 20)]
    assert found[1].message == (
        "site 's1' needs 300 kW of temporary or permanent power on "
        "day 20 but has 0 kW (energised 'e' 300 kW)"
    )


def test_zero_duration_energise_on_the_last_day_is_checked():
    # The schedule ends on day 6 and no supply changes after day 0: power_until(6) is 6, so
    # a load energised on day 6 would never be checked; it is, on day 6.
    supplies = (Supply("backfeed", "s1", SupplyKind.BACKFEED, 40),)
    work = Task("work", 6, site="s1")
    energise = Task("e", 0, site="s1", gate=Gate.ANY, energise_kw=50)
    found = validate(make(work, energise, supplies=supplies), plan([0, 6]))
    assert [(v.rule, v.day) for v in found] == [("power", 6)]
    light = replace(energise, energise_kw=40)
    assert validate(make(work, light, supplies=supplies), plan([0, 6])) == []


NESTED = (
    Supply("backfeed", "s1", SupplyKind.BACKFEED, 100),
    Supply("turbines", "s1", SupplyKind.TEMPORARY, 200),
    Supply("utility", "s1", SupplyKind.PERMANENT, 300),
)  # any: 600 kW, temporary or better: 500 kW, permanent: 300 kW


def draw(task_id: str, gate: Gate, kw: int) -> Task:
    return Task(task_id, 1, site="s1", gate=gate, power_kw=kw)


@pytest.mark.parametrize(
    ("draws", "expected"),
    [
        ([("any", Gate.ANY, 600)], []),
        ([("any", Gate.ANY, 601)], [(Gate.ANY, 601, 600)]),
        ([("p", Gate.PERMANENT, 300), ("t", Gate.TEMPORARY, 200), ("a", Gate.ANY, 100)], []),
        (
            [("p", Gate.PERMANENT, 300), ("t", Gate.TEMPORARY, 200), ("a", Gate.ANY, 101)],
            [(Gate.ANY, 601, 600)],
        ),
        ([("p", Gate.PERMANENT, 301)], [(Gate.PERMANENT, 301, 300)]),
        (
            [("p", Gate.PERMANENT, 301), ("t", Gate.TEMPORARY, 200)],
            [(Gate.TEMPORARY, 501, 500), (Gate.PERMANENT, 301, 300)],
        ),
        ([("t", Gate.TEMPORARY, 250), ("p", Gate.PERMANENT, 250)], []),
        ([("a", Gate.ANY, 550), ("p", Gate.PERMANENT, 100)], [(Gate.ANY, 650, 600)]),
    ],
)
def test_power_levels_nest(draws, expected):
    # A permanent-gated draw counts at all three levels; an any-gated one only against all.
    instance = make(*(draw(*d) for d in draws), supplies=NESTED)
    found = validate(instance, plan([0] * len(draws)))
    assert rules(found) == ["power"] * len(expected)
    words = {
        Gate.ANY: "power of any kind",
        Gate.TEMPORARY: "temporary or permanent power",
        Gate.PERMANENT: "permanent power",
    }
    for violation, (level, need, have) in zip(found, expected, strict=True):
        assert violation.message.startswith(
            f"site 's1' needs {need} kW of {words[level]} on day 0 but has {have} kW (running "
        )


def test_power_message_names_running_and_energised_loads():
    supplies = (Supply("backfeed", "s1", SupplyKind.BACKFEED, 100),)
    instance = make(
        draw("ist", Gate.ANY, 80),
        Task("e", 1, site="s1", gate=Gate.ANY, energise_kw=30),
        supplies=supplies,
    )
    assert messages(validate(instance, plan([1, 0]))) == [
        "site 's1' needs 110 kW of power of any kind on day 1 but has 100 kW "
        "(running 'ist' 80 kW; energised 'e' 30 kW)"
    ]


def test_power_draw_without_gate_counts_as_any():
    supplies = (Supply("backfeed", "s1", SupplyKind.BACKFEED, 100, start=1),)
    instance = make(Task("bank", 2, site="s1", power_kw=150), supplies=supplies)
    assert rules(validate(instance, plan([0]))) == ["power-gate", "power"]


def test_power_in_complete_fixture():
    instance, solution = complete()
    # Energise on day 1, before the backfeed arrives on day 2 (and too soon after hookup).
    found = validate(instance, moved(solution, 3, 1))
    assert [(v.rule, v.day) for v in found] == [("link", 1), ("power-gate", 1), ("power", 1)]
    # A 350 kW load bank on days 7-8: any: 350 + 100 energised > 400; temporary: 350 > 300.
    bigger = replace(
        instance,
        tasks=(*instance.tasks[:4], replace(instance.tasks[4], power_kw=350), *instance.tasks[5:]),
    )
    assert messages(validate(bigger, solution)) == [
        "site 's1' needs 450 kW of power of any kind on day 7 but has 400 kW "
        "(running 'm/1/ist' 350 kW; energised 'm/1/energise' 100 kW)",
        "site 's1' needs 350 kW of temporary or permanent power on day 7 but has 300 kW "
        "(running 'm/1/ist' 350 kW)",
    ]


# ----------------------------------------------------------------------------- milestones


def test_milestone_deadline():
    instance, solution = complete()
    tight = replace(instance, milestones=(replace(instance.milestones[0], deadline=8),))
    assert validate(tight, solution) == [
        Violation(
            "milestone-deadline",
            "m/1/l5",
            9,
            "milestone 'm1' is reached on day 9 (task 'm/1/l5') after its deadline day 8",
        )
    ]
    on_time = replace(instance, milestones=(replace(instance.milestones[0], deadline=9),))
    assert validate(on_time, solution) == []


# ----------------------------------------------------------------------------- API


def test_assert_valid_lists_the_first_violations():
    tasks = [Task(f"t{i}", 1, release=9) for i in range(7)]
    with pytest.raises(ScheduleInvalid) as caught:
        assert_valid(make(*tasks), plan([0] * 7))
    assert len(caught.value.violations) == 7
    text = str(caught.value)
    assert text.splitlines()[0] == "schedule breaks 7 rule(s):"
    assert "  release: task 't0' starts on day 0 before its release day 9" in text
    assert "t5" not in text
    assert text.splitlines()[-1] == "  ... and 2 more"


def test_violations_follow_the_order_of_rules():
    instance, solution = complete()
    bad = moved(moved(recrewed(solution, 7, "ab#1", "zz#9"), 0, 1), 5, -1)
    found = validate(instance, bad)
    order = [RULES.index(r) for r in rules(found)]
    assert order == sorted(order)
    assert validate(instance, bad) == found


def test_every_rule_name_is_documented():
    import scheduler.validate as module

    for rule in RULES:
        assert f"``{rule}``" in module.__doc__


# ----------------------------------------------------------------------------- properties


@given(
    st.lists(st.integers(0, 12), min_size=2, max_size=5),
    st.lists(st.integers(0, 4), min_size=5, max_size=5),
)
def test_unit_resource_and_crew_agree_with_pairwise_overlap(starts, durations):
    """A crane of capacity 1 and a single crew both break iff two running tasks share a day."""
    n = len(starts)
    tasks = [Task(f"t{i}", durations[i], skills={"c": 1}, resources={"crane": 1}) for i in range(n)]
    instance = make(
        *tasks, resources=(Resource("crane", 1),), pools=(CrewPool("c", frozenset({"c"}), 1),)
    )
    found = set(rules(validate(instance, plan(starts, [("c#1",)] * n))))
    ends = [s + d for s, d in zip(starts, durations, strict=False)]
    clash = any(
        max(starts[i], starts[j]) < min(ends[i], ends[j]) for i in range(n) for j in range(i + 1, n)
    )
    assert found == ({"resource", "crew-overlap"} if clash else set())


@given(
    st.sampled_from(list(LinkType)),
    st.integers(-3, 3),
    st.integers(0, 10),
    st.integers(0, 10),
    st.integers(0, 3),
    st.integers(0, 3),
)
def test_link_agrees_with_its_inequality(link_type, lag, s_a, s_b, d_a, d_b):
    instance = make(Task("a", d_a), Task("b", d_b), links=(Link(0, 1, link_type, lag),))
    e_a, e_b = s_a + d_a, s_b + d_b
    holds = {
        "FS": s_b >= e_a + lag,
        "SS": s_b >= s_a + lag,
        "FF": e_b >= e_a + lag,
        "SF": e_b >= s_a + lag,
    }[link_type]
    assert (validate(instance, plan([s_a, s_b])) == []) == holds
