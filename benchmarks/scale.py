"""Scale curve on generated multi-site programs (`benchmarks/generate.py`): time to a
first plan, weighted tardiness of the greedy plan and of CP-SAT at the time limit, gap to
the bound and peak memory, from 500 to 20,000 tasks. Writes docs/results/scale.json, the
`scale` section of docs/BENCHMARKS.md and docs/img/scale.png.

Each size runs in a fresh process (`--one PROJECT`), so that its peak memory (ru_maxrss)
is its own; the generated projects go to a temporary folder. Usage:

    .venv/bin/python benchmarks/scale.py --time-limit 120 --workers 2 \
        --sizes 500 1000 2000 5000 10000 20000
    .venv/bin/python benchmarks/scale.py --plot-only    # redraw from docs/results/scale.json

The plot needs matplotlib (`pip install matplotlib`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import machine, write_section  # noqa: E402

SIZES = [500, 1000, 2000, 5000, 10000, 20000]
RESULTS = ROOT / "docs" / "results" / "scale.json"
WHOLE_MODEL = ROOT / "docs" / "results" / "scale-whole-model.json"  # before the windows
PLOT = ROOT / "docs" / "img" / "scale.png"
# targets of the issue, for generated programs of 20,000 tasks
TARGET_FIRST_S, TARGET_MB, TARGET_IMPROVEMENT = 60.0, 4096, 10.0


def peak_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_one(
    project: str, time_limit: float, workers: int, log_search: bool, promotion: bool = True
) -> dict:
    """Load, greedy, CP-SAT warm-started from greedy; the figures of one program. Times
    are from the start of this function (the process is already up, imports done).
    ``promotion=False`` leaves milestone promotion out of the window search."""
    from scheduler.instance import objective_terms
    from scheduler.pipeline import load_instance
    from scheduler.solvers import windows
    from scheduler.solvers.budget import Budget, SolveOptions
    from scheduler.solving import run_greedy, solve_plan
    from scheduler.validate import validate

    if not promotion:
        windows.PROMOTE_SHARE = 0.0

    started = time.perf_counter()
    _, instance, cpm = load_instance(project)
    load_s = time.perf_counter() - started
    mb_loaded = peak_mb()
    greedy = run_greedy(instance)
    greedy_at = time.perf_counter() - started
    mb_greedy = peak_mb()
    row: dict = {
        "tasks": instance.num_tasks,
        "links": len(instance.links),
        "milestones": len(instance.milestones),
        "horizon": instance.horizon,
        "cpm_days": cpm.length,
        "load_s": round(load_s, 2),
        "greedy_s": round(greedy.seconds, 2),
        "greedy_plan_at_s": round(greedy_at, 2),
        "mb_after_load": mb_loaded,
        "mb_after_greedy": mb_greedy,
    }
    if greedy.solution is not None:
        tardiness, makespan = objective_terms(instance, greedy.solution.starts)
        row |= {
            "greedy_tardiness": tardiness,
            "greedy_makespan": makespan,
            "greedy_valid": not validate(instance, greedy.solution),
        }
    weight = instance.tardiness_weight
    first: list[float] = []
    solve_started = time.perf_counter()

    def progress(seconds: float, objective: int, bound: int) -> None:
        if not first:
            first.append(time.perf_counter() - solve_started)

    options = SolveOptions(time_limit=time_limit, workers=workers, log_search=log_search)
    # the product's solve path (its own greedy again, then CP-SAT or the windows)
    solved = solve_plan(instance, options, Budget.of(options, on_progress=progress), cpm=cpm)
    instance, result = solved.instance, solved.result
    row |= {
        "solver": f"{result.engine} {result.method}",
        "status": str(result.status),
        "time_limit": time_limit,
        "workers": workers,
        "solve_s": round(result.seconds, 1),
        # from the solve call (model build + presolve + search) to CP-SAT's first plan
        "cpsat_first_s": round(first[0], 2) if first else None,
        # CP-SAT's own clock (after the model is built)
        "cpsat_first_search_s": result.first_solution_seconds
        and round(result.first_solution_seconds, 2),
        "cpsat_first_total_s": round(greedy_at + first[0], 2) if first else None,
        "objective": result.objective,
        "bound": result.bound,
        "gap_pct": None if result.gap is None else round(100 * result.gap, 2),
        "history": [
            (round(s, 2), o // weight, o % weight, b // weight) for s, o, b in result.history
        ],
    }
    if result.solution is not None:
        tardiness, makespan = objective_terms(instance, result.solution.starts)
        bound_tardiness = (result.bound or 0) // weight
        row |= {
            "cpsat_tardiness": tardiness,
            "cpsat_makespan": makespan,
            "tardiness_bound": bound_tardiness,
            "tardiness_gap_pct": round(100 * (tardiness - bound_tardiness) / tardiness, 1)
            if tardiness
            else 0.0,
            "cpsat_valid": not validate(instance, result.solution),
        }
        if row.get("greedy_tardiness"):
            row["improvement_pct"] = round(
                100 * (row["greedy_tardiness"] - tardiness) / row["greedy_tardiness"], 1
            )
    row["peak_rss_mb"] = peak_mb()
    return row


def cpsat_log_facts(log: str) -> dict:
    """A few figures of a CP-SAT search log: model size before and after presolve, when
    the search started (presolve done), who found the first plan and when."""
    facts: dict = {}
    for stage, key in (("Initial", "model_vars"), ("Presolved", "presolved_vars")):
        match = re.search(stage + r" optimization model.*?\n#Variables: ([\d']+)", log)
        if match:
            facts[key] = int(match.group(1).replace("'", ""))
    if match := re.search(r"Starting search at ([\d.]+)s", log):
        facts["presolve_done_s"] = float(match.group(1))
    if match := re.search(r"^#1\s+([\d.]+)s best:\S+\s+next:\S+\s+(\S+)", log, flags=re.M):
        facts["first_solution_log_s"], facts["first_solution_by"] = (
            float(match.group(1)),
            match.group(2),
        )
    if match := re.search(r"hint is incomplete: (\d+) out of (\d+)", log):
        facts["hinted_vars"] = f"{match.group(1)}/{match.group(2)}"
    if match := re.search(r"^deterministic_time: ([\d.]+)", log, flags=re.M):
        facts["deterministic_time"] = float(match.group(1))
    facts["improving_solutions"] = len(re.findall(r"^#\d+\s", log, flags=re.M))
    return facts


def others_busy(seconds: float = 3.0) -> float:
    """Cores used by processes other than this one and its children, sampled over
    ``seconds``."""
    import psutil

    mine = {os.getpid()} | {c.pid for c in psutil.Process().children(recursive=True)}
    procs = [p for p in psutil.process_iter() if p.pid not in mine]
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.cpu_percent(None)
    time.sleep(seconds)
    used = 0.0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            used += p.cpu_percent(None)
    return used / 100


def wait_quiet(limit: float = 0.3, poll: float = 30.0) -> None:
    """Wait until other processes use less than ``limit`` cores: a solve measured while
    another one runs on a 2-core machine says little."""
    while (busy := others_busy()) >= limit:
        print(
            f"{time.strftime('%H:%M:%S')} waiting: other processes use {busy:.1f} cores", flush=True
        )
        time.sleep(poll)


def one_command(project: Path, time_limit: float, workers: int) -> list[str]:
    """The command that runs one program in a fresh process (`run_one`), its row of
    figures as the last line of its output (JSON)."""
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--one",
        str(project),
        "--time-limit",
        str(time_limit),
        "--workers",
        str(workers),
    ]


def run_size(size: int, seed: int, folder: Path, args: argparse.Namespace) -> dict:
    from benchmarks.generate import generate

    started = time.perf_counter()
    project = generate(size, folder / f"gen-{size}" / f"program-{size}.yaml", seed)
    generate_s = time.perf_counter() - started
    command = one_command(project, args.time_limit, args.workers)
    if args.logs:
        command.append("--log-search")
    if args.wait_quiet:
        wait_quiet()
    load_before = os.getloadavg()[0]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    lines = done.stdout.strip().splitlines()
    row = {
        "size": size,
        "seed": seed,
        "generate_s": round(generate_s, 1),
        "load1_before": round(load_before, 2),
        "load1_after": round(os.getloadavg()[0], 2),
    }
    row |= json.loads(lines[-1])
    if args.logs:
        log = "\n".join(lines[:-1])
        Path(args.logs).mkdir(parents=True, exist_ok=True)
        (Path(args.logs) / f"cpsat-{size}.log").write_text(log)
        row |= cpsat_log_facts(log)
    return row


def table(rows: list[dict]) -> str:
    head = (
        "| size | tasks | solver | load s | greedy s | first plan s (greedy) | "
        "CP-SAT first s | greedy late x w | CP-SAT late x w | improvement % | late bound | "
        "gap % | makespan greedy / CP-SAT | peak MB | load1 before / after |"
    )
    lines = [head, "|" + "---|" * 15]
    for r in rows:
        lines.append(
            f"| {r['size']} | {r['tasks']} | {r.get('solver', 'cp-sat')} | {r['load_s']} | "
            f"{r['greedy_s']} | "
            f"{r['greedy_plan_at_s']} | {_dash(r.get('cpsat_first_total_s'))} | "
            f"{_dash(r.get('greedy_tardiness'))} | {_dash(r.get('cpsat_tardiness'))} | "
            f"{_dash(r.get('improvement_pct'))} | {_dash(r.get('tardiness_bound'))} | "
            f"{_dash(r.get('gap_pct'))} | {_dash(r.get('greedy_makespan'))} / "
            f"{_dash(r.get('cpsat_makespan'))} | {r['peak_rss_mb']} | "
            f"{_dash(r.get('load1_before'))} / {_dash(r.get('load1_after'))} |"
        )
    return "\n".join(lines)


def _dash(value: object) -> str:
    return "-" if value is None else str(value)


def targets(rows: list[dict]) -> str:
    big = [r for r in rows if r["size"] >= 20000]
    if not big:
        return "No 20,000-task program in this run: targets not checked."
    r = big[-1]
    first = r.get("cpsat_first_total_s")
    improvement = r.get("improvement_pct")
    checks = [
        (
            f"first feasible plan within {TARGET_FIRST_S:g} s",
            f"greedy plan at {r['greedy_plan_at_s']} s, CP-SAT's first at {_dash(first)} s",
            first is not None and first <= TARGET_FIRST_S,
        ),
        (
            f"peak memory under {TARGET_MB / 1024:g} GB",
            f"{r['peak_rss_mb']} MB",
            r["peak_rss_mb"] < TARGET_MB,
        ),
        (
            f"CP-SAT at least {TARGET_IMPROVEMENT:g} % better than greedy on weighted tardiness "
            f"at {r['time_limit']:g} s",
            f"{_dash(improvement)} %",
            improvement is not None and improvement >= TARGET_IMPROVEMENT,
        ),
    ]
    lines = ["| target (20,000 tasks) | measured | met |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'yes' if ok else 'no'} |" for t, m, ok in checks]
    return "\n".join(lines)


def plot(rows: list[dict], path: Path = PLOT) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [r["tasks"] for r in rows]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    ax = axes[0][0]
    ax.plot(tasks, [r["greedy_plan_at_s"] for r in rows], "o-", label="greedy plan (load + greedy)")
    ax.plot(
        tasks,
        [r.get("cpsat_first_total_s") for r in rows],
        "s-",
        label="CP-SAT first plan (load + greedy + build + presolve)",
    )
    ax.axhline(TARGET_FIRST_S, color="grey", ls="--", lw=1, label=f"target {TARGET_FIRST_S:g} s")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="tasks",
        ylabel="seconds",
        title="Time to first feasible plan",
    )
    ax.legend(fontsize=8)
    ax = axes[0][1]
    ax.plot(tasks, [r.get("greedy_tardiness") for r in rows], "o-", label="greedy")
    ax.plot(
        tasks,
        [r.get("cpsat_tardiness") for r in rows],
        "s-",
        label=f"CP-SAT at {rows[0]['time_limit']:g} s",
    )
    if WHOLE_MODEL.exists():  # the same sizes solved on the whole model only, for comparison
        whole = json.loads(WHOLE_MODEL.read_text())
        ax.plot(
            [r["tasks"] for r in whole],
            [r.get("cpsat_tardiness") for r in whole],
            "x--",
            label="CP-SAT, whole model only",
        )
    ax.plot(tasks, [r.get("tardiness_bound") for r in rows], "v:", label="CP-SAT bound")
    for r in rows:
        if r.get("improvement_pct") is not None:
            ax.annotate(
                f"{r['improvement_pct']:g} %",
                (r["tasks"], r["cpsat_tardiness"]),
                textcoords="offset points",
                xytext=(4, -12),
                fontsize=8,
            )
    ax.set_yscale("symlog", linthresh=10)  # the bound may be 0
    ax.set(
        xscale="log",
        xlabel="tasks",
        ylabel="weighted late days",
        title="Weighted tardiness (labels: CP-SAT better by)",
    )
    ax.legend(fontsize=8)
    ax = axes[1][0]
    ax.plot(tasks, [r.get("tardiness_gap_pct") for r in rows], "o-", label="tardiness gap to bound")
    ax.plot(tasks, [r.get("gap_pct") for r in rows], "s:", label="objective gap (solver)")
    ax.set(xscale="log", xlabel="tasks", ylabel="%", ylim=(0, 105), title="Gap to bound")
    ax.legend(fontsize=8)
    ax = axes[1][1]
    ax.plot(tasks, [r["peak_rss_mb"] for r in rows], "o-", label="peak RSS (whole run)")
    ax.plot(tasks, [r["mb_after_greedy"] for r in rows], "s:", label="after load + greedy")
    ax.axhline(TARGET_MB, color="grey", ls="--", lw=1, label="target 4 GB")
    ax.set(xscale="log", yscale="log", xlabel="tasks", ylabel="MB", title="Peak memory")
    ax.legend(fontsize=8)
    fig.suptitle(
        f"modsched on generated multi-site programs: CP-SAT {rows[0]['workers']} "
        f"workers, {rows[0]['time_limit']:g} s, warm-started from greedy "
        "(windows from 2,500 tasks)"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(rows: list[dict], command: str) -> None:
    commands = "\n".join(
        dict.fromkeys([*(r["command"] for r in rows if r.get("command")), command])
    )
    write_section(
        "scale",
        f"""## Scale curve: generated multi-site programs

