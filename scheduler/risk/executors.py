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
import functools
import logging
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
from scheduler.workers import WorkerDied, fork_each

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2  # how often a wait looks at the stop event
RESUBMITS = 3  # a chunk that kills this many workers more is given up


class DaskMissing(Exception):
    """`--dask` without the optional dask extra installed."""


def run_local(
    problem: RiskProblem,
    chunks: list[list[int]],
    processes: int,
    stop: threading.Event,
    on_progress: Progress | None = None,
) -> list[SampleResult]:
    """Run the chunks on ``processes`` local processes (1: in this process); a chunk
    whose process is killed (the out-of-memory killer) is run again, like a chunk whose
    Dask worker is lost, up to ``RESUBMITS`` times."""
    total = sum(len(c) for c in chunks)
    done: list[SampleResult] = []
    if processes <= 1:
        for chunk in chunks:
            if stop.is_set():
                break
            done += run_chunk(problem, chunk)
            _report(on_progress, len(done), total)
        return _ordered(done)
    # each chunk in a process forked for it, which reads the problem as this process has
    # it (nothing pickled); Ctrl-C or ``stop`` kills the chunks in flight at once
    work = functools.partial(run_chunk, problem)
    try:
        with contextlib.closing(fork_each(work, chunks, processes, stop, RESUBMITS)) as finished:
            for _, samples in finished:
                done += samples
                _report(on_progress, len(done), total)
    except WorkerDied as exc:
        raise WorkerDied(
            f"risk: the samples {chunks[exc.index][0]} to {chunks[exc.index][-1]} killed "
            f"their process {RESUBMITS + 1} times (out of memory?); nothing written",
            exc.index,
        ) from None
    return _ordered(done)


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
