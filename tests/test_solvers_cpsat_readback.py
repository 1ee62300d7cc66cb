"""scheduler/solvers/cpsat/readback.py: the plan read back from CP-SAT with its crews
named (pinned crews first, then preferred ones, then the lowest-numbered free crew)."""

from __future__ import annotations

from generators import make, solved

from scheduler.instance import CrewPool, Task
from scheduler.solvers.cpsat.readback import name_crews


def test_single_crew_serialises_and_is_named():
    """Two 2-day tasks need the one rigging crew: makespan 4, both name rig#1."""
    pool = CrewPool("rig", frozenset({"rigging"}), 1)
    tasks = [Task("a", 2, skills={"rigging": 1}), Task("b", 2, skills={"rigging": 1})]
    result = solved(make(tasks, pools=[pool]))
    assert result.objective == 4
    assert result.solution.crews == [("rig#1",), ("rig#1",)]


def test_fixed_start_and_crews_are_kept():
    """A pinned task keeps its start and crew; the other task takes the other crew."""
    pool = CrewPool("c", frozenset({"x"}), 2)
    tasks = [
        Task("a", 3, skills={"x": 1}, fixed_start=2, fixed_crews=("c#1",)),
        Task("b", 3, skills={"x": 1}),
    ]
    result = solved(make(tasks, pools=[pool]))
    assert result.solution.starts[0] == 2
    assert result.solution.crews[0] == ("c#1",)
    assert result.solution.crews[1] == ("c#2",)


def test_crews_named_pinned_first_then_preferred_then_lowest_free():
    """Pool c of three crews; a on days 0-1 and b on days 1-2 take one crew each, and a
    replan prefers c#3 for both (the baseline's). a gets c#3; b, overlapping it, cannot,
    and gets the lowest free crew, c#1. With b pinned to c#2, b is named first (c#2) and a
    still gets its preferred c#3. A zero-day task holds its crew on no day: it may take
    the crew a holds."""
    pool = CrewPool("c", frozenset({"x"}), 3)
    tasks = [Task("a", 2, skills={"x": 1}), Task("b", 2, skills={"x": 1})]
    prefer = [("c#3",), ("c#3",)]
    crews: list[list[str]] = [[], []]
    name_crews(make(tasks, pools=[pool]), 0, [(0, 1), (1, 1)], [0, 1], crews, prefer)
    assert crews == [["c#3"], ["c#1"]]
    pinned = [tasks[0], Task("b", 2, skills={"x": 1}, fixed_crews=("c#2",))]
    crews = [[], []]
    name_crews(make(pinned, pools=[pool]), 0, [(0, 1), (1, 1)], [0, 1], crews, prefer)
    assert crews == [["c#3"], ["c#2"]]
    sign = [tasks[0], Task("sign", 0, skills={"x": 1})]
    crews = [[], []]
    name_crews(make(sign, pools=[pool]), 0, [(0, 1), (1, 1)], [0, 1], crews, prefer)
    assert crews == [["c#3"], ["c#3"]]
