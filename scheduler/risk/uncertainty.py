"""The uncertain inputs of a project and one sample's draw of them (DESIGN.md, Risk).

`read_uncertainty(plan, instance)` lists every input that may vary: a catalog task's
duration (one input per task of every module), a supply's slip, a deployment's delivery
delay (one input for all its modules), a test's retest; it checks what the loader does not
(correlation groups named, a delivery task that exists) and raises `InputError` naming the
file, the place and the rule.

`draw(uncertainty, seed, k)` gives sample ``k``'s values from its own random stream
(``numpy.random.default_rng([seed, k])``), so a sample is the same whichever process,
chunk or machine draws it. Correlation is a Gaussian copula: an input of a group with
correlation ``rho`` draws ``z = sqrt(rho) * z_group + sqrt(1 - rho) * z_own`` and takes
the quantile ``Phi(z)`` of its distribution. `perturb` turns a draw into the instance that
sample plans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from scheduler.domain.calendar import Calendar
from scheduler.domain.load import Plan
from scheduler.domain.models import MAX_DAYS, Slip, Spread
from scheduler.errors import InputError, Problem
from scheduler.expand import from_day
from scheduler.instance import Instance

# the 90th percentile of the standard normal: a lognormal's sigma from its p50 and p90
Z90 = 1.2815515655446004


@dataclass(frozen=True)
class Input:
    """One uncertain input. ``kind``: duration (sets the tasks' duration), delivery (adds
    working days to them), retest (adds ``c`` days with probability ``a``), slip (moves a
    supply's start by calendar days). ``dist`` and its parameters: triangular and uniform
    (a, b, c = min, mode, max), lognormal (a, b = mu, sigma), bernoulli (a = p)."""

    name: str
    kind: str
    targets: tuple[int, ...]  # task indices, or the supply's index for a slip
    dist: str
    a: float
    b: float
    c: float
    group: int = -1  # index into Uncertainty.correlations, -1: on its own


@dataclass(frozen=True)
class Uncertainty:
    inputs: tuple[Input, ...]
    groups: tuple[str, ...]
    correlations: tuple[float, ...]
    supply_dates: tuple[date, ...]  # each supply's written `from` date (slips move it)

    @property
    def names(self) -> list[str]:
        return [u.name for u in self.inputs]


def read_uncertainty(plan: Plan, instance: Instance) -> Uncertainty:
    """Every uncertain input of a checked project, or `InputError` with every problem."""
    project = plan.project
    groups = [g.id for g in project.correlation_groups]
    problems = _duplicate_groups(plan, groups)
    index = {g: k for k, g in enumerate(groups)}
    inputs: list[Input] = []
    problems += _catalog_inputs(plan, instance, index, inputs)
    problems += _project_inputs(plan, instance, index, inputs)
    if problems:
        raise InputError(problems)
    dates = tuple(s.from_ for site in project.sites for s in site.power)
    rhos = tuple(g.correlation for g in project.correlation_groups)
    return Uncertainty(tuple(inputs), tuple(groups), rhos, dates)


def _duplicate_groups(plan: Plan, groups: list[str]) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for k, group in enumerate(groups):
        if group in seen:
            place = ("correlation_groups", k, "id")
            problems.append(plan.document.problem(place, f"correlation group '{group}' twice"))
        seen.add(group)
    return problems


def _group(
    group: str | None, index: dict[str, int], problems: list[Problem], where: Problem
) -> int:
    """The group's index; an unknown group is a problem at ``where``."""
    if group is None:
        return -1
    if group not in index:
        problems.append(
            replace(where, message=f"unknown correlation group '{group}' (correlation_groups)")
        )
        return -1
    return index[group]


def _catalog_inputs(
    plan: Plan, instance: Instance, index: dict[str, int], inputs: list[Input]
) -> list[Problem]:
    """Durations and retests: one input per task of every module of the type."""
    problems: list[Problem] = []
    by_module: dict[tuple[str, str], list[int]] = {}
    for i, task in enumerate(instance.tasks):
        by_module.setdefault((task.module_type, task.id.rsplit("/", 1)[-1]), []).append(i)
    for module_id, module in plan.modules.items():
        doc = plan.module_files[module_id]
        for k, template in enumerate(module.tasks):
            tasks = by_module.get((module_id, template.id), [])
            spread = template.duration_spread
            if spread is not None:
                where = doc.problem(("tasks", k, "duration", "group"), "")
                group = _group(spread.group, index, problems, where)
                inputs += [
                    _spread_input(
                        f"duration {instance.tasks[i].id}", "duration", spread, (i,), group
                    )
                    for i in tasks
                ]
            retest = template.retest
            if retest is not None:
                where = doc.problem(("tasks", k, "retest", "group"), "")
                group = _group(retest.group, index, problems, where)
                p, days = retest.probability, float(retest.days)
                inputs += [
                    Input(
                        f"retest {instance.tasks[i].id}",
                        "retest",
                        (i,),
                        "bernoulli",
                        p,
                        0,
                        days,
                        group,
                    )
                    for i in tasks
                ]
    return problems


def _project_inputs(
    plan: Plan, instance: Instance, index: dict[str, int], inputs: list[Input]
) -> list[Problem]:
    """Supply slips and delivery delays."""
    problems: list[Problem] = []
    doc, project = plan.document, plan.project
    supply = 0
    for s, site in enumerate(project.sites):
        for p, spec in enumerate(site.power):
            if spec.slip is not None:
                where = doc.problem(("sites", s, "power", p, "slip", "group"), "")
                group = _group(spec.slip.group, index, problems, where)
                name = f"slip {site.id}/{spec.name}"
                inputs.append(_slip_input(name, "slip", spec.slip, (supply,), group))
            supply += 1
    modules: dict[str, list[int]] = {}
    for i, task in enumerate(instance.tasks):
        modules.setdefault(task.deployment, []).append(i)
    for d, dep in enumerate(project.deployments):
        delay = dep.delivery_delay
        if delay is None:
            continue
        names = [t.id for t in plan.modules[dep.module].tasks]
        if delay.task not in names:
            problems.append(
                doc.problem(
                    ("deployments", d, "delivery_delay", "task"),
                    f"deployment '{dep.id}': module '{dep.module}' has no task "
                    f"'{delay.task}' (its tasks: {', '.join(names)})",
                )
            )
            continue
        where = doc.problem(("deployments", d, "delivery_delay", "group"), "")
        group = _group(delay.group, index, problems, where)
        targets = tuple(
            i for i in modules.get(dep.id, []) if instance.tasks[i].id.endswith("/" + delay.task)
        )
        name = f"delivery {dep.id}/{delay.task}"
        inputs.append(_slip_input(name, "delivery", delay, targets, group))
    return problems


def _spread_input(
    name: str, kind: str, spread: Spread, targets: tuple[int, ...], group: int
) -> Input:
    lo, mode, hi = float(spread.min), float(spread.mode), float(spread.max)
    return Input(name, kind, targets, spread.dist, lo, mode, hi, group)


def _slip_input(name: str, kind: str, slip: Slip, targets: tuple[int, ...], group: int) -> Input:
    spread = slip.spread()
    if spread is not None:
        return _spread_input(name, kind, spread, targets, group)
    p50, p90 = float(slip.p50_days or 0), float(slip.p90_days or 0)
    sigma = math.log(p90 / p50) / Z90
    return Input(name, kind, targets, "lognormal", math.log(p50), sigma, 0.0, group)


# ----------------------------------------------------------------------------- sampling


def planned(uncertainty: Uncertainty) -> np.ndarray:
    """The values the plan itself assumes: a duration's mode, no slip, delay or retest."""
    return np.array([u.b if u.kind == "duration" else 0.0 for u in uncertainty.inputs])


def draw(uncertainty: Uncertainty, seed: int, k: int) -> np.ndarray:
    """Sample ``k``'s value of every input (whole days; a retest 0 or 1)."""
    rng = np.random.default_rng([seed, k])
    shared = rng.standard_normal(len(uncertainty.groups))
    own = rng.standard_normal(len(uncertainty.inputs))
    values = np.empty(len(uncertainty.inputs))
    for n, u in enumerate(uncertainty.inputs):
        z = own[n]
        if u.group >= 0:
            rho = uncertainty.correlations[u.group]
            z = math.sqrt(rho) * shared[u.group] + math.sqrt(1.0 - rho) * z
        values[n] = _quantile(u, z)
    return values


def _quantile(u: Input, z: float) -> float:
    if u.dist == "lognormal":
        return float(round(math.exp(u.a + u.b * z)))
    p = 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))  # Phi(z)
    if u.dist == "bernoulli":
        return 1.0 if p < u.a else 0.0
    if u.dist == "uniform":
        return float(round(u.a + p * (u.c - u.a)))
    return float(round(_triangular(u.a, u.b, u.c, p)))


