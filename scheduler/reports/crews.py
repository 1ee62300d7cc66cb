"""The crews figure: busy crews per pool and week against each pool's crews (heatmap)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from scheduler.reports.style import MS_PER_DAY, TEMPLATE
from scheduler.reports.tables import crew_weeks, unique
from scheduler.schedule import Schedule


def resource_view(schedule: Schedule) -> go.Figure:
    """Crews: a heatmap of pool x week, coloured by utilisation (mean busy crews over the
    week's working days / the pool's crews), with the mean and peak in the hover and, on
    small grids, ``peak/count`` written in each cell."""
    weeks = crew_weeks(schedule)
    pools = unique([p.pool for p in schedule.pools] + list(weeks["pool"]))
    info: dict[str, tuple[int | None, str]] = {
        p.pool: (p.count, ", ".join(p.skills)) for p in schedule.pools
    }
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
        crews = "?" if pd.isna(w["count"]) else str(int(w["count"]))
        z[i, j] = w["utilisation"]
        custom[i, j] = [
            f"{w['mean']:.1f}",
            str(int(w["peak"])),
            crews,
            info.get(w["pool"], (None, ""))[1] or "-",
        ]
        text[i, j] = f"{int(w['peak'])}/{crews}" if w["peak"] else ""
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
                "title": {"text": "utilisation (mean busy / crews)", "side": "right"},
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
            "text": "<b>Crews</b> per pool and week: colour = utilisation (mean busy crews / "
            "crews available)" + ("; number = peak busy / crews available" if small else ""),
            "x": 0.01,
        },
        height=max(260, 140 + 34 * len(pools)),
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"type": "date", "title": "weeks (Monday to Sunday)", **weekly_ticks},
        margin={"l": 10, "r": 10, "t": 60, "b": 60},  # room for the x title: one draw
    )
    return fig
