"""Where the samples run: local processes, or an existing Dask distributed cluster.

Both take chunks of sample numbers and give back every sample of every chunk that
finished, in sample order, whatever order the chunks finished in; a set ``stop`` (Ctrl-C)
ends the run and keeps the chunks done. On a cluster the problem is scattered to every
worker once; a chunk whose worker is lost is run again on another (the scheduler
reschedules it; after `distributed.scheduler.allowed-failures` losses this resubmits it
once more), so a lost worker costs only its chunk.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterable
from typing import Any

from scheduler.risk.report import RiskRun
from scheduler.risk.run import (
    Progress,
    RiskProblem,
    SampleResult,
    baseline_days,
    chunk_size,
    chunks,
    run_chunk,
)

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2  # how often a wait looks at the stop event
PR_SET_PDEATHSIG = 1  # linux/prctl.h: the signal a process gets when its parent dies
RESUBMITS = 3  # a chunk that kills this many workers more is given up


class DaskMissing(Exception):
    """`--dask` without the optional dask extra installed."""


_problem: RiskProblem | None = None  # a local worker's problem, set once by its initializer


def _worker_start(problem: RiskProblem) -> None:
    """A sample worker leaves Ctrl-C to the parent (which ends the pool), ends at once on
    SIGTERM and dies with the parent should that be killed outright."""
    global _problem
    _problem = problem
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _local_chunk(samples: list[int]) -> list[SampleResult]:
    assert _problem is not None
    return run_chunk(_problem, samples)


def run_local(
    problem: RiskProblem,
    chunks: list[list[int]],
    processes: int,
    stop: threading.Event,
    on_progress: Progress | None = None,
) -> list[SampleResult]:
    """Run the chunks on ``processes`` local processes (1: in this process)."""
    total = sum(len(c) for c in chunks)
    done: list[SampleResult] = []
    if processes <= 1:
        for chunk in chunks:
            if stop.is_set():
                break
            done += run_chunk(problem, chunk)
            _report(on_progress, len(done), total)
        return _ordered(done)
    # a Pool, not a ProcessPoolExecutor: leaving the block terminates the workers, so
    # Ctrl-C ends the chunks in flight at once
    with multiprocessing.Pool(processes, _worker_start, (problem,)) as pool:
        results = pool.imap_unordered(_local_chunk, chunks)
        for _ in chunks:
            finished = _next(results, stop)
            if finished is None:
                break
            done += finished
            _report(on_progress, len(done), total)
    return _ordered(done)


def _next(results: Any, stop: threading.Event) -> list[SampleResult] | None:
    """The next chunk done, or None once ``stop`` is set."""
    while not stop.is_set():
        try:
            return results.next(timeout=POLL_SECONDS)  # type: ignore[no-any-return]
        except multiprocessing.TimeoutError:
            continue
    return None


def run_dask(
    problem: RiskProblem,
    chunks: list[list[int]],
    client: Any,
    stop: threading.Event,
    on_progress: Progress | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> list[SampleResult]:
    """Run the chunks on a Dask cluster through ``client`` (a `distributed.Client`);
    ``on_chunk(chunks done)`` is called after each chunk (tests kill a worker there)."""
    distributed = _distributed()
    total = sum(len(c) for c in chunks)
    done: list[SampleResult] = []
    shared = client.scatter(problem, broadcast=True)
    futures = {
        client.submit(run_chunk, shared, chunk, pure=False): n for n, chunk in enumerate(chunks)
    }
    tries = dict.fromkeys(range(len(chunks)), 0)
    pending = set(futures)
    while pending and not stop.is_set():
        finished, pending = _wait(distributed, pending)
        for future in finished:
            n = futures.pop(future)
            try:
                done += future.result()
            except distributed.KilledWorker:
                tries[n] += 1
                if tries[n] > RESUBMITS:
                    raise
                log.warning("chunk %d lost its worker %d times; resubmitted", n, tries[n])
                again = client.submit(run_chunk, shared, chunks[n], pure=False)
                futures[again] = n
                pending.add(again)
                continue
            _report(on_progress, len(done), total)
            if on_chunk is not None:
                on_chunk(len(chunks) - len(futures))
    client.cancel(list(pending))
    return _ordered(done)


def _wait(distributed: Any, pending: set[Any]) -> tuple[set[Any], set[Any]]:
    try:
        result = distributed.wait(pending, timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
    except TimeoutError:
        return set(), pending
    return set(result.done), set(result.not_done)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise DaskMissing("--dask needs the dask extra: pip install 'modsched[dask]'") from None
    return distributed


def _report(on_progress: Progress | None, done: int, total: int) -> None:
    if on_progress is not None:
        on_progress(done, total)


def _ordered(results: Iterable[SampleResult]) -> list[SampleResult]:
    return sorted(results, key=lambda r: r.sample)


def sample_risk(
    problem: RiskProblem,
    num_samples: int,
    stop: threading.Event,
    processes: int = 2,
    dask: str | None = None,
    on_progress: Progress | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> RiskRun:
    """Draw and plan ``num_samples`` samples where the work is: ``dask`` (a scheduler's
    address) or ``processes`` local processes."""
    if dask is None:
        parts = chunks(num_samples, chunk_size(problem, num_samples, processes))
        done = run_local(problem, parts, min(processes, len(parts)), stop, on_progress)
    else:
        with connect(dask) as client:
            # the cluster's size sets the chunks; any size gives the same samples
            workers = len(client.scheduler_info(n_workers=-1)["workers"])
            parts = chunks(num_samples, chunk_size(problem, num_samples, workers))
            done = run_dask(problem, parts, client, stop, on_progress, on_chunk)
    return RiskRun(problem, done, num_samples, baseline_days(problem))


class ClusterError(Exception):
    """No Dask scheduler answers at the address given."""


def connect(address: str) -> Any:
    """A `distributed.Client` of the scheduler at ``address`` (``tcp://host:port``)."""
    distributed = _distributed()
    try:
        return distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterError(f"--dask {address}: no Dask scheduler answers ({error})") from None
