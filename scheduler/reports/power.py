"""The power figure: per site, the MW in use against the supply of each kind."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from scheduler.reports.style import (
    KIND_COLORS,
    KIND_LEVEL,
    LEVEL_NAMES,
    SUPPLY_KINDS,
    TEMPLATE,
)
from scheduler.reports.tables import power_table, unique
from scheduler.schedule import Schedule


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
    cal = schedule.calendar
    sites = unique(table["site"]) if not table.empty else []
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
                step_line(
                    name,
                    legend(name),
                    x,
                    top,
                    site,
                    {"width": 1, "color": KIND_COLORS[kind]},
                    fill=fill,
                    fillcolor=KIND_COLORS[kind],
                    opacity=0.8,
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
            dash, width = styles[level]
            fig.add_trace(
                step_line(
                    name,
                    legend(name),
                    x,
                    y,
                    site,
                    {"color": "#222", "dash": dash, "width": width},
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
        # room for two lines of date labels (a short plan): drawn once (page.js)
        margin={"l": 60, "r": 20, "t": 100, "b": 48},
    )
    return fig


def step_line(
    name: str, show: bool, x: Any, y: Any, site: str, line: dict[str, Any], **style: Any
) -> go.Scatter:
    """One step-shaped line of a site's power panel (supplies and loads change by day)."""
    return go.Scatter(
        name=name,
        legendgroup=name,
        showlegend=show,
        x=x,
        y=y,
        mode="lines",
        line={"shape": "hv", **line},
        meta=site,
        **style,
    )
