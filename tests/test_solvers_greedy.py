"""Tests of the greedy serial schedule-generation scheme (scheduler/solvers/greedy.py).

Small hand-checked instances first (the expected starts are derived in comments), then
seeded random instances of ~50 tasks checked by a small independent checker below, and a
large generated instance (10,000 tasks) checked the same way; last, random valid projects
(tests/generators.py) whose best greedy plan the validator accepts.
"""

from __future__ import annotations

import logging
import random
import tempfile
from pathlib import Path

import pytest
from generators import PROPERTY_SETTINGS, GeneratedProject, projects, write_project
from hypothesis import given

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
    objective_value,
)
from scheduler.pipeline import load_instance
from scheduler.solvers.greedy import PRIORITY_RULES, best_greedy, greedy
from scheduler.validate import recompute_objective, validate

FS, SS, FF, SF = LinkType.FS, LinkType.SS, LinkType.FF, LinkType.SF


def make(tasks, links=(), resources=(), pools=(), supplies=(), milestones=(), horizon=100):
    """An Instance from plain lists."""
    return Instance(
        "t",
        tuple(tasks),
        tuple(links),
        tuple(resources),
        tuple(pools),
        tuple(supplies),
        tuple(milestones),
        horizon,
    )


def solve(instance: Instance, rule: str = "lst") -> Solution:
    """Greedy solution that must exist and pass the checker below."""
    solution = greedy(instance, rule)
    assert solution is not None
    assert check(instance, solution) == []
    return solution


# ---------------------------------------------------------------------------------------
# An independent checker (plain loops over days)


def _gate(task: Task) -> int:
    """Drawing power implies at least gate ANY."""
    if task.gate == Gate.NONE and (task.power_kw or task.energise_kw):
        return 1
    return int(task.gate)


def _covers(task: Task, crews: tuple[str, ...], pools: dict[str, CrewPool]) -> bool:
    """A matching of skill units to distinct crews, each crew bringing one skill."""
    units = [skill for skill, n in task.skills.items() for _ in range(n)]
    if len(units) != len(crews) or len(set(crews)) != len(crews):
        return False
    owner: dict[int, int] = {}  # crew index -> unit index

    def augment(u: int, seen: set[int]) -> bool:
        for c, crew in enumerate(crews):
            pool = pools[crew.rpartition("#")[0]]
            if c in seen or not pool.serves(units[u], task.site):
                continue
            seen.add(c)
            if c not in owner or augment(owner[c], seen):
                owner[c] = u
                return True
        return False

    return all(augment(u, set()) for u in range(len(units)))


def check(inst: Instance, sol: Solution) -> list[str]:
    """Every violated rule, as text (empty when the schedule is feasible)."""
    bad: list[str] = []
    tasks = inst.tasks
    starts = sol.starts
    ends = [s + t.duration for s, t in zip(starts, tasks, strict=True)]
    pools = {p.id: p for p in inst.pools}
    for i, t in enumerate(tasks):
        s = starts[i]
        if t.fixed_start is not None:
            if s != t.fixed_start:
                bad.append(f"{t.id} moved from its fixed start")
            if t.fixed_crews is not None and sorted(sol.crews[i]) != sorted(t.fixed_crews):
                bad.append(f"{t.id} lost its fixed crews")
        else:
            if s < max(0, t.release):
                bad.append(f"{t.id} starts before its release")
        if t.deadline is not None and ends[i] > t.deadline:
            bad.append(f"{t.id} ends after its deadline")
        for crew in sol.crews[i]:
            pool_id, _, k = crew.rpartition("#")
            if pool_id not in pools or not 1 <= int(k) <= pools[pool_id].count:
                bad.append(f"{t.id}: unknown crew {crew}")
                return bad
        if not _covers(t, sol.crews[i], pools):
            bad.append(f"{t.id}: crews {sol.crews[i]} do not cover {dict(t.skills)}")
    for link in inst.links:
        a, b = link.pred, link.succ
        lhs, rhs = {
            FS: (starts[b], ends[a]),
            SS: (starts[b], starts[a]),
            FF: (ends[b], ends[a]),
            SF: (ends[b], starts[a]),
        }[link.type]
        if lhs < rhs + link.lag:
            bad.append(f"link {link} violated")
    for m in inst.milestones:
        if m.deadline is not None and max(ends[i] for i in m.tasks) - 1 > m.deadline:
            bad.append(f"milestone {m.id} misses its deadline")
    makespan = max(ends, default=0)
    last = max([inst.power_until(makespan), *(s + 1 for s in starts)])
    for day in range(0, last):
        running = [i for i in range(len(tasks)) if starts[i] <= day < ends[i]]
        bad += _check_day(inst, sol, day, running)
    return bad


