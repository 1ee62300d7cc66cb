"""A SQLite file of the plans and runs made (`--store FILE.sqlite`, DESIGN.md, Store).

Each run is a row: its kind (schedule, replan, whatif, risk), when (UTC), the project, the
SHA-256 of every input file it read (project, catalog files, baseline, scenarios), the
folder it wrote, and its milestone dates (a risk run: P80, with P50 and P90 beside).
`modsched history` lists the runs; `modsched diff A B` compares two runs' milestones.
Standard library sqlite3; one transaction a run, so a crash leaves no half a run.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    created TEXT NOT NULL,
    project TEXT NOT NULL,
    inputs TEXT NOT NULL,
    out TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS milestones (
    run INTEGER NOT NULL REFERENCES runs(id),
    milestone TEXT NOT NULL,
    date TEXT,
    target TEXT,
    p50 TEXT,
    p90 TEXT,
    PRIMARY KEY (run, milestone)
);
"""


class StoreError(Exception):
    """A store file that is not a modsched store, or a run id it does not hold."""


@dataclass(frozen=True)
class MilestoneDates:
    milestone: str
    date: str | None  # a plan's date; a risk run's P80
    target: str | None = None
    p50: str | None = None
    p90: str | None = None


@dataclass(frozen=True)
class RunSummary:
    detail: dict[str, object]
    milestones: tuple[MilestoneDates, ...]


@dataclass(frozen=True)
class StoredRun:
    id: int
    kind: str
    created: str
    project: str
    inputs: dict[str, str]
    out: str
    detail: dict[str, object]


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_hashes(paths: Iterable[Path]) -> dict[str, str]:
    """``{path: sha256}`` of each file (in the order given, each once)."""
    return {str(p): file_hash(p) for p in dict.fromkeys(paths)}


def _open(path: Path) -> sqlite3.Connection:
    try:
        connection = sqlite3.connect(path)
        connection.executescript(SCHEMA)
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{path}: not a modsched store ({error})") from None
    return connection


def record(
    path: Path,
    kind: str,
    project: Path,
    inputs: dict[str, str],
    out: Path,
    summary: RunSummary,
) -> int:
    """Add a run; its id."""
    connection = _open(path)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        with connection:
            cursor = connection.execute(
                "INSERT INTO runs (kind, created, project, inputs, out, detail) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    created,
                    str(project),
                    json.dumps(inputs),
                    str(out),
                    json.dumps(summary.detail),
                ),
            )
            run = int(cursor.lastrowid or 0)
            connection.executemany(
                "INSERT INTO milestones (run, milestone, date, target, p50, p90) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(run, m.milestone, m.date, m.target, m.p50, m.p90) for m in summary.milestones],
            )
    finally:
        connection.close()
    return run


def history(path: Path) -> list[StoredRun]:
    connection = _open(path)
    try:
        rows = connection.execute(
            "SELECT id, kind, created, project, inputs, out, detail FROM runs ORDER BY id"
        ).fetchall()
    finally:
        connection.close()
    return [
        StoredRun(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], json.loads(r[6])) for r in rows
    ]


def milestones(path: Path, run: int) -> list[MilestoneDates]:
    connection = _open(path)
    try:
        if connection.execute("SELECT 1 FROM runs WHERE id = ?", (run,)).fetchone() is None:
            raise StoreError(f"{path}: no run {run} (modsched history lists them)")
        rows = connection.execute(
            "SELECT milestone, date, target, p50, p90 FROM milestones WHERE run = ? ORDER BY rowid",
            (run,),
        ).fetchall()
    finally:
        connection.close()
    return [MilestoneDates(*r) for r in rows]


@dataclass(frozen=True)
class DiffRow:
    milestone: str
    a: str | None
    b: str | None
    days: int | None  # calendar days from a to b


def diff(path: Path, run_a: int, run_b: int) -> list[DiffRow]:
    """Each milestone of either run: its date in both (P80 for a risk run) and the
    calendar days between them."""
    a = {m.milestone: m.date for m in milestones(path, run_a)}
    b = {m.milestone: m.date for m in milestones(path, run_b)}
    rows = []
    for name in dict.fromkeys([*a, *b]):
        first, then = a.get(name), b.get(name)
        days = None
        if first and then:
            days = (date.fromisoformat(then) - date.fromisoformat(first)).days
        rows.append(DiffRow(name, first, then, days))
    return rows
