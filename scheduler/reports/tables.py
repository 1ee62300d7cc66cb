"""The tables the figures are drawn from, built from a typed `Schedule`.

- `task_frame`: the tasks as a DataFrame, dates as ISO text, phases and
  gates normalised for colouring.
- `power_table`: per site and working day, supply by kind, supply at each gate level and
  the load drawn at each level.
- `crew_table` / `crew_weeks`: busy crews per pool and working day / calendar week, against
  the crews available (`crews_available`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from scheduler.instance import pool_of
from scheduler.reports.style import (
    GATE_LEVEL,
    KIND_LEVEL,
    LEVEL_NAMES,
    OTHER_PHASE,
    PHASE_COLORS,
    SUPPLY_KINDS,
)
from scheduler.schedule import STATUS_COLUMNS, TASK_COLUMNS, PoolWindow, Schedule, TaskRow

FRAME_COLUMNS = [*TASK_COLUMNS, "phase", "gate", "energise_mw"]  # what the figures read


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def crews_available(count: int, windows: Sequence[PoolWindow], days: int) -> np.ndarray:
    """Crews of a pool available on each working day ``0 .. days - 1``: ``count`` but
    where a window says otherwise (absences, a scenario's shortage; the first window that
    covers a day holds)."""
    found = np.full(max(days, 0), count, dtype=int)
    covered = np.zeros(len(found), dtype=bool)
    for window in windows:
        first, end = (min(max(x, 0), len(found)) for x in (window.start, window.end))
        free = np.flatnonzero(~covered[first:end]) + first
        found[free], covered[free] = window.count, True
    return found


def task_frame(tasks: Sequence[TaskRow]) -> pd.DataFrame:
    """The tasks for drawing: ``start``/``finish`` ISO text, ``crews``
    tuples, ``phase`` one of PHASE_COLORS or "other", ``gate`` never empty; a replan's
    status and baseline days when the rows carry them."""
    rows = list(tasks)
    replanned = any(t.baseline_start_day is not None for t in rows)
    columns = FRAME_COLUMNS + (STATUS_COLUMNS if replanned else [])
    data: dict[str, list[Any]] = {c: [getattr(t, c) for t in rows] for c in columns}
    data["start"] = [d.isoformat() for d in data["start"]]
    data["finish"] = [d.isoformat() for d in data["finish"]]
    data["phase"] = [p.lower() if p.lower() in PHASE_COLORS else OTHER_PHASE for p in data["phase"]]
    data["gate"] = [g.lower() or "none" for g in data["gate"]]
    if replanned:
        data["status"] = [s or "" for s in data["status"]]
    frame = pd.DataFrame(data, columns=columns)
    for column in ("start_day", "end_day", "duration"):
        frame[column] = frame[column].astype(int)
    for column in ("power_mw", "energise_mw"):
        frame[column] = frame[column].astype(float)
    return frame


def module_index(module_id: str) -> int:
    tail = module_id.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def sites(schedule: Schedule, tasks: pd.DataFrame) -> list[str]:
    """Sites in order of appearance: of the tasks, then of the supplies."""
    return unique([*tasks["site"], *(s.site for s in schedule.supplies)])


def layout_rows(tasks: pd.DataFrame, sites: list[str]) -> list[tuple[str, list[str], list[str]]]:
    """Per site (in order of appearance): its deployments and its modules in row order."""
    out = []
    for site in sites:
        here = tasks[tasks["site"] == site]
        deployments = unique(here["deployment"])
        modules: list[str] = []
        for dep in deployments:
            ids = unique(here.loc[here["deployment"] == dep, "module_id"])
            modules += sorted(ids, key=module_index)
        out.append((site, deployments, modules))
    return out


# ------------------------------------------------------------------------------ power


def _power_end(schedule: Schedule, tasks: pd.DataFrame) -> int:
    """Last day (exclusive) shown for power: the end of the schedule or one day past the
    last supply change, whichever is later (DESIGN.md, Power)."""
    end = int(tasks["end_day"].max()) if not tasks.empty else 1
    for s in schedule.supplies:
        changes = [s.from_day] if s.until_day is None else [s.from_day, s.until_day]
        end = max(end, *(c + 1 for c in changes))
    return max(end, 1)


def power_table(schedule: Schedule) -> pd.DataFrame:
    """Per site and working day: supply by kind, supply available at each gate level and
    the load drawn at each level.

    ``load_<g>`` is the MW of running tasks (``power_mw``) plus the energised load
    (``energise_mw`` from the energising task's start on) of tasks whose gate is ``g`` or
    stricter (gate ``none`` with power counts as ``any``); ``avail_<g>`` is the MW of
    supplies whose kind satisfies ``g``. Days run from 0 to the end of the schedule or past
    the last supply change.
    """
    tasks = task_frame(schedule.tasks)
    cal = schedule.calendar
    end = _power_end(schedule, tasks)
    days = np.arange(end)
    dates = [cal.date_of(int(d)) for d in days]
    frames = []
    for site in sites(schedule, tasks):
        kind_diff = {k: np.zeros(end + 1) for k in SUPPLY_KINDS}
        for s in schedule.supplies:
            if s.site != site or s.kind not in kind_diff:
                continue
            start = max(0, s.from_day)
            until = end if s.until_day is None else min(max(s.until_day, 0), end)
            if start < until:
                kind_diff[s.kind][start] += s.mw
                kind_diff[s.kind][until] -= s.mw
        load_diff = {g: np.zeros(end + 1) for g in (1, 2, 3)}
        here = tasks[tasks["site"] == site]
        for start, stop, gate, power, energise in zip(
            here["start_day"],
            here["end_day"],
            here["gate"],
            here["power_mw"],
            here["energise_mw"],
            strict=True,
        ):
            if power <= 0 and energise <= 0:
                continue
            level = max(GATE_LEVEL.get(gate, 1), 1)
            a, b = min(max(start, 0), end), min(max(stop, 0), end)
            for g in range(1, level + 1):
                load_diff[g][a] += power
                load_diff[g][b] -= power
                load_diff[g][a] += energise
        supply = {k: np.round(np.cumsum(v)[:end], 6) for k, v in kind_diff.items()}
        frame = pd.DataFrame({"site": site, "day": days, "date": dates})
        for k in SUPPLY_KINDS:
            frame[f"supply_{k}"] = supply[k]
        for g, name in LEVEL_NAMES.items():
            kinds = [k for k in SUPPLY_KINDS if KIND_LEVEL[k] >= g]
            frame[f"avail_{name}"] = np.round(sum(supply[k] for k in kinds), 6)
        for g, name in LEVEL_NAMES.items():
            frame[f"load_{name}"] = np.round(np.cumsum(load_diff[g])[:end], 6)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["site", "day", "date"])
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------ crews


def crew_table(schedule: Schedule) -> pd.DataFrame:
    """Busy crews per pool and working day (a crew ``pool#k`` listed in a task's ``crews``
    is busy on the task's days), with the crews the pool has that day (its count, less
    absences or a scenario's shortage)."""
    end = max(1, max((t.end_day for t in schedule.tasks), default=1))
    cal = schedule.calendar
    pools = {p.pool: p for p in schedule.pools}
    diff: dict[str, np.ndarray] = {p: np.zeros(end + 1, dtype=int) for p in pools}
    for task in schedule.tasks:
        for crew in task.crews:
            pool = pool_of(crew)
            if pool not in diff:
                diff[pool] = np.zeros(end + 1, dtype=int)
            diff[pool][min(max(task.start_day, 0), end)] += 1
            diff[pool][min(max(task.end_day, 0), end)] -= 1
    dates = [cal.date_of(d) for d in range(end)]
    frames = [
        pd.DataFrame(
            {
                "pool": pool,
                "day": np.arange(end),
                "date": dates,
                "busy": np.cumsum(d)[:end],
                "count": crews_available(pools[pool].count, pools[pool].available, end)
                if pool in pools
                else np.nan,
            }
        )
        for pool, d in diff.items()
    ]
    if not frames:
        return pd.DataFrame(columns=["pool", "day", "date", "busy", "count"])
    return pd.concat(frames, ignore_index=True)


def crew_weeks(schedule: Schedule) -> pd.DataFrame:
    """Per pool and calendar week (starting Monday): mean and peak busy crews over the
    week's working days, the fewest crews available on one of them (``count``) and the
    utilisation (busy crew-days / available crew-days; a pool of unknown size counts its
    peak)."""
    table = crew_table(schedule)
    if table.empty:
        return pd.DataFrame(columns=["pool", "week", "mean", "peak", "count", "utilisation"])
    table["week"] = [d - timedelta(days=d.weekday()) for d in table["date"]]
    weeks = (
        table.groupby(["pool", "week"], sort=False)
        .agg(
            mean=("busy", "mean"),
            peak=("busy", "max"),
            count=("count", "min"),
            available=("count", "mean"),
        )
        .reset_index()
    )
    known = weeks["available"].notna()
    size = weeks["available"].where(known, weeks.groupby("pool")["peak"].transform("max"))
    busy = weeks["mean"] > 0
    weeks["utilisation"] = np.where(
        size > 0, weeks["mean"] / size.where(size > 0, 1), busy.astype(float)
    ).round(4)
    return weeks.drop(columns="available")
