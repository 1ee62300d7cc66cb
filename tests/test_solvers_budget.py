"""scheduler/solvers/budget.py: how the stages of a run share its time limit.

The wall clock is a fake one set by each test (`clock`), so every figure below is worked
out by hand and nothing depends on how fast this machine runs.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from scheduler.solvers import budget as module
from scheduler.solvers.budget import BACKSTOP, DETERMINISTIC_SHARE, Budget, Limits, SolveOptions


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The seconds `Budget` reads as now; a test sets ``clock[0]``."""
    now = [0.0]
    monkeypatch.setattr(module, "time", SimpleNamespace(perf_counter=lambda: now[0]))
    return now


def test_take_is_a_fraction_of_what_is_left(clock):
    """A 100 s run, 40 s in: 60 s left. Half of it is 30 s; with 20 s kept for later
    stages, all of the other 40 s; a reserve above what is left leaves 0, as does a run
    past its limit. No deterministic limit without deterministic mode."""
    budget = Budget(100.0, started=0.0)
    clock[0] = 40.0
    assert budget.left() == 60.0
    assert budget.share(0.25) == 15.0
    assert budget.take(0.5) == Limits(30.0)
    assert budget.take(1.0, reserve=20.0) == Limits(40.0)
    assert budget.take(0.5, reserve=70.0) == Limits(0.0)
    assert budget.take(0.5).deterministic_time is None
    assert budget.nominal_spent == 0.0
    clock[0] = 130.0
    assert budget.left() == 0.0
    assert budget.take(1.0) == Limits(0.0)


def test_deterministic_take_shares_the_limit_alone_and_counts_it_spent(clock):
    """Deterministic mode, a 100 s run (BACKSTOP 4). At 0 s, half: nominal 50 s, its wall
    limit 4 x 50 = 200 s capped at the 100 s the run has left. At 90 s (10 s of wall left)
    half again: nominal half of the 100 - 50 not yet shared = 25 s, whatever the wall clock
    says, wall 10 s (the run's time left, below the backstop's 100 s). A reserve does not
    touch the nominal share, only the wall: the next 25 s (all that is left of it), wall
    0 s. Then nothing nominal is left: wall 0 s, and CP-SAT's deterministic limit is its
    floor of 0.05."""
    assert BACKSTOP == 4.0
    budget = Budget(100.0, deterministic=True, started=0.0)
    assert budget.take(0.5) == Limits(100.0, 50.0)
    assert budget.nominal_spent == 50.0
    clock[0] = 90.0
    assert budget.take(0.5) == Limits(10.0, 25.0)
    assert budget.take(1.0, reserve=1000.0) == Limits(0.0, 25.0)
    assert budget.nominal_spent == 100.0
    last = budget.take(1.0)
    assert last == Limits(0.0, 0.0)
    assert last.deterministic_time == 0.05


def test_the_backstop_bounds_a_stage_below_the_time_left(clock):
    """90 of 100 nominal seconds already shared, 0 s in: half of what is left nominally is
    5 s, so the wall limit is the backstop's 20 s, not half of the 100 s left."""
    budget = Budget(100.0, deterministic=True, started=0.0, nominal_spent=90.0)
    assert budget.take(0.5) == Limits(20.0, 5.0)
    assert budget.nominal_spent == 95.0


def test_a_stage_ended_by_the_clock_makes_the_run_unrepeatable(clock):
    """A deterministic stage that the wall clock ends (`Limits.clock_cut`) marks its run:
    `repeatable` turns False. Charged work counts as spent. Without deterministic mode
    there is nothing to repeat (None) and a cut records nothing; a stopped run is not
    repeatable either."""
    budget = Budget(10.0, deterministic=True, started=0.0)
    budget.charge(2.0)
    assert budget.nominal_spent == 2.0
    limits = budget.take(0.5)
    assert limits == Limits(10.0, 4.0)  # backstop 16 s, capped at the 10 s left
    assert budget.repeatable is True
    limits.clock_cut()
    assert budget.repeatable is False
    free = Budget(10.0, started=0.0)
    free.charge(2.0)
    assert free.nominal_spent == 0.0
    free.take(0.5).clock_cut()
    assert free.repeatable is None and not free.clock.is_set()
    stopped = Budget(10.0, deterministic=True, started=0.0)
    stopped.stop.set()
    assert stopped.repeatable is False


def test_limits_deterministic_time():
    """CP-SAT's deterministic limit is DETERMINISTIC_SHARE (0.1) of the nominal seconds,
    or the share a stage sets (a window's), never below 0.05; none without a nominal
    share."""
    assert DETERMINISTIC_SHARE == 0.1
    assert Limits(10.0).deterministic_time is None
    assert Limits(10.0, 20.0).deterministic_time == pytest.approx(2.0)
    assert Limits(10.0, 20.0, share=0.015).deterministic_time == pytest.approx(0.3)
    assert Limits(10.0, 0.1).deterministic_time == 0.05
    assert Limits(10.0, 0.0).deterministic_time == 0.05


def test_budget_of_options():
    """`Budget.of` takes the limit from the options, is deterministic with one worker
    only, and keeps the stop event it is given: setting it stops the budget."""
    stop = threading.Event()
    one = Budget.of(SolveOptions(time_limit=7.0, workers=1), stop)
    assert (one.limit, one.deterministic, one.stop) == (7.0, True, stop)
    assert not one.stopped
    stop.set()
    assert one.stopped
    two = Budget.of(SolveOptions(time_limit=7.0, workers=2))
    assert (two.limit, two.deterministic, two.stopped) == (7.0, False, False)


def test_seconds_kept_after_the_solve_come_off_every_stage_and_the_greedy_deadline(clock):
    """A 100 s run counted from a command that began at 5 s (`Budget.of(started=...)`),
    10 s kept for writing the schedule (`after`): at 25 s, 20 s have passed and 70 s are
    left to solve; a stage's half is 35 s, and the greedy's rules stop at 5 + 100 - 10 =
    95 s. In deterministic mode the nominal share ignores it (the seed's plan does not
    depend on how long writing is guessed to take); only the wall limit does."""
    clock[0] = 25.0
    budget = Budget.of(SolveOptions(time_limit=100.0, workers=2), started=5.0)
    budget.after = 10.0
    assert budget.elapsed() == 20.0
    assert budget.left() == 70.0
    assert budget.take(0.5) == Limits(35.0)
    assert budget.deadline == 95.0
    clock[0] = 99.0
    assert budget.left() == 0.0
    one = Budget.of(SolveOptions(time_limit=100.0, workers=1), started=5.0)
    one.after = 10.0
    assert one.take(0.5) == Limits(0.0, 50.0)
    now = Budget.of(SolveOptions(time_limit=100.0, workers=2))
    assert now.started == 99.0 and now.deadline == 199.0
