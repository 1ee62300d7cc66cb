"""What a risk run writes: risk.csv, samples.csv, criticality.csv, risk.html (DESIGN.md,
Risk). Tables and figures are pure functions of the run; `write_risk` writes them."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from scheduler.io import write_frame, write_text
from scheduler.risk.run import RiskProblem, SampleResult

QUANTILES = (10, 50, 80, 90)
TORNADO_INPUTS = 10  # inputs shown per milestone


@dataclass(frozen=True)
class RiskRun:
    problem: RiskProblem
    samples: list[SampleResult]  # in sample order, those done
    asked: int
    baseline: tuple[int, ...]  # the baseline's day of each point

    @property
    def planned(self) -> list[SampleResult]:
        """The samples that found a plan."""
        return [s for s in self.samples if s.days is not None]

    def days(self) -> np.ndarray:
        """Samples x points: each point's day in each sample that found a plan."""
        rows = [s.days for s in self.planned]
        return np.array(rows, dtype=np.int64).reshape(len(rows), len(self.problem.points))

    def targets(self) -> list[int | None]:
        return [m.target for m in self.problem.instance.milestones] + [None]


def _date(run: RiskRun, day: float | int) -> str:
    return run.problem.calendar.iso_of(int(day))


def risk_table(run: RiskRun) -> pd.DataFrame:
    """risk.csv: each milestone, then the finish (dates; ``prob_on_time`` a share)."""
    days = run.days()
    rows = []
    for p, (point, target) in enumerate(zip(run.problem.points, run.targets(), strict=True)):
        column = days[:, p]
        row: dict[str, object] = {
            "milestone": point,
            "target": "" if target is None else _date(run, target),
        }
        for q in QUANTILES:
            row[f"p{q}"] = (
                _date(run, np.percentile(column, q, method="inverted_cdf")) if len(column) else ""
            )
        row["mean"] = _date(run, round(float(column.mean()))) if len(column) else ""
        on_time = (
            "" if target is None or not len(column) else round(float((column <= target).mean()), 4)
        )
        row["prob_on_time"] = on_time
        row["baseline"] = _date(run, run.baseline[p])
        row["samples"] = len(column)
        rows.append(row)
    return pd.DataFrame(rows)


def samples_table(run: RiskRun) -> pd.DataFrame:
    """samples.csv: one row per sample and point; a sample with no plan has no date."""
    rows = []
    targets = run.targets()
    for s in run.samples:
        for p, point in enumerate(run.problem.points):
            day = None if s.days is None else s.days[p]
            late = "" if day is None or targets[p] is None else max(0, day - targets[p])  # type: ignore[operator]
            rows.append(
                {
                    "sample": s.sample,
                    "milestone": point,
                    "date": "" if day is None else _date(run, day),
                    "day": "" if day is None else day,
                    "late_days": late,
                    "repeatable": s.repeatable,
                }
            )
    columns = ["sample", "milestone", "date", "day", "late_days", "repeatable"]
    return pd.DataFrame(rows, columns=columns)


def criticality_table(run: RiskRun) -> pd.DataFrame:
    """criticality.csv: per task, the share of samples in which it is on the driving
    chain of a late milestone; most critical first, then in task order."""
    counts = np.zeros(run.problem.instance.num_tasks, dtype=np.int64)
    for s in run.planned:
        counts[list(s.critical)] += 1
    total = max(1, len(run.planned))
    order = sorted(range(len(counts)), key=lambda i: (-counts[i], i))
    tasks = run.problem.instance.tasks
    return pd.DataFrame(
        {
            "task_id": [tasks[i].id for i in order],
            "criticality": [round(counts[i] / total, 4) for i in order],
            "critical_samples": [int(counts[i]) for i in order],
        }
    )