def _check_day(inst: Instance, sol: Solution, day: int, running: list[int]) -> list[str]:
    """Crews, pools, resources and power on one day."""
    bad = []
    tasks = inst.tasks
    busy = [c for i in running for c in sol.crews[i]]
    if len(busy) != len(set(busy)):
        bad.append(f"day {day}: a crew works on two tasks")
    for pool in inst.pools:
        n = sum(1 for c in busy if c.rpartition("#")[0] == pool.id)
        if n > pool.available_on(day):
            bad.append(f"day {day}: pool {pool.id} has {n} busy > {pool.available_on(day)}")
    for r in inst.resources:
        used = sum(tasks[i].resources.get(r.id, 0) for i in running)
        if used > r.capacity_on(day):
            bad.append(f"day {day}: resource {r.id} uses {used} > {r.capacity_on(day)}")
    for site in inst.sites():
        for g in (1, 2, 3):
            have = sum(
                s.kw
                for s in inst.supplies
                if s.site == site
                and s.kind >= g
                and s.start <= day
                and (s.end is None or day < s.end)
            )
            draw = sum(
                tasks[i].power_kw for i in running if tasks[i].site == site and _gate(tasks[i]) >= g
            )
            draw += sum(
                t.energise_kw
                for t, s in zip(tasks, sol.starts, strict=True)
                if t.site == site and _gate(t) >= g and s <= day
            )
            if draw > have:
                bad.append(f"day {day}: site {site} level {g} draws {draw} > {have}")
            if have <= 0 and any(tasks[i].site == site and _gate(tasks[i]) == g for i in running):
                bad.append(f"day {day}: a gate-{g} task runs at {site} without supply")
    return bad


# ---------------------------------------------------------------------------------------
# Hand-checked instances


def test_chain_with_every_link_type_and_a_negative_lag():
    # A (d3) at 0, ends 3
    # A -FS+1-> B (d2): s_B >= 3 + 1 = 4, ends 6
    # B -SS+2-> C (d4): s_C >= 4 + 2 = 6, ends 10
    # C -FF+1-> D (d2): e_D >= 10 + 1 = 11, so s_D = 9
    # D -SF+5-> E (d3): e_E >= 9 + 5 = 14, so s_E = 11
    # A -FS-2-> F (d1): s_F >= 3 - 2 = 1
    # tasks are listed out of topological order on purpose
    names = ["E", "D", "F", "C", "B", "A"]
    dur = {"A": 3, "B": 2, "C": 4, "D": 2, "E": 3, "F": 1}
    idx = {n: k for k, n in enumerate(names)}
    tasks = [Task(n, dur[n]) for n in names]
    links = [
        Link(idx["A"], idx["B"], FS, 1),
        Link(idx["B"], idx["C"], SS, 2),
        Link(idx["C"], idx["D"], FF, 1),
        Link(idx["D"], idx["E"], SF, 5),
        Link(idx["A"], idx["F"], FS, -2),
    ]
    inst = make(tasks, links)
    for rule in PRIORITY_RULES:
        sol = solve(inst, rule)
        assert {n: sol.starts[idx[n]] for n in names} == {
            "A": 0,
            "B": 4,
            "C": 6,
            "D": 9,
            "E": 11,
            "F": 1,
        }


def test_crane_capacity_one_serialises_two_tasks():
    # No due dates: latest starts come from the CPM horizon 3 (X: 3 - 3 = 0, Y: 3 - 2 = 1),
    # so lst places X first at 0, then Y waits for the crane until X ends on day 3.
    crane = Resource("crane", 1)
    inst = make(
        [Task("X", 3, resources={"crane": 1}), Task("Y", 2, resources={"crane": 1})],
        resources=[crane],
        horizon=0,
    )
    assert solve(inst).starts == [0, 3]


def test_pool_with_one_crew():
    # one crew does P on days 0-1, then Q on days 2-3 (P first: index breaks the tie)
    pool = CrewPool("rig", frozenset({"rigging"}), 1)
    inst = make(
        [Task("P", 2, skills={"rigging": 1}), Task("Q", 2, skills={"rigging": 1})], pools=[pool]
    )
    sol = solve(inst)
    assert sol.starts == [0, 2]
    assert sol.crews == [("rig#1",), ("rig#1",)]


def test_pool_window_reduces_availability():
    # 2 crews, but only 1 available on days 0-4.  A (d3) takes the one crew on days 0-2;
    # B (d2) cannot start before 3 (A holds the only available crew), so days 3-4;
    # C (d2) finds days 0-4 full, so it starts on day 5 when both crews are back.
    pool = CrewPool("rig", frozenset({"rigging"}), 2, windows=(Window(0, 5, 1),))
    tasks = [Task(n, d, skills={"rigging": 1}) for n, d in (("A", 3), ("B", 2), ("C", 2))]
    sol = solve(make(tasks, pools=[pool], horizon=0))
    assert sol.starts == [0, 3, 5]


def test_two_skills_from_one_two_skill_pool():
    # a pool of 2 crews with both skills: T needs one of each, so both crews, days 0-2;
    # U needs the same and waits until T ends on day 3
    pool = CrewPool("mx", frozenset({"electrical", "commissioning"}), 2)
    needs = {"electrical": 1, "commissioning": 1}
    inst = make([Task("T", 3, skills=needs), Task("U", 1, skills=needs)], pools=[pool])
    sol = solve(inst)
    assert sol.starts == [0, 3]
    assert sorted(sol.crews[0]) == ["mx#1", "mx#2"]