def _triangular(lo: float, mode: float, hi: float, p: float) -> float:
    """The quantile ``p`` of the triangular distribution (inverse of its CDF)."""
    if hi <= lo:
        return lo
    left = (mode - lo) / (hi - lo)
    if p < left:
        return lo + math.sqrt(p * (hi - lo) * (mode - lo))
    return hi - math.sqrt((1.0 - p) * (hi - lo) * (hi - mode))


def perturb(
    instance: Instance, uncertainty: Uncertainty, values: np.ndarray, calendar: Calendar
) -> Instance:
    """The instance one draw plans: durations set or lengthened, supplies moved."""
    durations = [t.duration for t in instance.tasks]
    supplies = list(instance.supplies)
    for u, value in zip(uncertainty.inputs, values, strict=True):
        for i in u.targets if u.kind != "slip" else ():
            if u.kind == "duration":
                durations[i] = int(value)
            else:
                durations[i] += int(value * u.c) if u.kind == "retest" else int(value)
        if u.kind == "slip" and value:
            written = uncertainty.supply_dates[u.targets[0]]
            moved = written + timedelta(days=int(value))
            supply = supplies[u.targets[0]]
            start = from_day(calendar, moved)
            if supply.end is not None:  # a supply that slips past its end never comes
                start = min(start, supply.end)
            supplies[u.targets[0]] = replace(supply, start=start)
    tasks = tuple(
        t if d == t.duration else replace(t, duration=min(d, MAX_DAYS))
        for t, d in zip(instance.tasks, durations, strict=True)
    )
    # the safe horizon (expand.with_horizon, with_calendars) grows by no more than the
    # days of the axis the longer tasks add and the latest move of a supply: cheaper
    # than summing the instance again each sample
    drawn = replace(instance, tasks=tasks, supplies=tuple(supplies))
    added = sum(
        max(0, drawn.longest_span(i) - instance.longest_span(i))
        for i, (a, b) in enumerate(zip(tasks, instance.tasks, strict=True))
        if a is not b
    )
    later = max([0, *(a.start - b.start for a, b in zip(supplies, instance.supplies, strict=True))])
    horizon = instance.horizon + added + later
    return replace(drawn, horizon=horizon)
