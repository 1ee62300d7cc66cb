"""Importers for published benchmark instances (PSPLIB ``.sm``, MSPSP ``.dzn``).

Every reader returns a solver-neutral :class:`scheduler.instance.Instance`; a bad or
truncated file raises :class:`BenchmarkFormatError` with a one-line message,
``<file>: line <n>: <rule>`` or ``<file>: field '<name>' <rule>``.
"""

from __future__ import annotations

from pathlib import Path

from scheduler.errors import BenchmarkFormatError
from scheduler.importers.bounds import benchmarks_dir, best_known
from scheduler.importers.mspsp import read_dzn, read_mspsp
from scheduler.importers.psplib import read_psplib
from scheduler.instance import Instance


def read_benchmark(path: str | Path) -> Instance:
    """Read a ``.sm`` (PSPLIB) or ``.dzn`` (MSPSP) file by its suffix."""
    path = Path(path)
    if path.suffix == ".sm":
        return read_psplib(path)
    if path.suffix == ".dzn":
        return read_mspsp(path)
    raise BenchmarkFormatError(path, "file name", "must end in .sm or .dzn")


__all__ = [
    "BenchmarkFormatError",
    "benchmarks_dir",
    "best_known",
    "read_benchmark",
    "read_dzn",
    "read_mspsp",
    "read_psplib",
]
