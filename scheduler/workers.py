"""Local worker processes (greedy rules, what-if scenarios, risk samples): how they are
born and end, and `fork_map`, which runs a few items in processes of their own.

A worker leaves Ctrl-C to its parent (which ends the pool), ends at once on SIGTERM (the
pool's way to end it; a forked worker would otherwise run the parent's handler) and dies
with its parent should that be killed outright (SIGKILL runs no clean-up), or should the
parent be gone before the worker could ask for that.

SIGINT and SIGTERM are held while a process is forked (`forking`):
- SIGTERM reaches a worker only once the worker has reset it: a pool ended at once (a short
  run) would otherwise signal a worker still running the parent's handler, which keeps it
  alive, and the parent would join it forever;
- the parent's Ctrl-C (or its SIGTERM handler) raises only once the process it forks is
  registered to be killed: raised between the fork and the registration, it left a worker
  nobody killed, which held the parent's stdout and stderr for as long as it ran.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from scheduler.errors import Interrupted
from scheduler.solvers.budget import Stop, raise_if_interrupted

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2  # how often `fork_each` looks at its stop event
PR_SET_PDEATHSIG = 1  # linux/prctl.h: the signal a process gets when its parent dies


HELD = {signal.SIGINT, signal.SIGTERM}  # while a process is forked (`forking`)


def start_worker() -> None:
    """The first thing a forked worker does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD)  # held by `forking`
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(1)  # the parent died before the line above: no signal will come


