"""`modsched bench`: solve published PSPLIB / MSPSP instances and compare with the literature.

Each instance is read with the importers, solved with the product's CP-SAT model through
the product's one solve path (`scheduler.solving.solve_plan`: greedy warm start, CP-SAT,
left-justification, all within the time limit), checked with the independent
validator, and compared with the best known makespan of the shared ``bounds.csv`` and with
its critical path. The per-instance table is the product (a CSV whose first columns are
``instance,status,makespan,bound,best_known``); a summary table and a plotly HTML of the
deviations sum it up.

Public API: ``run_bench(kind, paths, options, ...) -> pd.DataFrame``, ``summarise(table)``,
``deviation_figure(table)``, ``collect_files(kind, paths)`` and the Typer ``bench_command``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import plotly.graph_objects as go
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scheduler.errors import BenchInputError, BenchmarkFormatError, Infeasible, NoPlanFound
from scheduler.graph import critical_path
from scheduler.importers import best_known, read_benchmark
from scheduler.instance import Instance, objective_value
from scheduler.io import write_atomic, write_frame
from scheduler.reports.page import html_page, lazy_figure
from scheduler.solvers.budget import MAX_SEED, MAX_TIME_LIMIT, MAX_WORKERS, SolveOptions
from scheduler.solvers.result import Engine, Method, Result, Status
from scheduler.solving import solve_plan
from scheduler.validate import validate

log = logging.getLogger(__name__)


class Kind(StrEnum):
    """Benchmark families, with the file suffix each one reads."""

    PSPLIB = "psplib"
    MSPSP = "mspsp"

    @property
    def suffix(self) -> str:
        return ".sm" if self is Kind.PSPLIB else ".dzn"


COLUMNS = [
    "instance",
    "status",
    "makespan",
    "bound",
    "best_known",
    "set",
    "cpm",
    "known_lb",
    "dev_best_known_pct",
    "dev_cpm_pct",
    "optimal",
    "equal_best_known",
    "time_to_best",
    "time_to_proof",
    "first_solution_seconds",
    "seconds",
    "violations",
    "greedy_makespan",
    "greedy_ratio",
    "greedy_seconds",
    "greedy_violations",
    "time_limit",
    "workers",
    "seed",
    "load1",
]
Row = dict[str, object]
OnRow = Callable[[Row, int, int], None]


# ---------------------------------------------------------------------------------------
# Files and known bounds


def collect_files(kind: Kind, paths: Iterable[Path]) -> list[Path]:
    """The instance files named by ``paths``: files as given, folders expanded to every
    file with the kind's suffix inside (recursively), sorted naturally, duplicates dropped."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            inside = sorted(path.rglob(f"*{kind.suffix}"), key=natural_key)
            if not inside:
                raise BenchInputError(f"{path}: folder holds no {kind.suffix} file")
            found.update(dict.fromkeys(inside))
        elif path.is_file():
            if path.suffix != kind.suffix:
                raise BenchInputError(f"{path}: a {kind} file must end in {kind.suffix}")
            found[path] = None
        else:
            raise BenchInputError(f"{path}: no such file or folder")
    return list(found)


def natural_key(path: Path) -> tuple:
    """Sort ``j301_2`` before ``j301_10`` and ``j3010_1`` after ``j309_1``."""
    parts = re.split(r"(\d+)", str(path))
    return tuple(int(p) if p.isdigit() else p for p in parts)


def read_all(files: Sequence[Path]) -> list[Instance]:
    """Every file read before any solve, so that a bad file fails the run at once."""
    instances = []
    for path in files:
        try:
            instances.append(read_benchmark(path))
        except BenchmarkFormatError as error:
            raise BenchInputError(str(error)) from None
        except (OSError, UnicodeDecodeError) as error:
            raise BenchInputError(f"{path}: cannot read: {error}") from None
    return instances


