"""Hypothesis strategies for random, small, valid and feasible modsched projects.

`projects()` draws a `GeneratedProject`: a project document and a catalog of module types
(plain Python data, dumped as YAML by `write_project`). Everything DESIGN.md's formats
offer can appear: 1-2 sites with backfeed, temporary and permanent supplies, 1-3 module
types of 2-5 tasks linked FS/SS/FF/SF with small lags (negative too), crew needs, site and
program resources, factory slots, energised load, power gates and draws, crew pools with
skills, sites and unavailability, releases, links between deployments, milestones with
targets, weights and generous deadlines, and a program calendar with holidays.

Feasible by construction, whatever is drawn:
- task links only point from an earlier task of a module to a later one, and deployment
  links only from an earlier deployment to a later one, so the precedence graph is acyclic
  and every link is met by starting successors late enough;
- every site has a permanent supply, on from some day for good, whose MW covers all the
  load energised at that site plus every draw of its tasks at once;
- every skill needed has a pool of its own, allowed at every site, with as many crews as
  the largest need of that skill; unavailability windows end;
- every resource a task `uses` is defined, at each site or for the program, with at least
  the largest amount used; every factory has a slot;
- deadlines lie after every dated event by twice the work of all tasks one after another.
Small: at most `MAX_TASKS` tasks, so CP-SAT solves them in well under two seconds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hypothesis import settings
from hypothesis import strategies as st

from scheduler.expand import with_horizon
from scheduler.instance import Instance, Link, LinkType, Resource, Task, objective_value
from scheduler.io import task_columns, task_record
from scheduler.solvers.budget import SolveOptions
from scheduler.solvers.cpsat import solve
from scheduler.solvers.result import Result, Status
from scheduler.validate import recompute_objective, validate

MAX_TASKS = 40
# the settings of the property tests over `projects()`; more examples for a deeper run:
# MODSCHED_PROPERTY_EXAMPLES=500 pytest ... (or benchmarks/fuzz.py); deadline,
# derandomize and phases come from the profile tests/conftest.py loads, which must be
# loaded before this line runs (settings() copies the profile in force): conftest.py
# imports this module only inside its fixtures
PROPERTY_SETTINGS = settings(max_examples=int(os.environ.get("MODSCHED_PROPERTY_EXAMPLES", "25")))
SKILLS = ("rigging", "electrical", "pipefitting", "commissioning")
LINK_TYPES = ("FS", "SS", "FF", "SF")
GATES = ("none", "any", "temporary", "permanent")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# resource name -> amounts a task may use (fractional amounts exercise Resource.scale)
RESOURCES = {"crane": (1.0,), "load-bank-mw": (0.5, 1.0, 1.5), "mats": (1.0, 2.0)}
PERMANENT = "utility"


@dataclass(frozen=True)
class GeneratedProject:
    """A project document and its catalog, as YAML-ready data."""

    project: dict[str, Any]
    modules: list[dict[str, Any]]

    @property
    def num_tasks(self) -> int:
        sizes = {m["id"]: len(m["tasks"]) for m in self.modules}
        return sum(d["quantity"] * sizes[d["module"]] for d in self.project["deployments"])


def write_project(generated: GeneratedProject, folder: Path) -> Path:
    """``folder/project.yaml`` and ``folder/catalog/modules.yaml``; returns the project."""
    (folder / "catalog").mkdir(parents=True, exist_ok=True)
    (folder / "catalog" / "modules.yaml").write_text(_dump(generated.modules))
    path = folder / "project.yaml"
    path.write_text(_dump(generated.project))
    return path


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)


# ---------------------------------------------------------------- pieces


def _days(draw: st.DrawFn, start: date, low: int, high: int) -> date:
    return start + timedelta(days=draw(st.integers(low, high)))


def _calendar(draw: st.DrawFn, start: date) -> dict[str, Any]:
    workdays = draw(
        st.one_of(
            st.just(list(WEEKDAYS[:5])),
            st.just(list(WEEKDAYS[:6])),
            st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True),
        )
    )
    holidays = draw(st.lists(st.integers(0, 90), max_size=3, unique=True))
    return {"workdays": workdays, "holidays": [start + timedelta(days=h) for h in holidays]}


def _link(draw: st.DrawFn, pred: str) -> str | dict[str, Any]:
    kind, lag = draw(st.sampled_from(LINK_TYPES)), draw(st.integers(-2, 3))
    if kind == "FS" and lag == 0 and draw(st.booleans()):
        return pred  # the short form
    return {"task": pred, "type": kind, "lag": lag}


def _task(draw: st.DrawFn, k: int, earlier: list[str], factory: bool) -> dict[str, Any]:
    task: dict[str, Any] = {"id": f"t{k}", "duration": draw(st.integers(1, 5))}
    preds = draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)) if earlier else []
    if preds:
        task["after"] = [_link(draw, p) for p in preds]
    needs = draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 2), max_size=2))
    if needs:
        task["needs"] = needs
    uses = draw(st.lists(st.sampled_from(sorted(RESOURCES)), max_size=2, unique=True))
    if uses:
        task["uses"] = {r: draw(st.sampled_from(RESOURCES[r])) for r in uses}
    if factory:
        task["factory"] = True
    gate = draw(st.sampled_from(GATES))
    if gate != "none":
        task["power_gate"] = gate
    if draw(st.integers(0, 3)) == 0:
        task["power_mw"] = draw(st.sampled_from([0.0, 0.5, 1.0, 2.5]))
    return task


@st.composite
def module_types(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """2-5 tasks; links only from earlier tasks (acyclic); at most one factory task."""
    size = draw(st.integers(2, 5))
    factory = draw(st.sampled_from([None, *range(size)]))
    tasks: list[dict[str, Any]] = []
    for k in range(size):
        tasks.append(_task(draw, k, [t["id"] for t in tasks], factory == k))
    energiser = draw(st.sampled_from([None, *range(size)]))
    if energiser is not None:
        tasks[energiser]["energises"] = True
    module: dict[str, Any] = {"id": f"m{index}", "name": f"Module type {index}", "tasks": tasks}
    if draw(st.booleans()):
        module["category"] = draw(st.sampled_from(["electrical", "cooling", "utility"]))
    if draw(st.booleans()):
        module["load_mw"] = draw(st.sampled_from([0.0, 0.2, 0.5, 1.0]))
    return module


def _deployments(
    draw: st.DrawFn,
    start: date,
    modules: list[dict[str, Any]],
    sites: list[str],
    factories: list[str],
) -> list[dict[str, Any]]:
    """1-4 deployments of at most MAX_TASKS tasks in all; links to earlier ones only."""
    deployments: list[dict[str, Any]] = []
    total = 0
    for k in range(draw(st.integers(1, 4))):
        module = draw(st.sampled_from(modules))
        size = len(module["tasks"])
        quantity = min(draw(st.integers(1, 3)), (MAX_TASKS - total) // size)
        if quantity < 1:
            break
        total += quantity * size
        dep: dict[str, Any] = {
            "id": f"d{k}",
            "site": draw(st.sampled_from(sites)),
            "module": module["id"],
            "quantity": quantity,
        }
        if any(t.get("factory") for t in module["tasks"]) or draw(st.booleans()):
            dep["factory"] = draw(st.sampled_from(factories))
        if draw(st.booleans()):
            dep["release"] = _days(draw, start, 0, 40)
        linked = bool(deployments) and draw(st.booleans())
        if linked:
            dep["after"] = [_deployment_link(draw, deployments, modules, module)]
        deployments.append(dep)
    return deployments


def _deployment_link(
    draw: st.DrawFn,
    earlier: list[dict[str, Any]],
    modules: list[dict[str, Any]],
    to_type: dict[str, Any],
) -> dict[str, Any]:
    other = draw(st.sampled_from(earlier))
    from_type = next(m for m in modules if m["id"] == other["module"])
    link: dict[str, Any] = {"deployment": other["id"]}
    if draw(st.booleans()):
        link["task"] = draw(st.sampled_from([t["id"] for t in from_type["tasks"]]))
    if draw(st.booleans()):
        link["to"] = draw(st.sampled_from([t["id"] for t in to_type["tasks"]]))
    if draw(st.booleans()):
        link["type"] = draw(st.sampled_from(LINK_TYPES))
        link["lag"] = draw(st.integers(-2, 3))
    return link


def _is_gated(task: dict[str, Any]) -> bool:
    return (
        task.get("power_gate", "none") != "none"
        or task.get("energises", False)
        or task.get("power_mw", 0) > 0
    )


def _site_load(
    site: str, deployments: list[dict[str, Any]], modules: dict[str, dict[str, Any]]
) -> tuple[float, bool]:
    """(energised load + every draw at once, whether any task at the site is gated)."""
    load, gated = 0.0, False
    for dep in deployments:
        if dep["site"] != site:
            continue
        module = modules[dep["module"]]
        for task in module["tasks"]:
            gated = gated or _is_gated(task)
            load += dep["quantity"] * task.get("power_mw", 0.0)
            if task.get("energises"):
                load += dep["quantity"] * module.get("load_mw", 0.0)
    return load, gated


def _supplies(draw: st.DrawFn, start: date, load: float, gated: bool) -> list[dict[str, Any]]:
    supplies = []
    for k in range(draw(st.integers(0, 2))):
        supply: dict[str, Any] = {
            "name": f"extra{k}",
            "kind": draw(st.sampled_from(["backfeed", "temporary"])),
            "mw": draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])),
            "from": _days(draw, start, 0, 30),
        }
        if draw(st.booleans()):
            supply["until"] = supply["from"] + timedelta(days=draw(st.integers(1, 60)))
        supplies.append(supply)
    if gated or draw(st.booleans()):
        mw = round(load + draw(st.sampled_from([0.5, 1.0, 5.0])), 3)
        supplies.append(
            {"name": PERMANENT, "kind": "permanent", "mw": mw, "from": _days(draw, start, 0, 60)}
        )
    return draw(st.permutations(supplies))


def _crews(
    draw: st.DrawFn, start: date, needs: dict[str, int], sites: list[str]
) -> list[dict[str, Any]]:
    """A pool of its own for every skill needed, then a few mixed, site-bound pools."""
    pools: list[dict[str, Any]] = []
    for skill, need in sorted(needs.items()):
        pool: dict[str, Any] = {
            "id": f"{skill}-crews",
            "skills": [skill],
            "count": need + draw(st.integers(0, 1)),
        }
        if draw(st.booleans()):
            pool["sites"] = list(sites)
        pools.append(pool)
    for k in range(draw(st.integers(0, 2))):
        pools.append(
            {
                "id": f"mixed{k}",
                "count": draw(st.integers(0, 2)),
                "skills": draw(
                    st.lists(st.sampled_from(SKILLS), min_size=1, max_size=3, unique=True)
                ),
                "sites": draw(st.lists(st.sampled_from(sites), min_size=1, unique=True)),
            }
        )
    for pool in pools:
        if pool["count"] and draw(st.integers(0, 2)) == 0:
            begin = _days(draw, start, 0, 30)
            out: dict[str, Any] = {
                "from": begin,
                "until": begin + timedelta(days=draw(st.integers(1, 20))),
            }
            if draw(st.booleans()):
                out["count"] = draw(st.integers(1, pool["count"]))
            pool["unavailable"] = [out]
    return pools


def _resources(
    draw: st.DrawFn, used: dict[str, float], sites: list[dict[str, Any]]
) -> dict[str, float]:
    """Each resource used lives at every site or in the program, big enough for any use."""
    program: dict[str, float] = {}
    for name, largest in sorted(used.items()):
        capacity = largest + draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))
        if draw(st.booleans()):
            program[name] = capacity
        else:
            for site in sites:
                site.setdefault("resources", {})[name] = capacity
    return program


def _milestones(
    draw: st.DrawFn, start: date, deployments: list[dict[str, Any]], last_event: date, work: int
) -> list[dict[str, Any]]:
    ids = [d["id"] for d in deployments]
    milestones = []
    for k in range(draw(st.integers(0, 2))):
        milestone: dict[str, Any] = {
            "id": f"ms{k}",
            "after": draw(st.lists(st.sampled_from(ids), min_size=1, unique=True)),
        }
        if draw(st.integers(0, 3)):
            milestone["target"] = _days(draw, start, 5, 80)
        if draw(st.booleans()):
            milestone["weight"] = draw(st.integers(0, 10))
        if draw(st.integers(0, 3)) == 0:
            # generous: every task one after another, after the last dated event, at
            # one working day a week, twice over
            milestone["deadline"] = last_event + timedelta(days=14 * work + 14)
        milestones.append(milestone)
    return milestones


def _dates_in(value: Any) -> list[date]:
    if isinstance(value, date):
        return [value]
    if isinstance(value, dict):
        return [d for v in value.values() for d in _dates_in(v)]
    if isinstance(value, list):
        return [d for v in value for d in _dates_in(v)]
    return []


# ---------------------------------------------------------------- the project


@st.composite
def projects(draw: st.DrawFn) -> GeneratedProject:
    """A random valid, feasible, small project (see the module docstring)."""
    start = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 3 * 365)))
    modules = [draw(module_types(k)) for k in range(draw(st.integers(1, 3)))]
    by_id = {m["id"]: m for m in modules}
    site_ids = [f"s{k}" for k in range(1, draw(st.integers(1, 2)) + 1)]
    factory_ids = [f"f{k}" for k in range(1, draw(st.integers(1, 2)) + 1)]
    deployments = _deployments(draw, start, modules, site_ids, factory_ids)

    sites: list[dict[str, Any]] = []
    for site_id in site_ids:
        load, gated = _site_load(site_id, deployments, by_id)
        sites.append({"id": site_id, "power": _supplies(draw, start, load, gated)})
    needs: dict[str, int] = {}
    used: dict[str, float] = {}
    for module in modules:
        for task in module["tasks"]:
            for skill, need in task.get("needs", {}).items():
                needs[skill] = max(needs.get(skill, 0), need)
            for name, amount in task.get("uses", {}).items():
                used[name] = max(used.get(name, 0.0), amount)
    project: dict[str, Any] = {
        "program": {"name": "Generated program", "start": start},
        "catalog": "catalog",
    }
    if draw(st.booleans()):
        project["program"]["calendar"] = _calendar(draw, start)
    program_resources = _resources(draw, used, sites)
    if program_resources:
        project["resources"] = program_resources
    project["sites"] = sites
    project["factories"] = [{"id": f, "slots": draw(st.integers(1, 3))} for f in factory_ids]
    project["crews"] = _crews(draw, start, needs, site_ids)
    project["deployments"] = deployments
    work = sum(
        sum(t["duration"] + 3 for t in by_id[d["module"]]["tasks"]) * d["quantity"]
        for d in deployments
    )
    last_event = max(_dates_in(project))
    milestones = _milestones(draw, start, deployments, last_event, work)
    if milestones:
        project["milestones"] = milestones
    return GeneratedProject(project, modules)


# ------------------------------------------------- helpers shared by the test files
# Not strategies: small hand-built instances and the checks several test files share
# (tests/ is no package, so a test file imports these as `from generators import ...`).


def make(tasks: Any, **parts: Any) -> Instance:
    """An instance of ``tasks`` and the other parts (tuples of them), with its horizon."""
    return with_horizon(Instance("t", tuple(tasks), **{k: tuple(v) for k, v in parts.items()}))


def solved(instance: Instance) -> Result:
    """CP-SAT's proven optimum of a tiny instance, checked by the validator: its plan
    breaks no rule and the validator's objective is the solver's."""
    result = solve(instance, SolveOptions(time_limit=20, workers=2))
    assert result.status == Status.OPTIMAL, result.status
    assert validate(instance, result.solution) == []
    assert recompute_objective(instance, result.solution)[2] == result.objective
    assert objective_value(instance, result.solution.starts) == result.objective
    return result


def starts(instance: Instance) -> list[int]:
    """The starts of the optimum `solved` finds."""
    return solved(instance).solution.starts


def four_links() -> Instance:
    """Every link type, with lags, and a one-slot resource."""
    slot = Resource("slot", 1, "site")
    tasks = [
        Task("a", 3, resources={"slot": 1}),
        Task("b", 2),
        Task("c", 4),
        Task("d", 1, resources={"slot": 1}),
        Task("e", 2),
    ]
    links = [
        Link(0, 1, LinkType.FS, 1),
        Link(0, 2, LinkType.SS, 2),
        Link(2, 3, LinkType.FF, -1),
        Link(1, 4, LinkType.SF, 3),
    ]
    return make(tasks, links=links, resources=[slot])


# the replanning tests: the complete test project, replanned fast (its baseline is the
# session fixture `baseline` of conftest.py)
REPLAN_PROJECT = Path(__file__).parent / "data" / "complete.yaml"
REPLAN_OPTIONS = SolveOptions(time_limit=20, workers=2)


def table(outcome: Any) -> pd.DataFrame:
    """The tasks as schedule.csv has them."""
    columns = task_columns(outcome.schedule)
    rows = [task_record(t, columns) | {"crews": ";".join(t.crews)} for t in outcome.schedule.tasks]
    return pd.DataFrame(rows, columns=columns)


def checked(outcome: Any) -> Any:
    """``outcome``, once its plan is found to break no rule."""
    assert validate(outcome.instance, outcome.result.solution) == []
    return outcome


def replan_cli(baseline: Path, out: Path, *args: str) -> Any:
    """`modsched replan` of the replanning tests' project from ``baseline`` into
    ``out``, at a 2 s limit, with ``args`` added; the CliRunner result."""
    from typer.testing import CliRunner

    from scheduler.cli import app

    command = ["replan", str(REPLAN_PROJECT), "--baseline", str(baseline), "--out", str(out)]
    return CliRunner().invoke(app, [*command, "--time-limit", "2", *args])
