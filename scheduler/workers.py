"""Local worker processes (what-if scenarios, risk samples): how they are born and end.

A worker leaves Ctrl-C to its parent (which ends the pool), ends at once on SIGTERM (the
pool's way to end it; a forked worker would otherwise run the parent's handler) and dies
with its parent should that be killed outright (SIGKILL runs no clean-up). SIGTERM is held
while the pool forks (`forking`), so that it reaches a worker only once the worker has
reset it: a pool ended at once (a short run) would otherwise signal a worker still
running the parent's handler, which keeps it alive, and the parent would join it forever.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
from collections.abc import Iterator

PR_SET_PDEATHSIG = 1  # linux/prctl.h: the signal a process gets when its parent dies


def start_worker() -> None:
    """A pool's initializer (or the first thing it calls)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # held by `forking`
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@contextlib.contextmanager
def forking() -> Iterator[None]:
    """Hold SIGTERM while a pool is made (its workers are forked with it blocked)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
