"""Float, drivers and why-chains (scheduler/explain.py, issue 21) on hand-built plans
whose answers are worked out by hand in each test's comment, and the float checked
independently: delaying a task by its total float (pushing only what must follow it)
keeps the objective; one day more does not."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from pathlib import Path

import pytest

from scheduler.explain import (
    ROOT_KINDS,
    _constraints,
    _cumulatives,
    chain_root,
    explain,
    why_summary,
)
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
    Travel,
    Window,
)
from scheduler.pipeline import plan_project
from scheduler.reports.gantt import gantt_data
from scheduler.schedule import PoolRow
from scheduler.solvers.budget import SolveOptions
from scheduler.validate import recompute_objective, validate

ROOT = Path(__file__).parents[1]


def day(d: int) -> str:
    return f"d{d}"


def plan(instance: Instance, starts: list[int], crews: list[tuple[str, ...]] | None = None):
    solution = Solution(starts, crews or [() for _ in starts])
    assert validate(instance, solution) == []
    return solution


def floats(instance, solution, status_day=None):
    x = explain(instance, solution, day, status_day)
    return x, {t.id: r for t, r in zip(instance.tasks, x.tasks, strict=True)}


# ----------------------------------------------------------------------------- independent


def delayed(instance: Instance, solution: Solution, j: int, delta: int) -> Solution:
    """Task ``j`` ``delta`` days later and only what must follow it: successors along
    links, each crew's next task, and, where the validator finds a capacity exceeded on a
    day, a task running then (right-shifted to the next day): on a resource, the first to
    start after a moved user's planned end (the one that took its unit over), else the
    task that came last in the plan; until nothing breaks or nothing can be pushed."""
    starts = list(solution.starts)
    starts[j] = instance.first_start(j, starts[j] + delta)  # a workday of its calendar
    order = {i: (solution.starts[i], i) for i in range(instance.num_tasks)}
    moved = {j}
    for _ in range(5000):
        _push_links_and_crews(instance, solution, starts, moved)
        violations = validate(instance, Solution(starts, solution.crews))
        over = [v for v in violations if v.rule in ("resource", "power", "crew-availability")]
        if not over:
            break
        d = over[0].day
        assert d is not None
        running = [
            i for i in range(instance.num_tasks) if starts[i] <= d < instance.end_of(i, starts[i])
        ]
        named = re.match(r"resource '([^']+)'", over[0].message)
        if named:  # only a user of the full resource can make room on it
            running = [i for i in running if named.group(1) in instance.tasks[i].resources]
        candidates = [i for i in running if i != j] or running
        last = max(candidates, key=order.__getitem__)
        if named:
            # the plan's hand-off: a unit a moved task held longer is the one the first
            # task to start after that task's planned end took over
            ends = [instance.end_of(i, solution.starts[i]) for i in running if i in moved]
            takers = [i for i in candidates if ends and solution.starts[i] >= min(ends)]
            last = min(takers, key=order.__getitem__) if takers else last
        starts[last] = instance.first_start(last, d + 1)
        moved.add(last)
    return Solution(starts, solution.crews)


def _push_links_and_crews(instance, solution, starts, moved) -> None:
    """Push successors along links and each crew's next task (ends read through each
    task's calendar, starts moved to a workday of it)."""
    tasks = instance.tasks
    pairs = [(lk.pred, lk.succ, lk) for lk in instance.links]
    by_crew: dict[str, list[int]] = {}
    for i, crews in enumerate(solution.crews):
        for c in crews:
            by_crew.setdefault(c, []).append(i)
    for seq in by_crew.values():
        seq.sort(key=lambda i: (solution.starts[i], i))
        pairs += [
            (a, b, Link(a, b, lag=instance.travel.days(tasks[a].site, tasks[b].site)))
            for a, b in itertools.pairwise(seq)
        ]
    changed = True
    while changed:
        changed = False
        for a, b, link in pairs:
            bound = instance.first_start(b, instance.link_bound(link, starts[a]))
            if starts[b] < bound:
                starts[b], changed = bound, True
                moved.add(b)


