"""What-if: replan several scenarios from one baseline and compare them side by side.

`compare(...)` solves each scenario in its own process and returns one row per scenario
(and the baseline): milestone dates and lateness against the baseline, makespan, weighted
tardiness, crew-days by skill, idle days of the scarcest crew pools, peak power per site
against its supply, moved tasks.
"""

from __future__ import annotations

import html
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from scheduler.errors import Infeasible, InputError, Problem
from scheduler.instance import pool_of
from scheduler.io import write_frame, write_text
from scheduler.output import OUTPUT_FILES
from scheduler.pipeline import finishing_seconds
from scheduler.replanning.replan import replan
from scheduler.replanning.status import Unlisted
from scheduler.reports.tables import crews_available, power_table
from scheduler.schedule import Schedule
from scheduler.solvers.budget import SolveOptions, Stop, raise_if_interrupted
from scheduler.workers import WorkerDied, fork_map

SCARCE_POOLS = 3  # idle days are reported for the pools busiest in the baseline
MIN_SCENARIO_SECONDS = 0.1  # a scenario's share of --time-limit, at least (the option's floor)


@dataclass
class ScenarioResult:
    name: str
    schedule: Schedule
    changes: pd.DataFrame
    folder: str = ""  # its files' folder in the what-if's DIR (the scenario file's stem)


@dataclass
class Comparison:
    baseline: Schedule
    scenarios: list[ScenarioResult]
    table: pd.DataFrame


def _replan_one(args: tuple) -> ScenarioResult:
    """One scenario's replan; a scenario with no plan says which it is (the what-if
    compares whole scenarios only, so it ends there)."""
    project, baseline, actuals, scenario, status_date, options, unlisted = args
    try:
        out = replan(
            project,
            baseline,
            actuals,
            scenario=scenario,
            status_date=status_date,
            options=options,
            unlisted=unlisted,
        )
    except Infeasible as error:
        raise type(error)([f"scenario {scenario}:", *error.reasons]) from None
    return ScenarioResult(out.scenario, out.schedule, out.changes, Path(scenario).stem)