def test_specialist_pool_leaves_the_multi_skill_crew_free():
    # E needs electrical (pools: elec with 1 crew, mx with 1 crew serving both skills);
    # K needs commissioning (only mx).  E takes the specialist, so K runs at 0 as well.
    pools = [
        CrewPool("mx", frozenset({"electrical", "commissioning"}), 1),
        CrewPool("elec", frozenset({"electrical"}), 1),
    ]
    inst = make(
        [Task("E", 2, skills={"electrical": 1}), Task("K", 2, skills={"commissioning": 1})],
        pools=pools,
    )
    sol = solve(inst)
    assert sol.starts == [0, 0]
    assert sol.crews == [("elec#1",), ("mx#1",)]


def test_power_task_waits_for_the_supply_start():
    # backfeed from day 10: a gated task drawing 100 kW can only start then
    supply = Supply("backfeed", "s1", SupplyKind.BACKFEED, 500, start=10)
    task = Task("L3", 2, site="s1", gate=Gate.ANY, power_kw=100)
    assert solve(make([task], supplies=[supply])).starts == [10]


def test_energise_waits_because_temporary_supply_ends():
    # permanent 300 kW from 0, turbines 1000 kW on days 5-19, a second permanent tranche of
    # 500 kW from 30.  SMALL energises 200 kW at 0 (300 >= 200, and 800 - 200 later).
    # BIG energises 500 kW: at 0-4 only 100 kW is left; at 5 the turbines would carry it,
    # but its load stays and on days 20-29 only 300 - 200 = 100 kW is left, so any start
    # before 30 fails; at 30: 800 - 200 = 600 >= 500.
    supplies = [
        Supply("perm1", "s1", SupplyKind.PERMANENT, 300, start=0),
        Supply("gt", "s1", SupplyKind.TEMPORARY, 1000, start=5, end=20),
        Supply("perm2", "s1", SupplyKind.PERMANENT, 500, start=30),
    ]
    tasks = [
        Task("SMALL", 1, site="s1", gate=Gate.ANY, energise_kw=200),
        Task("BIG", 1, site="s1", gate=Gate.ANY, energise_kw=500),
    ]
    for rule in PRIORITY_RULES:
        assert solve(make(tasks, supplies=supplies), rule).starts == [0, 30]


def test_load_bank_draw_waits_for_a_bigger_tranche():
    # temporary 1000 kW from 0, permanent 2000 kW from 12.  IST draws 1500 kW on
    # temporary-or-better power: too much until day 12.  L5 (gate permanent, no draw) also
    # cannot run before permanent power exists on day 12.  The load bank is a resource too.
    supplies = [
        Supply("gt", "s1", SupplyKind.TEMPORARY, 1000, start=0),
        Supply("perm", "s1", SupplyKind.PERMANENT, 2000, start=12),
    ]
    tasks = [
        Task("IST", 5, site="s1", gate=Gate.TEMPORARY, power_kw=1500, resources={"loadbank": 15}),
        Task("L5", 2, site="s1", gate=Gate.PERMANENT),
    ]
    inst = make(tasks, resources=[Resource("loadbank", 60, scale=10)], supplies=supplies)
    assert solve(inst).starts == [12, 12]


def test_fixed_starts_and_crews_are_kept():
    # P pinned at 1 with rig#2 (days 1-3); Q pinned at 0 without crews (days 0-1): rig#2 is
    # busy on day 1, so Q gets rig#1.  A (d2) finds both crews busy on day 0 and 1, and
    # rig#1 free from 2 on: A at 2 with rig#1.  B -FS-> P forces B (d1) to start <= 0.
    pool = CrewPool("rig", frozenset({"rigging"}), 2)
    tasks = [
        Task("A", 2, skills={"rigging": 1}),
        Task("P", 3, skills={"rigging": 1}, fixed_start=1, fixed_crews=("rig#2",)),
        Task("Q", 2, skills={"rigging": 1}, fixed_start=0),
        Task("B", 1),
    ]
    inst = make(tasks, links=[Link(3, 1, FS, 0)], pools=[pool])
    sol = solve(inst)
    assert sol.starts == [2, 1, 0, 0]
    assert sol.crews == [("rig#1",), ("rig#2",), ("rig#1",), ()]


def test_release_and_deadline():
    # R (d2) is released on day 4 with deadline 6: exactly days 4-5.  S (d3) shares the
    # crane and must end by day 4 (latest start 1 < R's 4), so lst places it first, on
    # days 0-2; R then still finds the crane free on days 4-5.
    crane = Resource("crane", 1)
    tasks = [
        Task("R", 2, release=4, deadline=6, resources={"crane": 1}),
        Task("S", 3, deadline=4, resources={"crane": 1}),
    ]
    assert solve(make(tasks, resources=[crane])).starts == [4, 0]


