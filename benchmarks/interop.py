"""Exports of the example projects: the time `modsched export` takes for each format, and
what MPXJ reads back (tasks, links and resources matched against the plan).

Each project is scheduled once with the greedy scheme (an export's time does not depend
on the plan's quality); then `modsched export` runs as a subprocess for each format (the
wall time a user sees: start-up, loading the project, the JVM, writing). The files are
read back in this process: MSPDI and PMXML by MPXJ's UniversalProjectReader, the
workbook by openpyxl. Timings go to the report, never into an assertion.

    .venv/bin/python benchmarks/interop.py projects/quickstart.yaml projects/three-sites.yaml \\
        projects/atlas-27.yaml --repeats 1
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODSCHED = str(Path(sys.executable).with_name("modsched"))
FORMATS = {"mspdi": "plan.mspdi.xml", "pmxml": "plan.pmxml.xml", "xlsx": "plan.xlsx"}


def run(args: list[str]) -> float:
    began = time.perf_counter()
    done = subprocess.run([MODSCHED, *args], capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"modsched {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
    return seconds


def read_back(project: Path, folder: Path) -> dict[str, str]:
    """Per format: tasks, links and resources found in the file / in the plan."""
    import openpyxl

    from scheduler.interop.java import start_jvm
    from scheduler.interop.plan import read_export_plan

    start_jvm("read-back")
    import jpype

    mpxj = jpype.JPackage("org").mpxj
    plan = read_export_plan(project, folder / "schedule.json")
    tasks = {t.task_id for t in plan.schedule.tasks}
    pools = {p.pool for p in plan.schedule.pools}
    found = {}
    for fmt in ("mspdi", "pmxml"):
        read = mpxj.reader.UniversalProjectReader().read(str(folder / FORMATS[fmt]))
        ids = {}
        for task in read.getTasks():
            key = task.getText(6) if fmt == "mspdi" else task.getActivityID()
            if key is not None and str(key) in tasks and not task.getSummary():
                ids[str(key)] = task
        links = sum(
            1
            for task in ids.values()
            for r in task.getPredecessors()
            if r.getPredecessorTask() in ids.values()
        )
        names = {str(r.getName()) for r in read.getResources() if r.getName() is not None}
        # MPXJ's own finish of start + duration on the task's calendar against the plan's
        finishes = {t.task_id: t.finish for t in plan.schedule.tasks}
        agree = own = 0
        for key, task in ids.items():
            calendar = task.getEffectiveCalendar()
            own += plan.calendar_of(key) != "program"
            end = calendar.getDate(task.getStart(), task.getDuration())
            day = (end.getYear(), end.getMonthValue(), end.getDayOfMonth())
            finish = finishes[key]
            agree += day == (finish.year, finish.month, finish.day)
        found[fmt] = (
            f"tasks {len(ids):,}/{len(tasks):,}, links {links:,}/{len(plan.links):,}, "
            f"resources {len(names & pools)}/{len(pools)}, "
            f"finish on its calendar {agree:,}/{len(ids):,} ({own:,} on own calendars)"
        )
    book = openpyxl.load_workbook(folder / FORMATS["xlsx"], read_only=True)
    rows = book["Schedule"].max_row - 1
    found["xlsx"] = f"task rows {rows:,}/{len(tasks):,}"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="+", type=Path)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    print(
        f"machine: {platform.node()}, {platform.processor() or platform.machine()}, "
        f"python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    print("| project | format | seconds (median) | read back |")
    print("|---|---|---:|---|")
    for project in args.projects:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            run(["schedule", str(project), "--out", str(folder / "plan"), "--solver", "greedy"])
            for fmt, name in FORMATS.items():
                seconds = [
                    run(
                        [
                            "export",
                            str(project),
                            str(folder / "plan" / "schedule.json"),
                            "--format",
                            fmt,
                            "--out",
                            str(folder / "plan" / name),
                            "--force",
                        ]
                    )
                    for _ in range(args.repeats)
                ]
                FORMATS_DONE[(project.name, fmt)] = statistics.median(seconds)
            figures = read_back(project, folder / "plan")
            for fmt in FORMATS:
                median = FORMATS_DONE[(project.name, fmt)]
                print(f"| {project.name} | {fmt} | {median:.1f} | {figures[fmt]} |", flush=True)


FORMATS_DONE: dict[tuple[str, str], float] = {}

if __name__ == "__main__":
    main()