def compare(
    project: str | Path,
    baseline_path: str | Path,
    scenarios: list[str | Path],
    status_date: date | None = None,
    actuals: str | Path | None = None,
    options: SolveOptions | None = None,
    processes: int = 2,
    unlisted: Unlisted = Unlisted.AS_PLANNED,
    dask: str | None = None,
    started: float | None = None,
    stop: Stop | None = None,
) -> Comparison:
    """Replan every scenario (in parallel processes, or on the Dask cluster at ``dask``)
    and tabulate them with the baseline. Every scenario is checked against the project
    first (`check_scenarios`): a bad one stops the what-if before any solve. Locally the
    time limit is the whole what-if's: the scenarios run ``processes`` at a time, so each
    has the time left over the rounds that takes, counted from ``started`` (the command's
    start, a `time.perf_counter` reading) or from the call, less `finishing_seconds` a
    scenario for writing its files here; on a cluster, whose size is its own, each has
    the whole limit. ``stop`` (a `Stop` set: Ctrl-C, SIGTERM) ends the what-if:
    `Interrupted`."""
    options = options or SolveOptions()
    started = time.perf_counter() if started is None else started
    _, tasks = check_scenarios(project, scenarios, status_date)
    processes = min(processes, len(scenarios))  # never a process with no scenario to solve
    if dask is None:  # --time-limit bounds the whole what-if: shared by the rounds
        rounds = max(1, -(-len(scenarios) // max(1, processes)))
        left = options.time_limit - (time.perf_counter() - started)
        left -= finishing_seconds(tasks) * len(scenarios)
        options = replace(options, time_limit=max(MIN_SCENARIO_SECONDS, left / rounds))
    jobs = [(project, baseline_path, actuals, s, status_date, options, unlisted) for s in scenarios]
    if dask is not None:
        results = _on_cluster(dask, jobs)
    elif processes > 1:
        # a process a scenario (Ctrl-C ends them all at once; one killed outright is
        # reported, not waited for: `workers.fork_map`)
        try:
            results = fork_map(_replan_one, jobs, processes, stop)
        except WorkerDied as exc:
            raise WorkerDied(
                f"{scenarios[exc.index]}: the process that replanned this scenario ended"
                " with no result (killed, or out of memory); nothing written",
                exc.index,
            ) from None
    else:
        results = []
        for job in jobs:
            raise_if_interrupted(stop)
            results.append(_replan_one(job))
        raise_if_interrupted(stop)
    base = load_baseline_schedule(project, baseline_path)
    return Comparison(base, results, comparison_table(base, results))


def _on_cluster(address: str, jobs: list[tuple]) -> list[ScenarioResult]:
    """Each scenario a task on the Dask cluster at ``address`` (issue 25); a scenario
    whose worker is lost is run again by the scheduler."""
    from scheduler.risk.executors import connect

    with connect(address) as client:
        return client.gather(client.map(_replan_one, jobs, pure=False))  # type: ignore[no-any-return]


def check_scenarios(
    project: str | Path, scenarios: list[str | Path], status_date: date | None
) -> tuple[dict[str, date], int]:
    """Apply every scenario to the project (unknown ids, bad dates, a missing status date:
    each problem of each scenario, at once); each scenario's status date (the command's,
    else its own), and the project's task count. Scenarios of different status dates are
    compared, and flagged so (`status_dates_text`)."""
    from scheduler.pipeline import load_instance
    from scheduler.replanning.scenario import apply_scenario, check_scenario_file

    plan, instance, _ = load_instance(project)
    problems: list[Problem] = []
    dates: dict[str, date | None] = {}
    folders: dict[str, str] = {}
    for path in scenarios:
        spec, document, broken = check_scenario_file(path)
        problems += broken
        if spec is None or document is None:
            continue
        try:
            apply_scenario(instance, spec, document, plan.calendar)
        except InputError as error:
            problems += error.problems
            continue
        if broken:
            continue
        dates[str(path)] = status_date or spec.status_date
        stem = Path(path).stem
        if stem in OUTPUT_FILES:  # its folder would take the place of a file of the run
            problems.append(
                Problem(str(path), "", f"its files would go to DIR/{stem}/: rename the file")
            )
        elif stem.strip(".") == "":  # '...yaml' is '..': DIR/../, beside DIR or in it
            problems.append(
                Problem(
                    str(path),
                    "",
                    f"its files would go to DIR/{stem}/, which is not a folder of its own: "
                    "rename the file",
                )
            )
        elif stem in folders:
            problems.append(
                Problem(
                    str(path),
                    "",
                    f"has the file name of {folders[stem]}: each scenario's "
                    f"files go to DIR/{stem}/, so give the scenario files different names",
                )
            )
        folders[stem] = str(path)
    if problems:
        raise InputError(problems)
    undated = [p for p, d in dates.items() if d is None]
    if undated:
        raise InputError(
            [
                Problem(
                    p,
                    "status_date",
                    "no status date: give --status-date or status_date in the scenario",
                )
                for p in undated
            ]
        )
    return {p: d for p, d in dates.items() if d is not None}, instance.num_tasks


def status_dates_text(comparison: Comparison) -> str:
    """ "" when every scenario is replanned from one status date, else what each is
    replanned from (their figures are then not from one date)."""
    found = {r.name: r.schedule.kpis.status_date for r in comparison.scenarios}
    if len(set(found.values())) <= 1:
        return ""
    return ", ".join(f"{name} {day}" for name, day in found.items())


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
    status = schedule.kpis.status_date
    row["status_date"] = "" if status is None else status.isoformat()  # the replan's
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


#: the headline figures: column, label, whether less is better
HEADLINES = (
    ("makespan_days", "Makespan (working days)"),
    ("weighted_tardiness", "Weighted late days"),
    ("late_days", "Late days (sum)"),
    ("moved_tasks", "Tasks moved"),
)
#: column prefixes and suffixes of `metrics` and how the page names them
_SUFFIXES = (
    ("_vs_baseline_days", "{}: finish vs baseline (wd)"),
    ("_late_days", "{}: late (wd)"),
    ("_date", "{}: finish"),
)
_PREFIXES = (
    ("crew_days_", "crew-days: {}"),
    ("idle_days_", "idle crew-days: {}"),
    ("supply_mw_at_peak_", "supply MW at peak: {}"),
    ("peak_mw_", "peak MW: {}"),
)
_PLAIN = {
    "status": "solver status",
    "makespan_days": "makespan (working days)",
    "finish": "finish",
    "weighted_tardiness": "weighted late days",
    "late_days": "late days (sum)",
    "moved_tasks": "tasks moved",
    "status_date": "status date",
}


def column_label(column: str, milestones: set[str]) -> str:
    """A readable name for a column of the comparison table."""
    if column in _PLAIN:
        return _PLAIN[column]
    for suffix, text in _SUFFIXES:
        if column.endswith(suffix) and column.removesuffix(suffix) in milestones:
            return text.format(column.removesuffix(suffix))
    for prefix, text in _PREFIXES:
        if column.startswith(prefix):
            return text.format(column.removeprefix(prefix))
    return column.replace("_", " ")


def _delta_figure(table: pd.DataFrame, names: list[str]) -> go.Figure:
    """Each headline figure against the baseline, one panel each: a bar a scenario, red
    when worse than the baseline, green when better, the difference written on it."""
    from plotly.subplots import make_subplots

    rows = table.iloc[1:]
    figure = make_subplots(
        rows=1,
        cols=len(HEADLINES),
        shared_yaxes=True,
        horizontal_spacing=0.03,
        subplot_titles=[f"{label}<br>vs baseline {table.iloc[0][c]}" for c, label in HEADLINES],
    )
    for k, (column, label) in enumerate(HEADLINES, start=1):
        delta = [int(v) - int(table.iloc[0][column]) for v in rows[column]]
        figure.add_trace(
            go.Bar(
                x=delta,
                y=names,
                orientation="h",
                name=label,
                marker={
                    "color": [
                        "#c62828" if d > 0 else "#2e7d32" if d < 0 else "#9aa3b5" for d in delta
                    ]
                },
                text=[f"{d:+d} ({v})" for d, v in zip(delta, rows[column], strict=True)],
                textposition="outside",
                cliponaxis=False,
                hovertemplate=f"%{{y}}<br>{html.escape(label)}: %{{text}}<extra></extra>",
            ),
            row=1,
            col=k,
        )
        lo, hi = min(0, *delta), max(0, *delta)
        room = max(hi - lo, 1) * 0.45  # the text outside the bars: "+45 (719)"
        figure.update_xaxes(
            range=[lo - (room if lo < 0 else 0), hi + (room if hi > 0 or lo == 0 else 0)],
            zeroline=True,
            zerolinecolor="#1d2433",
            zerolinewidth=2,
            row=1,
            col=k,
        )
    figure.update_yaxes(autorange="reversed", automargin=True)
    figure.update_layout(
        height=170 + 34 * len(names), showlegend=False, margin={"l": 10, "r": 20, "t": 70, "b": 30}
    )
    return figure


def _shift_figure(table: pd.DataFrame, names: list[str], milestones: list[str]) -> go.Figure:
    """Milestone finish against the baseline, working days, the number in each cell."""
    columns = [f"{m}_vs_baseline_days" for m in milestones]
    z = table[columns].iloc[1:].to_numpy(dtype=float)
    dates = table[[f"{m}_date" for m in milestones]].iloc[1:].to_numpy()
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[html.escape(m, quote=False) for m in milestones],
            y=names,
            zmid=0,
            colorscale="RdYlGn_r",
            texttemplate="%{z:+d}",
            textfont={"size": 13},
            customdata=dates,
            xgap=2,
            ygap=2,
            colorbar={"title": {"text": "working days<br>vs baseline", "side": "right"}},
            hovertemplate="%{y}<br>%{x}: finish %{customdata} (%{z:+d} wd)<extra></extra>",
        )
    )
    figure.update_layout(
        height=150 + 40 * len(names),
        margin={"l": 10, "r": 10, "t": 20, "b": 60},
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"side": "bottom", "automargin": True},
    )
    return figure


