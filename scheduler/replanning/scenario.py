"""What-if scenarios (DESIGN.md, Replanning and what-if): read a scenario YAML and apply
its changes to an Instance. An id that names nothing is an error, never a no-op."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError

from scheduler.domain.calendar import Calendar
from scheduler.domain.load import MAX_YEARS, parse_model
from scheduler.domain.models import KINDS, MAX_DAYS, Count, KindName, NonNegativeFloat, Strict
from scheduler.domain.yamlio import Document, read_document
from scheduler.errors import InputError, Problem
from scheduler.instance import (
    CrewPool,
    Instance,
    Milestone,
    Resource,
    Supply,
    Task,
    Window,
    gaps,
)

#: valid names an error lists, at most
NAMES_SHOWN = 20


class PowerChange(Strict):
    site: str
    supply: str
    from_: date | None = Field(default=None, alias="from")
    until: date | None = None
    mw: NonNegativeFloat | None = None
    kind: KindName | None = None
    remove: bool = False


class CrewChange(Strict):
    pool: str
    count: Count
    from_: date = Field(alias="from")
    until: date


class FactoryChange(Strict):
    id: str
    slots: Count
    from_: date = Field(alias="from")
    until: date


class DelayChange(Strict):
    task: str
    deployment: str | None = None
    days: int = Field(ge=1, le=MAX_DAYS)


class DurationChange(Strict):
    module: str
    task: str
    factor: float = Field(gt=0, le=100, allow_inf_nan=False)


class MilestoneChange(Strict):
    id: str
    target: date | None = None
    deadline: date | None = None


class Change(Strict):
    """One change: exactly one of its fields is set."""

    power: PowerChange | None = None
    crews: CrewChange | None = None
    factory: FactoryChange | None = None
    delay: DelayChange | None = None
    duration: DurationChange | None = None
    milestone: MilestoneChange | None = None


class Scenario(Strict):
    name: str
    status_date: date | None = None
    changes: Annotated[list[Change], Field(default_factory=list)]


def _kinds(change: Change) -> list[str]:
    return [k for k, v in change.__dict__.items() if v is not None]


def _kind(change: Change) -> tuple[str, Any] | None:
    """The change's kind and its value (None: a change left empty by
    `check_scenario_file`, whose fields broke the format)."""
    kinds = _kinds(change)
    return (kinds[0], getattr(change, kinds[0])) if kinds else None


def _one_kind(document: Document, i: int) -> Problem:
    return document.problem(
        ("changes", i),
        "a change sets exactly one of power, crews, factory, delay, duration, milestone",
    )


def check_scenario_file(
    path: str | Path,
) -> tuple[Scenario | None, Document | None, list[Problem]]:
    """The scenario, its document and the problems of its format. Where some changes
    break the format, the scenario holds the others (the broken ones left empty, so that
    each change keeps its place), so that what applying them finds (an id naming
    nothing) is reported with the format's problems, at once; None when the rest of the
    file does not parse."""
    try:
        document = read_document(Path(path))
    except InputError as error:  # the file itself: nothing more to read in it
        return None, None, list(error.problems)
    problems: list[Problem] = []
    try:
        scenario: Scenario | None = parse_model(Scenario, document)
    except InputError as error:
        problems, scenario = list(error.problems), None
    data = document.data
    if scenario is not None:
        changes: list[Change | None] = list(scenario.changes)
    elif isinstance(data, dict) and isinstance(data.get("changes"), list):
        changes = []
        for i in range(len(data["changes"])):
            try:
                changes.append(parse_model(Change, document, ("changes", i)))
            except InputError:
                changes.append(None)  # its problems are among the file's
        try:
            scenario = Scenario.model_validate({**data, "changes": []})
        except ValidationError:
            return None, document, problems
    else:
        return None, document, problems
    kept = []
    for i, change in enumerate(changes):
        if change is not None and len(_kinds(change)) != 1:
            problems.append(_one_kind(document, i))
            change = None
        kept.append(change if change is not None else Change())
    return scenario.model_copy(update={"changes": kept}), document, problems


def load_scenario(path: str | Path) -> tuple[Scenario, Document]:
    document = read_document(Path(path))
    scenario = parse_model(Scenario, document)
    for i, change in enumerate(scenario.changes):
        if len(_kinds(change)) != 1:
            raise InputError([_one_kind(document, i)])
    return scenario, document


def apply_scenario(
    instance: Instance, scenario: Scenario, document: Document, calendar: Calendar
) -> Instance:
    """The instance with every change applied, in order."""
    problems = check_scenario_dates(scenario, document, calendar)
    if problems:  # a date centuries away is not turned into a working day
        raise InputError(problems)
    for i, change in enumerate(scenario.changes):
        found = _kind(change)
        if found is None:  # a change that broke the format (`check_scenario_file`)
            continue
        kind, value = found
        try:
            instance = APPLY[kind](instance, value, calendar)
        except LookupError as error:
            problems.append(document.problem(("changes", i, kind), str(error.args[0])))
        except ValueError as error:  # too long: the changes after it would repeat it
            problems.append(document.problem(("changes", i, kind), str(error.args[0])))
            break
    if problems:
        raise InputError(problems)
    return instance


def check_scenario_dates(scenario: Scenario, document: Document, calendar: Calendar) -> list:
    """Dates within MAX_YEARS of the program start, not before it; windows end after
    they begin."""
    start = calendar.start
    latest = start + timedelta(days=round(365.25 * MAX_YEARS))
    problems = []
    for i, change in enumerate(scenario.changes):
        found = _kind(change)
        if found is None:
            continue
        kind, value = found
        dates = {k: v for k, v in value.__dict__.items() if isinstance(v, date)}
        for name, day in dates.items():
            place = ("changes", i, kind, "from" if name == "from_" else name)
            if day < start:
                problems.append(
                    document.problem(place, f"date {day} is before the program start {start}")
                )
            elif day > latest:
                problems.append(
                    document.problem(
                        place,
                        f"date {day} is more than {MAX_YEARS} "
                        f"years after the program start {start}",
                    )
                )
        if "from_" in dates and "until" in dates and dates["until"] <= dates["from_"]:
            problems.append(
                document.problem(
                    ("changes", i, kind, "until"),
                    f"window 'until' {dates['until']} is not after 'from' {dates['from_']}",
                )
            )
    return problems


def _valid(names: Sequence[str], what: str) -> str:
    """`` (valid <what>: a, b, c)``: the names a scenario may use, the first
    ``NAMES_SHOWN`` of them."""
    found = sorted(set(names))
    if not found:
        return f" (the project has no {what})"
    shown = ", ".join(f"'{n}'" for n in found[:NAMES_SHOWN])
    more = f" and {len(found) - NAMES_SHOWN} more" if len(found) > NAMES_SHOWN else ""
    return f" (valid {what}: {shown}{more})"


def _power(instance: Instance, change: PowerChange, calendar: Calendar) -> Instance:
    index = next(
        (
            k
            for k, s in enumerate(instance.supplies)
            if s.site == change.site and s.name == change.supply
        ),
        None,
    )
    if index is None:
        names = [x.name for x in instance.supplies if x.site == change.site]
        raise LookupError(
            f"site '{change.site}' has no power supply '{change.supply}'"
            + _valid(names, f"supplies of '{change.site}'")
            if names
            else f"site '{change.site}' has no power supply"
            + _valid([x.site for x in instance.supplies], "sites with supplies")
        )
    supplies = list(instance.supplies)
    if change.remove:
        del supplies[index]
        return replace(instance, supplies=tuple(supplies))
    old: Supply = supplies[index]
    new = replace(
        old,
        start=calendar.day_of(change.from_) if change.from_ else old.start,
        end=calendar.day_of(change.until) if change.until else old.end,
        kw=round(change.mw * 1000) if change.mw is not None else old.kw,
        kind=KINDS[change.kind] if change.kind else old.kind,
    )
    if new.end is not None and new.end <= new.start:  # the loader refuses such a window
        raise LookupError(
            f"supply '{change.supply}' of site '{change.site}' would run from "
            f"{calendar.iso_of(new.start)} until {calendar.iso_of(new.end)}: not one day; "
            "move 'until' too, or remove the supply"
        )
    supplies[index] = new
    return replace(instance, supplies=tuple(supplies))


def _overlay(windows: tuple[Window, ...], new: Window) -> tuple[Window, ...]:
    """Windows with ``new`` laid over them (``new`` wins where they overlap)."""
    kept: list[Window] = []
    for w in windows:
        if w.end <= new.start or w.start >= new.end:
            kept.append(w)
            continue
        if w.start < new.start:
            kept.append(Window(w.start, new.start, w.value))
        if w.end > new.end:
            kept.append(Window(new.end, w.end, w.value))
    return tuple(sorted([*kept, new], key=lambda w: w.start))


def _raise_base(windows: tuple[Window, ...], old: int, far: int) -> tuple[Window, ...]:
    """A pool or resource grown from ``old`` to ``new`` keeps ``old`` outside its windows."""
    return tuple(sorted([*windows, *gaps(windows, far, old)], key=lambda w: w.start))


def _crews(instance: Instance, change: CrewChange, calendar: Calendar) -> Instance:
    index = next((k for k, p in enumerate(instance.pools) if p.id == change.pool), None)
    if index is None:
        names = [p.id for p in instance.pools]
        raise LookupError(f"unknown crew pool '{change.pool}'" + _valid(names, "crew pools"))
    pool: CrewPool = instance.pools[index]
    window = Window(calendar.day_of(change.from_), calendar.day_of(change.until), change.count)
    windows, count = pool.windows, pool.count
    if change.count > pool.count:
        windows, count = (
            _raise_base(windows, pool.count, _far(instance)),
            change.count,
        )
    pools = list(instance.pools)
    pools[index] = replace(pool, count=count, windows=_overlay(windows, window))
    return replace(instance, pools=tuple(pools))


def _factory(instance: Instance, change: FactoryChange, calendar: Calendar) -> Instance:
    rid = f"factory/{change.id}"
    index = next((k for k, r in enumerate(instance.resources) if r.id == rid), None)
    if index is None:
        factories = [
            r.id.removeprefix("factory/") for r in instance.resources if r.id.startswith("factory/")
        ]
        raise LookupError(f"unknown factory '{change.id}'" + _valid(factories, "factories"))
    resource: Resource = instance.resources[index]
    window = Window(calendar.day_of(change.from_), calendar.day_of(change.until), change.slots)
    windows, capacity = resource.windows, resource.capacity
    if change.slots > capacity:
        windows, capacity = (
            _raise_base(windows, capacity, _far(instance)),
            change.slots,
        )
    resources = list(instance.resources)
    resources[index] = replace(resource, capacity=capacity, windows=_overlay(windows, window))
    return replace(instance, resources=tuple(resources))


def _far(instance: Instance) -> int:
    return instance.horizon * 4 + 1000


def _template_id(task: Task) -> str:
    return task.id.rsplit("/", 1)[-1]


def _delay(instance: Instance, change: DelayChange, calendar: Calendar) -> Instance:
    if change.deployment is None:
        chosen = [k for k, t in enumerate(instance.tasks) if t.id == change.task]
        what = f"unknown task '{change.task}' (a task id is 'deployment/module/task')"
    else:
        chosen = [
            k
            for k, t in enumerate(instance.tasks)
            if t.deployment == change.deployment and _template_id(t) == change.task
        ]
        here = [_template_id(t) for t in instance.tasks if t.deployment == change.deployment]
        what = f"deployment '{change.deployment}' has no task '{change.task}'" + (
            _valid(here, f"tasks of '{change.deployment}'")
            if here
            else _valid([t.deployment for t in instance.tasks], "deployments")
        )
    if not chosen:
        raise LookupError(what)
    return _lengthen(instance, chosen, lambda d: d + change.days)


def _duration(instance: Instance, change: DurationChange, calendar: Calendar) -> Instance:
    chosen = [
        k
        for k, t in enumerate(instance.tasks)
        if t.module_type == change.module and _template_id(t) == change.task
    ]
    if not chosen:
        types = [t.module_type for t in instance.tasks]
        valid = (
            _valid(
                [_template_id(t) for t in instance.tasks if t.module_type == change.module],
                f"tasks of '{change.module}'",
            )
            if change.module in types
            else _valid(types, "deployed modules")
        )
        raise LookupError(
            f"no deployed module '{change.module}' has a task '{change.task}'" + valid
        )
    return _lengthen(instance, chosen, lambda d: max(1, math.ceil(round(d * change.factor, 6))))


def _lengthen(instance: Instance, chosen: list[int], new_duration) -> Instance:  # type: ignore[no-untyped-def]
    """The chosen tasks with their new durations, each within MAX_DAYS as the loader
    bounds a duration (100 delays of 10,000 days made a task of a million days, which
    ended past any horizon the validator accepts)."""
    tasks = list(instance.tasks)
    for k in chosen:
        duration = new_duration(tasks[k].duration)
        if duration > MAX_DAYS:
            raise ValueError(
                f"task '{tasks[k].id}' would last {duration} working days, more than "
                f"{MAX_DAYS}, the longest a task may last"
            )
        tasks[k] = replace(tasks[k], duration=duration)
    return replace(instance, tasks=tuple(tasks))


def _milestone(instance: Instance, change: MilestoneChange, calendar: Calendar) -> Instance:
    index = next((k for k, m in enumerate(instance.milestones) if m.id == change.id), None)
    if index is None:
        names = [m.id for m in instance.milestones]
        raise LookupError(f"unknown milestone '{change.id}'" + _valid(names, "milestones"))
    old: Milestone = instance.milestones[index]
    milestones = list(instance.milestones)
    milestones[index] = replace(
        old,
        target=calendar.day_of(change.target) if change.target else old.target,
        deadline=calendar.last_day_by(change.deadline) if change.deadline else old.deadline,
    )
    return replace(instance, milestones=tuple(milestones))


APPLY: dict[str, Callable[[Instance, Any, Calendar], Instance]] = {
    "power": _power,
    "crews": _crews,
    "factory": _factory,
    "delay": _delay,
    "duration": _duration,
    "milestone": _milestone,
}
