"""The time a run may take, and how its stages share it.

One `Budget` goes from the command line through every stage (greedy, CP-SAT, the window
search, the replan's stability stage, the explanation of an infeasible model): each stage
asks it for `take(fraction)` of what is left, so the whole run stays inside
``--time-limit`` (plus loading and writing), and a set ``stop`` event (Ctrl-C, SIGTERM)
ends every stage.

Deterministic mode (one worker): a stage's search is cut by CP-SAT's deterministic clock,
set from the limit alone (never from the wall time already spent), so that the same seed
gives the same plan run after run on a busy machine too; its wall limit is only a
backstop, `BACKSTOP` times the stage's nominal share.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

Progress = Callable[[float, int, int], None]  # (seconds, objective, bound)

# CP-SAT deterministic time per nominal second with one worker (measured here: one worker
# does about 0.2-0.33 deterministic s per wall s, so a quiet run ends on this clock)
DETERMINISTIC_SHARE = 0.15
BACKSTOP = 4.0  # deterministic mode: the wall clock stops a stage past 4x its share
# what the command line accepts (a value outside ends with exit 2 and the range)
MAX_TIME_LIMIT = 1_000_000.0  # seconds, about 11.6 days
MAX_WORKERS = 256
MAX_SEED = 2**31 - 1  # CP-SAT's random_seed is a 32-bit integer
MAX_PROCESSES = 64  # what-if scenarios solved at once (never more than there are)


@dataclass(frozen=True)
class SolveOptions:
    """What the user sets: the whole run's time limit, CP-SAT workers and seed."""

    time_limit: float = 60.0
    workers: int = 2
    seed: int = 0
    log_search: bool = False

    @property
    def deterministic(self) -> bool:
        return self.workers <= 1


@dataclass(frozen=True)
class Limits:
    """One stage's limits: wall seconds, and the nominal seconds its deterministic
    clock is set from (None: no deterministic limit)."""

    wall: float
    nominal: float | None = None

    @property
    def deterministic_time(self) -> float | None:
        """CP-SAT's ``max_deterministic_time`` for this stage, if any."""
        return None if self.nominal is None else max(0.05, self.nominal * DETERMINISTIC_SHARE)


class Stop(threading.Event):
    """Ctrl-C or SIGTERM, as an event the searches poll. `searching` says whether a
    search is running that ends on it and keeps its best plan; the command line's signal
    handler sets the event then, and ends the run at once in any other phase."""

    def __init__(self) -> None:
        super().__init__()
        self.searching = False


@contextmanager
def searching(stop: threading.Event) -> Iterator[None]:
    """Mark the search phase on a `Stop` (a plain event needs no mark)."""
    if not isinstance(stop, Stop):
        yield
        return
    before, stop.searching = stop.searching, True
    try:
        yield
    finally:
        stop.searching = before


@dataclass
class Budget:
    """The run's time limit from ``started``, its stop event and progress callback."""

    limit: float
    deterministic: bool = False
    stop: threading.Event = field(default_factory=threading.Event)
    on_progress: Progress | None = None
    started: float = field(default_factory=time.perf_counter)
    nominal_spent: float = 0.0
    tail: float = 0.0  # wall seconds kept for the stages after the searches (left-justify)

    @classmethod
    def of(
        cls,
        options: SolveOptions,
        stop: threading.Event | None = None,
        on_progress: Progress | None = None,
    ) -> Budget:
        """A budget starting now for ``options``' time limit."""
        return cls(
            options.time_limit,
            options.deterministic,
            stop if stop is not None else threading.Event(),
            on_progress,
        )

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def left(self) -> float:
        """Wall seconds left, never below 0."""
        return max(0.0, self.limit - self.elapsed())

    def share(self, fraction: float) -> float:
        """``fraction`` of the wall seconds left."""
        return self.left() * fraction

    @property
    def stopped(self) -> bool:
        return self.stop.is_set()

    def take(self, fraction: float = 1.0, reserve: float = 0.0) -> Limits:
        """Limits of a stage that may use ``fraction`` of the wall time left once
        ``reserve`` seconds (and the run's ``tail``) are kept for the stages after it. In
        deterministic mode the stage's nominal share comes from the limit alone (never
        from wall time spent, so no reserve either) and is counted as spent."""
        wall = max(0.0, self.left() - reserve - self.tail) * fraction
        if not self.deterministic:
            return Limits(wall)
        nominal = max(0.0, self.limit - self.nominal_spent) * fraction
        self.nominal_spent += nominal
        return Limits(max(wall, nominal * BACKSTOP), nominal)

    def give_back(self, limits: Limits, used: float) -> None:
        """A stage that ended early hands back the nominal seconds it did not use (as
        measured on CP-SAT's deterministic clock, so a seed still gives one plan)."""
        if self.deterministic and limits.nominal is not None:
            self.nominal_spent -= max(0.0, limits.nominal - used)
