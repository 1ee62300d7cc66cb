"""The window search (scheduler/solvers/windows.py): the window's sub-instance is exact (links
to pinned tasks, milestones, which pinned tasks enter), every plan it keeps is valid, and
it improves a poor plan."""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from generators import make

from scheduler.expand import search_horizon, with_horizon
from scheduler.instance import (
    CrewPool,
    Gate,
    Instance,
    Link,
    LinkType,
    Milestone,
    Solution,
    Supply,
    SupplyKind,
    Task,
    Travel,
    objective_terms,
    objective_value,
)
from scheduler.pipeline import load_instance
from scheduler.solvers import windows as lns
from scheduler.solvers.budget import Budget, Limits, SolveOptions
from scheduler.solvers.greedy import greedy
from scheduler.validate import validate

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "projects" / "quickstart.yaml"
BUSY = ROOT / "tests" / "data" / "busy.yaml"  # 180 tasks, tight crews and cranes


def chain() -> tuple[Instance, Solution]:
    """p(3) at 0 -> f(2) -> q(4) at 10, through each link type in turn (lag 1)."""
    tasks = [Task("p", 3), Task("f", 2), Task("q", 4)]
    plan = Solution([0, 5, 10], [(), (), ()])
    return make(tasks), plan


@pytest.mark.parametrize(
    ("into", "out_of", "release", "deadline"),
    [
        # FS in: s_f >= 0 + 3 + 1;  FS out: e_f <= 10 - 1
        (LinkType.FS, LinkType.FS, 4, 9),
        # SS in: s_f >= 0 + 1;  SS out: s_f <= 10 - 1, so e_f <= 11
        (LinkType.SS, LinkType.SS, 1, 11),
        # FF in: e_f >= 3 + 1, so s_f >= 2;  FF out: e_f <= 14 - 1
        (LinkType.FF, LinkType.FF, 2, 13),
        # SF in: e_f >= 0 + 1, so s_f >= -1 (the window's 0 binds);  SF out: s_f <= 14 - 1
        (LinkType.SF, LinkType.SF, 0, 15),
    ],
)
def test_links_to_pinned_tasks_become_release_and_deadline(into, out_of, release, deadline):
    instance, plan = chain()
    instance = make(instance.tasks, links=[Link(0, 1, into, 1), Link(1, 2, out_of, 1)])
    search = lns.WindowSearch(instance, plan)
    sub, order = search.sub_instance(lns.Window([1], 0, 20, "test"))
    assert order == [1]  # p and q share nothing with f: they only bound it
    assert (sub.tasks[0].release, sub.tasks[0].deadline) == (release, deadline)
    assert sub.links == ()


def test_window_bounds_free_tasks():
    """Without links a freed task still stays inside [lo, hi)."""
    instance, plan = chain()
    search = lns.WindowSearch(instance, plan)
    sub, _ = search.sub_instance(lns.Window([1], 3, 8, "test"))
    assert (sub.tasks[0].release, sub.tasks[0].deadline) == (3, 8)


def test_milestone_target_takes_the_pinned_part():
    """Milestone on p (pinned, last day 2) and f (free), target day 1: p alone makes it
    1 day late, so the window's milestone targets day 2 and counts f's extra days only.
    With target 6 the pinned part is on time and the target stays 6."""
    instance, plan = chain()
    for target, expected in ((1, 2), (6, 6)):
        with_milestone = make(instance.tasks, milestones=[Milestone("m", (0, 1), target, None, 3)])
        sub, _ = lns.WindowSearch(with_milestone, plan).sub_instance(lns.Window([1], 0, 20, "test"))
        assert sub.milestones == (Milestone("m", (0,), expected, None, 3),)


