"""Plotly views of a `Schedule`: the Gantt, crews, power, and one offline HTML page.

Everything here reads a `Schedule` (see ``scheduler/schedule.py``) and builds figures; only
`write_gantt_html` writes a file.

- `gantt`: one row per module (y = ``module_id``), grouped by site; each site section opens
  with a ``⚡ site`` row holding its power supplies (start and end dates); milestones sit
  in ``◆`` rows on top (finish, target, deadline, late days). Bars are coloured by
  ``phase`` with one bar trace per phase, so 10,000 tasks stay a handful of traces.
- `resource_view`: busy crews per pool and week against each pool's crew count (heatmap).
- `power_view`: per site, the MW in use against the supply of each kind (step curves).
- `power_table` / `crew_table`: the day-by-day numbers behind the last two views.
- `write_gantt_html`: header, KPIs, milestones, program Gantt, a per-deployment Gantt
  (selector), crews and power in one self-contained page (plotly.js embedded once).

Dates: a task bar runs from ``start`` to ``finish`` + 1 calendar day (``finish`` is the last
day worked). Day-indexed series map working day ``d`` to ``Calendar.date_of(d)``.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.json import to_json_plotly
from plotly.subplots import make_subplots

from scheduler.domain.calendar import Calendar
from scheduler.io import write_atomic
from scheduler.schedule import Schedule, crews_available

PHASES = ("design", "procurement", "factory", "fat", "transport", "site", "commissioning")
PHASE_COLORS = {
    "design": "#9467bd",
    "procurement": "#17becf",
    "factory": "#1f77b4",
    "fat": "#7fb2e5",
    "transport": "#ff7f0e",
    "site": "#8c564b",
    "commissioning": "#2ca02c",
}
OTHER_PHASE = "other"
OTHER_COLOR = "#7f7f7f"
BASELINE_COLOR = "rgba(150, 150, 150, 0.45)"

SUPPLY_KINDS = ("backfeed", "temporary", "permanent")
KIND_LEVEL = {"backfeed": 1, "temporary": 2, "permanent": 3}
KIND_COLORS = {"backfeed": "#9ecae1", "temporary": "#fdae6b", "permanent": "#74c476"}
GATE_LEVEL = {"": 0, "none": 0, "any": 1, "temporary": 2, "permanent": 3}
LEVEL_NAMES = {1: "any", 2: "temporary", 3: "permanent"}

MS_PER_DAY = 86_400_000
TEMPLATE = "plotly_white"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
#: above this many tasks the page's program Gantt merges each module's back-to-back tasks
#: of one phase into one bar (the per-deployment views always show every task)
PROGRAM_MERGE_ABOVE = 2500


# ----------------------------------------------------------------------------- helpers


def calendar_of(schedule: Schedule) -> Calendar:
    return Calendar(
        schedule.program_start, frozenset(schedule.workdays), frozenset(schedule.holidays)
    )


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _num(value: Any, default: float = 0.0) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return default if np.isnan(out) else out


def _opt_int(value: Any) -> int | None:
    if value is None or _text(value) == "":
        return None
    out = _num(value, np.nan)
    return None if np.isnan(out) else int(out)


def _iso(value: Any) -> date | None:
    text = _text(value)
    if not text:
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(text[:10])


def _fmt_mw(mw: float) -> str:
    return f"{mw:.3f}".rstrip("0").rstrip(".")


def _texts(column: Any) -> list[str]:
    return [v if type(v) is str else _text(v) for v in column.tolist()]


def _tasks(schedule: Schedule, deployment: str | None = None) -> pd.DataFrame:
    """A copy of the tasks table (of one deployment) with the optional columns filled in
    and clean types."""
    t = schedule.tasks
    if deployment is not None:
        t = t[np.array(_texts(t["deployment"])) == deployment]
    t = t.copy()
    for col in (
        "task_id",
        "module_id",
        "deployment",
        "task",
        "site",
        "start",
        "finish",
        "crews",
        "phase",
        "gate",
        "module_type",
    ):
        t[col] = _texts(t[col]) if col in t else ""
    for col in ("power_mw", "energise_mw"):
        t[col] = pd.to_numeric(t[col], errors="coerce").fillna(0.0) if col in t else 0.0
    for col in ("start_day", "end_day", "duration"):
        t[col] = pd.to_numeric(t[col], errors="coerce").fillna(0).astype(int)
    t["phase"] = [p.lower() if p.lower() in PHASE_COLORS else OTHER_PHASE for p in t["phase"]]
    t["gate"] = [g.lower() or "none" for g in t["gate"]]
    return t.reset_index(drop=True)


def _module_index(module_id: str) -> int:
    tail = module_id.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _sites(schedule: Schedule, tasks: pd.DataFrame) -> list[str]:
    supplies = schedule.supplies
    extra = [_text(s) for s in supplies["site"]] if "site" in supplies else []
    return _unique([*tasks["site"], *extra])


def _layout_rows(tasks: pd.DataFrame, sites: list[str]) -> list[tuple[str, list[str], list[str]]]:
    """Per site (in order of appearance): its deployments and its modules in row order."""
    out = []
    for site in sites:
        here = tasks[tasks["site"] == site]
        deployments = _unique(here["deployment"])
        modules: list[str] = []
        for dep in deployments:
            ids = _unique(here.loc[here["deployment"] == dep, "module_id"])
            modules += sorted(ids, key=_module_index)
        out.append((site, deployments, modules))
    return out


def _site_row(site: str) -> str:
    return f"⚡ {site}"


def _milestone_row(milestone_id: str) -> str:
    return f"◆ {milestone_id}"


def _bar_span(starts: Iterable[str], finishes: Iterable[str]) -> tuple[list[str], list[int]]:
    """Bar bases (ISO start) and lengths in ms, from start to finish + 1 day."""
    bases, lengths = [], []
    for s, f in zip(starts, finishes, strict=True):
        d0, d1 = date.fromisoformat(s[:10]), date.fromisoformat(f[:10])
        bases.append(d0.isoformat())
        lengths.append(((d1 - d0).days + 1) * MS_PER_DAY)
    return bases, lengths


def _milestones(schedule: Schedule) -> pd.DataFrame:
    m = schedule.milestones
    return m.reset_index(drop=True) if m is not None else pd.DataFrame()


def _milestones_for(milestones: pd.DataFrame, deployment: str, site: str) -> pd.DataFrame:
    """Milestones relevant to one deployment: those that come after it (the
    ``deployments`` column), else, for a table without one, by the id naming convention
    (``{site}-...`` or ``{deployment}...``)."""
    if milestones.empty:
        return milestones
    for col in ("deployments", "after"):
        if col in milestones and any(_text(v) for v in milestones[col]):
            keep = [
                deployment in (v if isinstance(v, (list, tuple)) else _text(v).split(";"))
                for v in milestones[col]
            ]
            return milestones[keep]
    ids = [_text(v) for v in milestones["milestone_id"]]
    keep = [i == site or i.startswith((f"{site}-", f"{site}_", deployment)) for i in ids]
    return milestones[keep]


# ------------------------------------------------------------------------------ gantt


def _merge_runs(tasks: pd.DataFrame) -> pd.DataFrame:
    """Per module and phase, merge tasks that follow each other without an idle working
    day into one bar (``task`` lists them, ``task_id`` counts them)."""
    rows: list[dict[str, Any]] = []
    ordered = tasks.sort_values(["module_id", "phase", "start_day", "end_day"])
    run: list[dict[str, Any]] = []
    run_end = 0
    for task in ordered.to_dict("records"):
        if run and (
            task["module_id"] != run[0]["module_id"]
            or task["phase"] != run[0]["phase"]
            or task["start_day"] > run_end
        ):
            rows.append(_run_row(run))
            run = []
        run_end = task["end_day"] if not run else max(run_end, task["end_day"])
        run.append(task)
    if run:
        rows.append(_run_row(run))
    return pd.DataFrame(rows)


def _run_row(run: list[dict[str, Any]]) -> dict[str, Any]:
    first = run[0]
    module, phase = first["module_id"], first["phase"]
    start_day = min(t["start_day"] for t in run)
    end_day = max(t["end_day"] for t in run)
    return {
        "task_id": f"{len(run)} task{'s' if len(run) > 1 else ''}",
        "module_id": module,
        "deployment": first["deployment"],
        "site": first["site"],
        "task": " → ".join(t["task"] for t in run),
        "phase": phase,
        "start_day": start_day,
        "end_day": end_day,
        "start": min(t["start"] for t in run),
        "finish": max(t["finish"] for t in run),
        "duration": end_day - start_day,
        "crews": ";".join(_unique(c for t in run for c in t["crews"].split(";"))),
        "power_mw": max(t["power_mw"] for t in run),
        "gate": max((t["gate"] for t in run), key=lambda g: GATE_LEVEL.get(g, 0)),
    }


def _task_bars(tasks: pd.DataFrame, merged: bool) -> list[go.Bar]:
    has_status = "status" in tasks
    has_shift = "baseline_start_day" in tasks
    bars = []
    phases = [*PHASES, OTHER_PHASE]
    for phase in phases:
        sub = tasks[tasks["phase"] == phase]
        if sub.empty:
            continue
        if has_status:  # a task not done first: the legend shows the first bar's style
            sub = sub.iloc[np.argsort([_text(v) == "done" for v in sub["status"]], kind="stable")]
        bases, lengths = _bar_span(sub["start"], sub["finish"])
        status = [_text(s) for s in sub["status"]] if has_status else [""] * len(sub)
        if has_shift:
            shift = [
                "" if b is None else f"{s - b:+d} wd vs baseline"
                for s, b in zip(
                    sub["start_day"], map(_opt_int, sub["baseline_start_day"]), strict=True
                )
            ]
        else:
            shift = [""] * len(sub)
        extra = [" · ".join(x for x in pair if x) for pair in zip(status, shift, strict=True)]
        custom = np.column_stack(
            [
                sub["task_id"],
                sub["task"],
                sub["start"],
                sub["finish"],
                sub["duration"].astype(str),
                [c.replace(";", ", ") or "-" for c in sub["crews"]],
                [_fmt_mw(p) for p in sub["power_mw"]],
                sub["gate"],
                extra,
            ]
        )
        duration_label = "span" if merged else "duration"
        hover = (
            "<b>%{customdata[0]}</b><br>%{y}<br>%{customdata[1]}<br>"
            "%{customdata[2]} → %{customdata[3]}<br>"
            f"{duration_label} %{{customdata[4]}} wd · phase {phase}<br>"
            "crews: %{customdata[5]}<br>power %{customdata[6]} MW · gate %{customdata[7]}"
            "<br>%{customdata[8]}<extra></extra>"
        )
        color = PHASE_COLORS.get(phase, OTHER_COLOR)
        marker: dict[str, Any] = {"color": color, "line": {"width": 0}}
        if has_status:  # done tasks are hatched
            marker["pattern"] = {
                "shape": ["/" if s == "done" else "" for s in status],
                "fgcolor": "white",
                "fgopacity": 0.7,
                "solidity": 0.35,
            }
        bars.append(
            go.Bar(
                name=phase,
                legendgroup=phase,
                orientation="h",
                y=list(sub["module_id"]),
                base=bases,
                x=lengths,
                customdata=custom,
                hovertemplate=hover,
                marker=marker,
                width=0.62,
            )
        )
    return bars


def _baseline_bars(
    schedule: Schedule, baseline: pd.DataFrame | bool, tasks: pd.DataFrame
) -> list[go.Bar]:
    """Grey ghost bars of a baseline: a baseline tasks table, or (True) the tasks' own
    ``baseline_start_day`` to ``baseline_end_day`` (or their duration), for the modules in
    ``tasks``."""
    if baseline is True:
        if "baseline_start_day" not in tasks:
            return []
        cal = calendar_of(schedule)
        ids, rows, starts, finishes = [], [], [], []
        # the baseline's own end when the schedule has it (a delay changed the duration)
        ends = (
            tasks["baseline_end_day"]
            if "baseline_end_day" in tasks
            else tasks["baseline_start_day"] + tasks["duration"]
        )
        spans = zip(
            tasks["task_id"],
            tasks["module_id"],
            tasks["baseline_start_day"].tolist(),
            ends.tolist(),
            strict=True,
        )
        for task_id, module, first, last in spans:
            b, e = _opt_int(first), _opt_int(last)
            if b is None or e is None:
                continue
            ids.append(task_id)
            rows.append(module)
            starts.append(cal.date_of(b).isoformat())
            finishes.append(cal.finish_date(e, e - b).isoformat())
    elif isinstance(baseline, pd.DataFrame):
        modules = set(tasks["module_id"])
        b = baseline[[_text(m) in modules for m in baseline["module_id"].tolist()]]
        ids, rows = _texts(b["task_id"]), _texts(b["module_id"])
        starts, finishes = _texts(b["start"]), _texts(b["finish"])
    else:
        return []
    if not ids:
        return []
    bases, lengths = _bar_span(starts, finishes)
    return [
        go.Bar(
            name="baseline",
            legendgroup="baseline",
            orientation="h",
            y=rows,
            base=bases,
            x=lengths,
            width=0.9,
            marker={"color": BASELINE_COLOR, "line": {"width": 0}},
            customdata=np.column_stack([ids, starts, finishes]),
            hovertemplate="baseline <b>%{customdata[0]}</b><br>%{customdata[1]} → "
            "%{customdata[2]}<extra></extra>",
        )
    ]


def _supply_markers(schedule: Schedule, sites: list[str], span_days: int) -> list[go.Scatter]:
    """Supply start (▲) and end (▽) markers on each site's ⚡ row, one trace per kind.
    Events that would print over a labelled one get no label of their own; the label
    counts them (``+2 more``) and the hover shows every one."""
    supplies = schedule.supplies
    if supplies is None or supplies.empty:
        return []
    events = []
    for _, s in supplies.iterrows():
        site, kind = _text(s["site"]), _text(s["kind"])
        if site not in sites or kind not in KIND_COLORS:
            continue
        mw = _num(s["mw"])
        frm, until = _text(s.get("from")), _text(s.get("until"))
        name = _text(s.get("name")) or kind
        info = [site, name, kind, _fmt_mw(mw), frm or "-", until or "open end"]
        if frm:
            events.append(
                {
                    "x": frm[:10],
                    "kind": kind,
                    "site": site,
                    "symbol": "triangle-up",
                    "text": f"{name} +{_fmt_mw(mw)} MW",
                    "custom": ["starts", *info],
                }
            )
        if until:
            events.append(
                {
                    "x": until[:10],
                    "kind": kind,
                    "site": site,
                    "symbol": "triangle-down-open",
                    "text": f"{name} ends",
                    "custom": ["ends", *info],
                }
            )
    # room a label takes, in days: ~6 px a character on a plot ~1300 px wide
    days_per_char = 6.0 / 1300 * span_days
    for site in sites:
        labelled: dict[str, Any] | None = None
        for event in sorted((e for e in events if e["site"] == site), key=lambda e: e["x"]):
            day = date.fromisoformat(event["x"])
            room = (len(labelled["text"]) + 12) * days_per_char if labelled else 0
            if labelled is not None and (day - labelled["day"]).days < room:
                labelled["more"] += 1
                event["label"] = ""
            else:
                labelled = event
                event.update(day=day, more=0)
        for event in events:
            if event["site"] == site and "more" in event:
                more = f" (+{event['more']} more)" if event["more"] else ""
                event["label"] = event["text"] + more
    traces = []
    for kind in SUPPLY_KINDS:
        mine = [e for e in events if e["kind"] == kind]
        if not mine:
            continue
        traces.append(
            go.Scatter(
                name=f"{kind} power",
                legendgroup=f"supply-{kind}",
                x=[e["x"] for e in mine],
                y=[_site_row(e["site"]) for e in mine],
                text=[e["label"] for e in mine],
                mode="markers+text",
                textposition="middle right",
                textfont={"size": 10},
                marker={
                    "symbol": [e["symbol"] for e in mine],
                    "size": 12,
                    "color": KIND_COLORS[kind],
                    "line": {"color": "#555", "width": 1},
                },
                customdata=[e["custom"] for e in mine],
                cliponaxis=False,
                hovertemplate="<b>%{customdata[2]}</b> (%{customdata[3]}, %{customdata[1]}) "
                "%{customdata[0]}<br>%{customdata[4]} MW from %{customdata[5]} until "
                "%{customdata[6]}<extra></extra>",
            )
        )
    return traces


def _end_of_day(value: Any) -> str | None:
    d = _iso(value)
    return None if d is None else (d + timedelta(days=1)).isoformat()


def _milestone_traces(milestones: pd.DataFrame) -> list[go.Scatter]:
    """Finish, target and deadline markers on each milestone's row, drawn at the end of
    their day (as the bars are), with late days in the label."""
    if milestones.empty:
        return []
    rows = [_milestone_row(_text(i)) for i in milestones["milestone_id"]]
    finish_x, finish_y, colors, labels, custom = [], [], [], [], []
    target_x, target_y, dead_x, dead_y = [], [], [], []
    late_x: list[str | None] = []
    late_y: list[str | None] = []
    for row, (_, m) in zip(rows, milestones.iterrows(), strict=True):
        done, target = _text(m.get("date")), _text(m.get("target"))
        deadline, late = _text(m.get("deadline")), int(_num(m.get("late_days")))
        status = f"{late} wd late" if late > 0 else ("on time" if target else "")
        missed = bool(deadline and done and done > deadline)
        custom.append(
            [
                _text(m["milestone_id"]),
                done or "-",
                target or "-",
                deadline or "-",
                status or "no target",
                "deadline missed" if missed else "",
            ]
        )
        if done:
            finish_x.append(_end_of_day(done))
            finish_y.append(row)
            colors.append("#d62728" if late > 0 or missed else "#2ca02c")
            labels.append(f"{done} · {status}" if status else done)
        if target:
            target_x.append(_end_of_day(target))
            target_y.append(row)
        if deadline:
            dead_x.append(_end_of_day(deadline))
            dead_y.append(row)
        if target and done and late > 0:
            late_x += [_end_of_day(target), _end_of_day(done), None]
            late_y += [row, row, None]
    hover = (
        "<b>%{customdata[0]}</b><br>finish %{customdata[1]} · target %{customdata[2]}"
        "<br>deadline %{customdata[3]}<br>%{customdata[4]} %{customdata[5]}<extra></extra>"
    )
    traces = []
    if late_x:
        traces.append(
            go.Scatter(
                name="late days",
                legendgroup="milestone",
                x=late_x,
                y=late_y,
                mode="lines",
                line={"color": "#d62728", "width": 3},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    if target_x:
        with_target = [c for c in custom if c[2] != "-"]
        traces.append(
            go.Scatter(
                name="milestone target",
                legendgroup="milestone",
                x=target_x,
                y=target_y,
                mode="markers",
                marker={"symbol": "line-ns", "size": 16, "line": {"color": "#222", "width": 3}},
                customdata=with_target,
                hovertemplate=hover,
            )
        )
    if dead_x:
        with_deadline = [c for c in custom if c[3] != "-"]
        traces.append(
            go.Scatter(
                name="milestone deadline",
                legendgroup="milestone",
                x=dead_x,
                y=dead_y,
                mode="markers",
                marker={"symbol": "x-thin", "size": 12, "line": {"color": "#8b0000", "width": 2}},
                customdata=with_deadline,
                hovertemplate=hover,
            )
        )
    if finish_x:
        with_finish = [c for c in custom if c[1] != "-"]
        traces.append(
            go.Scatter(
                name="milestone finish",
                legendgroup="milestone",
                x=finish_x,
                y=finish_y,
                mode="markers+text",
                text=labels,
                textposition="middle right",
                textfont={"size": 11 if len(milestones) <= 40 else 9},
                cliponaxis=False,
                marker={
                    "symbol": "diamond",
                    "size": 13,
                    "color": colors,
                    "line": {"color": "#222", "width": 1},
                },
                customdata=with_finish,
                hovertemplate=hover,
            )
        )
    return traces


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
    cal = calendar_of(schedule)
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


def gantt(
    schedule: Schedule,
    deployment: str | None = None,
    baseline: pd.DataFrame | bool | None = None,
    *,
    merge_runs: bool = False,
) -> go.Figure:
    """The Gantt chart of a schedule, or of one deployment.

    One row per module, grouped by site (each site's section opens with a ``⚡ site`` row
    of supply start/end markers); milestones on ``◆`` rows on top. Bars are coloured by
    phase, one bar trace per phase. ``baseline``: a baseline tasks table, or True to take
    the ``baseline_start_day`` column of the tasks (replanning), drawn as grey ghost bars
    behind the plan. ``merge_runs``: draw each module's back-to-back tasks of one phase as
    one bar (for very large programs).
    """
    tasks = _tasks(schedule, deployment)
    milestones = _milestones(schedule)
    if deployment is not None:
        if tasks.empty:
            raise ValueError(f"no task of deployment {deployment!r}")
        sites = _unique(tasks["site"])
        milestones = _milestones_for(milestones, deployment, sites[0] if sites else "")
    else:
        sites = _sites(schedule, tasks)
    layout_rows = _layout_rows(tasks, sites)
    shown = _merge_runs(tasks) if merge_runs and not tasks.empty else tasks

    rows = [_milestone_row(_text(i)) for i in milestones.get("milestone_id", [])]
    ticktext = [f"<i>{html.escape(r)}</i>" for r in rows]
    bands, separators = [], []
    for site, deployments, modules in layout_rows:
        first = len(rows)
        rows.append(_site_row(site))
        ticktext.append(f"<b>{html.escape(_site_row(site))}</b>")
        previous_dep = None
        for module in modules:
            dep = module.rsplit("/", 1)[0]
            if previous_dep is not None and dep != previous_dep and len(deployments) > 1:
                separators.append(len(rows) - 0.5)
            previous_dep = dep
            rows.append(module)
            ticktext.append(html.escape(module))
        bands.append((first - 0.5, len(rows) - 0.5))

    traces = [] if baseline is None else _baseline_bars(schedule, baseline, tasks)
    traces += _task_bars(shown, merge_runs)
    if shown.empty:
        span_days = 7
    else:
        first, last = min(shown["start"]), max(shown["finish"])
        span_days = (date.fromisoformat(last[:10]) - date.fromisoformat(first[:10])).days + 1
    traces += _supply_markers(schedule, sites, span_days)
    traces += _milestone_traces(milestones)
    fig = go.Figure(traces)
    x_range = _x_range(traces)

    shapes: list[dict[str, Any]] = []
    for k, (y0, y1) in enumerate(bands):
        shapes.append(
            {
                "type": "rect",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": y0,
                "y1": y1,
                "fillcolor": "#f3f5f9" if k % 2 == 0 else "#ffffff",
                "line": {"width": 0},
                "layer": "below",
            }
        )
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": y0,
                "y1": y0,
                "line": {"color": "#9aa3b5", "width": 1},
            }
        )
    for y in separators:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": y,
                "y1": y,
                "line": {"color": "#d0d5df", "width": 1, "dash": "dot"},
                "layer": "below",
            }
        )
    if len(milestones) <= 15:
        for t in {_end_of_day(v) for v in milestones.get("target", [])} - {None}:
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": t,
                    "x1": t,
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#555", "width": 1, "dash": "dot"},
                    "layer": "below",
                }
            )
    shapes += _off_days(schedule, x_range)
    status_date = _text(schedule.kpis.get("status_date")) if schedule.kpis else ""
    if status_date:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": status_date,
                "x1": status_date,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#d62728", "width": 2},
            }
        )

    n = len(rows)
    row_px = 24 if n <= 40 else 16 if n <= 150 else 11
    height = max(340, 150 + row_px * n)
    if row_px < 16:  # small rows: smaller marker labels, so neighbouring rows stay legible
        fig.update_traces(textfont_size=9, selector=lambda t: t.type == "scatter" and t.text)
    title = schedule.project if deployment is None else f"{deployment} ({', '.join(sites)})"
    fig.update_layout(
        template=TEMPLATE,
        title={
            "text": f"<b>{html.escape(title)}</b>",
            "x": 0.01,
            "yref": "container",
            "y": 1 - 12 / height,
            "yanchor": "top",
        },
        barmode="overlay",
        height=height,
        margin={"l": 10, "r": 10, "t": 110, "b": 40},
        hovermode="closest",
        legend={
            "orientation": "h",
            "yref": "container",
            "yanchor": "top",
            "y": 1 - 40 / height,
            "x": 0.0,
            "xanchor": "left",
        },
        shapes=shapes,
        yaxis={
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
        },
        xaxis={
            "type": "date",
            "side": "top",
            "showgrid": True,
            "gridcolor": "#e3e6ec",
            "automargin": True,
            "range": x_range,
        },
    )
    return fig


# ------------------------------------------------------------------------------ power


def _power_end(schedule: Schedule, tasks: pd.DataFrame) -> int:
    """Last day (exclusive) shown for power: the end of the schedule or one day past the
    last supply change, whichever is later (DESIGN.md, Power)."""
    end = int(tasks["end_day"].max()) if not tasks.empty else 1
    s = schedule.supplies
    if s is not None and not s.empty:
        changes = [_opt_int(v) for v in [*s["from_day"], *s.get("until_day", [])]]
        end = max([end, *(c + 1 for c in changes if c is not None)])
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
    tasks = _tasks(schedule)
    cal = calendar_of(schedule)
    end = _power_end(schedule, tasks)
    days = np.arange(end)
    dates = [cal.date_of(int(d)) for d in days]
    supplies = schedule.supplies if schedule.supplies is not None else pd.DataFrame()
    frames = []
    for site in _sites(schedule, tasks):
        kind_diff = {k: np.zeros(end + 1) for k in SUPPLY_KINDS}
        if not supplies.empty:
            for _, s in supplies[[_text(v) == site for v in supplies["site"]]].iterrows():
                kind = _text(s["kind"])
                if kind not in kind_diff:
                    continue
                start = max(0, _opt_int(s["from_day"]) or 0)
                until = _opt_int(s.get("until_day"))
                until = end if until is None else min(max(until, 0), end)
                if start < until:
                    kind_diff[kind][start] += _num(s["mw"])
                    kind_diff[kind][until] -= _num(s["mw"])
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


def _change_points(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    values = frame[columns].to_numpy()
    if len(values) == 0:
        return np.array([], dtype=int)
    changed = np.any(values[1:] != values[:-1], axis=1)
    return np.concatenate([[0], np.nonzero(changed)[0] + 1])


def power_view(schedule: Schedule) -> go.Figure:
    """Per site (one subplot each), the MW in use against the supplies: stacked step areas
    of permanent, + temporary, + backfeed supply (so each area's top is what a gate of
    that level may use) and load lines for each gate level."""
    table = power_table(schedule)
    cal = calendar_of(schedule)
    sites = _unique(table["site"]) if not table.empty else []
    fig = make_subplots(
        rows=max(1, len(sites)),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06 if len(sites) < 6 else 0.025,
        subplot_titles=[f"<b>{html.escape(s)}</b>" for s in sites] or [""],
    )
    seen: set[str] = set()
    supply_cols = [f"supply_{k}" for k in SUPPLY_KINDS]
    load_cols = [f"load_{g}" for g in LEVEL_NAMES.values()]
    for r, site in enumerate(sites, start=1):
        frame = table[table["site"] == site].reset_index(drop=True)
        idx = _change_points(frame, supply_cols + load_cols)
        end = int(frame["day"].iloc[-1]) + 1
        x = [frame["date"].iloc[i].isoformat() for i in idx] + [cal.date_of(end).isoformat()]

        def pick(col: str, frame: pd.DataFrame = frame, idx: np.ndarray = idx) -> list[float]:
            values = frame[col].to_numpy()[idx]
            return [*values.tolist(), float(values[-1])]

        def legend(name: str) -> bool:
            first = name not in seen
            seen.add(name)
            return first

        fill = "tozeroy"
        for kind in reversed(SUPPLY_KINDS):  # permanent at the bottom
            own = pick(f"supply_{kind}")
            if not any(own):
                continue
            top = pick(f"avail_{LEVEL_NAMES[KIND_LEVEL[kind]]}")
            name = f"{kind} supply"
            fig.add_trace(
                go.Scatter(
                    name=name,
                    legendgroup=name,
                    showlegend=legend(name),
                    x=x,
                    y=top,
                    mode="lines",
                    line={"shape": "hv", "width": 1, "color": KIND_COLORS[kind]},
                    fill=fill,
                    fillcolor=KIND_COLORS[kind],
                    opacity=0.8,
                    meta=site,
                    customdata=own,
                    hovertemplate=f"{kind} supply %{{customdata}} MW<extra>%{{meta}}</extra>",
                ),
                row=r,
                col=1,
            )
            fill = "tonexty"
        styles = {"any": ("solid", 2.5), "temporary": ("dash", 2), "permanent": ("dot", 2)}
        labels = {
            "any": "load (all gated tasks)",
            "temporary": "load needing temporary+",
            "permanent": "load needing permanent",
        }
        for level in LEVEL_NAMES.values():
            y = pick(f"load_{level}")
            if level != "any" and not any(y):
                continue
            name = labels[level]
            fig.add_trace(
                go.Scatter(
                    name=name,
                    legendgroup=name,
                    showlegend=legend(name),
                    x=x,
                    y=y,
                    mode="lines",
                    meta=site,
                    line={
                        "shape": "hv",
                        "color": "#222",
                        "dash": styles[level][0],
                        "width": styles[level][1],
                    },
                    hovertemplate=f"{name} %{{y}} MW<extra>%{{meta}}</extra>",
                ),
                row=r,
                col=1,
            )
        over = np.zeros(len(frame), dtype=bool)
        for level in LEVEL_NAMES.values():
            over |= frame[f"load_{level}"].to_numpy() > frame[f"avail_{level}"].to_numpy() + 1e-9
        if over.any():
            fig.add_trace(
                go.Scatter(
                    name="over supply",
                    legendgroup="over",
                    showlegend=legend("over supply"),
                    x=[d.isoformat() for d in frame["date"][over]],
                    y=frame["load_any"][over].tolist(),
                    mode="markers",
                    meta=site,
                    marker={"symbol": "x", "color": "#d62728", "size": 8},
                    hovertemplate="load over supply %{y} MW<extra>%{meta}</extra>",
                ),
                row=r,
                col=1,
            )
        fig.update_yaxes(title_text="MW", rangemode="tozero", row=r, col=1)
    fig.update_xaxes(type="date", showticklabels=True)
    height = max(360, 110 + 250 * len(sites))
    fig.update_layout(
        template=TEMPLATE,
        title={
            "text": "<b>Power</b>: MW in use against site supply",
            "x": 0.01,
            "yref": "container",
            "y": 1 - 12 / height,
            "yanchor": "top",
        },
        height=height,
        hovermode="x unified",
        legend={
            "orientation": "h",
            "yref": "container",
            "yanchor": "top",
            "x": 0,
            "y": 1 - 40 / height,
        },
        margin={"l": 60, "r": 20, "t": 100, "b": 40},
    )
    return fig


# ------------------------------------------------------------------------------ crews


def _pools(schedule: Schedule) -> list[tuple[str, int | None, str]]:
    p = schedule.pools
    if p is None or p.empty:
        return []
    return [
        (
            _text(row["pool"]),
            _opt_int(row.get("count")),
            _text(row.get("skills")).replace(";", ", "),
        )
        for _, row in p.iterrows()
    ]


def crew_table(schedule: Schedule) -> pd.DataFrame:
    """Busy crews per pool and working day (a crew ``pool#k`` listed in a task's ``crews``
    is busy on the task's days), with the crews the pool has that day (its count, less
    absences or a scenario's shortage)."""
    tasks = _tasks(schedule)
    cal = calendar_of(schedule)
    end = max(1, int(tasks["end_day"].max()) if not tasks.empty else 1)
    pools = _pools(schedule)
    counts = {p: c for p, c, _ in pools}
    diff: dict[str, np.ndarray] = {p: np.zeros(end + 1, dtype=int) for p in counts}
    spans = zip(tasks["crews"], tasks["start_day"], tasks["end_day"], strict=True)
    for crews, start, stop in spans:
        for crew in filter(None, crews.split(";")):
            pool = crew.rsplit("#", 1)[0]
            if pool not in diff:
                diff[pool] = np.zeros(end + 1, dtype=int)
                counts[pool] = None
            diff[pool][min(max(start, 0), end)] += 1
            diff[pool][min(max(stop, 0), end)] -= 1
    dates = [cal.date_of(d) for d in range(end)]
    p = schedule.pools
    windows = (
        dict(zip(p["pool"], p["available"], strict=True))
        if p is not None and "available" in p
        else {}
    )
    frames = [
        pd.DataFrame(
            {
                "pool": pool,
                "day": np.arange(end),
                "date": dates,
                "busy": np.cumsum(d)[:end],
                "count": crews_available(counts[pool], windows.get(pool), end)
                if counts[pool] is not None
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


def resource_view(schedule: Schedule) -> go.Figure:
    """Crews: a heatmap of pool x week, coloured by utilisation (mean busy crews over the
    week's working days / the pool's crews), with the mean and peak in the hover and, on
    small grids, ``peak/count`` written in each cell."""
    weeks = crew_weeks(schedule)
    pools = _unique([p for p, _, _ in _pools(schedule)] + list(weeks["pool"]))
    info = {p: (c, s) for p, c, s in _pools(schedule)}
    all_weeks = sorted(set(weeks["week"]))
    labels = []
    for pool in pools:
        count = info.get(pool, (None, ""))[0]
        labels.append(f"{pool} ({count if count is not None else '?'})")
    z = np.full((len(pools), len(all_weeks)), np.nan)
    custom = np.empty((len(pools), len(all_weeks), 4), dtype=object)
    text = np.full((len(pools), len(all_weeks)), "", dtype=object)
    col = {w: j for j, w in enumerate(all_weeks)}
    row = {p: i for i, p in enumerate(pools)}
    for _, w in weeks.iterrows():
        i, j = row[w["pool"]], col[w["week"]]
        count = "?" if pd.isna(w["count"]) else str(int(w["count"]))
        z[i, j] = w["utilisation"]
        custom[i, j] = [
            f"{w['mean']:.1f}",
            str(int(w["peak"])),
            count,
            info.get(w["pool"], (None, ""))[1] or "-",
        ]
        text[i, j] = f"{int(w['peak'])}/{count}" if w["peak"] else ""
    small = len(all_weeks) <= 40 and len(pools) <= 20
    # cell edges: each week spans Monday to the next Monday
    edges = [w.isoformat() for w in all_weeks]
    if all_weeks:
        edges.append((all_weeks[-1] + timedelta(days=7)).isoformat())
    weekly_ticks = (
        {"tick0": edges[0], "dtick": 7 * MS_PER_DAY, "tickformat": "%b %d"}
        if 0 < len(all_weeks) <= 16
        else {}
    )
    fig = go.Figure(
        go.Heatmap(
            x=edges,
            y=labels,
            z=z,
            zmin=0,
            zmax=1,
            colorscale=[[0, "#f7fbff"], [0.5, "#6baed6"], [0.85, "#2171b5"], [1, "#08306b"]],
            customdata=custom,
            xgap=1,
            ygap=2,
            name="crews",
            text=text if small else None,
            texttemplate="%{text}" if small else None,
            textfont={"size": 10},
            colorbar={
                "title": {"text": "utilisation (avg busy / crews)", "side": "right"},
                "tickformat": ".0%",
            },
            hovertemplate="<b>%{y}</b> week of %{x}<br>busy crews: avg %{customdata[0]}, peak "
            "%{customdata[1]} of %{customdata[2]}<br>utilisation %{z:.0%}<br>skills: "
            "%{customdata[3]}<extra></extra>",
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        title={
            "text": "<b>Crews</b>: busy crews per pool and week (cells: peak / crews in pool)",
            "x": 0.01,
        },
        height=max(260, 140 + 34 * len(pools)),
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"type": "date", "title": "weeks (Monday to Sunday)", **weekly_ticks},
        margin={"l": 10, "r": 10, "t": 60, "b": 50},
    )
    return fig


# ------------------------------------------------------------------------------- html

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;
 color:#1d2433;background:#eef1f6}
header{background:#1d2b4f;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:26px} header .sub{opacity:.8;font-size:14px}
nav{margin-top:10px;font-size:14px} nav a{color:#cfe0ff;margin-right:16px;text-decoration:none}
nav a:hover{text-decoration:underline}
.scroll{max-height:1150px;overflow-y:auto;border:1px solid #e3e6ec;border-radius:6px}
main{padding:16px 28px 40px} section{background:#fff;border-radius:8px;padding:14px 18px;
 margin:0 0 18px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:18px;margin:2px 0 8px} .note{color:#5b6478;font-size:13px;margin:0 0 8px}
.kpis{display:flex;flex-wrap:wrap;gap:12px;background:none;box-shadow:none;padding:0}
.kpi{background:#fff;border-radius:8px;padding:12px 18px;min-width:150px;
 box-shadow:0 1px 3px rgba(0,0,0,.08)}
.kpi .v{font-size:24px;font-weight:600} .kpi .l{font-size:12px;color:#5b6478;
 text-transform:uppercase;letter-spacing:.04em}
.kpi.bad .v{color:#c62828} .kpi.good .v{color:#2e7d32}
table{border-collapse:collapse;font-size:14px} th,td{padding:5px 12px;text-align:left;
 border-bottom:1px solid #e3e6ec} th{color:#5b6478;font-weight:600}
td.late{color:#c62828;font-weight:600} td.ok{color:#2e7d32}
select{font-size:14px;padding:4px 8px;margin:0 8px 8px 0}
"""


def _kpis(schedule: Schedule) -> dict[str, Any]:
    tasks = _tasks(schedule)
    k = dict(schedule.kpis or {})
    if "makespan_days" not in k:
        k["makespan_days"] = int(tasks["end_day"].max()) if not tasks.empty else 0
    if "finish" not in k and not tasks.empty:
        k["finish"] = max(tasks["finish"])
    m = _milestones(schedule)
    if "tardiness_days" not in k:
        k["tardiness_days"] = int(sum(_num(v) for v in m.get("late_days", [])))
    return k


def _milestone_table(schedule: Schedule) -> str:
    m = _milestones(schedule)
    if m.empty:
        return "<p class='note'>No milestones.</p>"
    head = (
        "<tr><th>Milestone</th><th>Finish</th><th>Target</th><th>Late (working days)"
        "</th><th>Deadline</th><th>Weight</th></tr>"
    )
    body = []
    for _, r in m.iterrows():
        late = int(_num(r.get("late_days")))
        done, target = _text(r.get("date")), _text(r.get("target"))
        deadline = _text(r.get("deadline"))
        late_cell = (
            f"<td class='late'>{late}</td>"
            if late > 0
            else f"<td class='ok'>{'0' if target else '-'}</td>"
        )
        missed = bool(deadline and done and done > deadline)
        dead_cell = (
            f"<td class='late'>{deadline} missed</td>" if missed else f"<td>{deadline or '-'}</td>"
        )
        weight = _text(r.get("weight")) or "-"
        body.append(
            f"<tr><td>{html.escape(_text(r['milestone_id']))}</td><td>{done or '-'}</td>"
            f"<td>{target or '-'}</td>{late_cell}{dead_cell}<td>{html.escape(weight)}</td></tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def _fig_json(fig: go.Figure) -> dict[str, Any]:
    data = json.loads(fig.to_json())
    data["layout"].pop("template", None)
    return data


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")


def _div(fig: go.Figure, include_plotlyjs: bool, div_id: str) -> str:
    return pio.to_html(
        fig,
        include_plotlyjs=include_plotlyjs,
        full_html=False,
        config=PLOTLY_CONFIG,
        default_height=f"{int(fig.layout.height or 500)}px",
        div_id=div_id,
    )


def gantt_html(schedule: Schedule, baseline: pd.DataFrame | None = None) -> str:
    """The whole page as a string (see `write_gantt_html`)."""
    tasks = _tasks(schedule)
    k = _kpis(schedule)
    m = _milestones(schedule)
    n_late = int(sum(_num(v) > 0 for v in m.get("late_days", [])))
    with_target = int(sum(bool(_text(v)) for v in m.get("target", [])))
    solver = schedule.solver or {}
    sites = _sites(schedule, tasks)
    modules = _unique(tasks["module_id"])
    merge = len(tasks) > PROGRAM_MERGE_ABOVE

    def card(label: str, value: Any, cls: str = "") -> str:
        return (
            f"<div class='kpi {cls}'><div class='v'>{html.escape(str(value))}</div>"
            f"<div class='l'>{html.escape(label)}</div></div>"
        )

    cards = [
        card("finish", k.get("finish", "-")),
        card("makespan (working days)", k.get("makespan_days", "-")),
        card(
            "milestones late",
            f"{n_late} of {with_target}" if with_target else "-",
            "bad" if n_late else "good",
        ),
        card(
            "late days (sum)",
            k.get("tardiness_days", 0),
            "bad" if _num(k.get("tardiness_days")) > 0 else "good",
        ),
        card("sites · modules · tasks", f"{len(sites)} · {len(modules)} · {len(tasks)}"),
    ]
    solver_text = " ".join(_text(solver.get(key)) for key in ("name", "status")).strip()
    if _text(solver.get("method")):
        solver_text += f" ({_text(solver['method'])})"
    if "objective" in solver:
        solver_text += f" · objective {_text(solver['objective'])}"
    if _text(solver.get("bound")):
        solver_text += f" · bound {_text(solver['bound'])}"
    if _text(solver.get("gap")):
        solver_text += f" · gap {_num(solver['gap']):.1%}"
    if "seconds" in solver:
        solver_text += f" · {_num(solver['seconds']):.1f} s"
    sub = f"Program start {schedule.program_start.isoformat()}" + (
        f" · solver: {solver_text}" if solver_text else ""
    )

    ghost: pd.DataFrame | bool | None = baseline
    if ghost is None and "baseline_start_day" in schedule.tasks:
        ghost = True  # a replanned schedule: ghost its baseline start days
    program = gantt(schedule, baseline=None if merge else ghost, merge_runs=merge)
    program_div = _div(program, True, "program-gantt")
    tall = (program.layout.height or 0) > 1200
    dep_figs: dict[str, Any] = {}
    options = []  # grouped by site, in the Gantt's order
    for site, site_deployments, _ in _layout_rows(tasks, sites):
        options.append(f"<optgroup label='{html.escape(site, quote=True)}'>")
        for dep in site_deployments:
            here = tasks[tasks["deployment"] == dep]
            n_mod = len(_unique(here["module_id"]))
            dep_figs[dep] = _fig_json(gantt(schedule, dep, baseline=ghost))
            plural = "module" if n_mod == 1 else "modules"
            label = f"{dep} ({n_mod} {plural}, {len(here)} tasks)"
            value = html.escape(dep, quote=True)
            options.append(f"<option value='{value}'>{html.escape(label)}</option>")
        options.append("</optgroup>")
    replan_note = (
        (
            " Replanned: in the deployment views below, grey ghost bars are the baseline and"
            " hatched bars are done; the red line is the status date."
            if merge
            else " Replanned: grey ghost bars are the baseline, hatched bars are done, the red line"
            " is the status date."
        )
        if ghost is not None
        else ""
    )
    template = json.loads(to_json_plotly(pio.templates[TEMPLATE].to_plotly_json()))
    merge_note = (
        "Each bar is a run of a module's back-to-back tasks in one phase (the program has "
        f"{len(tasks)} tasks); pick a deployment below to see every task."
        if merge
        else "Every task of the program; one row per module, grouped by site."
    )
    dep_script = f"""<script>
(function(){{
const FIGS = {_script_json(dep_figs)};
const TEMPLATE = {_script_json(template)};
const CONFIG = {_script_json(PLOTLY_CONFIG)};
const sel = document.getElementById('dep-select');
function show(id){{
  const f = FIGS[id]; if(!f) return;
  const layout = Object.assign({{}}, f.layout, {{template: TEMPLATE}});
  const div = document.getElementById('dep-gantt');
  div.style.height = (layout.height || 500) + 'px';
  Plotly.react(div, f.data, layout, CONFIG);
}}
sel.addEventListener('change', function(){{ show(sel.value); }});
if(sel.value) show(sel.value);
}})();
</script>"""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(schedule.project)} · modsched plan</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{html.escape(schedule.project)}</h1>",
        f"<div class='sub'>{html.escape(sub)}</div>",
        "<nav><a href='#milestones'>Milestones</a><a href='#program'>Program Gantt</a>"
        "<a href='#deployment'>Deployment</a><a href='#crews-section'>Crews</a>"
        "<a href='#power-section'>Power</a></nav></header><main>",
        f"<section class='kpis'>{''.join(cards)}</section>",
        f"<section id='milestones'><h2>Milestones</h2>{_milestone_table(schedule)}</section>",
        "<section id='program'><h2>Program Gantt</h2>",
        f"<p class='note'>{html.escape(merge_note)} Bars run from the start date to the end "
        "of the finish date; ⚡ rows show each site's power supplies (▲ start, ▽ end); "
        f"◆ rows show milestones (| target, ✕ deadline).{replan_note}</p>",
        f"<div class='scroll'>{program_div}</div>" if tall else program_div,
        "</section><section id='deployment'><h2>Deployment</h2>",
        "<label for='dep-select'>Deployment:</label> "
        f"<select id='dep-select'>{''.join(options)}</select>",
        "<div id='dep-gantt'></div>",
        dep_script,
        "</section><section id='crews-section'><h2>Crews</h2>",
        _div(resource_view(schedule), False, "crews"),
        "</section><section id='power-section'><h2>Power</h2>",
        "<p class='note'>Stacked areas: permanent, + temporary, + backfeed supply, so the "
        "top of each area is the MW a gate of that level may draw; lines: load of running "
        "and energised tasks at each gate level.</p>",
        _div(power_view(schedule), False, "power"),
        "</section></main></body></html>",
    ]
    return "\n".join(parts)


def write_gantt_html(
    schedule: Schedule, path: str | os.PathLike[str], baseline: pd.DataFrame | None = None
) -> Path:
    """Write the self-contained page (works offline) atomically (`io.write_atomic`).

    ``baseline``: the tasks table of a baseline plan, drawn as grey ghost bars behind the
    Gantt bars; by default a replanned schedule (with ``baseline_start_day``) ghosts its
    own baseline start days.
    """
    target = Path(path)
    page = gantt_html(schedule, baseline)
    write_atomic(target, lambda f: f.write(page))
    return target
