"""Reading a plan back from CP-SAT: starts, crew counts per pool, and crews named."""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from scheduler.instance import Instance, Solution

if TYPE_CHECKING:
    from scheduler.solvers.cpsat.model import CpSatModel


def read_solution(
    built: CpSatModel, solver: cp_model.CpSolver, prefer: list[tuple[str, ...]] | None = None
) -> Solution:
    starts = [int(solver.value(t.start)) for t in built.tasks]
    crews: list[list[str]] = [[] for _ in built.tasks]
    named = read_named_crews(built, solver)
    travelling = {p for (_, p) in named}
    for p, users in read_crew_counts(built, solver).items():
        if p not in travelling:
            name_crews(built.instance, p, users, starts, crews, prefer)
    for (i, _), chosen in named.items():
        crews[i] += chosen
    return Solution(starts, [tuple(c) for c in crews])


def read_named_crews(
    built: CpSatModel, solver: cp_model.CpSolver
) -> dict[tuple[int, int], list[str]]:
    """(task, pool) -> the crews the model named, for the pools whose crews travel (their
    names are part of the model: `families.travel`)."""
    found = {}
    for (i, p), on in built.crews.named.items():
        ids = built.instance.pools[p].crew_ids()
        found[i, p] = [
            c
            for c, var in zip(ids, on, strict=True)
            if solver.value(var)  # an int when pinned
        ]
    return found


def read_crew_counts(built: CpSatModel, solver: cp_model.CpSolver) -> dict[int, list]:
    """pool -> [(task, crews of the pool on it)] for the tasks that use the pool."""
    use: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (i, p), expr in built.crews.use.items():
        count = int(solver.value(expr)) if not isinstance(expr, int) else expr
        if count:
            use[p].append((i, count))
    return use


def name_crews(
    instance: Instance,
    p: int,
    users: list[tuple[int, int]],
    starts: list[int],
    crews: list[list[str]],
    prefer: list[tuple[str, ...]] | None,
) -> None:
    """Give each task the crews of pool ``p`` it uses, by start order: pinned crews first,
    then preferred ones (the baseline's), then the lowest-numbered free crew. In start
    order a crew free on a task's first day is free on all of it, so this never fails
    unless pinned crews make it."""
    pool = instance.pools[p]
    ids = pool.crew_ids()
    busy: dict[str, list[tuple[int, int]]] = {c: [] for c in ids}  # sorted, disjoint
    tasks = instance.tasks

    def free(crew: str, a: int, b: int) -> bool:
        spans = busy[crew]
        k = bisect.bisect_left(spans, (b, b))  # spans starting before b: [:k]
        return k == 0 or spans[k - 1][1] <= a

    order = sorted(users, key=lambda u: (tasks[u[0]].fixed_crews is None, starts[u[0]], u[0]))
    for i, count in order:
        a, b = starts[i], instance.end_of(i, starts[i])
        pinned = [c for c in (tasks[i].fixed_crews or ()) if c in busy]
        wished = [c for c in (prefer[i] if prefer else ()) if c in busy and c not in pinned]
        chosen = pinned[:count]
        for crew in wished + ids:
            if len(chosen) == count:
                break
            if crew not in chosen and (a == b or free(crew, a, b)):
                chosen.append(crew)
        if len(chosen) < count:
            raise RuntimeError(f"could not name {count} crews of '{pool.id}' for '{tasks[i].id}'")
        for crew in chosen:
            if a < b:
                bisect.insort(busy[crew], (a, b))
        crews[i] += chosen