def test_only_pinned_tasks_that_can_meet_the_window_enter():
    """One crew pool, one site with power. Freed: f on days [10, 14). Pinned: a crew user
    on [12, 16) (overlaps: in), a crew user on [0, 5) (before: out), an energiser of the
    site on day 2 (its load stays: in), a task at another site on [11, 13) (out), a power
    draw on [13, 15) (in)."""
    pool = CrewPool("c", frozenset({"x"}), 2)
    supplies = [Supply(name, site, SupplyKind.PERMANENT, 5000) for name, site in ("gs", "ho")]
    tasks = [
        Task("f", 4, skills={"x": 1}, site="s", gate=Gate.ANY, power_kw=100),
        Task("overlap", 4, skills={"x": 1}, site="s"),
        Task("before", 5, skills={"x": 1}, site="s"),
        Task("energiser", 1, site="s", gate=Gate.ANY, energise_kw=500),
        Task("elsewhere", 2, site="o", gate=Gate.ANY, power_kw=100),
        Task("draw", 2, site="s", gate=Gate.ANY, power_kw=100),
    ]
    plan = Solution([10, 12, 0, 2, 11, 13], [("c#1",), ("c#2",), ("c#1",), (), (), ()])
    instance = make(tasks, pools=[pool], supplies=supplies)
    assert validate(instance, plan) == []
    sub, order = lns.WindowSearch(instance, plan).sub_instance(lns.Window([0], 8, 16, "test"))
    assert [instance.tasks[j].id for j in order] == ["f", "overlap", "energiser", "draw"]
    assert [t.fixed_start for t in sub.tasks] == [None, 12, 2, 13]
    assert sub.tasks[1].fixed_crews == ("c#2",)


def test_a_travelling_crews_task_within_the_travel_days_enters():
    """Crew pool c travels (2 days between s and o). Freed: f at s on [10, 14). Pinned,
    with crew c#1: a task at o on [5, 9) ends within 2 days of the window [10, 16) (in: f
    may not start before day 11 with c#1), one at o on [0, 3) (out), one at o on
    [17, 19), which starts within 2 days of the window's end (in)."""
    pool = CrewPool("c", frozenset({"x"}), 2)
    tasks = [
        Task("f", 4, skills={"x": 1}, site="s"),
        Task("near-before", 4, skills={"x": 1}, site="o"),
        Task("far", 3, skills={"x": 1}, site="o"),
        Task("near-after", 2, skills={"x": 1}, site="o"),
    ]
    plan = Solution([10, 5, 0, 17], [("c#2",), ("c#1",), ("c#1",), ("c#1",)])
    instance = replace(make(tasks, pools=[pool]), travel=Travel(2))
    assert validate(instance, plan) == []
    _, order = lns.WindowSearch(instance, plan).sub_instance(lns.Window([0], 10, 16, "test"))
    assert [instance.tasks[j].id for j in order] == ["f", "near-before", "near-after"]


def shared_crew(o_start: int) -> tuple[Instance, Solution]:
    """Crew pool c (2 crews) travels between s and o (2 days). f (late: milestone target
    day 3) and g, at s, both on crew c#1: g on [0, 4), f after it on [4, 8); a task at o
    on ``o_start`` on c#1 too."""
    pool = CrewPool("c", frozenset({"x"}), 2)
    tasks = [
        Task("f", 4, skills={"x": 1}, site="s"),
        Task("g", 4, skills={"x": 1}, site="s"),
        Task("at-o", 2, skills={"x": 1}, site="o"),
    ]
    late = [Milestone("m", (0,), 3, None, 1)]
    instance = with_horizon(replace(make(tasks, pools=[pool], milestones=late), travel=Travel(2)))
    plan = Solution([4, 0, o_start], [("c#1",), ("c#1",), ("c#1",)])
    assert validate(instance, plan) == []
    return instance, plan


KEEP_F = lns.Window([0], 0, 10, "test-keep", keep_crews=True)  # frees f, keeps its crews


def test_a_keep_window_pins_only_the_crews_its_model_names():
    """`shared_crew`: a window that frees f and keeps its travelling crews holds c's tasks
    at s only (the task at o, on day 14, is beyond its travel days), so its model counts
    c's crews rather than naming them: f may not be pinned to c#1 there, or the model
    moves it onto g's days and the plan names c#1 on both (atlas-27's crew-overlap).
    Freed with its crews to choose, f moves to day 0 with c#2, on time. With the task at
    o on day 11, within the travel days of the window, c travels in it too and is named
    in the model: f keeps c#1 and stays after g."""
    for o_start, kept, f_start in ((14, None, 0), (11, ("c#1",), 4)):
        instance, plan = shared_crew(o_start)
        search = lns.WindowSearch(instance, plan)
        sub, _ = search.sub_instance(KEEP_F)
        taken, proven, _ = search.step(
            KEEP_F, SolveOptions(workers=1, seed=0), Limits(60.0, 20.0), None
        )
        assert taken and proven
        assert validate(instance, search.solution()) == []
        assert search.solution().starts == [f_start, 0, o_start]
        assert sub.tasks[0].fixed_crews == kept