def comparison_html(comparison: Comparison) -> str:
    """The what-if page: the headline figures of every scenario (a table, and bars of their
    difference to the baseline), milestone shifts (a heatmap with the numbers), every
    figure in a table with readable names, and a link to each scenario's own page."""
    from scheduler.reports.page import html_page, lazy_figure

    table = comparison.table
    base = comparison.baseline
    milestones = [m.milestone_id for m in base.milestones]
    # scenario names and milestone ids are user text: plotly renders tags in labels
    names = [html.escape(str(n), quote=False) for n in table.scenario.iloc[1:]]
    folders = {r.name: r.folder for r in comparison.scenarios}
    status = next((r.schedule.kpis.status_date for r in comparison.scenarios), None)
    differ = status_dates_text(comparison)
    sub = f"baseline finish {base.kpis.finish} · {len(comparison.scenarios)} scenario(s)"
    if differ:
        sub += " · DIFFERENT STATUS DATES"
    elif status is not None:
        sub += f" · every scenario replanned from the status date {status}"
    header = (
        f"<h1>What-if: {html.escape(base.project)}</h1><div class='sub'>{html.escape(sub)}</div>"
        "<nav><a href='#headline'>Headline</a><a href='#milestones'>Milestones</a>"
        "<a href='#all'>Every figure</a></nav>"
    )

    def cell(value: object) -> str:
        number = isinstance(value, (int, float, np.integer, np.floating))
        text = "" if value is None or (number and value != value) else str(value)
        return f"<td{' class=num' if number else ''}>{html.escape(text)}</td>"

    def scenario_cell(name: str) -> str:
        folder = folders.get(name)
        link = (
            f" · <a href='{html.escape(folder, quote=True)}/gantt.html'>Gantt</a>" if folder else ""
        )
        return f"<td><b>{html.escape(name)}</b>{link}</td>"

    heads = ["scenario", "status", "finish", *(c for c, _ in HEADLINES), "status_date"]
    headline = "".join(
        "<tr>"
        + scenario_cell(str(row.scenario))
        + "".join(cell(getattr(row, c)) for c in heads[1:])
        + "</tr>"
        for row in table.itertuples(index=False)
    )
    head_row = "".join(
        f"<th{' class=num' if k > 2 else ''}>{html.escape(column_label(c, set(milestones)))}</th>"
        for k, c in enumerate(heads)
    )
    every = [c for c in table.columns if c != "scenario"]
    all_rows = "".join(
        f"<tr><th>{html.escape(column_label(c, set(milestones)))}</th>"
        + "".join(cell(v) for v in table[c])
        + "</tr>"
        for c in every
    )
    scenario_heads = "".join(f"<th class=num>{html.escape(str(n))}</th>" for n in table.scenario)
    warning = (
        "<section class='warn'><b>Different status dates</b>: the scenarios are replanned "
        f"from different dates ({html.escape(differ)}); what each had done by then differs, "
        "so compare them with care, or run the what-if again with --status-date to replan "
        "all from one date.</section>"
        if differ
        else ""
    )
    main = warning + (
        "<section id='headline'><h2>Headline</h2><p class='note'>Each scenario replanned "
        "from the baseline; its files (schedule.csv, schedule.json, changes.csv, gantt.html "
        "with the baseline as grey ghost bars) are in the folder named after the scenario "
        "file, so any can be adopted as it is.</p>"
        f"<table class='t'><tr>{head_row}</tr>{headline}</table></section>"
        "<section><h2>Against the baseline</h2><p class='note'>The difference of each "
        "scenario to the baseline (red: worse, green: better; in brackets the scenario's "
        "own figure).</p>"
        f"{lazy_figure(_delta_figure(table, names), 'deltas')}</section>"
    )
    if milestones:
        main += (
            "<section id='milestones'><h2>Milestones</h2><p class='note'>Finish of each "
            "milestone against the baseline, working days (positive: later).</p>"
            f"{lazy_figure(_shift_figure(table, names, milestones), 'shifts')}</section>"
        )
    main += (
        "<section id='all'><h2>Every figure</h2><table class='t'>"
        f"<tr><th></th>{scenario_heads}</tr>{all_rows}</table></section>"
    )
    return html_page(f"What-if: {base.project}", header, main)


def write_comparison(comparison: Comparison, out: Path) -> list[Path]:
    """comparison.csv and comparison.html in ``out``, and each scenario's schedule.csv,
    schedule.json, changes.csv and gantt.html in ``out/<scenario>/``."""
    from scheduler.pipeline import write_outputs
    from scheduler.replanning.replan import write_changes

    out.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = out / "comparison.csv", out / "comparison.html"
    write_frame(comparison.table, csv_path)
    write_text(html_path, comparison_html(comparison))
    paths = [csv_path, html_path]
    for result in comparison.scenarios:
        folder = out / result.folder
        paths += write_outputs(result.schedule, folder)
        write_changes(result.changes, folder / "changes.csv")
        paths.append(folder / "changes.csv")
    return paths
