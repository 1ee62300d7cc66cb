"""Where modsched reads and writes its files: the one atomic writer and the schedule.csv /
schedule.json writers (DESIGN.md contracts)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from scheduler.schedule import TASK_COLUMNS, Schedule


def write_atomic(path: Path, write: Callable[[IO[str]], Any]) -> None:
    """Write to a temporary file in the same folder, then rename it over ``path``: a crash
    never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_csv(schedule: Schedule, path: Path) -> None:
    write_atomic(path, lambda f: schedule.tasks.to_csv(f, index=False, lineterminator="\n"))


def schedule_json(schedule: Schedule) -> dict[str, Any]:
    tasks = []
    for row in schedule.tasks.to_dict(orient="records"):
        row["crews"] = [c for c in str(row["crews"]).split(";") if c]
        tasks.append({k: _plain(v) for k, v in row.items()})
    return {
        "project": schedule.project,
        "program_start": schedule.program_start.isoformat(),
        "solver": schedule.solver,
        "kpis": schedule.kpis,
        "columns": TASK_COLUMNS,
        "tasks": tasks,
    }


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def write_json(schedule: Schedule, path: Path) -> None:
    document = schedule_json(schedule)
    write_atomic(path, lambda f: json.dump(document, f, indent=1))