def test_a_window_plan_that_breaks_a_rule_is_dropped_and_logged(monkeypatch, caplog):
    """Should a window's plan break a rule (a bug; here the keep windows as they were,
    pinning every kept crew by name where the model counts the pool), the step does not
    take it and logs the window and the rule; the search goes on from the incumbent."""

    def pin_every_kept_crew(self, sub, free):
        tasks = list(sub.tasks)
        for k, i in enumerate(free):
            tasks[k] = replace(tasks[k], fixed_crews=self.crews[i])
        return replace(sub, tasks=tuple(tasks))

    monkeypatch.setattr(lns.WindowSearch, "keep_crews", pin_every_kept_crew)
    instance, plan = shared_crew(14)
    search = lns.WindowSearch(instance, plan)
    with caplog.at_level(logging.ERROR, logger=lns.__name__):
        taken, proven, _ = search.step(
            KEEP_F, SolveOptions(workers=1, seed=0), Limits(60.0, 20.0), None
        )
    assert not taken and proven
    assert search.solution() == plan and search.broken == 1
    assert caplog.messages == [
        "window test-keep (1 tasks, days [0, 10)) broke 1 rule(s), its plan is dropped: "
        "crew-overlap: crew 'c#1' works on tasks 'f', 'g' on day 0"
    ]


def random_order_plan(path: Path, seed: int, travel: int = 0) -> tuple[Instance, Solution]:
    """A project and its serial scheme in a random order: a valid plan (on the busy
    project 358-376 weighted late days, against 132 for the best greedy rule)."""
    _, instance, _ = load_instance(path)
    if travel:
        instance = with_horizon(replace(instance, travel=Travel(travel)))
    rng = random.Random(seed)
    plan = greedy(instance, order=[rng.randrange(1000) for _ in instance.tasks])
    assert plan is not None
    instance = search_horizon(instance, objective_terms(instance, plan.starts)[1])
    assert validate(instance, plan) == []
    return instance, plan


@pytest.mark.parametrize(
    ("path", "travel"),
    [(QUICKSTART, 0), (BUSY, 0), (BUSY, 2)],
    ids=["quickstart", "busy", "busy-travel"],
)
def test_windows_keep_valid_plans_and_never_worsen_one(monkeypatch, path, travel):
    """Every plan the search keeps passes the validator (quickstart: crews with sites,
    power gates, energised load, cranes, factory slots; busy: one rigging crew and one
    crane a site), and the plan it returns is never worse than the random-order plan it
    started from. How much it improves within a budget is a measurement, not a property
    of the code: benchmarks/windows.py."""
    instance, start = random_order_plan(path, seed=3, travel=travel)
    kept: list[list] = []
    step = lns.WindowSearch.step

    def checked(self, *args, **kwargs):
        taken = step(self, *args, **kwargs)
        if taken[0]:
            kept.append(validate(instance, self.solution()))
        return taken

    monkeypatch.setattr(lns.WindowSearch, "step", checked)
    monkeypatch.setattr(lns, "FIRST_SIZE", 60)
    monkeypatch.setattr(lns, "TRAVEL_FIRST_SIZE", 60)
    monkeypatch.setattr(lns, "MIN_SIZE", 40)
    monkeypatch.setattr(lns, "MAX_SIZE", 120)
    options = SolveOptions(workers=1, seed=0)
    solution, stats = lns.improve(instance, start, options, Limits(16.0, 4.0))
    assert stats.steps >= 1  # at least one window, however slow the machine
    assert all(violations == [] for violations in kept)
    assert validate(instance, solution) == []
    before, after = (objective_value(instance, p.starts) for p in (start, solution))
    assert after <= before


def test_a_window_step_finds_the_window_optimum():
    """p(3) at 0 -FS-> f(2), milestone m on f with target day 4 (weight 1), q(4) alone at
    10. The poor plan puts f at 10: m is reached on day 11, 7 days late. Freeing f in
    [0, 20) the window's optimum is f at 3, the earliest p allows, its last day 4: on
    time. The makespan stays q's 14. The step proves it, takes it, and the plan is valid."""
    tasks = [Task("p", 3), Task("f", 2), Task("q", 4)]
    instance = make(
        tasks, links=[Link(0, 1, LinkType.FS, 0)], milestones=[Milestone("m", (1,), 4, None, 1)]
    )
    poor = Solution([0, 10, 10], [(), (), ()])
    assert validate(instance, poor) == []
    assert objective_terms(instance, poor.starts) == (7, 14)
    search = lns.WindowSearch(instance, poor)
    taken, proven, _ = search.step(
        lns.Window([1], 0, 20, "test"), SolveOptions(workers=1, seed=0), Limits(60.0, 20.0), None
    )
    assert taken and proven
    assert search.solution().starts == [0, 3, 10]
    assert objective_terms(instance, search.solution().starts) == (0, 14)
    assert validate(instance, search.solution()) == []


