"""The constraint families of the CP-SAT model, one function each.

A family reads the model's variables (`CpSatModel.tasks`, ``crews``) and posts its
constraints. A family whose rule a planner may be told to relax (a release, a deadline,
a site's power, a crew pool's or a resource's windows) asks ``m.switch(kind, key)`` for
its enforcement literal: None in a model that solves (the rule always holds), a Boolean
in a model that explains infeasibility (`scheduler.diagnose`), which switches groups on
and off by assumptions. `FAMILIES` is the order in which the model posts them.

Where a new family goes: a function here, added to `FAMILIES`; the same rule in the
greedy scheme (`solvers/greedy.py`) and in the validator (`validate.py`, independent of
this file), each with a test. Nothing else reads the families.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import networkx as nx
from ortools.graph.python.max_flow import SimpleMaxFlow
from ortools.sat.python import cp_model

from scheduler.errors import InfeasibleModel
from scheduler.instance import CrewPool, LinkType, Window, gaps, pool_of

if TYPE_CHECKING:
    from scheduler.solvers.cpsat.model import CpSatModel

COMPLETE_SEARCH_TASKS = 200  # up to this size a crew-choice model gets two complete searches


def most_crews(pool: CrewPool) -> int:
    """The most crews the pool has on any day (redundant constraints relax to it)."""
    return max([pool.count, *(w.value for w in pool.windows)])


def links(m: CpSatModel) -> None:
    """Each link as its inequality on starts and ends (LinkType), lag ``l``:
    FS ``s_b >= e_a + l``, SS ``s_b >= s_a + l``, FF ``e_b >= e_a + l``, SF ``e_b >= s_a + l``
    (with fixed durations, the same as ``s_b >= s_a + Instance.start_distance``)."""
    for link in m.instance.links:
        a, b = m.tasks[link.pred], m.tasks[link.succ]
        before = a.end if link.type in (LinkType.FS, LinkType.FF) else a.start
        after = b.start if link.type in (LinkType.FS, LinkType.SS) else b.end
        if m.explain and after is b.end and m.instance.tasks[link.succ].calendar >= 0:
            # the explaining model sizes a calendar task at its duration (a relaxation):
            # its end here is the latest its start can give, so the link still relaxes
            after = b.start + m.instance.longest_span(link.succ)
        m.model.add(after >= before + link.lag)


def crews(m: CpSatModel) -> None:
    """For each task and skill, sum over eligible pools of split = need; for each pool,
    the crews in use on any day <= crews available that day."""
    pools = m.instance.pools
    for i, task in enumerate(m.instance.tasks):
        for skill, need in task.skills.items():
            if need <= 0:
                continue  # needs nobody (the validator and greedy skip it too)
            eligible = [p for p in m.instance.eligible_pools(task, skill) if pools[p].count > 0]
            if not eligible:
                raise InfeasibleModel(
                    f"task '{task.id}' needs skill '{skill}' that no crew pool at its site has"
                )
            _split_need(m, i, skill, need, eligible)
    _name_sums(m)
    _pin_crews(m)
    for p, pool in enumerate(pools):
        users = [(i, use) for (i, q), use in m.crews.use.items() if q == p]
        if pool.count == 1:
            _single_crew(m, p, users)
        elif users:
            intervals = [m.tasks[i].interval for i, _ in users]
            demands = [use for _, use in users]
            blocked = _blockers(
                m, pool.count, pool.windows, f"pool{p}", m.switch("crew-window", pool.id)
            )
            m.model.add_cumulative(
                intervals + [b for b, _ in blocked],
                demands + [d for _, d in blocked],
                pool.count,
            )


TRAVEL_ENCODING = "tails"  # "tails" (cumulatives, linear size) or "pairs" (disjunctions)


def travel(m: CpSatModel) -> None:
    """Crews of a travelling pool by name (`Instance.travelling_pools`): ``x[i, k]`` in
    {0, 1} with ``sum_k x[i, k] = use[i, p]``; each crew's tasks do not overlap; and a
    crew's tasks a at site A and b at site B != A with travel ``t = travel(A, B) > 0``
    keep ``s_b >= e_a + t`` or ``s_a >= e_b + t``. Every pair, not only consecutive
    tasks: the same as the rule (validate.py, ``crew-travel``) when travel days obey the
    triangle inequality, and stronger, so still safe, when they do not.

    For each crew, site A and travel t, one cumulative of capacity n holds the pairs: the
    tails ``[e_a, e_a + t)`` of the crew's tasks at A (demand 1 each, present with
    ``x[a, k]``) and the cores ``[s_b, e_b)`` of its tasks at the sites B at t from A
    (demand n): a core meets no tail, while tails may meet each other (tasks at A close
    together). Two pinned tasks (facts of a replan, a window's fixed neighbours) are never
    held against each other: the tails of pinned tasks meet the cores of free ones only.
    """
    for p in m.instance.travelling_pools():
        users = sorted(i for (i, q) in m.crews.use if q == p)
        if users:
            _named_crews(m, p, users)


def _named_crews(m: CpSatModel, p: int, users: list[int]) -> None:
    """``x[i, k]`` for each task of pool ``p`` and crew k; per crew its sequence."""
    pool, tasks = m.instance.pools[p], m.instance.tasks
    ids = pool.crew_ids()
    for i in users:
        fixed = tasks[i].fixed_crews
        on: list[cp_model.IntVar | int]
        if fixed is not None:  # a pinned task's crews are known: constants, not choices
            on = [int(crew in fixed) for crew in ids]
        else:
            on = [m.model.new_bool_var(f"T{i}_{crew}") for crew in ids]
        m.model.add(sum(on) == m.crews.use[i, p])
        m.crews.named[i, p] = on
    for k in range(pool.count):
        worked = [i for i in users if tasks[i].duration > 0 and not _never(m.crews.named[i, p][k])]
        cores = {i: _crew_interval(m, i, m.crews.named[i, p][k]) for i in worked}
        m.model.add_no_overlap(list(cores.values()))
        if TRAVEL_ENCODING == "pairs":
            _travel_pairs(m, p, k, worked)
        else:
            _travel_tails(m, p, k, worked, cores)


def _never(on: cp_model.IntVar | int) -> bool:
    return isinstance(on, int) and on == 0


def _crew_interval(
    m: CpSatModel, i: int, present: cp_model.IntVar | int, tail: int | None = None
) -> cp_model.IntervalVar:
    """The task's days ``[s_i, e_i)``, or with ``tail`` the days ``[e_i, e_i + tail)``
    after it; present when ``present`` (1: always)."""
    t = m.tasks[i]
    if tail is not None:
        if isinstance(present, int):
            return m.model.new_fixed_size_interval_var(t.end, tail, "")
        return m.model.new_optional_fixed_size_interval_var(t.end, tail, present, "")
    if isinstance(present, int):
        return t.interval
    return m.model.new_optional_interval_var(t.start, t.size, t.end, present, "")


def _travel_tails(
    m: CpSatModel, p: int, k: int, worked: list[int], cores: dict[int, cp_model.IntervalVar]
) -> None:
    tasks, travel = m.instance.tasks, m.instance.travel
    at: dict[str, list[int]] = defaultdict(list)
    for i in worked:
        if tasks[i].site is not None:
            at[tasks[i].site].append(i)  # type: ignore[index]
    for a in sorted(at):
        by_days: dict[int, list[int]] = defaultdict(list)
        for b in sorted(at):
            days = travel.days(a, b)
            if days > 0:
                by_days[days] += at[b]
        for days, others in sorted(by_days.items()):
            mine = at[a]
            for pinned in (False, True):
                tails = [i for i in mine if (tasks[i].fixed_start is not None) == pinned]
                against = [j for j in others if not pinned or tasks[j].fixed_start is None]
                if not tails or not against:
                    continue
                n = len(tails)
                intervals = [_crew_interval(m, i, m.crews.named[i, p][k], days) for i in tails]
                m.model.add_cumulative(
                    intervals + [cores[j] for j in against],
                    [1] * n + [n] * len(against),
                    n,
                )


def _travel_pairs(m: CpSatModel, p: int, k: int, worked: list[int]) -> None:
    """Prototype kept for the benchmark: one disjunction per pair of tasks at two sites."""
    tasks, travel = m.instance.tasks, m.instance.travel
    for a, b in itertools.combinations(worked, 2):
        days = travel.days(tasks[a].site, tasks[b].site)
        if days <= 0 or (tasks[a].fixed_start is not None and tasks[b].fixed_start is not None):
            continue
        both = [
            x for x in (m.crews.named[a, p][k], m.crews.named[b, p][k]) if not isinstance(x, int)
        ]
        first = m.model.new_bool_var("")
        ta, tb = m.tasks[a], m.tasks[b]
        m.model.add(tb.start >= ta.end + days).only_enforce_if([*both, first])  # type: ignore[list-item]
        m.model.add(ta.start >= tb.end + days).only_enforce_if([*both, ~first])  # type: ignore[list-item]


def skill_cumulatives(m: CpSatModel) -> None:
    """Redundant: for each skill s, sum of need_s over running tasks <= crews that can
    bring s; and over all skills, sum of needs <= crews that bring any of them.

    Implied by the crew constraints (a crew brings one skill to one task at a time),
    but stated on the task intervals it gives CP-SAT's cumulative reasoning a makespan
    lower bound that the per-crew no_overlaps and the split variables do not. Counts
    take each pool at its largest availability and ignore sites, so they only relax.
    Measured on MSPSP only, so kept to models of that size.
    """
    if m.instance.num_tasks > COMPLETE_SEARCH_TASKS:
        return
    every = sorted({skill for task in m.instance.tasks for skill in task.skills})
    groups = [{skill} for skill in every] + ([set(every)] if len(every) > 1 else [])
    for group in groups:
        users = [
            (t.interval, sum(n for s, n in task.skills.items() if s in group))
            for t, task in zip(m.tasks, m.instance.tasks, strict=True)
            if task.duration > 0
        ]
        users = [(interval, need) for interval, need in users if need > 0]
        capacity = sum(most_crews(pool) for pool in m.instance.pools if pool.skills & group)
        if len(users) > 1 and sum(need for _, need in users) > capacity:
            m.model.add_cumulative([i for i, _ in users], [n for _, n in users], capacity)


def crew_disjunctions(m: CpSatModel) -> None:
    """Redundant: two tasks whose crew needs together no assignment of the crews can
    meet never overlap; over each maximal clique of such pairs, no_overlap.

    A pair fails when the max-flow from its (task, skill) needs to the pools that serve
    them (each at its largest availability) falls short of the needs. The skill
    cumulatives miss such pairs when crews hold several skills (MSPSP), and the
    no_overlap's edge finding then orders them long before the search would.
    Measured on MSPSP only, so kept to models of that size.
    """
    if m.instance.num_tasks > COMPLETE_SEARCH_TASKS or not m.instance.pools:
        return
    tasks = m.instance.tasks
    staffed = [i for i, t in enumerate(tasks) if t.skills and t.duration > 0]
    clash = nx.Graph()
    for a, b in itertools.combinations(staffed, 2):
        if not crews_cover(m, (a, b)):
            clash.add_edge(a, b)
    for clique in nx.find_cliques(clash):
        m.model.add_no_overlap([m.tasks[i].interval for i in clique])


def crews_cover(m: CpSatModel, group: Sequence[int]) -> bool:
    """Can the crews (each pool at its largest availability) meet at once every skill
    need of the tasks in ``group``?"""
    pools = m.instance.pools
    flow, need_total = SimpleMaxFlow(), 0
    source, sink, first = 0, 1, 2 + len(pools)
    for p, pool in enumerate(pools):
        flow.add_arc_with_capacity(2 + p, sink, most_crews(pool))
    node = first
    for i in group:
        task = m.instance.tasks[i]
        for skill, need in task.skills.items():
            flow.add_arc_with_capacity(source, node, need)
            need_total += need
            for p in m.instance.eligible_pools(task, skill):
                flow.add_arc_with_capacity(node, 2 + p, need)
            node += 1
    return flow.solve(source, sink) == flow.OPTIMAL and flow.optimal_flow() >= need_total


def _split_need(m: CpSatModel, i: int, skill: str, need: int, eligible: list[int]) -> None:
    if len(eligible) == 1:
        parts: list[cp_model.LinearExprT] = [need]
    else:
        parts = [
            m.model.new_int_var(0, min(need, m.instance.pools[p].count), f"T{i}_{skill}_P{p}")
            for p in eligible
        ]
        m.model.add(sum(parts) == need)
    for p, part in zip(eligible, parts, strict=True):
        m.crews.split[i, skill, p] = part
        m.crews.use[i, p] = m.crews.use.get((i, p), 0) + part  # type: ignore[operator]


def _name_sums(m: CpSatModel) -> None:
    """A pool giving a task crews for two skills uses their sum; cumulative demands
    must be single variables, so such a sum gets its own: u = x_a + x_b."""
    for (i, p), use in list(m.crews.use.items()):
        if not isinstance(use, int | cp_model.IntVar):
            total = m.model.new_int_var(0, m.instance.pools[p].count, f"T{i}_P{p}_use")
            m.model.add(total == use)
            m.crews.use[i, p] = total


def _pin_crews(m: CpSatModel) -> None:
    """A task pinned to named crews (``fixed_crews``) takes from each pool exactly the
    number of those crews that belong to it (the validator asks for the same crews)."""
    ids = [pool.id for pool in m.instance.pools]
    for (i, p), use in m.crews.use.items():
        crews = m.instance.tasks[i].fixed_crews
        if crews is not None and not isinstance(use, int):
            m.model.add(use == sum(1 for c in crews if pool_of(c) == ids[p]))


def _single_crew(m: CpSatModel, p: int, users: list[tuple[int, cp_model.LinearExprT]]) -> None:
    """A one-crew pool: optional intervals, no two present ones overlap."""
    intervals = []
    for i, use in users:
        if m.instance.tasks[i].duration == 0:
            continue  # works no day (as the validator counts it), so it blocks no one
        if isinstance(use, int):
            if use > 1:
                raise InfeasibleModel(
                    f"task '{m.instance.tasks[i].id}' needs {use} "
                    f"crews of one-crew pool '{m.instance.pools[p].id}'"
                )
            intervals.append(m.tasks[i].interval)
            continue
        present = m.model.new_bool_var(f"T{i}_on_P{p}")
        m.model.add(use == present)
        t = m.tasks[i]
        intervals.append(m.model.new_optional_interval_var(t.start, t.size, t.end, present, ""))
    pool = m.instance.pools[p]
    blocked = _blockers(m, 1, pool.windows, f"pool{p}", m.switch("crew-window", pool.id))
    m.model.add_no_overlap(intervals + [b for b, _ in blocked])


def _blockers(
    m: CpSatModel,
    capacity: int,
    windows: Sequence[Window],
    name: str,
    present: cp_model.IntVar | None = None,
) -> list[tuple[cp_model.IntervalVar, int]]:
    """Fixed intervals that take ``capacity - value`` on each window."""
    found = []
    for k, w in enumerate(windows):
        if w.value < capacity and w.end > w.start:
            size, label = w.end - w.start, f"{name}_off{k}"
            interval = (
                m.model.new_fixed_size_interval_var(w.start, size, label)
                if present is None
                else m.model.new_optional_fixed_size_interval_var(w.start, size, present, label)
            )
            found.append((interval, capacity - w.value))
    return found


def resources(m: CpSatModel) -> None:
    """For each resource and day: sum of amounts of running tasks <= capacity that day."""
    users: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for i, task in enumerate(m.instance.tasks):
        for rid, amount in task.resources.items():
            users[rid].append((i, amount))
    known = {resource.id for resource in m.instance.resources}
    for rid in sorted(set(users) - known):
        task_id = m.instance.tasks[users[rid][0][0]].id
        raise InfeasibleModel(f"task '{task_id}' uses unknown resource '{rid}'")
    for r, resource in enumerate(m.instance.resources):
        if not users[resource.id]:
            continue
        top = max([resource.capacity, *(w.value for w in resource.windows)])
        windows = list(resource.windows)
        if top > resource.capacity:  # a window above the base: the base holds elsewhere
            windows += gaps(resource.windows, m.instance.horizon, resource.capacity)
        blocked = _blockers(m, top, windows, f"R{r}", m.switch("capacity-window", resource.id))
        if top == 0:  # no capacity ever: no task using it may run
            for i, _ in users[resource.id]:
                if m.instance.tasks[i].duration > 0:
                    raise InfeasibleModel(
                        f"task '{m.instance.tasks[i].id}' uses "
                        f"'{resource.id}', which has no capacity"
                    )
            continue
        intervals = [m.tasks[i].interval for i, _ in users[resource.id]]
        demands = [a for _, a in users[resource.id]]
        m.model.add_cumulative(
            intervals + [b for b, _ in blocked], demands + [d for _, d in blocked], top
        )


def power(m: CpSatModel) -> None:
    """Per site, gate level g and day t: sum of power_kw of running tasks with gate >= g
    + energise_kw of tasks with gate >= g started on or before t <= supply of kinds >= g
    active on t."""
    energised = {
        i: _energised_interval(m, i) for i, t in enumerate(m.instance.tasks) if t.energise_kw > 0
    }
    for site in m.instance.sites():
        for level in (1, 2, 3):
            items = []
            for i, task in enumerate(m.instance.tasks):
                if task.site != site or task.gate < level:
                    continue
                if task.power_kw > 0 and task.duration > 0:
                    items.append((m.tasks[i].interval, task.power_kw))
                if i in energised:
                    items.append((energised[i], task.energise_kw))
            if items:
                _supply_cumulative(m, site, level, items)


def _energised_interval(m: CpSatModel, i: int) -> cp_model.IntervalVar:
    start = m.tasks[i].start
    return m.model.new_interval_var(start, m.power_end - start, m.power_end, f"T{i}_energised")


def _supply_cumulative(m: CpSatModel, site: str, level: int, items: list[tuple]) -> None:
    literal = m.switch("power", site)
    if literal is not None:  # the task intervals count only while the site's power is on
        items = [
            (
                m.model.new_optional_interval_var(
                    interval.start_expr(), interval.size_expr(), interval.end_expr(), literal, ""
                ),
                demand,
            )
            for interval, demand in items
        ]
    profile = supply_profile(m, site, level)
    top = max(kw for _, _, kw in profile)
    blockers = []
    for k, (a, b, kw) in enumerate(profile):
        if kw < top:
            interval = m.model.new_fixed_size_interval_var(a, b - a, f"{site}_g{level}_{k}")
            blockers.append((interval, top - kw))
    intervals = [it for it, _ in items] + [it for it, _ in blockers]
    demands = [d for _, d in items] + [d for _, d in blockers]
    m.model.add_cumulative(intervals, demands, max(top, 0))


def supply_profile(m: CpSatModel, site: str, level: int) -> list[tuple[int, int, int]]:
    """Pieces ``(a, b, kw)`` covering ``[0, power_end)``: supply of kinds >= level."""
    supplies = [s for s in m.instance.supplies if s.site == site and s.kind >= level]
    cuts = {0, m.power_end}
    for s in supplies:
        cuts |= {min(s.start, m.power_end), min(s.end or m.power_end, m.power_end)}
    cuts_sorted = sorted(c for c in cuts if 0 <= c <= m.power_end)
    pieces = []
    for a, b in itertools.pairwise(cuts_sorted):
        kw = sum(s.kw for s in supplies if s.start <= a and (s.end is None or a < s.end))
        pieces.append((a, b, kw))
    return pieces


def releases(m: CpSatModel) -> None:
    """No work of a deployment before its release (in a solving model the start domains
    hold it; here only when it is switched)."""
    for i, task in enumerate(m.instance.tasks):
        if task.fixed_start is None and task.release > 0:
            literal = m.switch("release", task.deployment or task.id)
            if literal is not None:
                m.model.add(m.tasks[i].start >= task.release).only_enforce_if(literal)


def gates(m: CpSatModel) -> None:
    """A gated task starts only where its site has supply of its kind every day it runs
    (in a solving model the start domains hold it; here only when it is switched)."""
    for i, task in enumerate(m.instance.tasks):
        if task.fixed_start is None and task.gate > 0 and task.duration > 0:
            literal = m.switch("power", task.site or "")
            if literal is not None:
                m.model.add_linear_expression_in_domain(
                    m.tasks[i].start, m.gate_domain(i)
                ).only_enforce_if(literal)


def deadlines(m: CpSatModel) -> None:
    """Every task of a milestone ends by its deadline (in a solving model the start
    domains hold it; here only when it is switched)."""
    for milestone in m.instance.milestones:
        if milestone.deadline is None:
            continue
        literal = m.switch("deadline", milestone.id)
        if literal is not None:
            for i in milestone.tasks:
                m.model.add(m.tasks[i].end <= milestone.deadline + 1).only_enforce_if(literal)


Family = Callable[["CpSatModel"], None]
FAMILIES: tuple[Family, ...] = (
    links,
    crews,
    travel,
    skill_cumulatives,
    crew_disjunctions,
    resources,
    power,
    releases,
    gates,
    deadlines,
)