def handed_off(instance: Instance, solution: Solution, j: int, delta: int) -> Solution:
    """Task ``j`` ``delta`` days later and every task pushed along the links, crew
    sequences and capacity hand-offs the explanation read from the plan: a witness plan
    that the validator then judges on its own (where units are interchangeable, the
    right-shift of `delayed` may pick another task than the one that took the unit)."""
    starts = list(solution.starts)
    ends = instance.ends(starts)
    crews = [tuple(c) for c in solution.crews]
    horizon = max(ends, default=0)
    cumulatives = _cumulatives(instance, starts, ends, crews, horizon)
    edges, _, _ = _constraints(instance, starts, ends, crews, cumulatives, horizon)
    starts[j] = instance.first_start(j, starts[j] + delta)
    changed = True
    while changed:
        changed = False
        for a, out in enumerate(edges):
            for k, kind, lag in out:
                bound = instance.first_start(
                    k, instance.link_bound(Link(a, k, kind, lag), starts[a])
                )
                if starts[k] < bound:
                    starts[k], changed = bound, True
    return Solution(starts, solution.crews)


def check_float(
    instance: Instance, solution: Solution, sample: list[int] | None = None, *, over: bool = True
) -> None:
    """Delay by total float keeps the objective and the plan valid; by one more does not
    (``over``). The float holds the plan's hand-offs of a shared capacity fixed; where
    units of one are interchangeable (two factory slots), another hand-off may leave a task
    more room than its float (a lower bound then), so ``over`` is checked where every
    capacity is one unit."""
    x = explain(instance, solution, day)
    objective = recompute_objective(instance, solution)
    for j in sample if sample is not None else range(instance.num_tasks):
        tf = x.tasks[j].total_float
        if instance.tasks[j].fixed_start is not None:
            assert tf == 0
            continue
        ok = delayed(instance, solution, j, tf)
        if validate(instance, ok) or recompute_objective(instance, ok) != objective:
            ok = handed_off(instance, solution, j, tf)
        assert validate(instance, ok) == [], instance.tasks[j].id
        assert recompute_objective(instance, ok) == objective, instance.tasks[j].id
        if over:
            late = delayed(instance, solution, j, tf + 1)
            broken = validate(instance, late) != []
            assert broken or recompute_objective(instance, late) != objective, instance.tasks[j].id


# ----------------------------------------------------------------------------- hand-built


def test_links_float_free_float_critical_and_a_chain_to_the_start():
    # A(3) -> B(2), A -> C(4); plan A 0-3, B 3-5, C 3-7; makespan 7; milestone m on C,
    # target day 4, reached day 6: 2 days late. C is on the finish: LS 3, float 0; B may
    # end by 7: LS 5, total and free float 2; A: LS min(5 - 3, 3 - 3) = 0, critical.
    inst = Instance(
        "links",
        (Task("A", 3), Task("B", 2), Task("C", 4)),
        (Link(0, 1), Link(0, 2)),
        milestones=(Milestone("m", (2,), target=4),),
        horizon=20,
    )
    sol = plan(inst, [0, 3, 3])
    x, r = floats(inst, sol)
    assert (r["A"].total_float, r["A"].free_float, r["A"].critical) == (0, 0, True)
    assert (r["B"].late_start, r["B"].total_float, r["B"].free_float) == (5, 2, 2)
    assert not r["B"].critical
    assert (r["C"].total_float, r["C"].critical) == (0, True)
    assert (r["A"].driver, r["A"].driver_kind) == ("start:d0", "start")
    assert (r["B"].driver, r["B"].driver_kind) == ("link:A", "link")
    assert [(s.task, s.kind, s.cause, s.days) for s in x.why["m"]] == [
        ("C", "link", "link:A", 4),
        ("A", "start", "start:d0", 3),
    ]
    check_float(inst, sol)