def test_windows_with_one_worker_repeat_themselves(monkeypatch):
    """One worker and a seed: the same plan twice (the search stops on CP-SAT's
    deterministic time; the wall limit is only a backstop, so a busy machine repeats too)."""
    instance, start = random_order_plan(BUSY, seed=5)
    monkeypatch.setattr(lns, "FIRST_SIZE", 80)
    options = SolveOptions(workers=1, seed=0, time_limit=6.0)
    results = [lns.solve(instance, options, start, Budget.of(options)) for _ in range(2)]
    runs = [result.solution for result in results]
    for result in results:  # 0.3 s of the 6 s each, quiet
        if result.repeatable is False or result.interrupted:
            assert result.seconds > 3.0, "unrepeatable, yet done in half the limit"
            pytest.skip("the 6 s limit ended the deterministic work (machine busy)")
    assert runs[0] is not None and runs[1] is not None
    assert runs[0].starts == runs[1].starts
    assert runs[0].crews == runs[1].crews


def test_windows_with_work_left_and_no_time_mark_their_run():
    """One worker, nominal work left, no wall time: no window is solved, the plan stays,
    and the run's `clock` says the clock ended the stage."""
    instance, start = random_order_plan(BUSY, seed=5)
    cut = threading.Event()
    options = SolveOptions(workers=1, seed=0)
    plan, stats = lns.improve(instance, start, options, Limits(0.0, 10.0, cut))
    assert stats.steps == 0 and plan.starts == start.starts
    assert cut.is_set()


def test_an_invalid_window_plan_is_never_handed_on(monkeypatch):
    """Should the search ever return a plan that breaks a rule (a bug), `solve` keeps
    the plan it started from and says so in the log."""
    instance, start = random_order_plan(BUSY, seed=3)
    broken = Solution([0] * instance.num_tasks, list(start.crews))  # every task on day 0
    assert validate(instance, broken) != []
    monkeypatch.setattr(lns, "improve", lambda *args, **kwargs: (broken, lns.Stats()))
    result = lns.solve(instance, SolveOptions(time_limit=1, workers=1), start, Budget(1.0, True))
    assert result.solution is start
    assert result.objective == objective_value(instance, start.starts)


def test_a_milestone_on_its_proven_bound_is_no_target():
    """Two 5-day tasks on one crew, each its own milestone of target day 4: the one that
    waits is 5 days late. With a proven bound of 5 on it, it is no target of a window;
    with a bound of 3, it is one for the 2 days above the bound (x its weight 3)."""
    pool = CrewPool("rig", frozenset({"rig"}), 1)
    tasks = [Task(k, 5, site="s", skills={"rig": 1}) for k in "ab"]
    milestones = [Milestone("a", (0,), target=4), Milestone("b", (1,), target=4, weight=3)]
    instance = make(tasks, pools=[pool], milestones=milestones)
    plan = Solution([0, 5], [("rig#1",), ("rig#1",)])
    assert lns.WindowSearch(instance, plan).late_milestones() == [(1, 15)]
    assert lns.WindowSearch(instance, plan, late_bounds={1: 5}).late_milestones() == []
    assert lns.WindowSearch(instance, plan, late_bounds={1: 3}).late_milestones() == [(1, 6)]


def test_a_late_milestone_of_weight_zero_is_no_target():
    """The same two tasks, b's milestone of weight 0: 5 days late, nothing to gain. It is
    no target of a window or of promotion, and a window is still picked (drawn among
    late milestones by weight, one of weight 0 alone would leave nothing to draw by)."""
    from scheduler.solvers.promote import Promotion

    pool = CrewPool("rig", frozenset({"rig"}), 1)
    tasks = [Task(k, 5, site="s", skills={"rig": 1}) for k in "ab"]
    milestones = [Milestone("a", (0,), target=4), Milestone("b", (1,), target=4, weight=0)]
    instance = make(tasks, pools=[pool], milestones=milestones)
    plan = Solution([0, 5], [("rig#1",), ("rig#1",)])
    search = lns.WindowSearch(instance, plan)
    assert search.late_milestones() == []
    assert search.pick(2).kind.startswith("random")
    assert Promotion(instance, "lst", 0, {}).late(plan) == []
