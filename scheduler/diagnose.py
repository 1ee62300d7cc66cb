"""Why a project cannot be scheduled, in planner's words.

`precheck` runs the cheap certain checks before any search: power gates that never open,
deadlines earlier than the critical path allows, energised load that the site's last
supply cannot carry. `explain_infeasible` is called when CP-SAT proves infeasibility.
"""

from __future__ import annotations

from collections.abc import Callable

from scheduler.graph import CriticalPath, gate_opening, start_distance
from scheduler.instance import Gate, Instance

DayText = Callable[[int], str]
GATE_WORDS = {Gate.ANY: "any", Gate.TEMPORARY: "temporary or permanent",
              Gate.PERMANENT: "permanent"}  # fmt: skip


class Infeasible(Exception):
    """No plan exists (or none could be found); ``reasons`` are one line each."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("; ".join(reasons))


def _day(day: int, day_text: DayText | None) -> str:
    return day_text(day) if day_text else f"day {day}"


def precheck(instance: Instance, cpm: CriticalPath, day_text: DayText | None = None) -> None:
    reasons = gates_never_open(instance)
    reasons += deadlines_before_critical_path(instance, cpm, day_text)
    reasons += energised_load_uncovered(instance)
    if reasons:
        raise Infeasible(reasons)


def gates_never_open(instance: Instance) -> list[str]:
    reasons, seen = [], set()
    for task in instance.tasks:
        key = (task.module_type, task.name, task.site, task.gate)
        if task.gate and key not in seen and gate_opening(instance, task) is None:
            seen.add(key)
            reasons.append(f"task '{task.id}' needs {GATE_WORDS[task.gate]} power but site "
                           f"'{task.site}' never has any")  # fmt: skip
    return reasons


def deadlines_before_critical_path(instance: Instance, cpm: CriticalPath,
                                   day_text: DayText | None) -> list[str]:  # fmt: skip
    reasons = []
    for milestone in instance.milestones:
        if milestone.deadline is None or not milestone.tasks:
            continue
        ends = {i: cpm.earliest[i] + instance.tasks[i].duration for i in milestone.tasks}
        last = max(ends, key=lambda i: (ends[i], -i))
        if ends[last] - 1 > milestone.deadline:
            chain = " -> ".join(instance.tasks[i].id for i in chain_to(instance, cpm, last))
            reasons.append(
                f"milestone '{milestone.id}' has deadline "
                f"{_day(milestone.deadline, day_text)} but cannot be reached before "
                f"{_day(ends[last] - 1, day_text)}, because of the chain {chain}"
            )
    return reasons


def chain_to(instance: Instance, cpm: CriticalPath, task: int) -> list[int]:
    """The chain of tight links that sets a task's earliest start."""
    into: dict[int, list] = {}
    for link in instance.links:
        into.setdefault(link.succ, []).append(link)
    chain = [task]
    while True:
        tight = [link.pred for link in into.get(chain[-1], [])
                 if cpm.earliest[link.pred] + start_distance(link, instance.tasks)
                 == cpm.earliest[chain[-1]]]  # fmt: skip
        if not tight:
            return chain[::-1]
        chain.append(min(tight))


def energised_load_uncovered(instance: Instance) -> list[str]:
    """After the last supply change the supply is constant and every energised load is
    on: for each site and level, all load of that level must fit the final supply."""
    reasons = []
    last = instance.power_until(0)
    for site in instance.sites():
        for level in (Gate.ANY, Gate.TEMPORARY, Gate.PERMANENT):
            load = sum(t.energise_kw for t in instance.tasks
                       if t.site == site and t.gate >= level)  # fmt: skip
            final = sum(s.kw for s in instance.supplies if s.site == site and s.kind >= level
                        and s.start < last and (s.end is None or s.end >= last))  # fmt: skip
            if load > final:
                reasons.append(
                    f"site '{site}': modules energised on {GATE_WORDS[level]} power "
                    f"carry {load / 1000:g} MW for good, but only {final / 1000:g} MW "
                    "of that kind remains once the last supply change is past"
                )
                break
    return reasons


def explain_infeasible(instance: Instance, options: object) -> list[str]:
    """CP-SAT proved that no plan exists. Name what constrains the plan most."""
    return [
        "CP-SAT proved that no plan meets every constraint: check milestone deadlines, "
        "releases, power supplies and crew unavailability windows"
    ]
