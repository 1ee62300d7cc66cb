"""The `modsched` command line (DESIGN.md, Command line).

Exit codes: 0 a schedule, 1 infeasible (with the reason) or no plan found, 2 bad input,
130 interrupted (the best plan found so far is written; `whatif` writes nothing).
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scheduler import IMPORTED_AT
from scheduler.domain.calendar import Calendar
from scheduler.domain.load import Plan
from scheduler.errors import Infeasible, InputError, Interrupted, NoPlanFound, ScheduleInvalid
from scheduler.explain import WhyStep, chain_root, why_summary
from scheduler.instance import Instance, Solution
from scheduler.interop.formats import ExportFormat
from scheduler.io import PlannedTask
from scheduler.output import OutputError, OutputFolder
from scheduler.pipeline import SolverName, load_instance, plan_project, write_outputs
from scheduler.replanning.status import LOOKAHEAD_DAYS, Unlisted, status_template
from scheduler.schedule import PoolRow, Schedule, headline
from scheduler.solvers.budget import (
    MAX_PROCESSES,
    MAX_SEED,
    MAX_TIME_LIMIT,
    MAX_WORKERS,
    SolveOptions,
    Stop,
    searching,
)
from scheduler.store import RunSummary
from scheduler.validate import validate
from scheduler.workers import WorkerDied

if TYPE_CHECKING:
    from scheduler.risk.report import RiskRun

app = typer.Typer(
    help="Schedule prefab-module deployment with CP-SAT.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# user text (names, paths, messages) is printed as it is: no rich markup, no highlighting
console = Console(markup=False, highlight=False)
errors = Console(stderr=True, markup=False, highlight=False)

# When the command began (a `time.perf_counter` reading, set by `main` while it runs): for
# the console script, when it began to import this package (`scheduler.IMPORTED_AT`), so
# that `--time-limit` counts the imports. None when the commands are called in this
# process some other way (tests): then from the call.
STARTED: float | None = None
# Imports done longer ago than this when `main` is first called are not a command just
# started (a service, a notebook, a script that did other work first): its limit counts
# from `main`. Start-up takes 1-2 s here.
STARTUP_SECONDS = 30.0
_MAIN_CALLED = False


ProjectArg = Annotated[Path, typer.Argument(help="Project YAML file.")]
TimeLimit = Annotated[
    float,
    typer.Option("--time-limit", min=0.1, max=MAX_TIME_LIMIT, help="Time limit, seconds."),
]
Workers = Annotated[
    int, typer.Option("--workers", min=1, max=MAX_WORKERS, help="CP-SAT worker threads.")
]
Seed = Annotated[int, typer.Option("--seed", min=0, max=MAX_SEED, help="CP-SAT random seed.")]
ExportOpt = Annotated[
    str,
    typer.Option(
        "--export",
        help="Also write the plan as mspdi (MS Project XML), pmxml (P6 XML), xlsx; "
        "comma-separated, e.g. mspdi,xlsx.",
    ),
]

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="Record the run in this SQLite store (modsched history)."),
]


def fail_input(error: InputError) -> typer.Exit:
    for problem in error.problems:
        errors.print(str(problem), markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def fail_infeasible(error: Infeasible) -> typer.Exit:
    if isinstance(error, NoPlanFound):
        errors.print("no schedule found (none proven impossible)", markup=False)
    else:
        errors.print("infeasible: no schedule meets every constraint", markup=False)
    for reason in error.reasons:
        errors.print(f"- {reason}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(1)


def fail_invalid(error: ScheduleInvalid) -> typer.Exit:
    """A plan that breaks a rule is never written; should the search ever return one (a
    bug), say so in one block instead of a traceback."""
    errors.print(
        "internal error: the plan found breaks rules the validator checks, so "
        "nothing was written; please report it with the project",
        markup=False,
    )
    errors.print(str(error), markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(1)


@contextmanager
def answers() -> Iterator[None]:
    """Bad input, no plan, or a plan the validator rejects ends the command with its exit
    code and its message, never a traceback."""
    try:
        yield
    except InputError as error:
        raise fail_input(error) from None
    except Infeasible as error:
        raise fail_infeasible(error) from None
    except ScheduleInvalid as error:
        raise fail_invalid(error) from None
    except WorkerDied as error:  # a scenario's or risk chunk's process killed (memory)
        errors.print(str(error), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def on_cluster() -> Iterator[None]:
    """`--dask`: no scheduler at the address, or the dask extra missing, is one line and
    exit 2."""
    from scheduler.risk.executors import ClusterError, DaskMissing

    try:
        yield
    except (ClusterError, DaskMissing) as error:
        errors.print(str(error), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@contextmanager
def writing(out: Path) -> Iterator[None]:
    """A write that fails after the checks (disk full, folder removed meanwhile) ends in
    one line and exit 2, not a traceback; each file is written whole or not at all."""
    try:
        yield
    except OSError as error:
        errors.print(
            f"{out}: cannot write: {error.strerror or error}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2) from None


@app.command("validate")
def validate_command(project: ProjectArg) -> None:
    """Load and check a project; print every problem with file, place and rule."""
    with answers():
        plan, instance, cpm = load_instance(project)
    console.print(
        f"{project}: ok: {len(plan.project.deployments)} deployments, "
        f"{instance.num_tasks} tasks, {len(instance.links)} links, critical path "
        f"{cpm.length} working days",
        highlight=False,
    )


class Interrupt:
    """SIGINT and SIGTERM, in every phase of a run. While a search runs, the first one
    stops it and the best plan found so far is written; anywhere else (loading, the
    greedy scheme, writing the files) or a second time, the run ends at once
    (`Interrupted`): the output folder stays as it was."""

    def __init__(self) -> None:
        self.stop = Stop()
        self.previous: dict[int, object] = {}

    def __enter__(self) -> Interrupt:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *_: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, _frame: object) -> None:
        self.stop.signum = self.stop.signum or signum
        if self.stop.searching and not self.stop.is_set():
            self.stop.set()
            return
        self.stop.abort = True
        self.stop.set()
        raise Interrupted(signum)


@contextmanager
def run_into(out: Path, force: bool, unwritten: str) -> Iterator[tuple[OutputFolder, Stop]]:
    """A run that writes into ``out``: the folder checked and locked before any work,
    signals handled in every phase; interrupted outside a search, the run ends with exit
    130 and ``unwritten`` (the folder is as it was)."""
    folder = OutputFolder(out, force)
    try:
        with Interrupt() as interrupt:
            try:
                folder.reserve()
            except OutputError as error:
                errors.print(str(error), markup=False, highlight=False, soft_wrap=True)
                raise typer.Exit(2) from None
            try:
                yield folder, interrupt.stop
            finally:
                folder.release()
    except Interrupted:
        errors.print(f"interrupted: {unwritten}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None


@app.command("schedule")
def schedule_command(
    project: ProjectArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for schedule.csv/json, gantt.html.")],
    time_limit: TimeLimit = 60.0,
    workers: Workers = 2,
    seed: Seed = 0,
    solver: Annotated[str, typer.Option(help="cp-sat or greedy.")] = "cp-sat",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a folder that holds an earlier schedule.")
    ] = False,
    export: ExportOpt = "",
    store: StoreOpt = None,
) -> None:
    """Find the best schedule of a project and write it with its Gantt chart."""
    if solver not in ("cp-sat", "greedy"):
        errors.print(f"--solver: unknown solver '{solver}' (cp-sat or greedy)")
        raise typer.Exit(2)
    formats = export_formats(export)
    options = SolveOptions(time_limit=time_limit, workers=workers, seed=seed)
    with run_into(out, force, f"nothing written; {out} is as it was") as (folder, stop):
        with console.status("solving...") as status:

            def progress(seconds: float, objective: int, bound: int) -> None:
                status.update(f"solving: {seconds:6.1f}s  objective {objective}  bound {bound}")

            with answers():
                outcome = plan_project(
                    project, options, solver_name(solver), progress, stop, STARTED
                )
        with writing(out), console.status("writing..."):
            paths = folder.commit(
                lambda staging: [
                    *write_outputs(outcome.schedule, staging),
                    *write_exports(
                        outcome.schedule, outcome.plan, outcome.instance, formats, staging
                    ),
                ]
            )
    print_summary(outcome.schedule, outcome.greedy.objective, paths)
    if store is not None:
        record_run(store, "schedule", project, [], out, schedule_summary(outcome.schedule))
    if outcome.result.interrupted:
        errors.print("interrupted: wrote the best plan found so far")
        raise typer.Exit(130)


def export_formats(text: str) -> list[ExportFormat]:
    """The formats of ``--export``, each checked to be writable here before any work (a
    missing package is one line and exit 2, not a lost solve)."""
    from scheduler.interop.formats import InteropUnavailable, require

    formats = parse_format_option("--export", text) if text else []
    try:
        for fmt in formats:
            require(fmt)
    except InteropUnavailable as error:
        errors.print(str(error), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    return formats


def write_exports(
    schedule: Schedule,
    project: Plan,
    instance: Instance,
    formats: list[ExportFormat],
    folder: Path,
) -> list[Path]:
    """The ``--export`` files beside schedule.csv (EXPORT_FILES' names)."""
    from scheduler.interop.formats import write_export
    from scheduler.interop.plan import export_plan

    if not formats:
        return []
    plan = export_plan(schedule, project, instance)
    paths = []
    for fmt in formats:
        write_export(plan, fmt, folder / fmt.file_name)
        paths.append(folder / fmt.file_name)
    return paths


def solver_name(name: str) -> SolverName:
    return "greedy" if name == "greedy" else "cp-sat"


def print_summary(schedule: Schedule, greedy_objective: int | None, paths: list[Path]) -> None:
    """What a planner reads first: milestones against targets, then the solver's figures."""
    table = Table(title=f"{schedule.project}: milestones")
    variance = any(m.variance_days is not None for m in schedule.milestones)
    columns = ["milestone", "date", "target", "late days"]
    for column in columns + (["baseline", "variance (wd)"] if variance else []):
        table.add_column(column)
    for row in schedule.milestones:
        late = str(row.late_days) if row.target else "-"
        style = "red" if row.late_days else "green"
        cells: list[str | Text] = [
            row.milestone_id,
            row.date.isoformat() if row.date else "",
            row.target.isoformat() if row.target else "-",
            Text(late, style=style),
        ]
        if variance:
            cells += [row.baseline.isoformat() if row.baseline else "-", signed(row.variance_days)]
        table.add_row(*cells)
    console.print(table)
    s, k = schedule.solver, schedule.kpis
    gap = f"{100 * s.gap:.1f} %" if s.gap is not None else "-"
    against = (
        f"; baseline {k.baseline_finish} ({signed(k.finish_variance_days)} working days)"
        if k.baseline_finish is not None
        else ""
    )
    late, finish = headline(schedule)
    console.print(f"{late} ({k.tardiness_days} late days unweighted)", highlight=False)
    console.print(
        f"{finish} working days (finish {k.finish}{against})",
        highlight=False,
    )
    for row in schedule.milestones:
        if row.why:
            for line in why_lines(row.milestone_id, row.late_days, row.why, schedule.pools):
                console.print(line, highlight=False, soft_wrap=True)
    console.print(
        f"solver {s.name} ({s.method}): {s.status}, objective "
        f"{s.objective}, bound {s.bound}, gap {gap}, {s.seconds} s; "
        f"greedy objective {greedy_objective}",
        highlight=False,
    )
    if s.repeatable is False:
        console.print(
            "the time limit ended the search before its deterministic work was done: "
            "another run with this seed may give another plan; with a longer --time-limit "
            "it repeats",
            highlight=False,
            soft_wrap=True,
        )
    console.print("wrote " + ", ".join(str(p) for p in paths), highlight=False)


def signed(days: int | None) -> str:
    return "-" if days is None else f"{days:+d}"


def why_lines(
    milestone_id: str, late_days: int, steps: Sequence[WhyStep], pools: Sequence[PoolRow] = ()
) -> list[str]:
    """A late milestone's driving chain in words: its root, what it runs through, and
    what would have to change for the milestone to come earlier."""
    root, last = chain_root(steps) or steps[-1], steps[0]
    kinds = [s.kind for s in steps[:-1]]
    via = ", ".join(f"{kinds.count(k)} {k}" for k in dict.fromkeys(kinds))
    return [
        f"why {milestone_id} is {late_days} working days late: a chain of {len(steps)} "
        f"tasks, {sum(s.days for s in steps)} working days, from {root.task} "
        f"(waits for {root.cause or root.kind}) to {last.task}" + (f" via {via}" if via else ""),
        f"  would have to change: {why_summary(steps, pools)}",
    ]


BaselineOpt = Annotated[Path, typer.Option("--baseline", help="The baseline schedule.json.")]
ActualsOpt = Annotated[
    Path | None,
    typer.Option(
        "--actuals",
        help="Status update CSV: task_id, actual_start, actual_finish[, remaining_days].",
    ),
]
UnlistedOpt = Annotated[
    Unlisted,
    typer.Option(
        "--unlisted",
        help="A task the status update does not list: as the baseline has it at the status "
        "date (as-planned), or not started (not-started).",
    ),
]
StatusOpt = Annotated[
    str | None,
    typer.Option("--status-date", help="Status date YYYY-MM-DD (else the scenario's status_date)."),
]


def parse_status_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.print(f"--status-date: '{text}' is not a date (YYYY-MM-DD)", markup=False)
        raise typer.Exit(2) from None


@app.command("replan")
def replan_command(
    project: ProjectArg,
    baseline: BaselineOpt,
    out: Annotated[Path, typer.Option("--out", help="Folder for the new plan and changes.csv.")],
    actuals: ActualsOpt = None,
    scenario: Annotated[Path | None, typer.Option("--scenario", help="Scenario YAML.")] = None,
    status_date: StatusOpt = None,
    unlisted: UnlistedOpt = Unlisted.AS_PLANNED,
    time_limit: TimeLimit = 60.0,
    workers: Workers = 2,
    seed: Seed = 0,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an earlier run.")] = False,
    export: ExportOpt = "",
    store: StoreOpt = None,
) -> None:
    """Replan from a status date: keep what happened, meet the objective, move little."""
    from scheduler.replanning.replan import replan, write_changes

    formats = export_formats(export)
    options = SolveOptions(time_limit=time_limit, workers=workers, seed=seed)
    with run_into(out, force, f"nothing written; {out} is as it was") as (folder, stop):
        with console.status("replanning..."), answers():
            outcome = replan(
                project,
                baseline,
                actuals,
                scenario=scenario,
                status_date=parse_status_date(status_date),
                options=options,
                stop=stop,
                unlisted=unlisted,
                started=STARTED,
            )

        def write(staging: Path) -> list[Path]:
            paths = write_outputs(outcome.schedule, staging)
            write_changes(outcome.changes, staging / "changes.csv")
            exported = write_exports(
                outcome.schedule, outcome.plan, outcome.instance, formats, staging
            )
            return [*paths, staging / "changes.csv", *exported]

        with writing(out), console.status("writing..."):
            paths = folder.commit(write)
    print_summary(outcome.schedule, None, paths)
    k = outcome.schedule.kpis
    console.print(
        f"{outcome.scenario}: {k.moved_tasks} tasks moved, {k.crew_changes} "
        "crew changes against the baseline",
        highlight=False,
    )
    if store is not None:
        others = [baseline, *(p for p in (scenario, actuals) if p is not None)]
        summary = schedule_summary(outcome.schedule, scenario=outcome.scenario)
        record_run(store, "replan", project, others, out, summary)
    if outcome.result.interrupted:
        raise typer.Exit(130)


@app.command("whatif")
def whatif_command(
    project: ProjectArg,
    baseline: BaselineOpt,
    scenarios: Annotated[list[Path], typer.Option("--scenario", help="Scenario YAML; repeat.")],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for comparison.csv/html, a folder a scenario.")
    ],
    actuals: ActualsOpt = None,
    status_date: StatusOpt = None,
    unlisted: UnlistedOpt = Unlisted.AS_PLANNED,
    time_limit: TimeLimit = 60.0,
    workers: Workers = 1,
    seed: Seed = 0,
    processes: Annotated[
        int, typer.Option(min=1, max=MAX_PROCESSES, help="Scenarios solved at once.")
    ] = 2,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an earlier run.")] = False,
    dask: Annotated[
        str | None, typer.Option("--dask", help="Solve on the Dask scheduler at tcp://HOST:PORT.")
    ] = None,
    store: StoreOpt = None,
) -> None:
    """Solve every scenario from the baseline and compare them side by side."""
    from scheduler.replanning.compare import compare, status_dates_text, write_comparison

    options = SolveOptions(time_limit=time_limit, workers=workers, seed=seed)
    unwritten = "no comparison written (a what-if compares whole scenarios only)"
    with run_into(out, force, unwritten) as (folder, stop):
        status = console.status(f"solving {len(scenarios)} scenario(s)...")
        with status, answers(), on_cluster():
            comparison = compare(
                project,
                baseline,
                list(scenarios),
                parse_status_date(status_date),
                actuals,
                options,
                processes,
                unlisted,
                dask,
                STARTED,
                stop,
            )
        with writing(out), console.status("writing..."):
            paths = folder.commit(lambda staging: write_comparison(comparison, staging))
    differ = status_dates_text(comparison)
    if differ:
        errors.print(
            f"warning: the scenarios are replanned from different status dates ({differ}); "
            "give --status-date to replan all from one",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    columns = ["scenario", "finish", "weighted_tardiness", "late_days", "moved_tasks"]
    table = Table(title="what-if")
    for column in columns:
        table.add_column(column)
    for row in comparison.table[columns].itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    console.print(table)
    console.print("wrote " + ", ".join(str(p) for p in paths), highlight=False)
    if store is not None:
        for result in comparison.scenarios:
            summary = schedule_summary(result.schedule, scenario=result.name)
            record_run(store, "whatif", project, [baseline, *scenarios], out, summary)


@app.command("risk")
def risk_command(
    project: ProjectArg,
    baseline: BaselineOpt,
    out: Annotated[Path, typer.Option("--out", help="Folder for risk.csv/html and the rest.")],
    samples: Annotated[
        int, typer.Option("--samples", min=1, max=1_000_000, help="Samples to draw.")
    ] = 1000,
    mode: Annotated[
        str, typer.Option("--mode", help="retime (keep the baseline's order) or resolve.")
    ] = "retime",
    seed: Annotated[
        int, typer.Option("--seed", min=0, max=MAX_SEED, help="Random seed of the draws.")
    ] = 0,
    dask: Annotated[
        str | None, typer.Option("--dask", help="Run on the Dask scheduler at tcp://HOST:PORT.")
    ] = None,
    processes: Annotated[
        int, typer.Option(min=1, max=MAX_PROCESSES, help="Local processes (without --dask).")
    ] = 2,
    sample_limit: Annotated[
        float,
        typer.Option("--sample-limit", min=0.1, max=3600, help="resolve: seconds a sample."),
    ] = 10.0,
    store: StoreOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an earlier run.")] = False,
) -> None:
    """Sample the project's uncertainty around a baseline: P10-P90 milestone dates."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from scheduler.risk.executors import sample_risk
    from scheduler.risk.report import risk_table, write_risk
    from scheduler.risk.run import Mode, prepare_risk

    if mode not in ("retime", "resolve"):
        errors.print(f"--mode: unknown mode '{mode}' (retime or resolve)", markup=False)
        raise typer.Exit(2)
    unwritten = f"nothing written; {out} is as it was"
    with run_into(out, force, unwritten) as (folder, stop):
        with answers():
            problem = prepare_risk(project, baseline, Mode(mode), seed, sample_limit)
        bar = Progress(
            "sampling", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=errors
        )
        with bar, searching(stop):
            task = bar.add_task("samples", total=samples)
            with on_cluster(), answers():
                run = sample_risk(
                    problem,
                    samples,
                    stop,
                    processes,
                    dask,
                    lambda done, _: bar.update(task, completed=done),
                )
        if not run.samples:
            raise Interrupted(signal.SIGINT)
        with writing(out):
            paths = folder.commit(lambda staging: write_risk(run, staging))
        if store is not None:
            record_run(store, "risk", project, [baseline], out, risk_summary(run))
    table = Table(title=f"risk: {len(run.samples)} samples, {mode}")
    shown = ["milestone", "target", "p10", "p50", "p80", "p90", "prob_on_time"]
    for column in shown:
        table.add_column(column)
    for row in risk_table(run)[shown].itertuples(index=False):
        table.add_row(*(Text(str(v)) for v in row))
    console.print(table)
    cut = sum(not s.repeatable for s in run.samples)
    if cut:
        console.print(
            f"{cut} of {len(run.samples)} resolved samples were ended by --sample-limit "
            "before their deterministic work: another run may date them otherwise; a "
            "longer --sample-limit repeats them",
            highlight=False,
            soft_wrap=True,
        )
    console.print("wrote " + ", ".join(str(p) for p in paths), highlight=False)
    if len(run.samples) < samples:
        errors.print(
            f"interrupted: kept the {len(run.samples)} of {samples} samples done", markup=False
        )
        raise typer.Exit(130)


def record_run(
    store_path: Path,
    kind: str,
    project: Path,
    others: Sequence[Path],
    out: Path,
    summary: RunSummary,
) -> None:
    """Add the run to the store, with the SHA-256 of the project, its catalog files and
    ``others`` (baseline, scenarios); a store that fails says so and the run stands."""
    from scheduler.domain.load import load_project
    from scheduler.store import StoreError, input_hashes, record

    plan = load_project(project)
    catalog = [doc.path for doc in plan.module_files.values()]
    try:
        run = record(
            store_path, kind, project, input_hashes([project, *catalog, *others]), out, summary
        )
    except (StoreError, OSError, sqlite3.Error) as error:
        errors.print(f"--store: not recorded: {error}", markup=False, highlight=False)
        return
    console.print(f"recorded as run {run} in {store_path}", highlight=False)


def schedule_summary(schedule: Schedule, **detail: object) -> RunSummary:
    from scheduler.store import MilestoneDates

    dates = tuple(
        MilestoneDates(
            m.milestone_id,
            str(m.date) if m.date else None,
            str(m.target) if m.target else None,
        )
        for m in schedule.milestones
    )
    finish = MilestoneDates("finish", str(schedule.kpis.finish))
    detail = {"objective": schedule.solver.objective, "status": schedule.solver.status, **detail}
    return RunSummary(detail, (*dates, finish))


def risk_summary(run: RiskRun) -> RunSummary:
    from scheduler.risk.report import risk_table
    from scheduler.store import MilestoneDates

    rows = risk_table(run).itertuples(index=False)
    dates = tuple(
        MilestoneDates(r.milestone, r.p80 or None, r.target or None, r.p50 or None, r.p90 or None)
        for r in rows
    )
    p = run.problem
    detail = {"mode": str(p.mode), "seed": p.seed, "samples": len(run.samples), "asked": run.asked}
    return RunSummary(detail, dates)


@app.command("history")
def history_command(
    store: Annotated[Path, typer.Argument(help="The SQLite store (--store of the runs).")],
) -> None:
    """List the runs a store holds."""
    from scheduler.store import StoreError, history

    if not store.is_file():
        errors.print(f"{store}: no such store", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    try:
        runs = history(store)
    except StoreError as error:
        errors.print(str(error), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    table = Table(title=str(store))
    for column in ("run", "kind", "created", "project", "out", "inputs", "detail"):
        table.add_column(column)
    for r in runs:
        detail = ", ".join(f"{k} {v}" for k, v in r.detail.items())
        table.add_row(
            str(r.id),
            r.kind,
            r.created,
            Text(r.project),
            Text(r.out),
            str(len(r.inputs)),
            Text(detail),
        )
    console.print(table)


@app.command("diff")
def diff_command(
    run_a: Annotated[int, typer.Argument(help="A run's number (modsched history).")],
    run_b: Annotated[int, typer.Argument(help="Another run's number.")],
    store: Annotated[Path, typer.Option("--store", help="The SQLite store.")],
) -> None:
    """Compare two runs' milestone dates (a risk run's: P80)."""
    from scheduler.store import StoreError, diff

    if not store.is_file():
        errors.print(f"{store}: no such store", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    try:
        rows = diff(store, run_a, run_b)
    except StoreError as error:
        errors.print(str(error), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    table = Table(title=f"run {run_a} -> run {run_b}")
    for column in ("milestone", f"run {run_a}", f"run {run_b}", "calendar days"):
        table.add_column(column)
    for row in rows:
        days = "" if row.days is None else f"{row.days:+d}"
        table.add_row(Text(row.milestone), row.a or "-", row.b or "-", days)
    console.print(table)


@app.command("report")
def report_command(
    page: Annotated[Path, typer.Argument(help="A gantt.html or comparison.html modsched wrote.")],
    pdf: Annotated[Path, typer.Option("--pdf", help="The PDF to write.")],
    paper: Annotated[
        str, typer.Option("--paper", help="Landscape paper: a3, letter or tabloid.")
    ] = "a3",
) -> None:
    """Print a page to PDF through headless Chromium: landscape pages, the header on each,
    the Gantt split by site."""
    from scheduler.reports.pdf import ReportError, print_pdf

    try:
        with console.status(f"printing {page}..."):
            print_pdf(page, pdf, paper.lower())
    except (ReportError, OSError) as error:
        errors.print(f"report: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    console.print(f"wrote {pdf}", highlight=False)


@app.command("status-template")
def status_template_command(
    baseline: Annotated[Path, typer.Argument(help="The baseline schedule.json.")],
    status_date: Annotated[str, typer.Option("--status-date", help="Status date YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="The CSV a site fills in.")],
    lookahead: Annotated[
        int, typer.Option("--lookahead", min=0, max=3660, help="Calendar days ahead.")
    ] = LOOKAHEAD_DAYS,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file.")] = False,
) -> None:
    """Write the status update a site fills in: the tasks planned to have started by the
    status date and those of the next two weeks, planned dates filled in."""
    from scheduler.io import write_frame

    day = parse_status_date(status_date)
    assert day is not None
    refuse_existing(out, force)
    with answers():
        rows = status_template(baseline, day, lookahead)
    with writing(out):
        write_frame(rows, out)
    console.print(
        f"wrote {out}: {len(rows)} tasks planned to start by {day} plus {lookahead} days; "
        "fill in actual_start, actual_finish (or remaining_days) where they differ from the "
        "plan, 'not started' for a task that has not begun; rows left empty are taken as "
        "planned",
        highlight=False,
        soft_wrap=True,
    )


@app.command("check")
def check_command(
    project: ProjectArg,
    schedule_csv: Annotated[Path, typer.Argument(help="A schedule.csv to check.")],
) -> None:
    """Check any schedule.csv against a project with the independent validator."""
    from scheduler.io import ScheduleFileError, read_plan_csv

    with answers():
        plan, instance, _ = load_instance(project)
    try:
        planned = read_plan_csv(schedule_csv)
    except ScheduleFileError as error:
        errors.print(str(error), markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    rows: dict[str, PlannedTask] = {}
    twice = []
    for row in planned:
        if row.task_id in rows:
            first = rows[row.task_id].line
            twice.append(f"line {row.line}: task '{row.task_id}' again (first on line {first})")
        rows.setdefault(row.task_id, row)
    stated = twice + restated(planned, instance, plan.calendar)
    for message in stated[:20]:
        errors.print(f"{schedule_csv}: {message}", markup=False, soft_wrap=True)
    if stated:
        raise typer.Exit(1)
    missing = [t.id for t in instance.tasks if t.id not in rows]
    unknown = sorted(set(rows) - {t.id for t in instance.tasks})
    if missing or unknown:
        for task_id in missing[:10]:
            errors.print(f"{schedule_csv}: task '{task_id}' is missing", markup=False)
        for task_id in unknown[:10]:
            errors.print(f"{schedule_csv}: unknown task '{task_id}'", markup=False)
        raise typer.Exit(1)
    solution = Solution(
        [rows[t.id].start_day for t in instance.tasks],
        [rows[t.id].crews for t in instance.tasks],
    )
    violations = validate(instance, solution)
    for violation in violations:
        errors.print(violation.message, markup=False, highlight=False, soft_wrap=True)
    if violations:
        raise typer.Exit(1)
    console.print(f"{schedule_csv}: valid ({instance.num_tasks} tasks)")


@app.command("export")
def export_command(
    project: ProjectArg,
    schedule_json: Annotated[
        Path, typer.Argument(help="The schedule.json modsched wrote for PROJECT.")
    ],
    fmt: Annotated[
        str, typer.Option("--format", help="mspdi (MS Project XML), pmxml (P6 XML) or xlsx.")
    ],
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file.")] = False,
) -> None:
    """Write a plan for MS Project, Primavera P6 or Excel: the project gives the logic,
    calendar and pools, the schedule.json the dates and crews."""
    from scheduler.interop.formats import InteropUnavailable, write_export
    from scheduler.interop.plan import read_export_plan

    formats = parse_format_option("--format", fmt)
    if len(formats) != 1:
        errors.print("--format: name one format (mspdi, pmxml or xlsx)", markup=False)
        raise typer.Exit(2)
    refuse_existing(out, force)
    with answers():
        plan = read_export_plan(project, schedule_json)
    try:
        with writing(out):
            write_export(plan, formats[0], out)
    except InteropUnavailable as error:
        errors.print(str(error), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    console.print(f"wrote {out} ({len(plan.schedule.tasks)} tasks, {len(plan.links)} links)")


@app.command("import")
def import_command(
    schedule_file: Annotated[
        Path, typer.Argument(help="An MS Project XML (MSPDI), P6 XER or P6 XML (PMXML) file.")
    ],
    out: Annotated[Path, typer.Option("--out", help="The project folder to write.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite its files.")] = False,
    hold_dates: Annotated[
        bool,
        typer.Option(
            "--hold-dates", help="Each activity starts no earlier than its planned start."
        ),
    ] = False,
) -> None:
    """Read a schedule from MS Project or Primavera P6 into OUT/project.yaml and
    OUT/catalog.yaml; what cannot be carried over is listed on stderr and in
    OUT/import-notes.txt, one line each."""
    from scheduler.interop.formats import InteropUnavailable
    from scheduler.interop.mpxj_import import ImportError_, read_schedule_file, write_import

    if not schedule_file.is_file():
        errors.print(f"{schedule_file}: no such file", markup=False, highlight=False)
        raise typer.Exit(2)
    if out.exists() and not out.is_dir():
        errors.print(f"{out}: is not a folder", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    if out.is_dir() and any(out.iterdir()) and not force:
        errors.print(
            f"{out}: is not empty; pass --force to overwrite its files",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2)
    try:
        result = read_schedule_file(schedule_file, hold_dates=hold_dates)
    except InteropUnavailable as error:
        errors.print(str(error), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except ImportError_ as error:
        errors.print(str(error), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    with writing(out):
        write_import(result, out)
    for line in result.notes:
        errors.print(f"not carried: {line}", markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"wrote {out / 'project.yaml'} ({len(result.project['deployments'])} activities, "
        f"{len(result.project.get('crews', []))} pools, "
        f"{len(result.project.get('milestones', []))} milestones; "
        f"{len(result.notes)} notes in {out / 'import-notes.txt'})",
        highlight=False,
    )


def parse_format_option(option: str, text: str) -> list[ExportFormat]:
    from scheduler.interop.formats import parse_formats

    try:
        return parse_formats(text)
    except ValueError as error:
        errors.print(f"{option}: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def refuse_existing(out: Path, force: bool) -> None:
    """A file to write: not a folder, and one that exists only with --force."""
    if out.is_dir() or (out.exists() and not force):
        reason = "is a folder" if out.is_dir() else "exists; pass --force to overwrite it"
        errors.print(f"{out}: {reason}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2)


def restated(planned: Sequence[PlannedTask], instance: Instance, calendar: Calendar) -> list[str]:
    """What the rows state besides their start and crews, against what the project makes
    of that start: a row's duration, end day, start and finish dates (the validator sees
    only starts and crews, so a wrong end or date would pass it)."""
    index = instance.task_index()
    found = []
    for row in planned:
        if row.task_id not in index:
            continue  # reported as unknown
        i = index[row.task_id]
        task = instance.tasks[i]
        end = instance.end_of(i, row.start_day)
        inside = 0 <= row.start_day <= instance.horizon
        expected: dict[str, object] = {"duration": task.duration, "end_day": end}
        if inside:  # dates of days far outside the plan are not computed
            expected["start"] = calendar.date_of(row.start_day)
            expected["finish"] = calendar.finish_date(end, task.duration)
        for column, value in expected.items():
            given = getattr(row, column)
            if given is not None and given != value:
                found.append(
                    f"line {row.line}, task '{row.task_id}': {column} {given} but the project "
                    f"makes it {value} (start_day {row.start_day})"
                )
    return found


def main() -> None:
    global STARTED, _MAIN_CALLED
    now = time.perf_counter()
    fresh = not _MAIN_CALLED and now - IMPORTED_AT <= STARTUP_SECONDS
    _MAIN_CALLED = True
    STARTED = IMPORTED_AT if fresh else now
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        app()
    except KeyboardInterrupt:  # a command that writes nothing (validate, check)
        errors.print("interrupted", markup=False)
        raise SystemExit(130) from None
    finally:
        STARTED = None


def _register_bench() -> None:
    """`modsched bench`, defined with the benchmark runner."""
    from scheduler.bench import bench_command

    app.command("bench")(bench_command)


_register_bench()
