"""What every solver returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from scheduler.instance import Solution


class Status(StrEnum):
    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"  # no plan found within the limit, no proof either


@dataclass
class SolveResult:
    """A solver's answer: the best plan (if any), its objective and the proven bound."""

    solver: str
    status: Status
    solution: Solution | None = None
    objective: int | None = None
    bound: int | None = None
    seconds: float = 0.0
    first_solution_seconds: float | None = None
    workers: int = 1
    seed: int = 0
    history: list[tuple[float, int, int]] = field(default_factory=list)  # (s, objective, bound)
    interrupted: bool = False

    @property
    def gap(self) -> float | None:
        """Relative gap ``(objective - bound) / objective``; 0 for a zero objective."""
        if self.objective is None or self.bound is None:
            return None
        if self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / abs(self.objective))
