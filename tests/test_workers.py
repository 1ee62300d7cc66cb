"""`workers.fork_map`: the forked processes of the greedy's rules (and what else runs a
few items in processes of their own) give every result, in order, and never wait for a
process that is gone."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import threading

import pytest

from scheduler.workers import HELD, WorkerDied, fork_map, forking, start_worker


def _square_and_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def _fails_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"no plan for {x}")
    return x


def _killed_on_two(x: int) -> int:
    if x == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def test_every_result_in_the_order_of_the_items_each_from_its_own_process():
    got = fork_map(_square_and_pid, [5, 1, 4, 2, 3], 2)
    assert [value for value, _ in got] == [25, 1, 16, 4, 9]
    pids = {pid for _, pid in got}
    assert len(pids) == 5 and os.getpid() not in pids


def test_an_error_in_a_process_is_raised_here():
    with pytest.raises(ValueError, match=r"^no plan for 3$"):
        fork_map(_fails_on_three, [1, 2, 3, 4], 2)


@pytest.mark.parametrize("processes", [1, 2, 3])
def test_a_process_killed_outright_is_reported_not_waited_for(processes):
    # a Pool hung here in CI (its worker was killed holding the Pool's queue lock); run it
    # a few times so that a race of that kind has its chances
    for _ in range(5):
        with pytest.raises(WorkerDied, match=r"^the process for item 1 ended with code -9 "):
            fork_map(_killed_on_two, [1, 2, 3, 4], processes)


def test_no_process_is_left_behind():

    fork_map(_square_and_pid, list(range(6)), 2)
    with pytest.raises(WorkerDied):
        fork_map(_killed_on_two, [1, 2, 3, 4], 2)
    assert multiprocessing.active_children() == []


def _slow_after_first(x: int) -> int:
    import time

    if x > 0:
        time.sleep(600)  # ended by the stop, never by its own end
    return x


def test_a_stop_ends_the_iteration_and_kills_the_processes_in_flight():
    import threading

    from scheduler.workers import fork_each

    stop = threading.Event()
    got = []
    for index, value in fork_each(_slow_after_first, [0, 1, 2, 3], 2, stop):
        got.append((index, value))
        stop.set()  # as the risk command's Ctrl-C does
    assert got == [(0, 0)]
    assert multiprocessing.active_children() == []


class _TwoArguments(Exception):
    """An error whose pickle cannot be rebuilt (its __init__ takes two arguments)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _raises_unpicklable(x: int) -> int:
    error = ValueError(f"no plan for {x}")
    error.hook = lambda: None  # type: ignore[attr-defined]  # a lambda does not pickle
    raise error


def _raises_two_arguments(x: int) -> int:
    raise _TwoArguments(f"no plan for {x}", 7)


def _returns_a_lambda(x: int):
    return lambda: x