def tornado_table(run: RiskRun) -> pd.DataFrame:
    """Per point, the inputs whose draws move its date most: Spearman's rank correlation
    of an input's values with the point's days across samples (the sensitivity schedule
    risk tools draw as a tornado); inputs that never vary are left out."""
    planned = run.planned
    names = run.problem.uncertainty.names
    if len(planned) < 3 or not names:
        return pd.DataFrame(columns=["milestone", "input", "rank_correlation"])
    values = np.array([s.values for s in planned])
    days = run.days()
    varying = [n for n in range(values.shape[1]) if np.ptp(values[:, n]) > 0]
    ranks = _ranks(values[:, varying]) if varying else np.empty((len(planned), 0))
    rows = []
    for p, point in enumerate(run.problem.points):
        if np.ptp(days[:, p]) == 0:
            continue
        target = _ranks(days[:, p : p + 1])[:, 0]
        rhos = [float(np.corrcoef(ranks[:, k], target)[0, 1]) for k in range(len(varying))]
        best = sorted(range(len(varying)), key=lambda k: -abs(rhos[k]))[:TORNADO_INPUTS]
        rows += [
            {"milestone": point, "input": names[varying[k]], "rank_correlation": round(rhos[k], 4)}
            for k in best
        ]
    return pd.DataFrame(rows, columns=["milestone", "input", "rank_correlation"])


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks of each column (ties share their mean rank)."""
    frame = pd.DataFrame(values)
    return frame.rank(method="average").to_numpy()


# ----------------------------------------------------------------------------- page


def distribution_figure(run: RiskRun) -> go.Figure:
    """Each point's dates across samples (a histogram each) with its target and P80."""
    fig = go.Figure()
    days = run.days()
    for p, point in enumerate(run.problem.points):
        dates = [_date(run, d) for d in days[:, p]]
        fig.add_trace(go.Histogram(x=dates, name=point, opacity=0.6, hovertemplate="%{x}: %{y}"))
    for target in run.targets():
        if target is not None:
            fig.add_vline(x=_date(run, target), line_dash="dot", line_color="grey")
    fig.update_layout(
        title="Milestone dates across samples (dotted: targets)", barmode="overlay", height=450
    )
    return fig


def s_curve_figure(run: RiskRun) -> go.Figure:
    """The program finish: the share of samples finished by each date."""
    finish = np.sort(run.days()[:, -1])
    share = np.arange(1, len(finish) + 1) / max(1, len(finish))
    fig = go.Figure(
        go.Scatter(
            x=[_date(run, d) for d in finish], y=share, mode="lines", line_shape="hv", name="finish"
        )
    )
    fig.add_vline(x=_date(run, run.baseline[-1]), line_dash="dot", line_color="grey")
    fig.update_layout(
        title="Program finish: probability of finishing by a date (dotted: baseline)",
        yaxis_tickformat=".0%",
        height=400,
    )
    return fig


def tornado_figure(table: pd.DataFrame, point: str) -> go.Figure:
    rows = table[table["milestone"] == point].iloc[::-1]
    fig = go.Figure(
        go.Bar(x=rows["rank_correlation"], y=rows["input"], orientation="h", name=point)
    )
    fig.update_layout(
        title=f"{point}: inputs that move it most (rank correlation)",
        xaxis_range=[-1, 1],
        height=120 + 28 * len(rows),
        margin={"l": 320},
    )
    return fig


def risk_html(run: RiskRun) -> str:
    """The risk page, in the shell of the other pages (`reports.page.html_page`): each
    milestone's dates at P10-P90 against the plan, then the distribution, the S-curves and
    a tornado of the inputs that move each milestone most."""
    from scheduler.reports.page import html_page, lazy_figure

    risk = risk_table(run)
    tornado = tornado_table(run)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in risk.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in risk.itertuples(index=False)
    )
    p = run.problem
    summary = (
        f"{len(run.planned)} of {run.asked} samples planned ({p.mode} mode, seed {p.seed}); "
        f"{len(run.samples) - len(run.planned)} found no plan"
    )
    header = (
        f"<h1>{html.escape(p.name)}: schedule risk</h1>"
        f"<div class='sub'>{html.escape(summary)}</div>"
        "<nav><a href='#dates'>Dates</a><a href='#distribution'>Distribution</a>"
        "<a href='#drivers'>Drivers</a></nav>"
    )
    tornados = "".join(
        lazy_figure(tornado_figure(tornado, m), f"tornado-{k}")
        for k, m in enumerate(dict.fromkeys(tornado["milestone"]))
    )
    main = (
        "<section id='dates'><h2>Milestone dates</h2>"
        f"<table class='t'><tr>{head}</tr>{body}</table></section>"
        "<section id='distribution'><h2>Distribution</h2>"
        f"{lazy_figure(distribution_figure(run), 'distribution')}"
        f"{lazy_figure(s_curve_figure(run), 's-curve')}</section>"
        "<section id='drivers'><h2>Drivers</h2>"
        + (tornados or "<p class='note'>No uncertain input moved a milestone.</p>")
        + "</section>"
    )
    return html_page(f"{p.name}: risk", header, main)


def write_risk(run: RiskRun, out: Path) -> list[Path]:
    paths = [out / n for n in ("risk.csv", "samples.csv", "criticality.csv", "risk.html")]
    write_frame(risk_table(run), paths[0])
    write_frame(samples_table(run), paths[1])
    write_frame(criticality_table(run), paths[2])
    write_text(paths[3], risk_html(run))
    return paths