def test_release_and_a_link_with_lag():
    # R(2) released on day 5 -> S(3) by FS lag 1; X(1) free. Plan R 5-7, S 8-11, X 0-1;
    # milestone on S, target 9, reached 10: late. X may end by 11: float 10.
    inst = Instance(
        "release",
        (Task("R", 2, release=5), Task("S", 3), Task("X", 1)),
        (Link(0, 1, LinkType.FS, 1),),
        milestones=(Milestone("m", (1,), target=9),),
        horizon=30,
    )
    sol = plan(inst, [5, 8, 0])
    x, r = floats(inst, sol)
    assert r["S"].driver == "link:R:FS+1"
    assert (r["R"].driver, r["R"].driver_kind) == ("release:d5", "release")
    assert (r["R"].total_float, r["R"].free_float, r["R"].critical) == (0, 0, True)
    assert (r["X"].total_float, r["X"].free_float, r["X"].critical) == (10, 10, False)
    assert [(s.task, s.kind, s.days) for s in x.why["m"]] == [("S", "link", 3), ("R", "release", 3)]
    assert why_summary(x.why["m"]) == "release d5"
    check_float(inst, sol)


def test_power_gate_driver_and_the_end_of_a_supply_bounds_float():
    # site s: temporary 1 MW on days 0-6, permanent 1 MW from day 7. P(2) needs permanent
    # power: starts day 7, driven by the permanent supply. T(2) needs temporary power (or
    # better), released day 1: day 6 is dark, so it must end by day 6 (makespan 10 from Z):
    # LS 4, float 3. Z(10) sets the finish.
    supplies = (
        Supply("gas", "s", SupplyKind.TEMPORARY, 1000, 0, 6),
        Supply("grid", "s", SupplyKind.PERMANENT, 1000, 7),
    )
    tasks = (
        Task("P", 2, site="s", gate=Gate.PERMANENT),
        Task("T", 2, release=1, site="s", gate=Gate.TEMPORARY),
        Task("Z", 10),
    )
    inst = Instance(
        "power", tasks, supplies=supplies, milestones=(Milestone("m", (0,), target=3),), horizon=30
    )
    sol = plan(inst, [7, 1, 0])
    x, r = floats(inst, sol)
    assert (r["P"].driver, r["P"].driver_kind) == ("power:s/permanent/d7", "power")
    assert (r["T"].late_start, r["T"].total_float) == (4, 3)
    assert [(s.task, s.kind, s.cause) for s in x.why["m"]] == [
        ("P", "power", "power:s/permanent/d7")
    ]
    assert why_summary(x.why["m"]) == "S permanent power d7"
    check_float(inst, sol)


def test_a_crew_that_travels_drives_from_its_last_task_plus_the_travel_days():
    # one crew cx#1 of sites s1, s2, 2 travel days: A(2) at s1 0-2, B(1) at s2 4-5 (the
    # crew arrives on day 4); milestone on B, target 3, reached 4: B waits for the crew
    # A held and its travel, so A has no float; Y (no crew) has 5 - 1 = 4.
    pool = CrewPool("cx", frozenset({"c"}), 1)
    tasks = (
        Task("A", 2, skills={"c": 1}, site="s1"),
        Task("B", 1, skills={"c": 1}, site="s2"),
        Task("Y", 1, site="s1"),
    )
    inst = Instance(
        "travel",
        tasks,
        pools=(pool,),
        milestones=(Milestone("m", (1,), target=3),),
        horizon=20,
        travel=Travel(default=2),
    )
    sol = plan(inst, [0, 4, 0], [("cx#1",), ("cx#1",), ()])
    x, r = floats(inst, sol)
    assert (r["B"].driver, r["B"].driver_kind) == ("crew:cx#1<-A", "crew")
    assert (r["A"].total_float, r["A"].critical) == (0, True)
    assert (r["Y"].total_float, r["Y"].free_float) == (4, 4)
    assert [s.kind for s in x.why["m"]] == ["crew", "start"]
    check_float(inst, sol)


