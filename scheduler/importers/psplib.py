"""Reader for single-mode RCPSP instances in the PSPLIB ``.sm`` format.

The file is read line by line and every line as whitespace-separated tokens, since the
column widths vary between sets. Job 1 (supersource) and job ``n`` (supersink) are dummies
and are dropped; precedences through them need no link, because the supersource only
precedes jobs without a predecessor and the supersink only follows jobs without a successor.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from scheduler.errors import BenchmarkFormatError
from scheduler.instance import Instance, Link, Resource, Task

PRECEDENCES = "PRECEDENCE RELATIONS"
REQUESTS = "REQUESTS/DURATIONS"
AVAILABILITIES = "RESOURCEAVAILABILITIES"
# Column-header lines between a section title and its data rows.
HEADER_LINES = {PRECEDENCES: 1, REQUESTS: 2, AVAILABILITIES: 1}


class Row(NamedTuple):
    """One data line: its 1-based line number and its integer tokens."""

    line: int
    numbers: tuple[int, ...]


class Job(NamedTuple):
    """One job as the file states it (dummies included)."""

    number: int
    duration: int
    demands: tuple[int, ...]
    successors: tuple[int, ...]


def read_psplib(path: str | Path) -> Instance:
    """Read a PSPLIB single-mode ``.sm`` file into an Instance (dummies dropped)."""
    path = Path(path)
    lines = path.read_text().splitlines()
    if not any(line.strip() for line in lines):
        raise BenchmarkFormatError(path, "line 1", "empty file")
    n_jobs = _header_int(path, lines, "jobs")
    horizon = _header_int(path, lines, "horizon")
    n_res = _header_int(path, lines, "- renewable")
    for other in ("- nonrenewable", "- doubly constrained"):
        if _header_int(path, lines, other) != 0:
            raise BenchmarkFormatError(
                path, f"field '{other[2:]}'", "must be 0 (renewable resources only)"
            )
    if n_jobs < 2:
        raise BenchmarkFormatError(path, "field 'jobs'", f"is {n_jobs}, expected at least 2")
    jobs = _read_jobs(path, lines, n_jobs, n_res)
    capacities = _read_capacities(path, lines, n_res)
    total = sum(job.duration for job in jobs)
    if horizon < total:
        raise BenchmarkFormatError(
            path, "field 'horizon'", f"is {horizon}, less than the sum of durations {total}"
        )
    return _build(path.stem, jobs, capacities, horizon)


def _build(name: str, jobs: list[Job], capacities: list[int], horizon: int) -> Instance:
    """Make the Instance from the parsed jobs: real jobs only, FS links between them."""
    real = jobs[1:-1]
    tasks = tuple(
        Task(
            id=str(job.number),
            duration=job.duration,
            resources={f"R{k + 1}": q for k, q in enumerate(job.demands) if q},
        )
        for job in real
    )
    last = len(jobs)
    pairs = {
        (job.number - 2, succ - 2): None
        for job in real
        for succ in job.successors
        if 1 < succ < last
    }
    links = tuple(Link(pred=a, succ=b) for a, b in pairs)
    resources = tuple(
        Resource(id=f"R{k + 1}", capacity=cap, kind="benchmark") for k, cap in enumerate(capacities)
    )
    return Instance(name=name, tasks=tasks, links=links, resources=resources, horizon=horizon)


def _header_int(path: Path, lines: list[str], key: str) -> int:
    """The integer after ``key ... :`` in the file's header block."""
    for number, line in enumerate(lines, 1):
        label, value = line.split(":", 1) if ":" in line else (line, "")
        if ":" in line and label.strip().startswith(key):
            tokens = value.split()
            if not tokens:
                raise BenchmarkFormatError(path, f"line {number}", f"no value for '{key}'")
            return _int(path, number, tokens[0], f"field '{key.lstrip('- ')}'")
    raise BenchmarkFormatError(path, f"field '{key.lstrip('- ')}'", "is missing")