def known_bounds(kind: Kind) -> dict[str, dict]:
    """Published bounds of the family, keyed by file stem (empty when the table is absent)."""
    try:
        return best_known(kind.value)
    except OSError as error:
        log.warning("no best known bounds for %s (%s): those columns stay empty", kind, error)
        return {}


# ---------------------------------------------------------------------------------------
# One instance


def bench_one(
    instance: Instance, known: dict, options: SolveOptions, use_greedy: bool, set_name: str
) -> Row:
    """Solve one instance through the product's solve path (greedy first, as its warm
    start, unless ``use_greedy`` is off) and measure the result."""
    cpm = critical_path(instance)
    try:
        solved = solve_plan(instance, options, cpm=cpm, use_greedy=use_greedy)
        result, base = solved.result, solved.greedy
    except Infeasible as error:  # NoPlanFound too: a row that says so, not a crash
        status = Status.UNKNOWN if isinstance(error, NoPlanFound) else Status.INFEASIBLE
        result = Result(Engine.CP_SAT, Method.WHOLE_MODEL, status, workers=options.workers)
        base = Result(Engine.GREEDY, Method.PRIORITY_RULES, Status.UNKNOWN)
    row: Row = {
        "instance": instance.name,
        "set": known.get("set", set_name),
        "cpm": cpm.length,
        "best_known": known.get("ub"),
        "known_lb": known.get("lb"),
    }
    row |= measure(instance, result)
    row |= deviations(row)
    row |= greedy_columns(instance, base, row["makespan"], use_greedy)
    row |= {
        "time_limit": options.time_limit,
        "workers": options.workers,
        "seed": options.seed,
        "load1": round(os.getloadavg()[0], 2),
    }
    return row


def measure(instance: Instance, result: Result) -> Row:
    """Status, makespan (recomputed from the plan), bound, times and validator verdict."""
    optimal = result.status is Status.OPTIMAL
    row: Row = {
        "status": result.status.value,
        "bound": result.bound,
        "optimal": optimal,
        "seconds": round(result.seconds, 3),
        "time_to_proof": round(result.seconds, 3) if optimal else None,
        "first_solution_seconds": _round(result.first_solution_seconds),
    }
    if result.solution is None:
        return row | {"makespan": None, "time_to_best": None, "violations": None}
    makespan = objective_value(instance, result.solution.starts)
    violations = len(validate(instance, result.solution))
    if result.objective is not None and makespan != result.objective:
        log.error(
            "%s: solver objective %s but the plan has makespan %s",
            instance.name,
            result.objective,
            makespan,
        )
        violations += 1  # counted as an invalid result, not a crash of the whole run
    return row | {
        "makespan": makespan,
        "time_to_best": _round(time_to_best(result)),
        "violations": violations,
    }


def time_to_best(result: Result) -> float | None:
    """Seconds at which the final objective was first reached (0 when the hint was it)."""
    reached = [s for s, objective, _ in result.history if objective == result.objective]
    return reached[0] if reached else (0.0 if result.objective is not None else None)


def deviations(row: Row) -> Row:
    """(makespan - best known) / best known and (makespan - cpm) / cpm, in percent."""
    makespan, known, cpm = row["makespan"], row["best_known"], row["cpm"]
    return {
        "dev_best_known_pct": _pct(makespan, known),
        "dev_cpm_pct": _pct(makespan, cpm),
        "equal_best_known": isinstance(makespan, int)
        and isinstance(known, int)
        and makespan <= known,
    }


def greedy_columns(instance: Instance, base: Result, makespan: object, used: bool) -> Row:
    ratio = None
    if base.objective is not None and isinstance(makespan, int) and makespan > 0:
        ratio = round(base.objective / makespan, 4)
    violations = None if base.solution is None else len(validate(instance, base.solution))
    return {
        "greedy_makespan": base.objective,
        "greedy_ratio": ratio,
        "greedy_seconds": round(base.seconds, 3) if used else None,
        "greedy_violations": violations,
    }