def test_crew_driver_names_the_task_that_held_the_crew():
    # one crew cx#1: K1(3) 0-3, then K2(2) 3-5; milestone on K2, target 3, reached 4.
    # K2 waits for the crew K1 held; K1 has no float (the crew hands over at once).
    pool = CrewPool("cx", frozenset({"c"}), 1)
    tasks = (Task("K1", 3, skills={"c": 1}), Task("K2", 2, skills={"c": 1}), Task("Y", 1))
    inst = Instance(
        "crew", tasks, pools=(pool,), milestones=(Milestone("m", (1,), target=3),), horizon=20
    )
    sol = plan(inst, [0, 3, 0], [("cx#1",), ("cx#1",), ()])
    x, r = floats(inst, sol)
    assert (r["K2"].driver, r["K2"].driver_kind) == ("crew:cx#1<-K1", "crew")
    assert (r["K1"].total_float, r["K1"].free_float, r["K1"].critical) == (0, 0, True)
    assert (r["Y"].total_float, r["Y"].free_float) == (4, 4)
    assert [s.kind for s in x.why["m"]] == ["crew", "start"]
    assert chain_root(x.why["m"]) == x.why["m"][0]  # the crew hand-off, not the start
    assert why_summary(x.why["m"]) == "program start d0 (the work on the chain), crews of pool 'cx'"
    # with the plan's pools, crews are named as a planner would: skill, then site
    pools = [PoolRow("cx", ("commissioning", "electrical"), 1, ("nal",))]
    assert why_summary(x.why["m"], pools) == (
        "program start d0 (the work on the chain), commissioning / electrical crews at NAL "
        "(pool 'cx')"
    )
    check_float(inst, sol)


def test_crew_pool_availability_is_a_root():
    # pool px: one crew, none available on days 2-4. V(2) 0-2 must end before the
    # window (float 0); W(2) waits for the crew to come back on day 4.
    pool = CrewPool("px", frozenset({"p"}), 1, windows=(Window(2, 4, 0),))
    tasks = (Task("V", 2, skills={"p": 1}), Task("W", 2, release=1, skills={"p": 1}), Task("Z", 6))
    inst = Instance(
        "pool", tasks, pools=(pool,), milestones=(Milestone("m", (1,), target=4),), horizon=20
    )
    sol = plan(inst, [0, 4, 0], [("px#1",), ("px#1",), ()])
    x, r = floats(inst, sol)
    assert (r["W"].driver, r["W"].driver_kind) == ("crew:px/available/d4", "crew")
    assert r["V"].total_float == 0
    assert x.why["m"][-1].kind in ROOT_KINDS
    check_float(inst, sol)


def test_resource_and_factory_drivers_and_flow_float():
    # crane (1): U1 0-2 then U2 2-4 (U2 waits for U1). Factory yard (2 slots): F1 and F2
    # 0-5, F3 5-8 takes the slot F1 released (first released, then instance order), so
    # F1 has no float and F2 may slip to end at 8: float 3.
    resources = (Resource("crane", 1, "site"), Resource("factory/yard", 2, "factory"))
    tasks = (
        Task("U1", 2, resources={"crane": 1}),
        Task("U2", 2, resources={"crane": 1}),
        Task("F1", 5, resources={"factory/yard": 1}),
        Task("F2", 5, resources={"factory/yard": 1}),
        Task("F3", 3, resources={"factory/yard": 1}),
    )
    ms = (Milestone("m", (4,), target=6), Milestone("u", (1,), target=2))
    inst = Instance("res", tasks, resources=resources, milestones=ms, horizon=30)
    sol = plan(inst, [0, 2, 0, 0, 5])
    x, r = floats(inst, sol)
    assert (r["U2"].driver, r["U2"].driver_kind) == ("resource:crane<-U1", "resource")
    assert (r["F3"].driver, r["F3"].driver_kind) == ("factory:yard<-F1", "factory")
    assert (r["F1"].total_float, r["F2"].total_float, r["F2"].free_float) == (0, 3, 3)
    assert [s.kind for s in x.why["m"]] == ["factory", "start"]
    assert why_summary(x.why["u"]) == "program start d0 (the work on the chain), resource 'crane'"
    check_float(inst, sol, over=False)
    check_float(inst, sol, [0, 1, 3, 4])  # F1 could hand its slot on later: its float is a bound


