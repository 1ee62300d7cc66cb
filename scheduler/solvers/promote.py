"""Milestone promotion: a search over the greedy scheme's priority order that re-divides
the crews sites share (issue 20, item 3).

On programs of thousands of tasks the lateness comes from how the shared pools
(commissioning, OEM service, water treatment, load banks...) are handed out between sites
months apart: on the generated 10,000-task program the greedy plan has 2,810 weighted late
days, 320 once those pools have crews to spare (docs/BENCHMARKS.md, "Milestone
promotion"). A time window cannot swap a crew between two sites' halls half a year apart;
the serial scheme decides it by which task comes first in its order.

So a step picks a late milestone (by its weighted late days above its proven bound), moves
every task it waits on (its own and all their predecessors, transitively) ``delta`` days
earlier in the order of the rule that gave the greedy plan (`greedy.rule_order`), and runs
the scheme again. The new order is kept when its plan is no worse. Promoting one hall's
chain is demoting every other claim on the crews it shares: across sites and over the
whole program at once.

The search ends when ``STALL`` steps in a row found nothing better, when no milestone is
above its bound, or at its limits: the wall clock, and in deterministic mode the work done
(tasks placed, ``PLACED_PER_SECOND`` per nominal second), so that one seed gives one plan.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from scheduler.instance import Instance, Solution, late_last_tasks, objective_value
from scheduler.solvers.budget import PLACED_PER_SECOND, Limits
from scheduler.solvers.greedy import DAY_RULES, DAY_SCALE, greedy, rule_order

# Days a step moves a milestone's chain up the order (small moves settle ties between two
# halls of one site, large ones hand a shared pool to another site first)
PROMOTIONS = (5, 15, 40, 100)
STALL = 12  # steps in a row without a better plan


@dataclass
class Stats:
    steps: int = 0
    improved: int = 0
    placed: int = 0  # tasks placed by the scheme, over every step
    seconds: float = 0.0

    @property
    def nominal_used(self) -> float:
        """The nominal seconds the work done stands for (deterministic mode)."""
        return self.placed / PLACED_PER_SECOND


class Promotion:
    """The order, its plan, and what each milestone waits on."""

    def __init__(
        self, instance: Instance, rule: str, seed: int, late_bounds: dict[int, int]
    ) -> None:
        self.instance = instance
        self.order = rule_order(instance, rule if rule in DAY_RULES else "target")
        self.rng = random.Random(seed)
        self.late_bounds = late_bounds
        self.index = {id(m): k for k, m in enumerate(instance.milestones)}
        self.preds: list[list[int]] = [[] for _ in range(instance.num_tasks)]
        for link in instance.links:
            self.preds[link.succ].append(link.pred)
        self._waits_on: dict[int, list[int]] = {}

    def waits_on(self, m: int) -> list[int]:
        """Milestone ``m``'s unpinned tasks and every unpinned task they depend on."""
        if m not in self._waits_on:
            tasks = self.instance.tasks
            seen = set(self.instance.milestones[m].tasks)
            stack = list(seen)
            while stack:
                for a in self.preds[stack.pop()]:
                    if a not in seen:
                        seen.add(a)
                        stack.append(a)
            self._waits_on[m] = sorted(i for i in seen if tasks[i].fixed_start is None)
        return self._waits_on[m]

    def late(self, plan: Solution) -> list[tuple[int, int]]:
        """(milestone, weighted late days above its proven bound) of the late ones."""
        ends = [self.instance.end_of(i, s) for i, s in enumerate(plan.starts)]
        found = []
        for milestone, last in late_last_tasks(self.instance, ends):
            m = self.index[id(milestone)]
            assert milestone.target is not None  # late_last_tasks yields targets only
            above = ends[last] - 1 - milestone.target - self.late_bounds.get(m, 0)
            if above > 0 and milestone.weight > 0:  # one of weight 0 gains nothing
                found.append((m, milestone.weight * above))
        return found

    def trial(self, plan: Solution) -> list[int] | None:
        """The order with one late milestone's chain moved up, or None when none is late
        (a milestone whose tasks are all pinned, as in a replan, cannot move)."""
        late = [(m, w) for m, w in self.late(plan) if self.waits_on(m)]
        if not late:
            return None
        m = self.rng.choices([m for m, _ in late], [w for _, w in late])[0]
        shift = self.rng.choice(PROMOTIONS) * DAY_SCALE
        order = list(self.order)
        for i in self.waits_on(m):
            order[i] -= shift
        return order


def promote(
    instance: Instance,
    hint: Solution,
    rule: str,
    limits: Limits,
    seed: int = 0,
    stop: threading.Event | None = None,
    on_improve: Callable[[int], None] | None = None,
    late_bounds: dict[int, int] | None = None,
) -> tuple[Solution, Stats]:
    """The best plan of promoted orders of ``rule`` within ``limits``, from ``hint``: the
    plan of ``rule``'s own order (the greedy plan; ``target`` stands in for a rule that
    orders by no day), or a better one (a warm start), which a new order must match."""
    started = time.perf_counter()
    stats = Stats()
    search = Promotion(instance, rule, seed, late_bounds or {})
    work = math.inf if limits.nominal is None else limits.nominal * PLACED_PER_SECOND
    current, value = hint, objective_value(instance, hint.starts)
    stall, step_seconds = 0, 0.0
    while stall < STALL and not (stop is not None and stop.is_set()):
        if stats.placed + instance.num_tasks > work:
            break
        if time.perf_counter() - started + step_seconds > limits.wall:
            limits.clock_cut()  # (in deterministic mode: work left, no time for it)
            break
        order = search.trial(current)
        if order is None:
            break
        began = time.perf_counter()
        plan = greedy(instance, order=order)
        step_seconds = time.perf_counter() - began
        stats.placed += instance.num_tasks
        stats.steps += 1
        if plan is None or objective_value(instance, plan.starts) > value:
            stall += 1
            continue
        found = objective_value(instance, plan.starts)
        stall = 0 if found < value else stall + 1
        if found < value:
            stats.improved += 1
            if on_improve:
                on_improve(found)
        search.order, current, value = order, plan, found
    stats.seconds = time.perf_counter() - started
    return current, stats
