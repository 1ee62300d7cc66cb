"""scheduler/solvers/cpsat/readback.py: the plan read back from CP-SAT with its crews
named (pinned crews first, then the lowest-numbered free crew)."""

from __future__ import annotations

from generators import make, solved

from scheduler.instance import CrewPool, Task


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