Machine: {machine()}. Date: {date.today()}. Commands (a later one reran some sizes):

```
{commands}
```

Programs from `benchmarks/generate.py` (seed {rows[0]["seed"]}): AI halls of 7.5-30 MW at
2-10 sites with staged power (one site without temporary power), shared crews and
factories, and RFS targets at the resource-free critical-path day plus 0-15 working days,
so that the greedy plan is late. Each size runs in its own process; CP-SAT runs with
{rows[0]["workers"]} workers for {rows[0]["time_limit"]:g} s, warm-started from the greedy
plan, as `modsched schedule` runs it: on the whole model below 2,500 tasks; above,
milestone promotion (`scheduler/solvers/promote.py`, from 2026-12-02) then window by
window (solver `cp-sat windows`, `scheduler/solvers/windows.py`), where the first plan
is the greedy one. Rows of sizes not run since keep the code of their date. The whole
model's rows at every size: `docs/results/scale-whole-model.json`.

{table(rows)}

- *first plan s (greedy)*: load + greedy, from the start of the process's work; *CP-SAT
  first s*: that plus CP-SAT's model build, presolve and search to its first plan; from
  2,500 tasks, since the lateness probes (issue 20) run first for 30 % of the time, the
  moment the window search starts from the greedy plan.
- *late x w*: weighted late days of the milestones; *late bound*: CP-SAT's proven lower
  bound on it; *gap %*: the solver's gap on the scalar objective (late x w x (horizon + 1)
  + makespan); *improvement %*: (greedy - CP-SAT) / greedy on late x w.
