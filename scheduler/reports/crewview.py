"""The crew view: one row per named crew, its tasks coloured by site and its moves
between sites as travel bars of their own (DESIGN.md, Travel).

Which crews: with travel in the project, the named crews of every pool whose crews travel
(the pools of ``kpis.travel``, `Instance.travelling_pools`); without travel, the named
crews of every pool whose crews work at more than one site in the plan (the crews that
would travel if the project had travel). A crew's tasks are taken by start (then in the
plan's order), skipping tasks that work no day; tasks without a site are drawn but place
the crew nowhere, as in `schedule.travel_kpis`. Between two consecutive tasks at
different sites, the travel bar spans the travel days right after the first task's end
(working days ``end_day(a) .. end_day(a) + days - 1``, drawn from the first to the end of
the last of those days, like a task bar); a move of 0 travel days has no bar.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go

from scheduler.instance import pool_of
from scheduler.reports.gantt import _off_days, _x_range, row_axis, top_legend
from scheduler.reports.style import MS_PER_DAY, OTHER_COLOR, TEMPLATE, TRAVEL_COLOR, site_colors
from scheduler.reports.tables import unique
from scheduler.schedule import PoolTravel, Schedule, TaskRow


@dataclass(frozen=True)
class CrewTask:
    """A task of one crew: worked from ``start`` to ``finish`` (the last day worked)."""

    crew: str
    task_id: str
    site: str  # "" for a task without a site
    start: date
    finish: date


@dataclass(frozen=True)
class CrewTravel:
    """A crew's move from ``after`` (at ``from_site``) to ``before`` (at ``to_site``):
    ``days`` working days from working day ``first_day`` (``after``'s end), dated
    ``start`` to ``finish`` (the last travel day)."""

    crew: str
    after: str
    before: str
    from_site: str
    to_site: str
    days: int
    first_day: int
    start: date
    finish: date


@dataclass(frozen=True)
class CrewMoves:
    """The rows of the crew view: ``pools`` shown (in the schedule's order) with their
    ``crews``; their tasks and travels; ``moves`` per pool (moves and travel days, as
    `schedule.travel_kpis` counts them); ``travel``: whether the project has travel."""

    pools: tuple[str, ...]
    crews: tuple[str, ...]
    tasks: tuple[CrewTask, ...]
    travels: tuple[CrewTravel, ...]
    moves: dict[str, PoolTravel]
    travel: bool


def _named_crews(schedule: Schedule, pool: str) -> list[str]:
    count = next((p.count for p in schedule.pools if p.pool == pool), 0)
    named = [f"{pool}#{k}" for k in range(1, count + 1)]
    seen = unique(c for t in schedule.tasks for c in t.crews if pool_of(c) == pool and "#" in c)
    return named + [c for c in seen if c not in named]


def crew_moves(schedule: Schedule) -> CrewMoves:
    """The crews of the crew view, their tasks and travel bars, and moves per pool."""
    worked: dict[str, list[tuple[int, int, TaskRow]]] = {}
    for k, t in enumerate(schedule.tasks):
        if t.duration > 0:
            for crew in t.crews:
                if "#" in crew:
                    worked.setdefault(crew, []).append((t.start_day, k, t))
    has_travel = bool(schedule.kpis.travel) or schedule.travel.most > 0
    pool_order = unique([p.pool for p in schedule.pools] + [pool_of(c) for c in worked])
    at = {c: {t.site for *_, t in spans if t.site} for c, spans in worked.items()}
    if schedule.kpis.travel:  # the travelling pools, as the plan counted them
        chosen = set(schedule.kpis.travel)
    elif has_travel:  # a schedule built without its KPIs: crews at sites travel parts
        travel = schedule.travel
        chosen = {pool_of(c) for c, s in at.items() if any(travel.days(a, b) for a in s for b in s)}
    else:
        chosen = {pool_of(c) for c, s in at.items() if len(s) > 1}
    pools = [p for p in pool_order if p in chosen]
    cal = schedule.calendar
    crews: list[str] = []
    tasks: list[CrewTask] = []
    travels: list[CrewTravel] = []
    counted: dict[str, list[int]] = {p: [0, 0] for p in pools}
    for pool in pools:
        for crew in _named_crews(schedule, pool):
            crews.append(crew)
            spans = [t for *_, t in sorted(worked.get(crew, []), key=lambda s: (s[0], s[1]))]
            tasks += [CrewTask(crew, t.task_id, t.site, t.start, t.finish) for t in spans]
            placed = [t for t in spans if t.site]
            for a, b in itertools.pairwise(placed):
                if a.site == b.site:
                    continue
                days = schedule.travel.days(a.site, b.site)
                counted[pool][0] += 1
                counted[pool][1] += days
                if days > 0:
                    first = a.end_day
                    travels.append(
                        CrewTravel(
                            crew,
                            a.task_id,
                            b.task_id,
                            a.site,
                            b.site,
                            days,
                            first,
                            cal.date_of(first),
                            cal.finish_date(first + days, days),
                        )
                    )
    moves = {p: PoolTravel(*counted[p]) for p in pools}
    if schedule.kpis.travel:  # the plan's own count (schedule.json kpis.travel)
        moves = {p: schedule.kpis.travel.get(p, moves[p]) for p in pools}
    return CrewMoves(tuple(pools), tuple(crews), tuple(tasks), tuple(travels), moves, has_travel)


def moves_text(moves: CrewMoves) -> str:
    """Moves per pool in words: ``cx: 12 moves, 24 travel days · ...``."""

    def one(pool: str, t: PoolTravel) -> str:
        plural = "move" if t.moves == 1 else "moves"
        days = f", {t.travel_days} travel days" if moves.travel else ""
        return f"{pool}: {t.moves} {plural}{days}"

    return " · ".join(one(p, t) for p, t in moves.moves.items())


def _span(start: date, finish: date) -> tuple[str, int]:
    """Bar base (ISO start) and length in ms, from start to the end of finish."""
    return start.isoformat(), ((finish - start).days + 1) * MS_PER_DAY


#: above this many crew tasks the view draws a crew's back-to-back tasks at one site as one
#: bar (drawing a bar costs the browser about 0.3 ms: 7,000 took 2 s, atlas-27), and draws
#: the bars as one SVG path a site (`_as_path`)
CREW_MERGE_ABOVE = 1500

#: the travel bars' outline and hatching colour
TRAVEL_LINE = "#757575"


def merge_stays(tasks: Sequence[CrewTask], is_workday: Callable[[date], bool]) -> list[CrewTask]:
    """Each crew's tasks at one site with no working day free between them, as one task
    (``task_id`` says how many and names the first and last)."""
    out: list[CrewTask] = []
    run: list[CrewTask] = []

    def flush() -> None:
        if not run:
            return
        first, last = run[0], max(run, key=lambda t: t.finish)
        name = (
            first.task_id
            if len(run) == 1
            else f"{len(run)} tasks: {first.task_id} … {run[-1].task_id}"
        )
        out.append(replace(first, task_id=name, finish=last.finish))
        run.clear()

    for task in sorted(tasks, key=lambda t: (t.crew, t.start, t.finish)):
        if run and (
            task.crew != run[0].crew
            or task.site != run[0].site
            or _free_between(run, task, is_workday)
        ):
            flush()
        run.append(task)
    flush()
    return out


def _free_between(run: list[CrewTask], task: CrewTask, is_workday: Callable[[date], bool]) -> bool:
    end = max(t.finish for t in run)
    day = end + timedelta(days=1)
    while day < task.start:
        if is_workday(day):
            return True
        day += timedelta(days=1)
    return False


def _as_path(
    bar: go.Bar, row_of: dict[str, int], width: int
) -> tuple[dict[str, Any], list[go.Scatter]]:
    """A bar trace as one SVG path of strokes ``width`` px thick (a layout shape between
    the grid and the traces; no text, no hatching; travel dark grey), an undrawn trace on
    the middle day of each bar for the hover and a legend entry. Each bar is an SVG
    element of its own, each label a text the browser measures: atlas-27's 2,800 crew bars
    and 930 travel labels took 0.5 s more to draw (Chromium, docs/BENCHMARKS.md, Pages)."""
    path: list[str] = []
    x: list[str] = []
    y: list[str] = []
    custom: list[Any] = []
    for base, length, row, data in zip(bar.base, bar.x, bar.y, bar.customdata, strict=True):
        start, days = date.fromisoformat(base), length // MS_PER_DAY
        path.append(f"M{base},{row_of[row]}H{start + timedelta(days=days)}")
        x.append((start + timedelta(days=days // 2)).isoformat())
        y.append(row)
        custom.append(data)
    color = TRAVEL_LINE if bar.name == "travel" else bar.marker.color
    shape = {
        "type": "path",
        "path": "".join(path),
        "xref": "x",
        "yref": "y",
        "layer": "between",
        "line": {"width": width, "color": color},
    }
    hover = go.Scatter(
        mode="none",
        name=bar.name,
        legendgroup=bar.legendgroup,
        showlegend=False,
        x=x,
        y=y,
        customdata=custom,
        hovertemplate=bar.hovertemplate,
        hoverlabel={"bgcolor": color},
    )
    legend = go.Scatter(
        mode="markers",
        name=bar.name,
        legendgroup=bar.legendgroup,
        x=[None],
        y=[None],
        marker={"symbol": "square", "size": 12, "color": color},
        hoverinfo="skip",
    )
    return shape, [hover, legend]


def crew_view(schedule: Schedule, moves: CrewMoves | None = None) -> go.Figure:
    """One row per named crew (grouped by pool, each pool under a header row with its
    moves), a bar per task coloured by site, a grey hatched bar per travel (over
    `CREW_MERGE_ABOVE` crew tasks: a crew's stay at a site one bar, the bars of a site
    one SVG path, travel grey without hatching or label)."""
    moves = moves if moves is not None else crew_moves(schedule)
    rows: list[str] = []
    ticktext: list[str] = []
    bands: list[tuple[float, float]] = []
    by_pool: dict[str, list[str]] = {}
    for crew in moves.crews:
        by_pool.setdefault(pool_of(crew), []).append(crew)
    for pool in moves.pools:
        first = len(rows)
        t = moves.moves[pool]
        rows.append(f"▸ {pool}")
        label = f"{pool}: {t.moves} moves" + (f", {t.travel_days} d" if moves.travel else "")
        ticktext.append(f"<b>{html.escape(label)}</b>")
        for crew in by_pool.get(pool, []):
            rows.append(crew)
            ticktext.append(html.escape(crew))
        bands.append((first - 0.5, len(rows) - 0.5))

    site_order = unique(t.site for t in moves.tasks)
    colors = site_colors(site_order)
    traces: list[Any] = []
    shown: Sequence[CrewTask] = moves.tasks
    many = len(shown) > CREW_MERGE_ABOVE
    if many:
        shown = merge_stays(shown, schedule.calendar.is_workday)
    for k, site in enumerate([*site_order, ""]):
        mine = [t for t in shown if t.site == site]
        if not mine:
            continue
        spans = [_span(t.start, t.finish) for t in mine]
        traces.append(
            go.Bar(
                name=html.escape(site or "no site"),
                legendgroup=f"site-{k}",
                orientation="h",
                y=[t.crew for t in mine],
                base=[s[0] for s in spans],
                x=[s[1] for s in spans],
                width=0.62,
                marker={"color": colors.get(site, OTHER_COLOR), "line": {"width": 0}},
                customdata=[
                    [
                        html.escape(t.task_id),
                        html.escape(t.site or "no site"),
                        html.escape(t.crew),
                        t.start.isoformat(),
                        t.finish.isoformat(),
                    ]
                    for t in mine
                ],
                hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[2]} at %{customdata[1]}<br>"
                "%{customdata[3]} → %{customdata[4]}<extra></extra>",
            )
        )
    if moves.travels:
        spans = [_span(t.start, t.finish) for t in moves.travels]
        traces.append(
            go.Bar(
                name="travel",
                legendgroup="travel",
                orientation="h",
                y=[t.crew for t in moves.travels],
                base=[s[0] for s in spans],
                x=[s[1] for s in spans],
                width=0.62,
                marker={
                    "color": TRAVEL_COLOR,
                    "line": {"color": TRAVEL_LINE, "width": 1},
                    "pattern": {
                        "shape": "/",
                        "fgcolor": TRAVEL_LINE,
                        "fgopacity": 0.6,
                        "solidity": 0.3,
                    },
                },
                text=[
                    html.escape(f"{t.from_site}→{t.to_site} {t.days}d", quote=False)
                    for t in moves.travels
                ],
                textposition="inside",
                insidetextanchor="middle",
                textfont={"size": 9, "color": "#212121"},
                customdata=[
                    [
                        html.escape(t.from_site),
                        html.escape(t.to_site),
                        t.days,
                        t.start.isoformat(),
                        t.finish.isoformat(),
                        html.escape(t.after),
                        html.escape(t.before),
                        html.escape(t.crew),
                    ]
                    for t in moves.travels
                ],
                hovertemplate="<b>%{customdata[7]} travels %{customdata[0]} → "
                "%{customdata[1]}</b><br>%{customdata[2]} travel days (working days): "
                "%{customdata[3]} → %{customdata[4]}<br>after %{customdata[5]}<br>"
                "before %{customdata[6]}<extra></extra>",
            )
        )
    n = len(rows)
    row_px = 24 if n <= 40 else 18 if n <= 150 else 12
    paths: list[dict[str, Any]] = []
    if many:
        row_of = {row: k for k, row in enumerate(rows)}
        drawn = [_as_path(t, row_of, max(1, round(0.62 * row_px))) for t in traces]
        paths = [shape for shape, _ in drawn]
        traces = [trace for _, pair in drawn for trace in pair]
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
    shapes += _off_days(schedule, x_range) + paths
    height = max(300, 130 + row_px * n)
    legend = top_legend(height)
    if many:  # the bars drawn as paths do not hide with their legend entry
        legend |= {"itemclick": False, "itemdoubleclick": False}
    # the hover of a bar drawn as a path is on its middle day: within 40 px of it
    hover_px = 40 if many else 20
    fig.update_layout(
        template=TEMPLATE,
        title={
            "text": "<b>Crew moves</b>: one row per named crew, tasks coloured by site, "
            + (
                "a crew's back-to-back tasks at one site as one bar, travel grey"
                if many
                else "travel hatched"
            ),
            "x": 0.01,
            "yref": "container",
            "y": 1 - 12 / height,
            "yanchor": "top",
        },
        barmode="overlay",
        height=height,
        # room for two lines of date labels on top (a short plan): drawn once (page.js)
        margin={"l": 10, "r": 10, "t": 112, "b": 30},
        hovermode="closest",
        hoverdistance=hover_px,
        uniformtext={"minsize": 7, "mode": "hide"},  # a label too long for its bar: hover
        legend=legend,
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
