"""The Gantt of a `Schedule`, as data for the page's Gantt (scheduler/reports/gantt.js).

`gantt_data` packs the plan into a few flat arrays: the rows (modules grouped by site and
deployment, in the order the page draws them), one entry per task (dates as calendar days
after the program start), the supplies, the milestones and the calendar. The browser draws
the figure from it for the filters the reader picks (site, deployment, phase, crew pool,
date window), so one copy of the plan serves the program view and every deployment view.
A task bar runs from ``start`` to ``finish`` + 1 calendar day (``finish`` is the last day
worked). The shared axis helpers (`row_axis`, `top_legend`, `_x_range`, `_off_days`) serve
the crew view.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from scheduler.instance import LARGE_PROGRAM_TASKS, PHASES, pool_of
from scheduler.reports.style import (
    BASELINE_COLOR,
    KIND_COLORS,
    OTHER_COLOR,
    OTHER_PHASE,
    PHASE_COLORS,
    fmt_mw,
)
from scheduler.reports.tables import layout_rows, sites, task_frame
from scheduler.schedule import MilestoneRow, Schedule, TaskRow

#: above this many tasks in view the page's Gantt merges each module's back-to-back tasks
#: of one phase into one bar (a deployment, or a filter with fewer tasks, shows every task)
PROGRAM_MERGE_ABOVE = LARGE_PROGRAM_TASKS

#: the phases a reader can fold into one thin "lead time" bar per module
LEAD_PHASES = ("design", "procurement", "factory")

#: the outline of a task on a late milestone's driving chain
CHAIN_COLOR = "#d62728"

#: a baseline to ghost behind the plan: its task rows, or True for the rows' own baseline
#: days (a replan)
Ghost = Sequence[TaskRow] | bool | None


def milestones_for(
    milestones: Sequence[MilestoneRow], deployment: str, site: str
) -> list[MilestoneRow]:
    """Milestones relevant to one deployment: those that come after it, else, when no
    milestone names its deployments, by the id naming convention (``{site}-...`` or
    ``{deployment}...``)."""
    if any(m.deployments for m in milestones):
        return [m for m in milestones if deployment in m.deployments]
    return [
        m
        for m in milestones
        if m.milestone_id == site or m.milestone_id.startswith((f"{site}-", f"{site}_", deployment))
    ]


def _x_range(traces: list) -> list[str] | None:
    """Dates from the first bar or marker to the last, with room on the right for the
    labels of the markers."""
    points: list[date] = []
    labelled = False
    for trace in traces:
        if trace.type == "bar":
            for base, length in zip(trace.base, trace.x, strict=True):
                start = date.fromisoformat(base)
                points += [start, start + timedelta(milliseconds=length)]
        else:
            points += [date.fromisoformat(x[:10]) for x in trace.x if x]
            labelled = labelled or trace.text is not None
    if not points:
        return None
    lo, hi = min(points), max(points)
    span = max((hi - lo).days, 7)
    pad_right = 0.14 * span + 2 if labelled else 0.02 * span
    return [
        (lo - timedelta(days=0.02 * span + 1)).isoformat(),
        (hi + timedelta(days=pad_right)).isoformat(),
    ]


def _off_days(schedule: Schedule, x_range: list[str] | None) -> list[dict[str, Any]]:
    """Light grey columns on weekends and holidays, when the view is short enough to see
    them (up to 20 weeks)."""
    if not x_range:
        return []
    lo, hi = date.fromisoformat(x_range[0]), date.fromisoformat(x_range[1])
    if (hi - lo).days > 140:
        return []
    cal = schedule.calendar
    shapes, day = [], lo
    while day <= hi:
        if not cal.is_workday(day):
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "paper",
                    "x0": day.isoformat(),
                    "x1": (day + timedelta(days=1)).isoformat(),
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": "rgba(120, 120, 140, 0.08)",
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
        day += timedelta(days=1)
    return shapes


def top_legend(height: int) -> dict[str, Any]:
    """A horizontal legend 40 px below the top of a figure ``height`` px tall."""
    return {
        "orientation": "h",
        "yref": "container",
        "yanchor": "top",
        "y": 1 - 40 / height,
        "x": 0.0,
        "xanchor": "left",
    }


def row_axis(rows: list[str], ticktext: list[str]) -> dict[str, Any]:
    """A y axis of one category a row, first row on top, labelled with ``ticktext``."""
    n = len(rows)
    return {
        "categoryorder": "array",
        "categoryarray": rows,
        "autorange": False,
        "tickmode": "array",
        "tickvals": rows,
        "ticktext": ticktext,
        "tickfont": {"size": 12 if n <= 150 else 9},
        "automargin": True,
        "showgrid": False,
        "range": [n - 0.5, -0.5],
        "fixedrange": False,
        # plotly's default ("hide past div") measures every label again as each is placed:
        # O(rows^2) (atlas-27's crew view, Gantt parts: a quarter of their draw time)
        "ticklabeloverflow": "allow",
    }


def _driver_task(driver: str, index: dict[str, int]) -> int:
    """The task a driver names (``link:a/1/ship``, ``crew:cx#2<-b/1/ist``), or -1."""
    named = driver.rsplit("<-", 1)[-1] if "<-" in driver else driver.split(":", 1)[-1]
    return index.get(named, -1)


def _ghost_days(schedule: Schedule, baseline: Ghost) -> dict[str, tuple[int, int]]:
    """Task id -> (first, last) calendar day after the program start of its baseline bar:
    a baseline's task rows, or (True) the rows' own ``baseline_start_day`` to
    ``baseline_end_day``."""
    t0 = schedule.program_start
    found: dict[str, tuple[int, int]] = {}
    if baseline is True:
        cal = schedule.calendar
        for t in schedule.tasks:
            # no baseline end (a file written before it): no ghost, rather than a guess
            if t.baseline_start_day is None or t.baseline_end_day is None:
                continue
            b, e = t.baseline_start_day, t.baseline_end_day
            first, last = cal.date_of(b), cal.finish_date(e, e - b)
            found[t.task_id] = ((first - t0).days, (last - t0).days)
    elif baseline:
        for row in baseline:
            found[row.task_id] = ((row.start - t0).days, (row.finish - t0).days)
    return found


def gantt_data(schedule: Schedule, baseline: Ghost = None) -> dict[str, Any]:
    """The plan as the page's Gantt reads it (JSON-ready; all dates are calendar days
    after ``start``, the program start).

    - ``sites``; ``deps``: ``[name, site index]``; ``rows``: ``[module_id, dep index]`` in
      the order drawn (by site, deployment, module number); ``pools``; ``phases``:
      ``[name, colour]``, the lead-time ones flagged in ``lead``.
    - ``tasks``: one list per field, index = task, sorted by row, phase and start (the
      order the browser merges runs in): ``row``, ``phase``, ``task``, ``name``, ``first``
      and ``last`` (calendar days of the first and last day worked), ``sd``/``ed`` (days of
      the plan's day axis, end exclusive), ``days`` (the duration), ``crews``, ``pools``
      (indices), ``mw``, ``gate``, ``status``, ``ghost`` (``[first, last]`` of the
      baseline bar or null), ``driver`` (index of the task that set its start, -1 for
      none), ``chain`` (the late milestones whose driving chain it is on, with what it
      waits for).
    - ``supplies``: ``[site index, kind, name, MW text, from, until or null]``;
      ``milestones``: ``[id, finish, target, deadline, late days, dep indices]`` (the deps
      it follows, `milestones_for`); ``status``: the status date or null; ``workdays``,
      ``holidays``: the calendar, for weekend shading.
    """
    frame = task_frame(schedule.tasks)
    shown_sites = sites(schedule, frame)
    t0 = schedule.program_start
    deps: list[list[Any]] = []
    rows: list[list[Any]] = []
    row_of: dict[str, int] = {}
    for k, (_site, site_deps, modules) in enumerate(layout_rows(frame, shown_sites)):
        dep_of = {}
        for dep in site_deps:
            dep_of[dep] = len(deps)
            deps.append([dep, k])
        for module in modules:
            row_of[module] = len(rows)
            rows.append([module, dep_of[module.rsplit("/", 1)[0]]])
    phases = [*PHASES, OTHER_PHASE]
    phase_of = {p: i for i, p in enumerate(phases)}
    pools = sorted(
        {p.pool for p in schedule.pools} | {pool_of(c) for t in schedule.tasks for c in t.crews}
    )
    pool_index = {p: i for i, p in enumerate(pools)}
    chains: dict[str, list[str]] = {}
    for m in schedule.milestones:
        for step in m.why:
            chains.setdefault(step.task, []).append(
                f"{m.milestone_id}: waits for {step.cause or step.kind}"
            )
    ghosts = _ghost_days(schedule, baseline)

    def phase(t: TaskRow) -> int:
        return phase_of.get(t.phase.lower(), phase_of[OTHER_PHASE])

    ordered = sorted(
        schedule.tasks, key=lambda t: (row_of[t.module_id], phase(t), t.start_day, t.end_day)
    )
    index = {t.task_id: i for i, t in enumerate(ordered)}
    fields: dict[str, list[Any]] = {
        key: []
        for key in (
            "row",
            "phase",
            "task",
            "name",
            "first",
            "last",
            "sd",
            "ed",
            "days",
            "crews",
            "pools",
            "mw",
            "gate",
            "status",
            "ghost",
            "driver",
            "chain",
        )
    }
    for t in ordered:
        fields["row"].append(row_of[t.module_id])
        fields["phase"].append(phase(t))
        fields["task"].append(t.task)
        fields["name"].append(t.task_name if t.task_name != t.task else "")
        fields["first"].append((t.start - t0).days)
        fields["last"].append((t.finish - t0).days)
        fields["sd"].append(t.start_day)
        fields["ed"].append(t.end_day)
        fields["days"].append(t.duration)  # working days of the task's own calendar
        fields["crews"].append(", ".join(t.crews))
        fields["pools"].append(sorted({pool_index[pool_of(c)] for c in t.crews}))
        fields["mw"].append(fmt_mw(t.power_mw))
        fields["gate"].append(t.gate.lower() or "none")
        fields["status"].append(t.status or "")
        fields["ghost"].append(list(ghosts[t.task_id]) if t.task_id in ghosts else None)
        fields["driver"].append(_driver_task(t.driver, index) if t.driver else -1)
        fields["chain"].append("; ".join(chains.get(t.task_id, [])))

    def day(d: date | None) -> int | None:
        return None if d is None else (d - t0).days

    follows: dict[str, list[int]] = {m.milestone_id: [] for m in schedule.milestones}
    for k, (dep, site) in enumerate(deps):
        for m in milestones_for(schedule.milestones, dep, shown_sites[site]):
            follows[m.milestone_id].append(k)
    site_index = {s: k for k, s in enumerate(shown_sites)}
    return {
        "project": schedule.project,
        "start": t0.isoformat(),
        "status": day(schedule.kpis.status_date),
        "sites": shown_sites,
        "deps": deps,
        "rows": rows,
        "pools": pools,
        "phases": [[p, PHASE_COLORS.get(p, OTHER_COLOR)] for p in phases],
        "lead": [phase_of[p] for p in LEAD_PHASES],
        "merge_above": PROGRAM_MERGE_ABOVE,
        "ghost_color": BASELINE_COLOR,
        "chain_color": CHAIN_COLOR,
        "kind_colors": KIND_COLORS,
        "tasks": fields,
        "supplies": [
            [
                site_index[s.site],
                s.kind,
                s.name or s.kind,
                fmt_mw(s.mw),
                day(s.from_date),
                day(s.until_date),
            ]
            for s in schedule.supplies
            if s.site in site_index and s.kind in KIND_COLORS
        ],
        "milestones": [
            [
                m.milestone_id,
                day(m.date),
                day(m.target),
                day(m.deadline),
                m.late_days,
                follows[m.milestone_id],
            ]
            for m in schedule.milestones
        ],
        "workdays": sorted(schedule.workdays),
        "holidays": sorted(day(h) for h in schedule.holidays),
    }
