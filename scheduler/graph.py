"""Precedence graph and critical-path analysis (CPM) of an Instance.

Every link, whatever its type, bounds the successor's start from the predecessor's start:
``s_b >= s_a + distance`` with FS: ``d_a + l``, SS: ``l``, FF: ``d_a + l - d_b`` and
SF: ``l - d_b`` (a lower bound when a task works by a calendar of its own). Earliest starts
are longest paths from the releases, read exactly through `Instance.link_bound`; latest
starts run backwards from the critical-path length (or a task's deadline, if tighter).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from scheduler.instance import Instance, Task


def precedence_graph(instance: Instance) -> nx.DiGraph:
    """Nodes are task indices; an edge carries the largest start distance of its links."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(instance.num_tasks))
    for link in instance.links:
        distance = instance.start_distance(link)
        old = graph.get_edge_data(link.pred, link.succ)
        if old is None:
            graph.add_edge(link.pred, link.succ, distance=distance, links=[link])
        else:
            old["distance"] = max(old["distance"], distance)
            old["links"].append(link)
    return graph


def find_cycle(instance: Instance, graph: nx.DiGraph | None = None) -> list[str] | None:
    """A cycle of task ids (first id repeated at the end), or None."""
    graph = precedence_graph(instance) if graph is None else graph
    if nx.is_directed_acyclic_graph(graph):  # linear in links; find_cycle is not, when
        return None  # there is none (quickstart x20: 43.8 s against 0.08 s, issue 26)
    try:
        edges = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return None
    ids = [instance.tasks[a].id for a, _ in edges]
    return [*ids, ids[0]]


def gate_opening(instance: Instance, task: Task) -> int | None:
    """First day the task's site has supply of a kind that passes its gate (0 if ungated);
    None if that never happens."""
    if task.gate == 0:
        return 0
    days = [
        s.start
        for s in instance.supplies
        if s.site == task.site and s.kind >= task.gate and s.kw > 0
    ]
    return min(days) if days else None


@dataclass(frozen=True)
class CriticalPath:
    """Earliest and latest starts (a task's total float is their difference) and the
    critical chain (task indices)."""

    earliest: list[int]
    latest: list[int]
    length: int  # the makespan lower bound: max(earliest + duration)
    chain: list[int]


def critical_path(instance: Instance, graph: nx.DiGraph | None = None) -> CriticalPath:
    """CPM on the links, releases, fixed starts and power-gate openings (resources ignored).

    Raises ValueError on a cycle.
    """
    graph = precedence_graph(instance) if graph is None else graph
    order = list(nx.topological_sort(graph))  # raises NetworkXUnfeasible on a cycle
    tasks = instance.tasks
    carried = energised_before(instance, graph)
    earliest = [_earliest_own(instance, t, carried.get(i, {})) for i, t in enumerate(tasks)]
    exact = instance.has_calendars
    for node in order:
        if exact and tasks[node].fixed_start is None:
            earliest[node] = instance.first_start(node, earliest[node])
        for succ, data in graph.succ[node].items():
            if exact:
                bound = max(instance.link_bound(link, earliest[node]) for link in data["links"])
            else:
                bound = earliest[node] + data["distance"]
            earliest[succ] = max(earliest[succ], bound)
    ends = instance.ends(earliest)
    length = max(ends, default=0)
    latest = [instance.start_for(i, length) for i in range(len(tasks))]
    for i, task in enumerate(tasks):
        if task.deadline is not None:
            latest[i] = min(latest[i], instance.start_for(i, task.deadline))
    for node in reversed(order):
        for succ, data in graph.succ[node].items():
            if exact:
                bound = min(instance.link_latest(link, latest[succ]) for link in data["links"])
                bound = instance.last_start(node, bound)
            else:
                bound = latest[succ] - data["distance"]
            latest[node] = min(latest[node], bound)
    return CriticalPath(earliest, latest, length, _chain(instance, graph, earliest, length))


def _earliest_own(instance: Instance, task: Task, carried: dict[int, int]) -> int:
    if task.fixed_start is not None:
        return task.fixed_start
    opening = power_opening(instance, task, carried)
    return max(task.release, gate_opening(instance, task) or 0, opening or 0)


def energised_before(instance: Instance, graph: nx.DiGraph) -> dict[int, dict[int, int]]:
    """For each power-gated task: the energised kW, per gate level, of tasks at its site
    that surely start no later than it does (ancestors along links of distance >= 0).

    One pass in topological order carries, for every task, the set of energising tasks
    before it as a bitset (a Python int), so that diamonds count each load once."""
    tasks = instance.tasks
    energisers = [i for i, t in enumerate(tasks) if t.energise_kw > 0]
    bit = {task: 1 << k for k, task in enumerate(energisers)}
    before = [0] * len(tasks)
    for node in nx.topological_sort(graph):
        for succ, data in graph.succ[node].items():
            if data["distance"] >= 0:
                before[succ] |= before[node] | bit.get(node, 0)
    found: dict[int, dict[int, int]] = {}
    for i, task in enumerate(tasks):
        if task.gate == 0 or task.fixed_start is not None:
            continue
        levels = dict.fromkeys(range(1, task.gate + 1), 0)
        mask, k = before[i], 0
        while mask:
            if mask & 1:
                other = tasks[energisers[k]]
                if other.site == task.site:
                    for level in range(1, min(other.gate, task.gate) + 1):
                        levels[level] += other.energise_kw
            mask >>= 1
            k += 1
        found[i] = levels
    return found


def power_opening(instance: Instance, task: Task, carried: dict[int, int]) -> int | None:
    """First day from which the task's draw (on its days) and its own energised load (for
    good) fit the site's supply on top of the load already energised before it, at every
    gate level it counts in; None if never (0 for an ungated task)."""
    if task.gate == 0:
        return 0
    supplies = [s for s in instance.supplies if s.site == task.site]
    cuts = sorted({0} | {s.start for s in supplies} | {s.end for s in supplies if s.end})
    for start in cuts:
        if all(
            _fits(supplies, level, start, task, carried.get(level, 0), cuts)
            for level in range(1, task.gate + 1)
        ):
            return start
    return None


def _fits(supplies: list, level: int, start: int, task: Task, base: int, cuts: list[int]) -> bool:
    def supply(day: int) -> int:
        return sum(
            s.kw
            for s in supplies
            if s.kind >= level and s.start <= day and (s.end is None or day < s.end)
        )

    run_end = start + task.duration  # a lower bound on its end (a calendar only adds days)
    for day in [start, *(c for c in cuts if c > start)]:
        need = base + task.energise_kw + (task.power_kw if day < run_end else 0)
        if supply(day) < need and (day < run_end or task.energise_kw > 0 or need > base):
            return False
    return True


def _chain(instance: Instance, graph: nx.DiGraph, earliest: list[int], length: int) -> list[int]:
    """Walk back from a task ending at ``length`` along links that are tight."""
    tasks = instance.tasks
    ends = instance.ends(earliest)
    if not tasks:
        return []
    node = max(range(len(tasks)), key=lambda i: (ends[i] == length, -i))
    chain = [node]
    while True:
        tight = [
            p
            for p, data in graph.pred[node].items()
            if instance.first_start(
                node, max(instance.link_bound(link, earliest[p]) for link in data["links"])
            )
            == earliest[node]
        ]
        if not tight:
            return chain[::-1]
        node = min(tight)
        chain.append(node)
