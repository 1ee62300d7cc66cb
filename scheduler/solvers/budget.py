"""The time a run may take, and how its stages share it.

One `Budget` goes from the command line through every stage (greedy, CP-SAT, the window
search, the replan's stability stage, the explanation of an infeasible model): each stage
asks it for `take(fraction)` of what is left, so the whole run stays inside
``--time-limit`` (counted from the command's start, loading included, with ``after``
seconds kept for writing the schedule), and a set ``stop`` event (Ctrl-C, SIGTERM) ends
every stage.

Deterministic mode (one worker): a stage's search is cut by CP-SAT's deterministic clock
(or its own count of work), set from the limit alone (never from the wall time already
spent), so that the same seed gives the same plan run after run. The wall clock still
bounds every stage, at `BACKSTOP` times its nominal share and never past the run's time
limit: a machine too slow (or too busy) to do the deterministic work within the limit
ends the stage on the clock, and the budget records it (`Budget.repeatable` is then
False: another run may give another plan).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeGuard

from scheduler.errors import Interrupted

Progress = Callable[[float, int, int], None]  # (seconds, objective, bound)

# CP-SAT deterministic time per nominal second with one worker. Measured here, one core,
# quiet: 0.2-0.33 deterministic s per wall s on whole models and deadline probes (0.06-0.76
# on windows, `windows.ONE_WORKER_SHARE`). A quiet run should take at most about 0.45 of
# its limit, so that a machine twice as slow (a load of 4 on 2 cores) still ends every
# stage on its deterministic limit (docs/BENCHMARKS.md, "Time limit")
DETERMINISTIC_SHARE = 0.1
BACKSTOP = 4.0  # deterministic mode: the wall clock stops a stage past 4x its share
# Deterministic mode counts the serial scheme's work (the greedy rules, milestone
# promotion) in tasks placed: this many per nominal second. Measured here on one core,
# quiet: three-sites (calendars, travel) 4,700-6,500 a second, generated programs of
# 5,000-20,000 tasks 10,000-14,000; atlas-27 800-2,400 (docs/BENCHMARKS.md, "Time limit")
PLACED_PER_SECOND = 2_500
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
    # the run's record of a deterministic stage ended by the wall clock (`Budget.clock`)
    cut: threading.Event | None = field(default=None, compare=False)
    share: float = DETERMINISTIC_SHARE  # CP-SAT deterministic seconds per nominal second

    @property
    def deterministic_time(self) -> float | None:
        """CP-SAT's ``max_deterministic_time`` for this stage, if any."""
        return None if self.nominal is None else max(0.05, self.nominal * self.share)

    def clock_cut(self) -> None:
        """Record that the wall clock, not the deterministic limit, ended this stage (or
        a part of it): the run's plan may then differ from another run's."""
        if self.nominal is not None and self.cut is not None:
            self.cut.set()


class Stop(threading.Event):
    """Ctrl-C or SIGTERM, as an event the searches poll. `searching` says whether a
    search is running that ends on it and keeps its best plan; the command line's signal
    handler sets the event then, and ends the run at once in any other phase."""

    def __init__(self) -> None:
        super().__init__()
        self.searching = False
        self.signum = 0  # the signal that set it
        self.abort = False  # set by a signal that ends the run at once (not a search's stop)


def interrupted(stop: threading.Event | None) -> TypeGuard[Stop]:
    """Whether ``stop`` is a `Stop` whose signal ends the run at once (one that came
    outside a search, or a second one): not a search's stop, whose plan is kept."""
    return isinstance(stop, Stop) and stop.abort


def raise_if_interrupted(stop: threading.Event | None) -> None:
    """Raise `Interrupted` when ``stop`` is `interrupted`: the handler's own raise can be
    lost (Python runs a handler at any line, and one run inside a finaliser prints the
    error and goes on), so a phase that waits on processes looks at the event too."""
    if interrupted(stop):
        raise Interrupted(stop.signum)


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
    # wall seconds kept at the end of the run for what follows the solve (the schedule,
    # its explanation and its files: `pipeline.finishing_seconds`)
    after: float = 0.0
    # set when the wall clock ended a deterministic stage before its deterministic limit
    clock: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def of(
        cls,
        options: SolveOptions,
        stop: threading.Event | None = None,
        on_progress: Progress | None = None,
        started: float | None = None,
    ) -> Budget:
        """A budget for ``options``' time limit, counted from ``started`` (a
        `time.perf_counter` reading: the command's start) or from now."""
        return cls(
            options.time_limit,
            options.deterministic,
            stop if stop is not None else threading.Event(),
            on_progress,
            time.perf_counter() if started is None else started,
        )

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def left(self) -> float:
        """Wall seconds left to solve (the ``after`` seconds kept), never below 0."""
        return max(0.0, self.limit - self.after - self.elapsed())

    @property
    def deadline(self) -> float:
        """The `time.perf_counter` reading at which solving ends."""
        return self.started + self.limit - self.after

    def share(self, fraction: float) -> float:
        """``fraction`` of the wall seconds left."""
        return self.left() * fraction

    @property
    def stopped(self) -> bool:
        return self.stop.is_set()

    @property
    def repeatable(self) -> bool | None:
        """Deterministic mode: whether every stage ended on its deterministic limits (or
        its own rule), so that the seed gives this plan again; None with more workers."""
        if not self.deterministic:
            return None
        return not (self.clock.is_set() or self.stopped)

    def take(self, fraction: float = 1.0, reserve: float = 0.0) -> Limits:
        """Limits of a stage that may use ``fraction`` of the wall time left once
        ``reserve`` seconds (and the run's ``tail``) are kept for the stages after it. In
        deterministic mode the stage's nominal share comes from the limit alone (never
        from wall time spent, so no reserve either) and is counted as spent; its wall
        limit is `BACKSTOP` times that share, within what is left of the run's."""
        left = max(0.0, self.left() - reserve - self.tail)
        if not self.deterministic:
            return Limits(left * fraction)
        nominal = max(0.0, self.limit - self.nominal_spent) * fraction
        self.nominal_spent += nominal
        return Limits(min(nominal * BACKSTOP, left), nominal, self.clock)

    def charge(self, nominal: float) -> None:
        """Count ``nominal`` seconds of deterministic work done outside any stage (the
        greedy rules) as spent."""
        if self.deterministic:
            self.nominal_spent += nominal

    def give_back(self, limits: Limits, used: float) -> None:
        """A stage that ended early hands back the nominal seconds it did not use (as
        measured on CP-SAT's deterministic clock, so a seed still gives one plan)."""
        if self.deterministic and limits.nominal is not None:
            self.nominal_spent -= max(0.0, limits.nominal - used)