def test_power_draw_contention():
    # site s: 1 MW from day 0; L1 and L2 each draw 0.8 MW: L2 waits for L1's power.
    tasks = (
        Task("L1", 2, site="s", power_kw=800),
        Task("L2", 2, site="s", power_kw=800),
    )
    inst = Instance(
        "draw",
        tasks,
        supplies=(Supply("grid", "s", SupplyKind.PERMANENT, 1000, 0),),
        milestones=(Milestone("m", (1,), target=2),),
        horizon=20,
    )
    sol = plan(inst, [0, 2])
    x, r = floats(inst, sol)
    assert (r["L2"].driver, r["L2"].driver_kind) == ("power:s/any<-L1", "power")
    assert [s.task for s in x.why["m"]] == ["L2", "L1"]
    check_float(inst, sol)


def test_status_date_and_progress_in_a_replan():
    # D was done on days 0-2 (pinned); Q is released at the status day 5: its driver is
    # the status date, D's its reported progress (no float).
    tasks = (Task("D", 2, fixed_start=0), Task("Q", 2, release=5))
    inst = Instance(
        "status", tasks, (Link(0, 1),), milestones=(Milestone("m", (1,), target=5),), horizon=20
    )
    sol = plan(inst, [0, 5])
    x, r = floats(inst, sol, status_day=5)
    assert (r["D"].driver_kind, r["D"].total_float, r["D"].critical) == ("actual", 0, False)
    assert (r["Q"].driver, r["Q"].driver_kind) == ("status:d5", "status")
    assert [s.kind for s in x.why["m"]] == ["status"]


def test_not_left_justified_has_no_driver():
    inst = Instance("slack", (Task("A", 2), Task("B", 1)), horizon=10)
    _, r = floats(inst, plan(inst, [3, 0]))
    assert (r["A"].driver, r["A"].driver_kind, r["A"].total_float) == ("", "none", 0)


# ----------------------------------------------------------------------------- projects


@pytest.mark.parametrize("name", ["quickstart", "three-sites"])
def test_every_late_milestone_has_a_rooted_chain_and_float_holds(name):
    outcome = plan_project(
        ROOT / "projects" / f"{name}.yaml", SolveOptions(time_limit=20, workers=1), "greedy"
    )
    schedule, instance = outcome.schedule, outcome.instance
    late = [m for m in schedule.milestones if m.late_days > 0]
    for m in late:
        assert m.why, m.milestone_id
        assert chain_root(m.why) is not None, (m.milestone_id, m.why)
        assert schedule.kpis.milestones[m.milestone_id].why == m.why
    assert all(t.total_float is not None and t.total_float >= 0 for t in schedule.tasks)
    assert all(0 <= (t.free_float or 0) <= (t.total_float or 0) for t in schedule.tasks)
    solution = outcome.result.solution
    assert solution is not None
    step = max(1, instance.num_tasks // 40)
    check_float(instance, solution, list(range(0, instance.num_tasks, step)), over=False)
    # the Gantt outlines exactly the tasks on the chains
    on_chain = {s.task for m in late for s in m.why}
    data = gantt_data(schedule)
    tasks = data["tasks"]
    shown = {
        f"{data['rows'][r][0]}/{t}"
        for r, t, chain in zip(tasks["row"], tasks["task"], tasks["chain"], strict=True)
        if chain
    }
    assert shown == on_chain


def test_the_explanation_is_the_same_for_a_replaced_row():
    inst = Instance("one", (Task("A", 2),), horizon=5)
    x = explain(inst, Solution([0], [()]), day)
    assert replace(x.tasks[0]) == x.tasks[0]