def test_none_when_a_deadline_cannot_be_met(caplog):
    # two 3-day tasks on one crane, both due by day 5: the second could only start on 3
    crane = Resource("crane", 1)
    tasks = [
        Task("X", 3, deadline=5, resources={"crane": 1}),
        Task("Y", 3, deadline=5, resources={"crane": 1}),
    ]
    with caplog.at_level(logging.INFO):
        assert greedy(make(tasks, resources=[crane])) is None
    assert "after its latest start" in caplog.text
    assert best_greedy(make(tasks, resources=[crane])) is None


def test_none_when_a_milestone_deadline_propagates_back():
    # A (d3) -> B (d3); milestone over B with deadline day 4 (B must end by 5, so start by
    # 2): A's latest start is 2 - 3 = -1 < 0.
    tasks = [Task("A", 3), Task("B", 3)]
    inst = make(tasks, links=[Link(0, 1)], milestones=[Milestone("m", (1,), deadline=4)])
    assert greedy(inst) is None


def test_none_when_power_never_suffices(caplog):
    supply = Supply("perm", "s1", SupplyKind.PERMANENT, 100)
    task = Task("BIG", 1, site="s1", gate=Gate.ANY, energise_kw=500)
    with caplog.at_level(logging.INFO):
        assert greedy(make([task], supplies=[supply])) is None
    assert "never suffice" in caplog.text


def test_a_missed_latest_start_is_repaired_by_promotion():
    # A (d3, crane) -FS-> P pinned at 3, so A must start on day 0.  B (d3, crane) has two
    # successors, so mts takes B first and gives it the crane on days 0-2: A then misses
    # its latest start.  The repair promotes A and starts over: A on 0, B on 3, C1 and C2
    # after B on 6.  Without repairs the greedy gives up.
    crane = Resource("crane", 1)
    tasks = [
        Task("A", 3, resources={"crane": 1}),
        Task("P", 1, fixed_start=3),
        Task("B", 3, resources={"crane": 1}),
        Task("C1", 1),
        Task("C2", 1),
    ]
    links = [Link(0, 1), Link(2, 3), Link(2, 4)]
    inst = make(tasks, links, resources=[crane])
    assert greedy(inst, "mts", repairs=0) is None
    sol = greedy(inst, "mts")
    assert sol is not None and check(inst, sol) == []
    assert sol.starts == [0, 3, 3, 6, 6]


def test_a_cycle_of_links_gives_none(caplog):
    tasks = [Task("A", 1), Task("B", 1)]
    with caplog.at_level(logging.INFO):
        assert greedy(make(tasks, links=[Link(0, 1), Link(1, 0, SS, -5)])) is None
    assert "cycle" in caplog.text


def test_target_rule_puts_the_urgent_milestone_first():
    # two independent 2-day tasks on one crew; milestone targets: late on day 10, urgent
    # on day 1.  Every rule that sees targets puts URGENT first.
    pool = CrewPool("rig", frozenset({"rigging"}), 1)
    tasks = [Task("LATE", 2, skills={"rigging": 1}), Task("URGENT", 2, skills={"rigging": 1})]
    ms = [Milestone("late", (0,), target=10), Milestone("urgent", (1,), target=1, weight=5)]
    inst = make(tasks, pools=[pool], milestones=ms)
    for rule in ("lst", "lft", "target"):
        assert solve(inst, rule).starts == [2, 0]
    best = best_greedy(inst)
    assert best is not None and best.starts == [2, 0]


def test_best_greedy_keeps_the_lowest_objective():
    inst = random_instance(7)
    best = best_greedy(inst)
    assert best is not None
    values = [
        objective_value(inst, s.starts)
        for r in PRIORITY_RULES
        if (s := greedy(inst, r)) is not None
    ]
    assert objective_value(inst, best.starts) == min(values)


def test_unknown_rule_raises():
    with pytest.raises(ValueError):
        greedy(make([Task("A", 1)]), "nope")


# ---------------------------------------------------------------------------------------
# Random instances


