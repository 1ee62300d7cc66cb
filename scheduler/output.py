"""The output folder of a run: all of this run's files, or all of the previous run's.

A run takes a lock beside ``--out`` before it solves (a second run into the same folder
is refused while the first one works), writes every file into a fresh folder beside
``--out``, and swaps that folder in with one ``rename``: a crash, a kill or Ctrl-C at any
point leaves either the old folder or the new one, never a mix, and never a file of
another command (an older replan's changes.csv beside a new schedule). Leftovers of a
killed run (its lock, its half-written folder) are removed by the next run.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

# Every file a modsched command writes into --out (`whatif` also into one folder a
# scenario, DIR/<scenario>/); anything else there is not ours to replace, and a folder
# holding it is refused.
OUTPUT_FILES = frozenset(
    {
        "schedule.csv",
        "schedule.json",
        "gantt.html",
        "changes.csv",
        "comparison.csv",
        "comparison.html",
        # modsched risk (scheduler/risk/report.py)
        "risk.csv",
        "samples.csv",
        "criticality.csv",
        "risk.html",
        # --export (scheduler/interop/formats.py, EXPORT_FILES)
        "schedule.mspdi.xml",
        "schedule.pmxml.xml",
        "schedule.xlsx",
    }
)
RENAME_EXCHANGE = 2  # linux/fs.h: swap two paths in one step (renameat2, Linux 3.15)
AT_FDCWD = -100


class OutputError(Exception):
    """``--out`` cannot take this run's files; the message says why and what to do."""


@dataclass
class OutputFolder:
    """``--out`` for one run. `reserve()` before the solve, `commit(write)` to put the
    files in place, `release()` (or leaving the ``with`` block) in every case."""

    out: Path
    force: bool = False
    _lock: IO[bytes] | None = field(default=None, init=False, repr=False)
    _lock_path: Path | None = field(default=None, init=False, repr=False)

    @property
    def target(self) -> Path:
        """The folder the files end in: ``--out``, through a symlink to a folder."""
        return self.out.resolve() if self.out.is_symlink() else self.out.absolute()

    def __enter__(self) -> OutputFolder:
        self.reserve()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()

    def reserve(self) -> None:
        """Check ``--out``, take its lock, and clear what a killed run left beside it."""
        self._check_path()
        target = self.target
        self._lock_path = target.parent / f".{target.name}.modsched-lock"
        self._lock = _take_lock(self._lock_path)
        if self._lock is None:
            self._lock_path = None
            raise OutputError(
                f"{self.out}: another modsched run is writing this folder; wait for it "
                "or choose another --out"
            )
        try:
            for leftover in target.parent.glob(f".{target.name}.*.partial"):
                shutil.rmtree(leftover, ignore_errors=True)
            self._check_contents()
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if self._lock is not None and self._lock_path is not None:
            self._lock_path.unlink(missing_ok=True)  # while still held: see _take_lock
            self._lock.close()
        self._lock = self._lock_path = None

    def commit(self, write: Callable[[Path], list[Path]]) -> list[Path]:
        """Write this run's files with ``write(folder)`` into a fresh folder beside
        ``--out``, then swap it in; the paths of the files in ``--out``. Interrupted or
        failed before the swap, ``--out`` is as it was; the fresh folder is removed."""
        assert self._lock is not None, "reserve() first"
        target = self.target
        staging = Path(
            tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
        )
        try:
            written = write(staging)
            os.chmod(staging, _folder_mode(target))
            _sync(staging)
            with _signals_held():
                _swap(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # the new files, or the old folder
        _sync(target.parent)
        return [target / p.relative_to(staging) for p in written]

    def _check_path(self) -> None:
        out = self.out
        if out.is_symlink() and not out.exists():
            raise OutputError(f"{out}: is a symlink to {os.readlink(out)}, which does not exist")
        if out.exists() and not out.is_dir():
            raise OutputError(f"{out}: is a file; --out must be a folder")
        target = self.target
        if target == Path.cwd() or target in Path.cwd().parents or target.parent == target:
            raise OutputError(
                f"{out}: is the current folder or above it; a run replaces its --out "
                f"whole, so name a folder of its own (e.g. {out / 'plan'})"
            )
        existing = next((p for p in (target, *target.parents) if p.exists()), None)
        if existing is None or not existing.is_dir():
            raise OutputError(f"{out}: cannot be made: {existing} is not a folder")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise OutputError(f"{out}: cannot be written: no permission on {existing}")
        if existing != target.parent:  # the parents are made now, the folder at commit
            target.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(target.parent, os.W_OK | os.X_OK):
            raise OutputError(f"{out}: cannot be written: no permission on {target.parent}")

    def _check_contents(self) -> None:
        target = self.target
        if not target.is_dir():
            return
        names = sorted(p.name for p in target.iterdir())
        foreign = [p.name for p in sorted(target.iterdir()) if not _ours(p)]
        if foreign:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise OutputError(
                f"{self.out}: holds files modsched does not write ({shown}); a run "
                "replaces its --out whole, so choose an empty or new folder"
            )
        if names and not self.force:
            raise OutputError(
                f"{self.out}: already holds {', '.join(names)}; choose another --out or "
                "pass --force to replace them"
            )


def _ours(path: Path) -> bool:
    """A file modsched writes, or a what-if's scenario folder (``DIR/<scenario>/``) that
    holds only such files."""
    if path.is_symlink():
        return False
    if path.is_dir():
        return all(p.name in OUTPUT_FILES and p.is_file() for p in path.iterdir())
    return path.name in OUTPUT_FILES


def _take_lock(path: Path) -> IO[bytes] | None:
    """An exclusive lock on ``path`` (made if missing), or None while another process
    holds it. The holder removes the file before it lets go, so a taker checks that the
    file it locked is still the one at ``path`` (else it locked a removed file: retry)."""
    while True:
        handle = open(path, "ab")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        try:
            same = os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return handle
        handle.close()


def _folder_mode(target: Path) -> int:
    """The old folder's permissions, or the umask's for a new folder."""
    if target.is_dir():
        return target.stat().st_mode & 0o7777
    mask = os.umask(0)
    os.umask(mask)
    return 0o777 & ~mask


def _sync(folder: Path) -> None:
    """Flush a folder's entries (its files are synced as they are written)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the swap is done (it takes microseconds)."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _swap(staging: Path, target: Path) -> None:
    """Put ``staging`` at ``target``; the old ``target``, if any, ends at ``staging``."""
    if not target.exists():
        os.rename(staging, target)  # nothing to keep; staging's path is now free
        return
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        done = renameat2(
            AT_FDCWD, os.fsencode(staging), AT_FDCWD, os.fsencode(target), RENAME_EXCHANGE
        )
        if done == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), str(target))
    # no atomic exchange on this file system: two renames, signals held between them
    parked = staging.with_name(staging.name + ".old")
    os.rename(target, parked)
    os.rename(staging, target)
    os.rename(parked, staging)
