"""The Gantt figure of a `Schedule`.

One row per module (y = ``module_id``), grouped by site; each site section opens with a
``⚡ site`` row holding its power supplies (start and end dates); milestones sit in ``◆``
rows on top (finish, target, deadline, late days). Bars are coloured by ``phase`` with one
bar trace per phase, so 10,000 tasks stay a handful of traces. A task bar runs from
``start`` to ``finish`` + 1 calendar day (``finish`` is the last day worked).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from scheduler.instance import LARGE_PROGRAM_TASKS, PHASES
from scheduler.reports.style import (
    BASELINE_COLOR,
    KIND_COLORS,
    MS_PER_DAY,
    OTHER_COLOR,
    OTHER_PHASE,
    PHASE_COLORS,
    SUPPLY_KINDS,
    TEMPLATE,
    fmt_mw,
)
from scheduler.reports.tables import layout_rows, sites, task_frame, unique
from scheduler.reports.tables import merge_runs as merge_runs_of
from scheduler.schedule import MilestoneRow, Schedule, TaskRow

#: above this many tasks the page's program Gantt merges each module's back-to-back tasks
#: of one phase into one bar (the per-deployment views always show every task)
PROGRAM_MERGE_ABOVE = LARGE_PROGRAM_TASKS  # the windows size: such programs merge runs

#: the outline of a task on a late milestone's driving chain
CHAIN_COLOR = "#d62728"

#: a baseline to ghost behind the plan: its task rows, or True for the rows' own baseline
#: days (a replan)
Ghost = Sequence[TaskRow] | bool | None


def site_row(site: str) -> str:
    return f"⚡ {site}"


def milestone_row(milestone_id: str) -> str:
    return f"◆ {milestone_id}"


def _bar_span(starts: Iterable[str], finishes: Iterable[str]) -> tuple[list[str], list[int]]:
    """Bar bases (ISO start) and lengths in ms, from start to finish + 1 day."""
    bases, lengths = [], []
    for s, f in zip(starts, finishes, strict=True):
        d0, d1 = date.fromisoformat(s[:10]), date.fromisoformat(f[:10])
        bases.append(d0.isoformat())
        lengths.append(((d1 - d0).days + 1) * MS_PER_DAY)
    return bases, lengths


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
            sub = sub.iloc[np.argsort([v == "done" for v in sub["status"]], kind="stable")]
        bases, lengths = _bar_span(sub["start"], sub["finish"])
        status = list(sub["status"]) if has_status else [""] * len(sub)
        if has_shift:
            shift = [
                "" if b is None or b != b else f"{s - int(b):+d} wd vs baseline"
                for s, b in zip(sub["start_day"], sub["baseline_start_day"], strict=True)
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
                [", ".join(c) or "-" for c in sub["crews"]],
                [fmt_mw(p) for p in sub["power_mw"]],
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


def _baseline_bars(schedule: Schedule, baseline: Ghost, tasks: pd.DataFrame) -> list[go.Bar]:
    """Grey ghost bars of a baseline: a baseline's task rows, or (True) the tasks' own
    ``baseline_start_day`` to ``baseline_end_day`` (or their duration), for the modules in
    ``tasks``."""
    ids: list[str] = []
    rows: list[str] = []
    starts: list[str] = []
    finishes: list[str] = []
    if baseline is True:
        if "baseline_start_day" not in tasks:
            return []
        cal = schedule.calendar
        # the baseline's own end when the schedule has it (a delay changed the duration)
        spans = zip(
            tasks["task_id"],
            tasks["module_id"],
            tasks["baseline_start_day"].tolist(),
            tasks["baseline_end_day"].tolist(),
            tasks["duration"].tolist(),
            strict=True,
        )
        for task_id, module, first, last, duration in spans:
            if first is None or first != first:  # None, or NaN in a column with gaps
                continue
            b = int(first)
            e = b + duration if last is None or last != last else int(last)
            ids.append(task_id)
            rows.append(module)
            starts.append(cal.date_of(b).isoformat())
            finishes.append(cal.finish_date(e, e - b).isoformat())
    elif baseline:
        modules = set(tasks["module_id"])
        for t in baseline:
            if t.module_id in modules:
                ids.append(t.task_id)
                rows.append(t.module_id)
                starts.append(t.start.isoformat())
                finishes.append(t.finish.isoformat())
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


def why_chains(schedule: Schedule) -> dict[str, list[tuple[str, str]]]:
    """Task id -> [(late milestone, the task's driver on its chain)] for every task on the
    why-chain of a late milestone."""
    found: dict[str, list[tuple[str, str]]] = {}
    for m in schedule.milestones:
        for step in m.why:
            found.setdefault(step.task, []).append((m.milestone_id, step.cause or step.kind))
    return found


def _chain_bars(schedule: Schedule, tasks: pd.DataFrame) -> list[go.Bar]:
    """Red outlines over the tasks on a late milestone's why-chain (its driving path)."""
    chains = why_chains(schedule)
    sub = tasks[[t in chains for t in tasks["task_id"]]] if len(tasks) else tasks
    if sub.empty:
        return []
    bases, lengths = _bar_span(sub["start"], sub["finish"])
    text = [
        "<br>".join(
            f"{html.escape(m, quote=False)}: waits for {html.escape(c, quote=False)}"
            for m, c in chains[t]
        )
        for t in sub["task_id"]
    ]
    return [
        go.Bar(
            name="why late: driving chain",
            legendgroup="why",
            orientation="h",
            y=list(sub["module_id"]),
            base=bases,
            x=lengths,
            width=0.86,
            marker={"color": "rgba(0,0,0,0)", "line": {"color": CHAIN_COLOR, "width": 3}},
            customdata=np.column_stack([sub["task_id"], text]),
            hovertemplate="<b>%{customdata[0]}</b> on the chain of<br>%{customdata[1]}"
            "<extra>why late</extra>",
        )
    ]


def _supply_markers(schedule: Schedule, sites: list[str], span_days: int) -> list[go.Scatter]:
    """Supply start (▲) and end (▽) markers on each site's ⚡ row, one trace per kind.
    Events that would print over a labelled one get no label of their own; the label
    counts them (``+2 more``) and the hover shows every one."""
    events: list[dict[str, Any]] = []
    for s in schedule.supplies:
        site, kind = s.site, s.kind
        if site not in sites or kind not in KIND_COLORS:
            continue
        mw = s.mw
        frm = s.from_date.isoformat()
        until = s.until_date.isoformat() if s.until_date is not None else ""
        # user text: plotly renders <a>, <b>, <br> in labels and hovers, so it is escaped
        name = html.escape(s.name or kind, quote=False)
        info = [html.escape(site, quote=False), name, kind, fmt_mw(mw), frm, until or "open end"]
        ends = [(until, "triangle-down-open", f"{name} ends", "ends")] if until else []
        for when, symbol, text, what in [
            (frm, "triangle-up", f"{name} +{fmt_mw(mw)} MW", "starts"),
            *ends,
        ]:
            events.append(
                {
                    "x": when[:10],
                    "kind": kind,
                    "site": site,
                    "symbol": symbol,
                    "text": text,
                    "custom": [what, *info],
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
                y=[site_row(e["site"]) for e in mine],
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


def _end_of_day(day: date) -> str:
    return (day + timedelta(days=1)).isoformat()


def _milestone_traces(milestones: Sequence[MilestoneRow]) -> list[go.Scatter]:
    """Finish, target and deadline markers on each milestone's row, drawn at the end of
    their day (as the bars are), with late days in the label."""
    if not milestones:
        return []
    finish_x, finish_y, colors, labels, custom = [], [], [], [], []
    target_x, target_y, dead_x, dead_y = [], [], [], []
    late_x: list[str | None] = []
    late_y: list[str | None] = []
    for m in milestones:
        row = milestone_row(m.milestone_id)
        done, target, deadline, late = m.date, m.target, m.deadline, m.late_days
        status = f"{late} wd late" if late > 0 else ("on time" if target else "")
        missed = bool(deadline and done and done > deadline)
        custom.append(
            [
                m.milestone_id,
                done.isoformat() if done else "-",
                target.isoformat() if target else "-",
                deadline.isoformat() if deadline else "-",
                status or "no target",
                "deadline missed" if missed else "",
            ]
        )
        if done:
            finish_x.append(_end_of_day(done))
            finish_y.append(row)
            colors.append("#d62728" if late > 0 or missed else "#2ca02c")
            labels.append(f"{done} · {status}" if status else done.isoformat())
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

    def scatter(name: str, x: list, y: list, mode: str, **style: Any) -> go.Scatter:
        return go.Scatter(name=name, legendgroup="milestone", x=x, y=y, mode=mode, **style)

    traces = []
    if late_x:
        line = {"color": "#d62728", "width": 3}
        traces.append(
            scatter(
                "late days", late_x, late_y, "lines", line=line, hoverinfo="skip", showlegend=False
            )
        )
    markers = (  # (name, x, y, which date the hover must have, marker)
        ("target", target_x, target_y, 2, ("line-ns", 16, "#222", 3)),
        ("deadline", dead_x, dead_y, 3, ("x-thin", 12, "#8b0000", 2)),
    )
    for name, xs, ys, column, (symbol, size, color, width) in markers:
        if xs:
            marker = {"symbol": symbol, "size": size, "line": {"color": color, "width": width}}
            shown = [c for c in custom if c[column] != "-"]
            traces.append(
                scatter(
                    f"milestone {name}",
                    xs,
                    ys,
                    "markers",
                    marker=marker,
                    customdata=shown,
                    hovertemplate=hover,
                )
            )
    if finish_x:
        marker = {
            "symbol": "diamond",
            "size": 13,
            "color": colors,
            "line": {"color": "#222", "width": 1},
        }
        traces.append(
            scatter(
                "milestone finish",
                finish_x,
                finish_y,
                "markers+text",
                text=labels,
                textposition="middle right",
                textfont={"size": 11 if len(milestones) <= 40 else 9},
                cliponaxis=False,
                marker=marker,
                customdata=[c for c in custom if c[1] != "-"],
                hovertemplate=hover,
            )
        )
    return traces


def _rule(y: float, line: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A horizontal line across the whole plot at row position ``y``."""
    return {
        "type": "line",
        "xref": "paper",
        "yref": "y",
        "x0": 0,
        "x1": 1,
        "y0": y,
        "y1": y,
        "line": line,
        **extra,
    }


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
    }


def gantt(
    schedule: Schedule,
    deployment: str | None = None,
    baseline: Ghost = None,
    *,
    merge_runs: bool = False,
) -> go.Figure:
    """The Gantt chart of a schedule, or of one deployment.

    One row per module, grouped by site (each site's section opens with a ``⚡ site`` row
    of supply start/end markers); milestones on ``◆`` rows on top. Bars are coloured by
    phase, one bar trace per phase. ``baseline``: a baseline's task rows, or True to take
    the rows' own ``baseline_start_day`` (replanning), drawn as grey ghost bars
    behind the plan. ``merge_runs``: draw each module's back-to-back tasks of one phase as
    one bar (for very large programs).
    """
    tasks = task_frame(schedule.tasks, deployment)
    milestones: Sequence[MilestoneRow] = schedule.milestones
    if deployment is not None:
        if tasks.empty:
            raise ValueError(f"no task of deployment {deployment!r}")
        shown_sites = unique(tasks["site"])
        site = shown_sites[0] if shown_sites else ""
        milestones = milestones_for(milestones, deployment, site)
    else:
        shown_sites = sites(schedule, tasks)
    sections = layout_rows(tasks, shown_sites)
    shown = merge_runs_of(tasks) if merge_runs and not tasks.empty else tasks

    rows = [milestone_row(m.milestone_id) for m in milestones]
    ticktext = [f"<i>{html.escape(r)}</i>" for r in rows]
    bands, separators = [], []
    for site, deployments, modules in sections:
        first = len(rows)
        rows.append(site_row(site))
        ticktext.append(f"<b>{html.escape(site_row(site))}</b>")
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
    if not merge_runs:
        traces += _chain_bars(schedule, shown)
    if shown.empty:
        span_days = 7
    else:
        first, last = min(shown["start"]), max(shown["finish"])
        span_days = (date.fromisoformat(last[:10]) - date.fromisoformat(first[:10])).days + 1
    traces += _supply_markers(schedule, shown_sites, span_days)
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
        shapes.append(_rule(y0, {"color": "#9aa3b5", "width": 1}))
    for y in separators:
        shapes.append(_rule(y, {"color": "#d0d5df", "width": 1, "dash": "dot"}, layer="below"))
    if len(milestones) <= 15:
        # sorted: a set's order follows string hashing, which changes from run to run
        for t in sorted({_end_of_day(m.target) for m in milestones if m.target is not None}):
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
    if schedule.kpis.status_date is not None:
        status_date = schedule.kpis.status_date.isoformat()
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
    title = schedule.project if deployment is None else f"{deployment} ({', '.join(shown_sites)})"
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
        legend=top_legend(height),
        shapes=shapes,
        yaxis=row_axis(rows, ticktext),
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