def random_instance(seed: int, n: int = 50, deadlines: bool = False) -> Instance:
    """~50 tasks on 2 sites: links of every type (lags -3..4), resources with windows,
    pools with windows and multi-skill crews, supplies that start and end, milestones.
    Without ``deadlines`` it is always feasible (capacities suffice, permanent power
    eventually covers everything)."""
    rng = random.Random(seed)
    sites = ["a", "b"]
    resources = [
        Resource("crane-a", rng.randint(1, 2), windows=(Window(5, 12, 0),)),
        Resource("factory", 3, windows=(Window(0, 8, 2),)),
        Resource("loadbank", 4),
    ]
    pools = [
        CrewPool("rig-a", frozenset({"rigging"}), 1, frozenset({"a"})),
        CrewPool("rig-b", frozenset({"rigging"}), 2, frozenset({"b"}), windows=(Window(3, 9, 1),)),
        CrewPool("elec", frozenset({"electrical"}), 2),
        CrewPool("mx", frozenset({"electrical", "commissioning"}), 2, windows=(Window(10, 20, 1),)),
        CrewPool("pipe", frozenset({"pipefitting"}), 3),
    ]
    tasks = []
    for k in range(n):
        site = rng.choice(sites)
        skills = {}
        for skill, most in (
            ("rigging", 1),
            ("electrical", 2),
            ("commissioning", 1),
            ("pipefitting", 2),
        ):
            if rng.random() < 0.25:
                skills[skill] = rng.randint(1, most)
        res = {}
        if site == "a" and rng.random() < 0.3:
            res["crane-a"] = 1
        if rng.random() < 0.2:
            res["factory"] = rng.randint(1, 2)
        gate, power, energise = Gate.NONE, 0, 0
        roll = rng.random()
        if roll < 0.15:
            gate, energise = Gate.ANY, rng.choice([100, 300, 600])
        elif roll < 0.3:
            gate, power = Gate.TEMPORARY, rng.choice([200, 800])
            res["loadbank"] = rng.randint(1, 3)
        elif roll < 0.38:
            gate = Gate.PERMANENT
        elif roll < 0.42:
            power = 50  # gate NONE with a draw: counts as ANY
        release = rng.randint(0, 15) if rng.random() < 0.2 else 0
        tasks.append(
            Task(
                f"t{k}",
                rng.choice([0, 1, 2, 3, 5, 8]),
                release=release,
                site=site,
                skills=skills,
                resources=res,
                gate=gate,
                power_kw=power,
                energise_kw=energise,
            )
        )
    order = list(range(n))
    rng.shuffle(order)  # links go forward in this order, not in index order
    links = []
    for _ in range(int(1.5 * n)):
        i, j = sorted(rng.sample(range(n), 2))
        links.append(Link(order[i], order[j], rng.choice(list(LinkType)), rng.randint(-3, 4)))
    supplies = []
    for site in sites:
        supplies += [
            Supply(f"bf-{site}", site, SupplyKind.BACKFEED, 400, start=rng.randint(0, 10)),
            Supply(
                f"gt-{site}",
                site,
                SupplyKind.TEMPORARY,
                1500,
                start=rng.randint(5, 20),
                end=rng.randint(30, 60),
            ),
            Supply(f"perm-{site}", site, SupplyKind.PERMANENT, 1000, start=rng.randint(20, 50)),
            Supply(f"perm2-{site}", site, SupplyKind.PERMANENT, 10_000, start=rng.randint(60, 90)),
        ]
    milestones = []
    for m in range(3):
        members = tuple(rng.sample(range(n), 5))
        deadline = rng.randint(40, 120) if deadlines else None
        milestones.append(
            Milestone(
                f"m{m}",
                members,
                target=rng.randint(10, 60),
                deadline=deadline,
                weight=rng.randint(1, 5),
            )
        )
    if deadlines:
        for k in rng.sample(range(n), 5):
            t = tasks[k]
            tasks[k] = Task(
                t.id,
                t.duration,
                t.release,
                rng.randint(30, 150),
                t.site,
                t.skills,
                t.resources,
                t.gate,
                t.power_kw,
                t.energise_kw,
            )
    return make(tasks, links, resources, pools, supplies, milestones, horizon=200)


