"""What-if: replan several scenarios from one baseline and compare them side by side.

`compare(...)` solves each scenario in its own process and returns one row per scenario
(and the baseline): milestone dates and lateness against the baseline, makespan, weighted
tardiness, crew-days by skill, idle days of the scarcest crew pools, peak power per site
against its supply, moved tasks.
"""

from __future__ import annotations

import contextlib
import ctypes
import html
import multiprocessing
import signal
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from scheduler.instance import pool_of
from scheduler.io import write_frame, write_text
from scheduler.replanning.replan import replan
from scheduler.replanning.status import Unlisted
from scheduler.reports.tables import crews_available, power_table
from scheduler.schedule import Schedule
from scheduler.solvers.budget import SolveOptions

SCARCE_POOLS = 3  # idle days are reported for the pools busiest in the baseline


@dataclass
class ScenarioResult:
    name: str
    schedule: Schedule
    changes: pd.DataFrame


@dataclass
class Comparison:
    baseline: Schedule
    scenarios: list[ScenarioResult]
    table: pd.DataFrame


PR_SET_PDEATHSIG = 1  # linux/prctl.h: the signal a process gets when its parent dies


def _worker_start() -> None:
    """A scenario worker leaves Ctrl-C to the parent (which ends the pool), ends at once
    on SIGTERM (the pool's way to end it; a forked worker would otherwise run the
    parent's handler), and dies with the parent should that be killed outright (SIGKILL
    runs no clean-up)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _replan_one(args: tuple) -> ScenarioResult:
    project, baseline, actuals, scenario, status_date, options, unlisted = args
    out = replan(
        project,
        baseline,
        actuals,
        scenario=scenario,
        status_date=status_date,
        options=options,
        unlisted=unlisted,
    )
    return ScenarioResult(out.scenario, out.schedule, out.changes)


def compare(
    project: str | Path,
    baseline_path: str | Path,
    scenarios: list[str | Path],
    status_date: date | None = None,
    actuals: str | Path | None = None,
    options: SolveOptions | None = None,
    processes: int = 2,
    unlisted: Unlisted = Unlisted.AS_PLANNED,
) -> Comparison:
    """Replan every scenario (in parallel processes) and tabulate them with the baseline."""
    options = options or SolveOptions()
    jobs = [(project, baseline_path, actuals, s, status_date, options, unlisted) for s in scenarios]
    processes = min(processes, len(jobs))  # never a process with no scenario to solve
    if processes > 1:
        # a Pool, not a ProcessPoolExecutor: leaving the block terminates the workers, so
        # Ctrl-C ends every scenario at once (the executor would still run queued ones);
        # the workers ignore SIGINT and leave it to this process
        with multiprocessing.Pool(processes, _worker_start) as pool:
            results = pool.map(_replan_one, jobs, chunksize=1)
    else:
        results = [_replan_one(job) for job in jobs]
    base = load_baseline_schedule(project, baseline_path)
    return Comparison(base, results, comparison_table(base, results))


def load_baseline_schedule(project: str | Path, baseline_path: str | Path) -> Schedule:
    """The baseline as a Schedule, rebuilt from the project and its schedule.json."""
    from scheduler.instance import Solution
    from scheduler.pipeline import load_instance
    from scheduler.replanning.status import read_baseline
    from scheduler.schedule import SolverInfo, build_schedule

    plan, instance, _ = load_instance(project)
    baseline = read_baseline(baseline_path)
    solution = Solution(
        [baseline.starts[t.id] for t in instance.tasks],
        [baseline.crews.get(t.id, ()) for t in instance.tasks],
    )
    solver = SolverInfo(name="baseline", method="", status="-")  # "-": no solve
    return build_schedule(plan.project.program.name, plan.calendar, instance, solution, solver)


def comparison_table(baseline: Schedule, results: list[ScenarioResult]) -> pd.DataFrame:
    scarce = scarce_pools(baseline)
    rows = [metrics("baseline", baseline, None, baseline, scarce)]
    rows += [metrics(r.name, r.schedule, r.changes, baseline, scarce) for r in results]
    return pd.DataFrame(rows)


def metrics(
    name: str,
    schedule: Schedule,
    changes: pd.DataFrame | None,
    baseline: Schedule,
    scarce: list[str],
) -> dict:
    k = schedule.kpis
    row: dict = {
        "scenario": name,
        "status": schedule.solver.status,  # OPTIMAL, FEASIBLE; "-" for the baseline
        "makespan_days": k.makespan_days,
        "finish": k.finish.isoformat(),
        "weighted_tardiness": k.weighted_tardiness,
        "late_days": k.tardiness_days,
        "moved_tasks": 0 if changes is None else int((changes.shift_days != 0).sum()),
    }
    base_days = {m.milestone_id: m.day for m in baseline.milestones}
    for m in schedule.milestones:
        row[f"{m.milestone_id}_date"] = m.date.isoformat() if m.date else ""
        row[f"{m.milestone_id}_late_days"] = m.late_days
        row[f"{m.milestone_id}_vs_baseline_days"] = _days_between(base_days[m.milestone_id], m.day)
    for skill, days in sorted(crew_days_by_skill(schedule).items()):
        row[f"crew_days_{skill}"] = days
    idle = idle_days(schedule)
    for pool in scarce:
        row[f"idle_days_{pool}"] = idle.get(pool, 0)
    for site, (peak, supply) in sorted(peak_power(schedule).items()):
        row[f"peak_mw_{site}"] = round(peak, 3)
        row[f"supply_mw_at_peak_{site}"] = round(supply, 3)
    return row


def _days_between(first: int | None, then: int | None) -> int | None:
    return None if first is None or then is None else then - first


def crew_days_by_skill(schedule: Schedule) -> dict[str, int]:
    days: dict[str, int] = defaultdict(int)
    for task in schedule.tasks:
        for skill, count in task.skills:
            days[skill] += count * task.duration
    return dict(days)


def _busy(schedule: Schedule) -> dict[str, tuple[int, int, int, np.ndarray]]:
    """pool -> (crew-days busy, first day, last end, crews available on each working day:
    the pool's count less absences and a scenario's shortage)."""
    pools = {p.pool: p for p in schedule.pools}
    found: dict[str, tuple[int, int, int]] = {}
    for task in schedule.tasks:
        start, end = task.start_day, task.end_day
        for crew in task.crews:
            pool = pool_of(crew)
            busy, first, last = found.get(pool, (0, start, end))
            found[pool] = (busy + end - start, min(first, start), max(last, end))
    span = max(schedule.kpis.makespan_days, *(e for _, _, e in found.values()), 1)

    def available(pool: str) -> np.ndarray:
        if pool not in pools:
            return np.ones(span, dtype=int)
        return crews_available(pools[pool].count, pools[pool].available, span)

    return {p: (b, f, e, available(p)) for p, (b, f, e) in found.items()}


def idle_days(schedule: Schedule) -> dict[str, int]:
    """Crew-days a pool is paid but idle between its first start and its last finish
    (crews absent or taken away by the scenario are not counted as idle)."""
    return {
        p: max(0, int(days[first:last].sum()) - busy)
        for p, (busy, first, last, days) in _busy(schedule).items()
    }


def scarce_pools(schedule: Schedule) -> list[str]:
    """The pools busiest relative to the crews they have over the program."""
    span = max(schedule.kpis.makespan_days, 1)
    load = {
        p: busy / max(int(days[:span].sum()), 1)
        for p, (busy, _, _, days) in _busy(schedule).items()
    }
    return sorted(load, key=lambda p: (-load[p], p))[:SCARCE_POOLS]


def peak_power(schedule: Schedule) -> dict[str, tuple[float, float]]:
    """site -> (peak MW in use, supply MW of any kind on that day)."""
    table = power_table(schedule)
    found = {}
    for site, group in table.groupby("site"):
        used = group["load_any"].to_numpy()
        at = int(np.argmax(used))
        found[str(site)] = (float(used[at]), float(group["avail_any"].to_numpy()[at]))
    return found


def comparison_html(comparison: Comparison) -> str:
    """A page: the table, bar charts of the headline figures, each scenario's Gantt with
    the baseline as ghost bars."""
    table = comparison.table
    # scenario names and milestone ids are user text: plotly renders tags in labels
    scenarios = [html.escape(str(name), quote=False) for name in table.scenario]
    figures = []
    for column, title in (
        ("weighted_tardiness", "Weighted late days"),
        ("makespan_days", "Makespan (working days)"),
        ("moved_tasks", "Tasks moved"),
    ):
        figure = go.Figure(go.Bar(x=scenarios, y=table[column]))
        figure.update_layout(title=title, height=320, template="plotly_white")
        figures.append(figure)
    late = [c for c in table.columns if c.endswith("_vs_baseline_days")]
    if late:
        names = [html.escape(c.removesuffix("_vs_baseline_days"), quote=False) for c in late]
        heat = go.Figure(
            go.Heatmap(
                z=table[late].to_numpy(), x=names, y=scenarios, zmid=0, colorscale="RdYlGn_r"
            )
        )
        heat.update_layout(
            title="Milestone shift against the baseline (working days)",
            height=200 + 40 * len(table),
            template="plotly_white",
        )
        figures.append(heat)
    parts = [f.to_html(full_html=False, include_plotlyjs=(k == 0)) for k, f in enumerate(figures)]
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>What-if comparison</title>"
        "<style>body{font-family:sans-serif;margin:1.5em} table{border-collapse:collapse;"
        "font-size:12px} td,th{border:1px solid #ccc;padding:3px 6px}</style></head><body>"
        f"<h1>What-if: {html.escape(comparison.baseline.project)}</h1>"
        + table.to_html(index=False, border=0)
        + "".join(parts)
        + "</body></html>"
    )


def write_comparison(comparison: Comparison, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = out / "comparison.csv", out / "comparison.html"
    write_frame(comparison.table, csv_path)
    write_text(html_path, comparison_html(comparison))
    return [csv_path, html_path]
