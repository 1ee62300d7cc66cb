"""scheduler/instance.py: the mirror of an instance (time read backwards) and when there
is none."""

from __future__ import annotations

from dataclasses import replace

from generators import four_links, solved

from scheduler.instance import (
    CrewPool,
    Gate,
    LinkType,
    Milestone,
    Resource,
    Solution,
    Supply,
    SupplyKind,
    Window,
    mirror_starts,
    mirrored,
)
from scheduler.validate import validate


def test_mirror_turns_links_round_and_keeps_plans_valid():
    """Read backwards (start' = makespan - end), FS a->b with lag l is FS b->a, SS is FF,
    FF is SS and SF stays SF, each with the same lag: a plan and its mirror break the same
    number of links."""
    instance = four_links()
    mirror = mirrored(instance)
    assert mirror is not None and mirror.tasks == instance.tasks
    assert [(x.pred, x.succ, x.type, x.lag) for x in mirror.links] == [
        (1, 0, LinkType.FS, 1),
        (2, 0, LinkType.FF, 2),
        (3, 2, LinkType.SS, -1),
        (4, 1, LinkType.SF, 3),
    ]
    plan = solved(instance).solution
    back = Solution(mirror_starts(instance, plan.starts), plan.crews)
    assert validate(mirror, back) == []
    assert mirror_starts(mirror, back.starts) == plan.starts
    assert max(s + t.duration for s, t in zip(back.starts, instance.tasks, strict=True)) == max(
        s + t.duration for s, t in zip(plan.starts, instance.tasks, strict=True)
    )
    crowded = Solution([0, 0, 0, 0, 0], plan.crews)  # a, d share the slot; links broken
    flipped = Solution(mirror_starts(instance, crowded.starts), plan.crews)
    assert len(validate(mirror, flipped)) == len(validate(instance, crowded)) > 0


def test_mirror_refused_when_time_has_dates():
    """Releases, deadlines, pins, gates, loads, supplies, capacity windows and milestone
    targets or deadlines do not read backwards: no mirror."""
    plain = four_links()
    task = plain.tasks[0]
    tied = [
        replace(plain, tasks=(replace(task, release=1), *plain.tasks[1:])),
        replace(plain, tasks=(replace(task, deadline=30), *plain.tasks[1:])),
        replace(plain, tasks=(replace(task, fixed_start=0), *plain.tasks[1:])),
        replace(plain, tasks=(replace(task, fixed_crews=("p#1",)), *plain.tasks[1:])),
        replace(plain, tasks=(replace(task, gate=Gate.ANY), *plain.tasks[1:])),
        replace(plain, tasks=(replace(task, power_kw=5), *plain.tasks[1:])),
        replace(plain, tasks=(replace(task, energise_kw=5), *plain.tasks[1:])),
        replace(plain, supplies=(Supply("grid", "s", SupplyKind.PERMANENT, 10),)),
        replace(plain, resources=(Resource("slot", 1, "site", (Window(0, 2, 0),)),)),
        replace(plain, pools=(CrewPool("p", frozenset({"x"}), 1, windows=(Window(0, 2, 0),)),)),
        replace(plain, milestones=(Milestone("m", (4,), target=9),)),
        replace(plain, milestones=(Milestone("m", (4,), deadline=20),)),
    ]
    assert [mirrored(instance) for instance in tied] == [None] * len(tied)
    assert mirrored(replace(plain, milestones=(Milestone("m", (4,)),))) is not None
