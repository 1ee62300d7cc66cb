"""Importers for published benchmark instances (PSPLIB ``.sm``, MSPSP ``.dzn``).

Every reader returns a solver-neutral :class:`scheduler.instance.Instance`; a bad or
truncated file raises :class:`BenchmarkFormatError` with a one-line message,
``<file>: line <n>: <rule>`` or ``<file>: field '<name>' <rule>``.
"""

from __future__ import annotations

from pathlib import Path

from scheduler.instance import Instance


class BenchmarkFormatError(ValueError):
    """A benchmark file breaks its format. The message is one line: ``<file>: line <n>:
    <rule>`` when the place is a line, else ``<file>: <place> <rule>`` (such as
    ``x.dzn: field 'sreq' has 80 values, expected 88 (nActs x nSkills)``)."""

    def __init__(self, file: str | Path, place: str, rule: str) -> None:
        self.file = Path(file).name
        self.place = place
        self.rule = rule
        sep = ": " if place.startswith("line ") else " "
        super().__init__(f"{self.file}: {place}{sep}{rule}")


# The readers import BenchmarkFormatError from this package, so they come after it.
from scheduler.importers.bounds import benchmarks_dir, best_known  # noqa: E402
from scheduler.importers.mspsp import read_dzn, read_mspsp  # noqa: E402
from scheduler.importers.psplib import read_psplib  # noqa: E402


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