class _Result:
    """A result that pickles but whose pickle cannot be rebuilt (its __init__ takes an
    argument that __reduce__ leaves out)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (_Result, ())


def _returns_unrebuildable(x: int) -> _Result:
    return _Result(x)


def _exits(x: int) -> int:
    raise SystemExit(3)


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (_raises_unpicklable, r"^ValueError: no plan for 1$"),
        (_raises_two_arguments, r"^_TwoArguments: no plan for 1$"),
        (_returns_a_lambda, r"^\w+: Can't pickle .*lambda"),  # the pickler's own words
        (
            _returns_unrebuildable,
            r"^the result of item 0 could not be read: TypeError: .*missing 1 required",
        ),
        (_exits, r"^SystemExit: 3$"),  # an answer, not a process that died
    ],
)
def test_what_cannot_cross_the_pipe_is_an_error_named_not_a_death(function, message, caplog):
    """An error or result that cannot be pickled (or rebuilt) is raised here as a
    RuntimeError naming it, at once: not taken for a killed process and run again."""

    from scheduler.workers import fork_each

    with pytest.raises(RuntimeError) as caught:
        list(fork_each(function, [1], 1, retries=3))
    assert re.match(message, str(caught.value)), str(caught.value)
    assert not isinstance(caught.value, WorkerDied)
    assert "forked again" not in caplog.text
    assert multiprocessing.active_children() == []


def test_worker_died_crosses_a_pipe():
    import pickle

    again = pickle.loads(pickle.dumps(WorkerDied("gone", 3)))
    assert (str(again), again.index) == ("gone", 3)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_a_process_is_forked_is_raised_once_the_fork_is_done(sig):
    """Ctrl-C (or the CLI's SIGTERM handler) raised between a fork and the line that
    registers the process to be killed left a worker running that held the command's
    stdout and stderr, or was raised inside os.fork's own clean-up, which drops it (a CI
    run waited 600 s). Held, it is raised as the block ends, after the code inside it ran,
    also when another thread takes the signal (as numpy's and rich's threads may: the
    mask holds it from this thread only), twenty times over."""

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    idle = threading.Event()
    other = threading.Thread(target=idle.wait)  # a thread without the block
    other.start()
    before = signal.signal(sig, interrupted)
    reached = []
    try:
        for _ in range(20):
            with pytest.raises(KeyboardInterrupt), forking():
                os.kill(os.getpid(), sig)
                sum(range(100_000))  # lines a handler run in this thread would cut short
                reached.append("after the signal")
    finally:
        signal.signal(sig, before)
        idle.set()
        other.join()
    assert reached == ["after the signal"] * 20


def test_a_worker_whose_parent_is_gone_before_it_asked_for_its_death_signal_exits():
    """A worker forked just before its parent died asks for SIGTERM on its parent's death
    too late to get it; it sees that its parent is another process and exits."""

    class Gone:
        pid = os.getpid() + 1_000_000  # not this process, the child's real parent

    pid = os.fork()
    if pid == 0:  # the child: it must exit in start_worker, with 1
        try:
            multiprocessing.parent_process = lambda: Gone()
            start_worker()
        finally:
            os._exit(7)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1


def _sleeps(_: int) -> None:
    import time

    time.sleep(600)


@pytest.mark.timeout(120)
def test_fork_map_ended_by_a_stop_raises_interrupted():
    """A stop set before the items are done (here a plain event) ends `fork_map` with
    `Interrupted`, not with the results it never got."""
    from scheduler.errors import Interrupted

    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    with pytest.raises(Interrupted):
        fork_map(_sleeps, [1, 2, 3], 2, stop)  # type: ignore[arg-type]
    assert multiprocessing.active_children() == []


def test_a_handler_left_behind_by_a_failed_restore_hands_the_signal_on(monkeypatch):
    """A signal raised while `forking` puts the handlers back can leave its noting handler
    installed for the other signal; once the block is over that handler hands a signal
    on to the handler it replaced, so none is swallowed for the rest of the process."""
    got: list[int] = []
    before = {sig: signal.signal(sig, lambda signum, _: got.append(signum)) for sig in HELD}
    real, calls = signal.signal, []

    def fails_on_first_restore(sig, handler):
        calls.append(sig)
        if len(calls) == len(HELD) + 1:
            raise KeyboardInterrupt  # as a Ctrl-C between the two restores
        return real(sig, handler)

    monkeypatch.setattr(signal, "signal", fails_on_first_restore)
    try:
        with pytest.raises(KeyboardInterrupt), forking():
            pass
        monkeypatch.setattr(signal, "signal", real)
        for sig in HELD:
            signal.raise_signal(sig)
        assert sorted(got) == sorted(HELD)
    finally:
        monkeypatch.setattr(signal, "signal", real)
        for sig, handler in before.items():
            signal.signal(sig, handler)


@pytest.mark.timeout(120)
def test_a_second_signal_while_the_processes_are_joined_still_ends_them_all():
    """Leaving `fork_each`, every process still running is killed, then joined; Ctrl-C
    raised in the first join (a second signal) is raised only once all of them are gone,
    not left running behind it."""
    from scheduler.workers import _end

    context = multiprocessing.get_context("fork")
    running = {}
    for k in range(3):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_sleeps, args=(k,), daemon=True)
        process.start()
        send.close()
        running[receive] = (k, process)
    first = running[next(iter(running))][1]
    join = first.join

    def interrupted_once(*args, **kwargs):
        first.join = join
        raise KeyboardInterrupt

    first.join = interrupted_once
    with pytest.raises(KeyboardInterrupt):
        _end(running)
    assert [process.exitcode for _, process in running.values()] == [-signal.SIGKILL] * 3
    assert all(pipe.closed for pipe in running)
    assert multiprocessing.active_children() == []