@contextlib.contextmanager
def forking() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while a process is forked: one that arrives meanwhile is
    raised as the block ends. The mask keeps them from this thread and from the child
    (which starts with them blocked: `start_worker`). Another thread of this process
    (numpy's, rich's) may still take one, and Python would then run its handler here, at
    any line (inside os.fork's own clean-up, which prints the error and drops it); so in
    the main thread the handlers are also swapped for one that only notes the signal
    (once the block is over, one left behind by a signal raised while they are put back
    hands the signal on). A handler set outside Python is left as it is."""
    noted: list[int] = []
    handlers: dict[int, Any] = {}
    over = False

    def note(signum: int, frame: Any) -> None:
        if not over:
            noted.append(signum)
        elif callable(handlers[signum]):
            handlers[signum](signum, frame)
        elif handlers[signum] == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    previous = None
    try:
        if threading.current_thread() is threading.main_thread():
            for sig in HELD:
                handler = signal.getsignal(sig)
                if handler is not None:
                    handlers[sig] = handler
                    signal.signal(sig, note)
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
        yield
    finally:
        over = True
        if previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        for held, handler in handlers.items():
            signal.signal(held, handler)
        for signum in dict.fromkeys(noted):
            signal.raise_signal(signum)  # to the handler as it was


class WorkerDied(RuntimeError):
    """A forked process ended without its result (the out-of-memory killer, a signal);
    ``index`` is its item's place in the items."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index

    def __reduce__(self) -> tuple[Any, ...]:
        return WorkerDied, (str(self), self.index)


def fork_map(
    function: Callable[[T], R], items: Sequence[T], processes: int, stop: Stop | None = None
) -> list[R]:
    """``[function(item) for item in items]``, each item in a process of its own forked
    for it, at most ``processes`` at once (`fork_each`, in the order of ``items``); a
    ``stop`` set (Ctrl-C, SIGTERM) kills them all and raises `Interrupted`."""
    results = dict(fork_each(function, items, processes, stop))
    raise_if_interrupted(stop)
    if len(results) < len(items):  # ended by a stop set some other way
        raise Interrupted(getattr(stop, "signum", 0) or signal.SIGINT)
    return [results[i] for i in range(len(items))]


def fork_each(
    function: Callable[[T], R],
    items: Sequence[T],
    processes: int,
    stop: threading.Event | None = None,
    retries: int = 0,
    until: Callable[[], bool] | None = None,
) -> Generator[tuple[int, R], None, None]:
    """``(index, function(items[index]))`` as each item's process finishes; each item in a
    process of its own forked for it, at most ``processes`` at once. An error raised by
    ``function`` is raised here (one that cannot cross a pipe as a `RuntimeError` naming
    it); an item whose process ends without its result is forked again up to ``retries``
    times, then `WorkerDied`. A set ``stop``, or ``until()`` once true, ends the
    iteration (looked at every ``POLL_SECONDS``). Leaving (the end, an error, Ctrl-C,
    ``stop``, a consumer that closes the iterator) kills every process still running,
    the one being read too.

    Not a multiprocessing Pool: a Pool's worker killed outright loses its task (the Pool
    waits for it forever), and one killed while it held the Pool's queue lock hangs the
    Pool's own clean-up. Here each process has a pipe of its own and nothing is shared.
    """
    context = multiprocessing.get_context("fork")
    running: dict[Connection, tuple[int, Any]] = {}  # pipe -> (item's index, its process)
    waiting = list(range(len(items)))[::-1]
    died = dict.fromkeys(range(len(items)), 0)

    def ended() -> bool:
        return (stop is not None and stop.is_set()) or (until is not None and until())

    try:
        while (waiting or running) and not ended():
            while waiting and len(running) < max(processes, 1):
                index = waiting.pop()
                receive, send = context.Pipe(duplex=False)
                # the child closes every read end it inherits (its own too): once this
                # process stops reading, a child writing its result gets an error, not a
                # wait forever
                readers = [receive, *running]
                with forking():  # registered before a held signal can arrive
                    process = context.Process(
                        target=_forked, args=(function, items[index], send, readers), daemon=True
                    )
                    running[receive] = (index, process)
                    process.start()
                    send.close()  # this end is the child's: EOF here once it has gone
            sentinels = {process.sentinel: pipe for pipe, (_, process) in running.items()}
            timeout = None if stop is None and until is None else POLL_SECONDS
            for ready in wait([*running, *sentinels], timeout):
                pipe = sentinels.get(ready, ready)  # type: ignore[call-overload]
                if pipe not in running:
                    continue  # its pipe and its sentinel were both ready: read once
                index, process = running[pipe]  # still killed on the way out until read
                try:
                    message = pipe.recv_bytes()
                except (EOFError, OSError) as exc:
                    process.join()
                    del running[pipe]
                    pipe.close()
                    died[index] += 1
                    if died[index] <= retries:
                        log.warning(
                            "the process for item %d ended with code %s and no result; "
                            "forked again",
                            index,
                            process.exitcode,
                        )
                        waiting.append(index)
                        continue
                    raise WorkerDied(
                        f"the process for item {index} ended with code {process.exitcode}"
                        " and no result",
                        index,
                    ) from exc
                process.join()
                del running[pipe]
                pipe.close()
                try:
                    ok, value = pickle.loads(message)
                except Exception as exc:  # a result whose class cannot be rebuilt here
                    raise RuntimeError(
                        f"the result of item {index} could not be read: {type(exc).__name__}: {exc}"
                    ) from None
                if not ok:
                    raise value  # the function's own error, raised here as if run here
                yield index, value
    finally:
        _end(running)


def _end(running: dict[Connection, tuple[int, Any]]) -> None:
    """Kill every process still running, then join each and close its pipe; a signal
    raised on the way (Ctrl-C again) is raised once all of them are gone."""
    for _, process in running.values():
        if process.pid is not None:
            process.kill()
    raised: BaseException | None = None
    for pipe, (_, process) in running.items():
        try:
            if process.pid is not None:
                process.join()
        except BaseException as exc:  # Ctrl-C or the CLI's Interrupted: finish first
            raised = raised or exc
            with contextlib.suppress(BaseException):
                process.join()
        pipe.close()
    if raised is not None:
        raise raised


def _forked(
    function: Callable[[T], R], item: T, pipe: Connection, readers: list[Connection]
) -> None:
    start_worker()
    for reader in readers:
        reader.close()
    try:
        answer: tuple[bool, Any] = (True, function(item))
    except Exception as exc:
        answer = (False, exc)
    except BaseException as exc:  # SystemExit: an answer too, not a process that died
        answer = (False, RuntimeError(f"{type(exc).__name__}: {exc}"))
    try:
        message = pickle.dumps(answer)
        if not answer[0]:
            pickle.loads(message)  # an error whose class cannot be rebuilt from its pickle
    except Exception as exc:
        what = answer[1] if not answer[0] else exc
        message = pickle.dumps((False, RuntimeError(f"{type(what).__name__}: {what}")))
    pipe.send_bytes(message)
    pipe.close()