def pin_some(inst: Instance, sol: Solution, seed: int) -> Instance:
    """The same instance with ~20% of tasks pinned where ``sol`` put them (half with
    their crews)."""
    rng = random.Random(seed)
    tasks = list(inst.tasks)
    for k in rng.sample(range(len(tasks)), len(tasks) // 5):
        t = tasks[k]
        crews = sol.crews[k] if rng.random() < 0.5 else None
        tasks[k] = Task(
            t.id,
            t.duration,
            t.release,
            t.deadline,
            t.site,
            t.skills,
            t.resources,
            t.gate,
            t.power_kw,
            t.energise_kw,
            fixed_start=sol.starts[k],
            fixed_crews=crews,
        )
    return make(
        tasks, inst.links, inst.resources, inst.pools, inst.supplies, inst.milestones, inst.horizon
    )


def _validator_violations(inst: Instance, sol: Solution) -> list:
    """Violations found by the independent validator."""
    from scheduler.validate import validate

    return validate(inst, sol)


@pytest.mark.parametrize("seed", range(30))
def test_random_instances_are_feasible(seed):
    inst = random_instance(seed)
    for rule in PRIORITY_RULES:
        sol = greedy(inst, rule)
        assert sol is not None, rule
        assert check(inst, sol) == [], rule
        assert _validator_violations(inst, sol) == [], rule


@pytest.mark.parametrize("seed", range(30))
def test_random_instances_with_deadlines_and_pins(seed):
    inst = random_instance(seed, deadlines=True)
    sol = greedy(inst)
    if sol is None:
        return  # the greedy may fail a deadline; whatever it returns must be feasible
    assert check(inst, sol) == []
    assert _validator_violations(inst, sol) == []
    pinned = pin_some(inst, sol, seed)
    again = greedy(pinned, "est")
    if again is not None:
        assert check(pinned, again) == []
        assert _validator_violations(pinned, again) == []


def _fits(inst: Instance, sol: Solution, placed: list[int], i: int, s: int) -> bool:
    """Could task ``i`` start on ``s`` (any crews) next to the ``placed`` tasks?"""
    tasks, task = inst.tasks, inst.tasks[i]
    starts = sol.starts
    if s < max(0, task.release):
        return False
    for link in inst.links:
        if link.succ == i and link.pred in placed:
            a, d_a, d = link.pred, tasks[link.pred].duration, task.duration
            lhs, rhs = {
                FS: (s, starts[a] + d_a),
                SS: (s, starts[a]),
                FF: (s + d, starts[a] + d_a),
                SF: (s + d, starts[a]),
            }[link.type]
            if lhs < rhs + link.lag:
                return False
    trial = Solution(list(starts), list(sol.crews))
    trial.starts[i] = s
    days = range(s, s + task.duration)
    busy = {
        c
        for k in placed
        for c in sol.crews[k]
        if any(starts[k] <= t < starts[k] + tasks[k].duration for t in days)
    }
    room = {}
    for pool in inst.pools:
        free = [c for c in pool.crew_ids() if c not in busy]
        for t in days:
            used = sum(
                1
                for k in placed
                for c in sol.crews[k]
                if c.rpartition("#")[0] == pool.id
                and starts[k] <= t < starts[k] + tasks[k].duration
            )
            free = free[: max(0, pool.available_on(t) - used)]
        room[pool.id] = free
    if not _some_crews(inst, task, room, trial, i):
        return False
    until = max(
        [
            inst.power_until(
                max(st + t.duration for st, t in zip(trial.starts, tasks, strict=True))
            ),
            s + 1,
        ]
    )
    keep = [*placed, i]
    for day in range(until):
        running = [k for k in keep if trial.starts[k] <= day < trial.starts[k] + tasks[k].duration]
        sub = Solution(
            [trial.starts[k] if k in keep else 10**6 for k in range(len(tasks))], trial.crews
        )
        if any("crew" not in v and "pool" not in v for v in _check_day(inst, sub, day, running)):
            return False
    return True


def _some_crews(inst, task, room, trial, i) -> bool:
    """Try every choice of pool per skill unit among the crews left in ``room``."""
    units = [skill for skill, n in task.skills.items() for _ in range(n)]

    def pick(u: int, taken: list[str]) -> bool:
        if u == len(units):
            trial.crews[i] = tuple(taken)
            return True
        for pool in inst.pools:
            if pool.serves(units[u], task.site):
                left = [c for c in room[pool.id] if c not in taken]
                if left and pick(u + 1, [*taken, left[0]]):
                    return True
        return False

    return pick(0, [])


@pytest.mark.parametrize("seed", range(8))
def test_each_start_is_the_earliest_given_the_tasks_placed_before(seed, monkeypatch):
    # replay the placement order and try every earlier day with any choice of crews
    from scheduler.solvers import greedy as module

    order: list[int] = []
    original = module._Scheduler._place

    def record(self, i):
        order.append(i)
        original(self, i)

    monkeypatch.setattr(module._Scheduler, "_place", record)
    inst = random_instance(100 + seed, n=25)
    sol = solve(inst)
    pinned = [k for k, t in enumerate(inst.tasks) if t.fixed_start is not None]
    for pos, i in enumerate(order):
        placed = pinned + order[:pos]
        for earlier in range(sol.starts[i]):
            assert not _fits(inst, sol, placed, i, earlier), (inst.tasks[i].id, earlier)


# ---------------------------------------------------------------------------------------
# A large generated instance

# module type: (tasks as (name, duration, skills, resources, gate, power_kw, energise?),
#               energised load kW)
_MODULE_TASKS = [
    ("fabricate", (15, 30), {}, {"factory": 1}, Gate.NONE, 0),
    ("ship", (3, 6), {}, {}, Gate.NONE, 0),
    ("set", (1, 2), {"rigging": 1}, {"crane": 1}, Gate.NONE, 0),
    ("hookup", (5, 10), {"pipefitting": 2}, {}, Gate.NONE, 0),
    ("energise", (1, 1), {"electrical": 1, "commissioning": 1}, {}, Gate.ANY, 0),
    ("ist", (3, 5), {"commissioning": 1}, {"loadbank": 15}, Gate.TEMPORARY, 1500),
    ("l5", (1, 2), {"commissioning": 1, "controls": 1}, {}, Gate.PERMANENT, 0),
]


def large_instance(n_tasks: int = 10_000, seed: int = 0) -> Instance:
    """A datacenter-like program: 5 sites, modules of 7 tasks each (fabricate, ship, set,
    hookup, energise, ist, l5), 4 factories, a crane per site, a program load bank, ~40
    crew pools (site pools and roving multi-skill pools, with holiday windows), supplies
    per site (backfeed, temporary turbines that leave, two permanent tranches), deployment
    links and milestones with targets."""
    rng = random.Random(seed)
    sites = [f"s{k}" for k in range(1, 6)]
    holiday = (Window(240, 250, 0),)
    resources = [
        Resource("factory", 80, "factory", windows=((Window(240, 250, 40),))),
        Resource("loadbank", 600, "program", scale=10),
    ]
    resources += [Resource(f"crane-{s}", 3, "site") for s in sites]
    pools = []
    for s in sites:
        for skill, count in (
            ("rigging", 3),
            ("pipefitting", 10),
            ("electrical", 4),
            ("commissioning", 4),
            ("controls", 2),
            ("welding", 2),
        ):
            pools.append(
                CrewPool(
                    f"{skill}-{s}",
                    frozenset({skill}),
                    count,
                    frozenset({s}),
                    windows=tuple(Window(w.start, w.end, count // 2) for w in holiday),
                )
            )
    for k in range(10):
        pools.append(
            CrewPool(
                f"cx-roving-{k}",
                frozenset({"electrical", "commissioning", "controls"}),
                3,
                frozenset(rng.sample(sites, 2)),
            )
        )
    n_modules = n_tasks // len(_MODULE_TASKS)
    tasks: list[Task] = []
    links: list[Link] = []
    milestones: list[Milestone] = []
    supplies: list[Supply] = []
    per_site = n_modules // len(sites)
    for s_k, s in enumerate(sites):
        load = rng.choice([200, 300, 400])
        supplies += [
            Supply(f"bf-{s}", s, SupplyKind.BACKFEED, 10_000, start=30 + 10 * s_k),
            Supply(
                f"gt-{s}", s, SupplyKind.TEMPORARY, 25_000, start=60 + 10 * s_k, end=350 + 20 * s_k
            ),
            Supply(f"p1-{s}", s, SupplyKind.PERMANENT, 40_000, start=200 + 15 * s_k),
            Supply(f"p2-{s}", s, SupplyKind.PERMANENT, per_site * load, start=380 + 15 * s_k),
        ]
        hall_first: list[int] = []
        for hall in range(0, per_site, 60):
            members: list[int] = []
            energise_prev = hall_first[-1] if hall_first else None
            for _ in range(min(60, per_site - hall)):
                first = len(tasks)
                for t_k, (name, (lo, hi), skills, res, gate, power) in enumerate(_MODULE_TASKS):
                    res = {("crane-" + s if r == "crane" else r): v for r, v in res.items()}
                    tasks.append(
                        Task(
                            f"{s}/h{hall}/{first}/{name}",
                            rng.randint(lo, hi),
                            release=rng.randint(0, 40) if t_k == 0 else 0,
                            site=s,
                            skills=skills,
                            resources=res,
                            gate=gate,
                            power_kw=power,
                            energise_kw=load if name == "energise" else 0,
                        )
                    )
                    if t_k:
                        links.append(
                            Link(first + t_k - 1, first + t_k, FS, 2 if name == "energise" else 0)
                        )
                if energise_prev is not None and rng.random() < 0.3:
                    links.append(Link(energise_prev + 4, first + 4, FS, 0))
                members.append(first + len(_MODULE_TASKS) - 1)
            hall_first.append(members[0] - len(_MODULE_TASKS) + 1)
            milestones.append(
                Milestone(
                    f"{s}-h{hall}-rfs", tuple(members), target=250 + hall * 3 + 20 * s_k, weight=10
                )
            )
    while len(tasks) < n_tasks:
        tasks.append(Task(f"admin/{len(tasks)}", rng.randint(1, 20)))
    return make(tasks, links, resources, pools, supplies, milestones, horizon=600)


@pytest.mark.slow
def test_large_instance_is_feasible():
    """2,000 tasks at three sites: the serial scheme places every task within the rules.
    Its time is measured by benchmarks/scale.py, not asserted here."""
    inst = large_instance(2_000, seed=1)
    sol = greedy(inst)
    assert sol is not None
    assert check(inst, sol) == []


# ---------------------------------------------------------------------------------------
# Random valid projects


@PROPERTY_SETTINGS
@given(projects())
def test_greedy_plan_is_valid(generated: GeneratedProject):
    with tempfile.TemporaryDirectory() as folder:
        _, instance, cpm = load_instance(write_project(generated, Path(folder)))
    solution = best_greedy(instance)
    assert solution is not None
    assert validate(instance, solution) == []
    _, makespan, objective = recompute_objective(instance, solution)
    assert objective == objective_value(instance, solution.starts)
    assert makespan >= cpm.length  # the critical path ignores resources: a lower bound


def test_the_rules_in_parallel_processes_give_the_plan_of_one_process(monkeypatch):
    """three-sites (3,291 tasks, above PARALLEL_TASKS): the rules forked over two
    processes give the same rule and plan, crew for crew, as run one after another."""
    from pathlib import Path

    from scheduler.pipeline import load_instance
    from scheduler.solvers import greedy as module

    _, instance, _ = load_instance(Path(__file__).parents[1] / "projects" / "three-sites.yaml")
    assert instance.num_tasks >= module.PARALLEL_TASKS
    forked = []
    parallel = module._parallel_rules
    monkeypatch.setattr(module, "_parallel_rules", lambda *a: forked.append(a[1]) or parallel(*a))
    one = module.best_rule(instance, 1)
    assert forked == []
    two = module.best_rule(instance, 2)
    assert forked == [2]
    assert one is not None and two is not None
    assert one[0] == two[0]
    assert (one[1].starts, one[1].crews) == (two[1].starts, two[1].crews)


def _dies_on_est(rule):
    """A forked rule process's work that kills its process on rule ``est``."""
    import os
    import signal

    from scheduler.solvers import greedy as module

    if rule == "est":
        os.kill(os.getpid(), signal.SIGKILL)
    return rule, module.greedy(module._SHARED[-1], rule)


def test_a_rule_process_that_dies_leaves_the_rules_to_this_process(monkeypatch):
    """One forked rule killed outright (as the out-of-memory killer would): no wait for
    it forever; the rules run here instead and give the plan of one process."""
    from pathlib import Path

    from scheduler.pipeline import load_instance
    from scheduler.solvers import greedy as module

    _, instance, _ = load_instance(Path(__file__).parents[1] / "projects" / "three-sites.yaml")
    one = module.best_rule(instance, 1)
    monkeypatch.setattr(module, "_rule_plan", _dies_on_est)
    assert module._parallel_rules(instance, 2) is None
    two = module.best_rule(instance, 2)
    assert one is not None and two is not None and one[0] == two[0]
    assert (one[1].starts, one[1].crews) == (two[1].starts, two[1].crews)


def test_past_the_time_limit_the_rules_stop_once_one_has_a_plan(monkeypatch):
    """The run's deadline has passed (a limit shorter than the rules take): one after
    another only the first rule runs; forked over two processes, the rules still running
    stop once one has a plan, so at most the two running at once finish, not the five.
    Either way the plan is valid."""
    from pathlib import Path

    from scheduler.pipeline import load_instance
    from scheduler.solvers import greedy as module

    root = Path(__file__).parents[1] / "projects"
    _, quickstart, _ = load_instance(root / "quickstart.yaml")
    ran: list[str] = []
    rule_plan = module.greedy
    monkeypatch.setattr(
        module,
        "greedy",
        lambda instance, rule="lst", **kw: ran.append(rule) or rule_plan(instance, rule, **kw),
    )
    found = module.best_rule(quickstart, 1, deadline=0.0)
    assert ran == ["lst"]
    assert found is not None and found[0] == "lst"
    assert validate(quickstart, found[1]) == []
    monkeypatch.setattr(module, "greedy", rule_plan)
    _, three_sites, _ = load_instance(root / "three-sites.yaml")
    plans = module._parallel_rules(three_sites, 2, deadline=0.0)
    assert plans is not None and 1 <= len(plans) <= 2
    assert all(validate(three_sites, plan) == [] for plan in plans.values() if plan is not None)


def _paused(rule):
    import time

    time.sleep(600)  # ended by the stop, never by its own end


@pytest.mark.timeout(120)
def test_a_signal_whose_raise_was_lost_still_ends_the_rules(monkeypatch):
    """Ctrl-C sets the command's `Stop` and raises; Python can lose that raise (a handler
    run inside a finaliser prints it and goes on), and the run then waited for its forked
    rules for ever. The rules look at the stop too: set while they run (each paused), the
    processes are killed and `Interrupted` raised; set before, no rule runs here either.
    A search's stop (a first Ctrl-C during a search, whose plan is kept) and a plain event
    (a library caller's) end nothing."""
    import multiprocessing
    import threading
    from pathlib import Path

    from scheduler.errors import Interrupted
    from scheduler.pipeline import load_instance
    from scheduler.solvers import greedy as module
    from scheduler.solvers.budget import Stop

    root = Path(__file__).parents[1] / "projects"
    _, three_sites, _ = load_instance(root / "three-sites.yaml")
    monkeypatch.setattr(module, "_rule_plan", _paused)
    stop = Stop()
    stop.signum = 2

    def signalled() -> None:
        stop.abort = True
        stop.set()

    later = threading.Timer(0.5, signalled)
    later.start()
    with pytest.raises(Interrupted):
        module.rule_plans(three_sites, 2, None, stop)
    later.join()
    assert multiprocessing.active_children() == []
    _, quickstart, _ = load_instance(root / "quickstart.yaml")
    ran: list[str] = []
    monkeypatch.setattr(module, "greedy", lambda *a, **kw: ran.append("rule"))
    with pytest.raises(Interrupted):
        module.rule_plans(quickstart, 1, None, stop)
    assert ran == []
    plain = threading.Event()
    plain.set()
    assert len(module.rule_plans(quickstart, 1, None, plain)) == len(module.PRIORITY_RULES)
    searched = Stop()
    searched.set()  # by a search's first signal: no abort
    assert len(module.rule_plans(quickstart, 1, None, searched)) == len(module.PRIORITY_RULES)
