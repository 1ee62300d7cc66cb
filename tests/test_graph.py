"""CPM on the precedence graph: distances per link type, cycles, power openings."""

from __future__ import annotations

from scheduler.expand import with_horizon
from scheduler.graph import critical_path, find_cycle
from scheduler.instance import Gate, Instance, Link, LinkType, Supply, SupplyKind, Task


def make(tasks, links=(), supplies=()) -> Instance:
    return with_horizon(Instance("t", tuple(tasks), tuple(links), supplies=tuple(supplies)))


def test_earliest_latest_and_chain():
    """a(3) -FS-> b(2) -FS-> d(1); a -SS+1-> c(5) -FF+0-> d. Earliest: a 0, b 3, c 1,
    d = max(b end 5, c end 6 - 1) = 5; length 6, reached by c and d; every task has zero
    float. The chain walks back from c (the first task ending on day 6): a -> c."""
    tasks = [Task("a", 3), Task("b", 2), Task("c", 5), Task("d", 1)]
    links = [Link(0, 1), Link(1, 3), Link(0, 2, LinkType.SS, 1), Link(2, 3, LinkType.FF, 0)]
    cpm = critical_path(make(tasks, links))
    assert cpm.earliest == [0, 3, 1, 5]
    assert cpm.length == 6
    assert cpm.latest == [0, 3, 1, 5]
    assert cpm.chain == [0, 2]


def test_cycle_is_named_by_task_ids():
    tasks = [Task("x", 1), Task("y", 1), Task("z", 1)]
    cycle = find_cycle(make(tasks, [Link(0, 1), Link(1, 2), Link(2, 0)]))
    assert cycle == ["x", "y", "z", "x"]


def test_power_opening_counts_load_energised_before():
    """1 MW permanent from day 0, 2 MW more from day 10. 'a' energises 0.8 MW for good;
    'b' (after a) draws 1.5 MW: 0.8 + 1.5 > 1 until day 10, so b's earliest is day 10,
    not day 1 as links and gates alone would say."""
    supplies = [
        Supply("grid", "s", SupplyKind.PERMANENT, 1000, 0),
        Supply("t2", "s", SupplyKind.PERMANENT, 2000, 10),
    ]
    a = Task("a", 1, site="s", gate=Gate.ANY, energise_kw=800)
    b = Task("b", 2, site="s", gate=Gate.ANY, power_kw=1500)
    cpm = critical_path(make([a, b], [Link(0, 1)], supplies))
    assert cpm.earliest == [0, 10]


def test_power_opening_for_load_that_stays():
    """Turbines 1 MW on days [0, 20), grid 1 MW from day 30: a 0.8 MW energise that must
    stay covered can only start on day 30."""
    supplies = [
        Supply("gt", "s", SupplyKind.TEMPORARY, 1000, 0, 20),
        Supply("grid", "s", SupplyKind.PERMANENT, 1000, 30),
    ]
    task = Task("e", 1, site="s", gate=Gate.ANY, energise_kw=800)
    assert critical_path(make([task], supplies=supplies)).earliest == [30]