def _section(path: Path, lines: list[str], title: str) -> list[Row]:
    """The data rows of a section: after its title and column headers, up to a ``*`` line."""
    start = next((i for i, line in enumerate(lines) if line.strip().startswith(title)), None)
    if start is None:
        raise BenchmarkFormatError(path, f"section '{title}'", "is missing")
    rows = []
    for i in range(start + 1 + HEADER_LINES[title], len(lines)):
        text = lines[i].strip()
        if text.startswith("*"):
            break
        tokens = text.split()
        if not "".join(tokens).isdecimal():  # rare: find the culprit (or skip a blank line)
            tokens = [str(_int(path, i + 1, token, title)) for token in tokens]
        if tokens:
            rows.append(Row(i + 1, tuple(map(int, tokens))))
    return rows


def _int(path: Path, line: int, token: str, where: str) -> int:
    """A non-negative integer token, or a BenchmarkFormatError naming the line."""
    if not token.isdecimal():
        raise BenchmarkFormatError(path, f"line {line}", f"non-numeric token '{token}' in {where}")
    return int(token)


def _at(path: Path, row: Row, rule: str) -> BenchmarkFormatError:
    """An error naming the line of ``row``."""
    return BenchmarkFormatError(path, f"line {row.line}", rule)


def _job_rows(path: Path, lines: list[str], title: str, n_jobs: int) -> list[Row]:
    """Rows of a per-job section, checked to list jobs 1..n_jobs once each, in order."""
    rows = _section(path, lines, title)
    for expected, row in enumerate(rows, 1):
        if expected > n_jobs:
            raise _at(path, row, f"more than {n_jobs} jobs in {title}")
        if row.numbers[0] != expected:
            raise _at(path, row, f"expected job {expected} in {title}, found job {row.numbers[0]}")
    if len(rows) < n_jobs:
        raise BenchmarkFormatError(
            path, f"section '{title}'", f"has {len(rows)} jobs, expected {n_jobs}"
        )
    return rows


def _read_jobs(path: Path, lines: list[str], n_jobs: int, n_res: int) -> list[Job]:
    """Jobs 1..n_jobs with their successors, durations and demands."""
    precedences = _job_rows(path, lines, PRECEDENCES, n_jobs)
    successors = [_successors(path, row, n_jobs) for row in precedences]
    jobs = []
    for row, succ in zip(_job_rows(path, lines, REQUESTS, n_jobs), successors, strict=True):
        job, found = row.numbers[0], len(row.numbers)
        if found != 3 + n_res:
            raise _at(
                path,
                row,
                f"expected {3 + n_res} numbers for job {job} in {REQUESTS}, found {found}",
            )
        if row.numbers[1] != 1:
            raise _at(path, row, f"job {job} has mode {row.numbers[1]}, expected 1")
        duration, demands = row.numbers[2], row.numbers[3:]
        if job in (1, n_jobs) and (duration or any(demands)):
            raise _at(path, row, f"dummy job {job} must have duration 0 and no demand")
        jobs.append(Job(job, duration, demands, succ))
    return jobs


def _successors(path: Path, row: Row, n_jobs: int) -> tuple[int, ...]:
    """The successors on a precedence row ``job modes count succ...``, checked."""
    job, found = row.numbers[0], len(row.numbers)
    if found < 3:
        raise _at(
            path, row, f"expected at least 3 numbers for job {job} in {PRECEDENCES}, found {found}"
        )
    modes, count, succ = row.numbers[1], row.numbers[2], row.numbers[3:]
    if modes != 1:
        raise _at(path, row, f"job {job} has {modes} modes, expected 1")
    if len(succ) != count:
        raise _at(path, row, f"job {job} lists {len(succ)} successors, but its count says {count}")
    for other in succ:
        if not 1 <= other <= n_jobs or other == job:
            raise _at(
                path, row, f"successor {other} of job {job} is not another job in 1..{n_jobs}"
            )
    return succ


def _read_capacities(path: Path, lines: list[str], n_res: int) -> list[int]:
    """The capacities in RESOURCEAVAILABILITIES: exactly n_res numbers."""
    rows = _section(path, lines, AVAILABILITIES)
    if not rows:
        raise BenchmarkFormatError(path, f"section '{AVAILABILITIES}'", "has no capacities line")
    numbers = [number for row in rows for number in row.numbers]
    if len(numbers) != n_res:
        raise _at(
            path, rows[0], f"expected {n_res} capacities in {AVAILABILITIES}, found {len(numbers)}"
        )
    return numbers
