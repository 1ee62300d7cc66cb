"""What every solver returns: a frozen `Result` whose engine and method are enums."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from scheduler.instance import Solution


class Status(StrEnum):
    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"  # no plan found within the limit, no proof either


class Engine(StrEnum):
    """What found the plan (schedule.json ``solver.name``)."""

    CP_SAT = "cp-sat"
    GREEDY = "greedy"


class Method(StrEnum):
    """How the engine ran (schedule.json ``solver.method``, DESIGN.md)."""

    WHOLE_MODEL = "whole model"
    WINDOWS = "windows"  # from LARGE_PROGRAM_TASKS tasks on (solvers/windows.py)
    GREEDY_KEPT = "greedy plan kept"  # CP-SAT found nothing better in time
    PRIORITY_RULES = "priority rules"  # the greedy engine
    REPAIR = "repair (cp-sat found none)"  # a replan CP-SAT found no plan for in time


@dataclass(frozen=True)
class Result:
    """A solver's answer: the best plan (if any), its objective and the proven bound;
    ``history`` holds (seconds, objective, bound) at each improving plan."""

    engine: Engine
    method: Method
    status: Status
    solution: Solution | None = None
    objective: int | None = None
    bound: int | None = None
    seconds: float = 0.0
    first_solution_seconds: float | None = None
    workers: int = 1
    seed: int = 0
    history: tuple[tuple[float, int, int], ...] = ()
    interrupted: bool = False
    # proven minimum of the weighted late days (within the search horizon), and per
    # milestone id the proven least late days (solvers/bounds.py)
    tardiness_bound: int | None = None
    late_bounds: tuple[tuple[str, int], ...] = ()
    rule: str | None = None  # the greedy engine's priority rule that gave the plan
    # one worker: whether every stage ended on its deterministic limits, so that the seed
    # gives this plan again (`Budget.repeatable`); None with more workers
    repeatable: bool | None = None

    @property
    def gap(self) -> float | None:
        """Relative gap ``(objective - bound) / objective``; 0 for a zero objective."""
        if self.objective is None or self.bound is None:
            return None
        if self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / abs(self.objective))
