"""Every error modsched raises on purpose, in one place.

The command line maps them to exit codes (cli.answers): `InputError` 2 (bad input, one
line a problem), `Infeasible` and `NoPlanFound` 1 (no plan, with the reason),
`ScheduleInvalid` 1 (a plan broke a rule: a modsched bug, never written). The others are
raised and caught inside one layer: `InfeasibleModel` while a CP-SAT model is built,
`BenchmarkFormatError` by the benchmark readers, `BenchInputError` by `modsched bench`.
Each one that may cross a process boundary (what-if workers) is rebuilt from its
arguments (`__reduce__`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


def one_line(text: str) -> str:
    """Control characters (a newline in a quoted id) escaped: one problem, one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclass(frozen=True)
class Problem:
    """One problem with the input: file, place in the document, line and column, rule."""

    file: str
    place: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line}, column {self.column})" if self.line else ""
        place = f": {one_line(self.place)}" if self.place else ""
        return f"{self.file}{place}{where}: {one_line(self.message)}"


class InputError(Exception):
    """Bad input: one or more problems, each a line a planner can act on."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.problems,))


class Infeasible(Exception):
    """No plan exists (or none could be found); ``reasons`` are one line each."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("; ".join(reasons))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.reasons,))


class NoPlanFound(Infeasible):
    """The search ended without a plan but proved nothing impossible (a time limit, or the
    greedy scheme alone); the command line says so rather than "infeasible"."""


class ScheduleInvalid(Exception):
    """A solution breaks rules; ``violations`` (the validator's) holds all of them."""

    def __init__(self, violations: Sequence[object], shown: int = 5) -> None:
        self.violations = list(violations)
        lines = [f"schedule breaks {len(self.violations)} rule(s):"]
        lines += [f"  {v}" for v in self.violations[:shown]]
        if len(self.violations) > shown:
            lines.append(f"  ... and {len(self.violations) - shown} more")
        super().__init__("\n".join(lines))

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.violations,))


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM outside a search (loading, the greedy scheme, writing): the run
    ends at once. A BaseException, like KeyboardInterrupt, so that no ``except Exception``
    on the way holds it up."""


class InfeasibleModel(Exception):
    """Raised while a CP-SAT model is built when a task has no possible start at all."""


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


class BenchInputError(ValueError):
    """A path or file `modsched bench` cannot use; the message is one line."""
