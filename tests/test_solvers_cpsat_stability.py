"""The replan's stability stage (scheduler/solvers/cpsat/stability.py): what counts as a
change, and the fewest-changes search starting from the plan that changes least."""

from __future__ import annotations

from generators import make

from scheduler.instance import CrewPool, Solution, Task
from scheduler.solvers.cpsat.stability import changes


def test_changes_counts_moved_tasks_and_changed_crews_of_planned_tasks():
    """a is pinned: never counted. Against the baseline b moved and changed its crew (2),
    c moved (1): 3. Crews in another order are no change."""
    pool = CrewPool("c", frozenset({"x"}), 2)
    tasks = [Task("a", 2, fixed_start=0), Task("b", 2, skills={"x": 2}), Task("c", 2)]
    instance = make(tasks, pools=[pool])
    baseline = Solution([0, 2, 4], [(), ("c#1", "c#2"), ()])
    assert changes(instance, baseline, baseline) == 0
    assert changes(instance, Solution([3, 2, 4], [(), ("c#2", "c#1"), ()]), baseline) == 0
    assert changes(instance, Solution([0, 5, 4], [(), ("c#1",), ()]), baseline) == 2
    assert changes(instance, Solution([0, 5, 6], [(), ("c#1",), ()]), baseline) == 3