def _pct(value: object, reference: object) -> float | None:
    if not isinstance(value, int) or not isinstance(reference, int) or reference <= 0:
        return None
    return round(100 * (value - reference) / reference, 4)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# ---------------------------------------------------------------------------------------
# A whole run


def run_bench(
    kind: Kind | str,
    paths: Sequence[Path],
    options: SolveOptions,
    greedy: bool = True,
    on_row: OnRow | None = None,
    on_start: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Solve every instance named by ``paths`` (files or folders) one after another.

    All files are read first; a bad one raises BenchInputError before any solve.
    ``on_start(total)`` is called once every file is read, ``on_row(row, done, total)``
    after each instance (progress, checkpoints).
    Returns one row per instance with the columns of ``COLUMNS``.
    """
    kind = Kind(kind)
    files = collect_files(kind, [Path(p) for p in paths])
    instances = read_all(files)
    bounds = known_bounds(kind)
    if on_start:
        on_start(len(files))
    rows: list[Row] = []
    for path, instance in zip(files, instances, strict=True):
        known = bounds.get(instance.name, {})
        rows.append(bench_one(instance, known, options, greedy, path.parent.name))
        if on_row:
            on_row(rows[-1], len(rows), len(files))
    return to_table(rows)


def to_table(rows: list[Row]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=COLUMNS)
    for column in (
        "makespan",
        "bound",
        "best_known",
        "known_lb",
        "cpm",
        "violations",
        "greedy_makespan",
        "greedy_violations",
    ):
        table[column] = table[column].astype("Int64")
    return table


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """One row per set and one for all: counts and deviations (percent)."""
    groups = [(name, part) for name, part in table.groupby("set", sort=False)]
    if len(groups) > 1:
        groups.append(("all", table))
    return pd.DataFrame([summary_row(name, part) for name, part in groups])


def summary_row(name: str, part: pd.DataFrame) -> Row:
    dev = part["dev_best_known_pct"].astype(float)
    proof = part["time_to_proof"].astype(float)
    return {
        "set": name,
        "instances": len(part),
        "solved": int(part["makespan"].notna().sum()),
        "proven_optimal": int(part["optimal"].sum()),
        "equal_best_known": int(part["equal_best_known"].sum()),
        "better_than_best_known": int((dev < 0).sum()),
        "mean_dev_best_known_pct": _mean(dev),
        "max_dev_best_known_pct": _max(dev),
        "mean_dev_cpm_pct": _mean(part["dev_cpm_pct"].astype(float)),
        "max_time_to_proof": _max(proof),
        "mean_greedy_ratio": _mean(part["greedy_ratio"].astype(float)),
        "invalid": int(
            (part["violations"].fillna(0) > 0).sum()
            + (part["greedy_violations"].fillna(0) > 0).sum()
        ),
    }


def _mean(values: pd.Series) -> float | None:
    return None if values.dropna().empty else round(float(values.mean()), 3)


def _max(values: pd.Series) -> float | None:
    return None if values.dropna().empty else round(float(values.max()), 3)


def deviation_figure(table: pd.DataFrame) -> go.Figure:
    """Histograms of the deviation from the best known makespan and from the critical
    path, one trace per set (pure: the caller writes the file)."""
    figure = go.Figure()
    for name, part in table.groupby("set", sort=False):
        for column, label in (
            ("dev_best_known_pct", "vs best known"),
            ("dev_cpm_pct", "vs critical path"),
        ):
            figure.add_trace(
                go.Histogram(
                    x=part[column],
                    name=f"{name} {label}",
                    opacity=0.7,
                    nbinsx=40,
                    visible=True if "best" in column else "legendonly",
                )
            )
    figure.update_layout(
        barmode="overlay",
        title="Makespan deviation (%)",
        xaxis_title="deviation (%)",
        yaxis_title="instances",
    )
    return figure


def write_results(table: pd.DataFrame, out: Path) -> list[Path]:
    """The CSV at ``out`` and the HTML beside it, each written atomically."""
    write_frame(table, out)
    html = out.with_suffix(".html")
    page = html_page(
        "modsched bench",
        f"<h1>modsched bench</h1><div class='sub'>{len(table)} instance(s)</div>",
        lazy_figure(deviation_figure(table), "deviation"),
    )
    write_atomic(html, lambda f: f.write(page))
    return [out, html]


# ---------------------------------------------------------------------------------------
# Command line

errors = Console(stderr=True, markup=False, highlight=False)
KindArg = Annotated[Kind, typer.Argument(help="Benchmark family: psplib (.sm) or mspsp (.dzn).")]
PathsArg = Annotated[
    list[Path], typer.Argument(help="Instance files or folders (searched recursively).")
]


def bench_command(
    kind: KindArg,
    paths: PathsArg,
    out: Annotated[Path, typer.Option("--out", help="Per-instance CSV; the HTML goes beside it.")],
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", min=0.1, max=MAX_TIME_LIMIT, help="Seconds per instance."),
    ] = 10.0,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=MAX_WORKERS, help="CP-SAT worker threads.")
    ] = 2,
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=MAX_SEED, help="CP-SAT random seed.")
    ] = 0,
    greedy: Annotated[
        bool, typer.Option("--greedy/--no-greedy", help="Also run greedy (ratio, warm start).")
    ] = True,
) -> None:
    """Solve PSPLIB or MSPSP instances and compare with the best known makespans."""
    console = Console(markup=False, highlight=False)
    options = SolveOptions(time_limit=time_limit, workers=workers, seed=seed)
    progress = BenchProgress(console, out)
    try:
        table = run_bench(kind, paths, options, greedy, progress.on_row, progress.on_start)
    except BenchInputError as error:
        errors.print(str(error), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        progress.bar.stop()
        if progress.rows:
            write_results(to_table(progress.rows), out)
        errors.print(f"interrupted after {len(progress.rows)} instance(s); wrote {out}")
        raise typer.Exit(130) from None
    finally:
        progress.bar.stop()
    paths_written = write_results(table, out)
    print_summary(console, summarise(table))
    console.print("wrote " + ", ".join(str(p) for p in paths_written), highlight=False)
    invalid = int((table["violations"].fillna(0) > 0).sum())
    if invalid:
        errors.print(f"{invalid} invalid schedule(s): see the 'violations' column of {out}")
        raise typer.Exit(1)


class BenchProgress:
    """The progress bar (shown once every file is read) and the CSV checkpoints: the rows
    so far are rewritten every 10 instances, so a killed run keeps them."""

    def __init__(self, console: Console, out: Path) -> None:
        self.out = out
        self.rows: list[Row] = []
        self.bar = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.task = self.bar.add_task("solving", total=None)

    def on_start(self, total: int) -> None:
        self.bar.update(self.task, total=total)
        self.bar.start()

    def on_row(self, row: Row, done: int, total: int) -> None:
        self.rows.append(row)
        text = f"{row['instance']}: {row['status']} {row['makespan']}"
        self.bar.update(self.task, completed=done, description=text)
        if done % 10 == 0 or done == total:
            table = to_table(self.rows)
            write_frame(table, self.out)


SHORT = {
    "instances": "n",
    "proven_optimal": "optimal",
    "equal_best_known": "= best",
    "better_than_best_known": "< best",
    "mean_dev_best_known_pct": "mean dev %",
    "max_dev_best_known_pct": "max dev %",
    "mean_dev_cpm_pct": "dev CPM %",
    "max_time_to_proof": "max proof s",
    "mean_greedy_ratio": "greedy/cp-sat",
}


def print_summary(console: Console, summary: pd.DataFrame) -> None:
    table = Table(title="benchmark summary")
    for column in summary.columns:
        table.add_column(SHORT.get(column, column), overflow="fold")
    for row in summary.itertuples(index=False):
        table.add_row(*("-" if pd.isna(v) else str(v) for v in row))
    console.print(table)
