"""The plan as an Excel workbook (openpyxl): four sheets a planner filters and sorts.

- **Schedule**: one row a task, the logic as ``predecessors`` in P6's notation
  (``id FS+lag``, links ``, ``-separated), a replan's status and baseline dates, and
  last the calendar the task works by (``program``, ``site:ID`` or ``factory:ID``, with
  ``+crew:ID`` when a crew pool's calendar narrows it);
- **Milestones**: each milestone's date against its target and deadline;
- **Crews**: per pool and week (Monday), busy crews (mean, peak) against the fewest
  crews available on a working day of that week;
- **Power**: per site and week, the peak MW in use at each gate level against the least
  supply available to that level.

Every sheet has a frozen header row and an autofilter; dates are Excel dates. Text is
always text: a cell that starts with ``=`` is written as a string, never a formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from scheduler.interop.plan import ExportPlan, LinkRow
from scheduler.io import write_bytes
from scheduler.schedule import Schedule

DATE_FORMAT = "yyyy-mm-dd"
SCHEDULE_HEADER = [
    "task_id",
    "task_name",
    "site",
    "deployment",
    "module_id",
    "module_type",
    "task",
    "phase",
    "start",
    "finish",
    "duration",
    "start_day",
    "end_day",
    "predecessors",
    "crews",
    "gate",
    "power_mw",
    "energise_mw",
]
STATUS_HEADER = ["status", "baseline_start", "baseline_finish"]
CALENDAR_HEADER = ["calendar"]  # last, after a replan's columns too
MILESTONE_HEADER = [
    "milestone",
    "date",
    "target",
    "late_days",
    "deadline",
    "deadline_met",
    "weight",
    "deployments",
]
CREW_HEADER = ["pool", "week", "busy_mean", "busy_peak", "available", "utilisation"]
LEVELS = ("any", "temporary", "permanent")
POWER_HEADER = [
    "site",
    "week",
    *(f"{kind}_{level}_mw" for level in LEVELS for kind in ("load_peak", "supply_min")),
]


def predecessor_text(links: Sequence[LinkRow]) -> str:
    """P6's predecessor notation: ``a FS+0, b SS+3`` (lag in working days, signed)."""
    return ", ".join(f"{k.pred} {k.type}{k.lag:+d}" for k in links)


def schedule_rows(plan: ExportPlan) -> list[list[Any]]:
    schedule = plan.schedule
    calendar, replanned = schedule.calendar, schedule.replanned
    incoming = plan.predecessors()
    rows = []
    for t in schedule.tasks:
        row: list[Any] = [
            t.task_id,
            t.task_name,
            t.site,
            t.deployment,
            t.module_id,
            t.module_type,
            t.task,
            t.phase,
            t.start,
            t.finish,
            t.duration,
            t.start_day,
            t.end_day,
            predecessor_text(incoming.get(t.task_id, [])),
            ";".join(t.crews),
            t.gate,
            t.power_mw,
            t.energise_mw,
        ]
        if replanned:
            start, end = t.baseline_start_day, t.baseline_end_day
            row += [
                t.status,
                calendar.date_of(start) if start is not None else None,
                calendar.finish_date(end, end - start)
                if start is not None and end is not None
                else None,
            ]
        row.append(plan.calendar_of(t.task_id))
        rows.append(row)
    return rows


def milestone_rows(schedule: Schedule) -> list[list[Any]]:
    rows = []
    for m in schedule.milestones:
        met = None
        if m.deadline_day is not None and m.day is not None:
            met = "yes" if m.day <= m.deadline_day else "no"
        rows.append(
            [
                m.milestone_id,
                m.date,
                m.target,
                m.late_days if m.target is not None else None,
                m.deadline,
                met,
                m.weight,
                ", ".join(m.deployments),
            ]
        )
    return rows


def crew_rows(schedule: Schedule) -> list[list[Any]]:
    from scheduler.reports.tables import crew_weeks

    weeks = crew_weeks(schedule)
    return [
        [r.pool, r.week, round(float(r.mean), 3), int(r.peak), _count(r.count), r.utilisation]
        for r in weeks.itertuples(index=False)
    ]


def _count(value: float) -> int | None:
    return None if value != value else int(value)  # NaN: a pool the project does not define


def power_rows(schedule: Schedule) -> list[list[Any]]:
    from scheduler.reports.tables import power_table

    table = power_table(schedule)
    if table.empty:
        return []
    table["week"] = [d - timedelta(days=d.weekday()) for d in table["date"]]
    aggregations = {}
    for level in LEVELS:
        aggregations[f"load_peak_{level}_mw"] = (f"load_{level}", "max")
        aggregations[f"supply_min_{level}_mw"] = (f"avail_{level}", "min")
    weeks = table.groupby(["site", "week"], sort=False).agg(**aggregations).reset_index()
    return [
        [r[0], r[1], *(round(float(v), 6) for v in r[2:])] for r in weeks.itertuples(index=False)
    ]


def workbook_bytes(plan: ExportPlan) -> bytes:
    """The workbook, as the bytes of an .xlsx file."""
    from openpyxl import Workbook

    schedule = plan.schedule
    book = Workbook()
    header = SCHEDULE_HEADER + (STATUS_HEADER if schedule.replanned else []) + CALENDAR_HEADER
    _sheet(book.active, "Schedule", header, schedule_rows(plan))
    _sheet(book.create_sheet(), "Milestones", MILESTONE_HEADER, milestone_rows(schedule))
    _sheet(book.create_sheet(), "Crews", CREW_HEADER, crew_rows(schedule))
    _sheet(book.create_sheet(), "Power", POWER_HEADER, power_rows(schedule))
    stream = BytesIO()
    book.save(stream)
    return stream.getvalue()


def write_xlsx(plan: ExportPlan, path: Path) -> None:
    write_bytes(path, workbook_bytes(plan))


def _sheet(sheet: Any, title: str, header: list[str], rows: Iterable[list[Any]]) -> None:
    """A table with a frozen, filtered header; dates as Excel dates, text never a formula."""
    from openpyxl.utils import get_column_letter

    sheet.title = title
    sheet.append(header)
    count = 1
    for row in rows:
        count += 1
        # cell by cell: sheet[count] would recount the sheet's columns on every row
        # (quadratic: 104 s for atlas-27's 9,525 rows)
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=count, column=column, value=value)
            if cell.data_type == "f":  # openpyxl takes text starting with "=" as a formula
                cell.data_type = "s"
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(header))
    sheet.auto_filter.ref = f"A1:{last}{count}"
    for k, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(k)].width = max(10, min(40, len(name) + 4))