- *peak MB*: resident memory of the process that loaded, ran the greedy and CP-SAT.
- *load1*: the machine's 1-minute load average before and after the size. Each size
  starts once other processes are idle (`--wait-quiet`); a load after well above the
  worker count means another job started during the run and shared the 2 cores.

{targets(rows)}

![scale curve](img/scale.png)""",
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--logs", help="folder for CP-SAT search logs (one per size)")
    parser.add_argument("--folder", help="where generated projects go (default: a temp dir)")
    parser.add_argument(
        "--plot-only", action="store_true", help="redraw the plot and the section from scale.json"
    )
    parser.add_argument(
        "--merge", action="store_true", help="keep the rows of other sizes already in scale.json"
    )
    parser.add_argument(
        "--wait-quiet",
        action="store_true",
        help="before each size, wait until other processes are idle",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--log-search", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-promotion", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        row = run_one(
            args.one, args.time_limit, args.workers, args.log_search, not args.no_promotion
        )
        print(json.dumps(row), flush=True)
        return
    if args.plot_only:
        rows = json.loads(RESULTS.read_text())
        write(rows, rows[-1].get("command", "python benchmarks/scale.py"))
        print(plot(rows))
        return
    kept = json.loads(RESULTS.read_text()) if args.merge and RESULTS.exists() else []
    command = " ".join(["python", "benchmarks/scale.py", *sys.argv[1:]])
    with tempfile.TemporaryDirectory(prefix="modsched-scale-") as temp:
        folder = Path(args.folder or temp)
        for size in args.sizes:
            row = run_size(size, args.seed, folder, args) | {"command": command}
            print({k: v for k, v in row.items() if k != "history"}, flush=True)
            # write after every size, so that a long run keeps what it measured
            kept = sorted([r for r in kept if r["size"] != size] + [row], key=lambda r: r["size"])
            write(kept, command)
            plot(kept)
    print(PLOT)


if __name__ == "__main__":
    main()
