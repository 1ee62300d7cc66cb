"""Load a project and its catalog, and check every cross-reference.

`load_project(path)` gives a `Plan` (the validated project, its module types and its
calendar) or raises `InputError` listing every problem found, each naming the file, the
place in the document and the rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx
from pydantic import BaseModel, ValidationError

from scheduler.domain.calendar import WEEKDAYS, Calendar
from scheduler.domain.models import ModuleType, Project, SiteCalendarSpec
from scheduler.domain.yamlio import Document, Place, place_text, read_document
from scheduler.errors import InputError, Problem

Model = TypeVar("Model", bound=BaseModel)


@dataclass
class Plan:
    """A project whose every reference resolves."""

    path: Path
    project: Project
    modules: dict[str, ModuleType]
    module_files: dict[str, Document]
    document: Document

    @property
    def program_calendar(self) -> Calendar:
        spec = self.project.program.calendar
        return Calendar(
            self.project.program.start,
            frozenset(WEEKDAYS.index(d) for d in spec.workdays),
            frozenset(spec.holidays),
        )

    def own_calendars(self) -> dict[str, Calendar]:
        """The calendars sites and factories keep of their own, by ``site:{id}`` and
        ``factory:{id}``: their workdays (default the program's) and the program's
        holidays plus their own."""
        owners = [("site", s.id, s.calendar) for s in self.project.sites]
        owners += [("factory", f.id, f.calendar) for f in self.project.factories]
        return self._calendars(owners)

    def pool_calendars(self) -> dict[str, Calendar]:
        """The calendars crew pools keep of their own, by ``crew:{id}``, read as
        `own_calendars` reads a site's. A task worked by such a pool's crews works the
        days both its place and the pool work (DESIGN.md, Time)."""
        return self._calendars([("crew", c.id, c.calendar) for c in self.project.crews])

    def _calendars(
        self, owners: list[tuple[str, str, SiteCalendarSpec | None]]
    ) -> dict[str, Calendar]:
        program = self.program_calendar
        found = {}
        for kind, owner, spec in owners:
            if spec is None:
                continue
            workdays = (
                frozenset(WEEKDAYS.index(d) for d in spec.workdays)
                if spec.workdays is not None
                else program.workdays
            )
            found[f"{kind}:{owner}"] = Calendar(
                program.start, workdays, program.holidays | frozenset(spec.holidays)
            )
        return found

    @property
    def calendar(self) -> Calendar:
        """The day axis: the days the program calendar or any site's or factory's own
        calendar works (the program calendar itself when none has one)."""
        program = self.program_calendar
        own = list(self.own_calendars().values())
        if not own:
            return program
        every = [program, *own]
        workdays = frozenset().union(*(c.workdays for c in every))
        candidates = frozenset().union(*(c.holidays for c in every))
        holidays = frozenset(
            d
            for d in candidates
            if d.weekday() in workdays and not any(c.is_workday(d) for c in every)
        )
        return Calendar(program.start, workdays, holidays)


def load_project(path: str | Path) -> Plan:
    """Read, parse and check a project file and the catalog it names."""
    path = Path(path)
    document = read_document(path)
    project = parse_model(Project, document)
    modules, module_files = load_catalog(path.parent, project, document)
    plan = Plan(path, project, modules, module_files, document)
    problems = check_plan(plan)
    if problems:
        raise InputError(problems)
    return plan


def parse_model(model: type[Model], document: Document, place: Place = ()) -> Model:
    """Validate ``document.data`` at ``place`` against a pydantic model."""
    data = document.data
    for part in place:
        data = data[part]
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise InputError([document.problem(place, f"expected a mapping, got {kind}")])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InputError(pydantic_problems(error, document, place)) from None


def pydantic_problems(error: ValidationError, document: Document, place: Place) -> list[Problem]:
    problems = []
    for item in error.errors():
        if "str" in item["loc"] and isinstance(item.get("input"), dict):
            continue  # a mapping where a string or a mapping will do: its own errors say more
        loc = tuple(p for p in item["loc"] if not _is_union_tag(p))
        full = (*place, *loc)
        problems.append(document.problem(full, _message(dict(item))))
    return problems


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part in {"str", "TaskLinkSpec"})


def _message(item: dict[str, Any]) -> str:
    field = item["loc"][-1] if item["loc"] else "document"
    kind = item["type"]
    if kind == "missing":
        return f"missing required field '{field}'"
    if kind == "extra_forbidden":
        return f"unknown field '{field}'"
    message = item["msg"].removeprefix("Value error, ")
    given = item.get("input")
    if kind != "value_error" and not isinstance(given, dict | list):
        message += f" (got {given})" if isinstance(given, date) else f" (got {given!r})"
    return message


# ---------------------------------------------------------------- catalog


def catalog_files(base: Path, catalog: str | list[str]) -> list[Path]:
    entries = [catalog] if isinstance(catalog, str) else catalog
    files: list[Path] = []
    for entry in entries:
        target = (base / entry).resolve()
        files += (
            sorted(target.glob("*.yaml")) + sorted(target.glob("*.yml"))
            if target.is_dir()
            else [target]
        )
    return files


def load_catalog(
    base: Path, project: Project, document: Document
) -> tuple[dict[str, ModuleType], dict[str, Document]]:
    try:
        files = catalog_files(base, project.catalog)
        missing = [f for f in files if not f.exists()]
    except (OSError, ValueError) as error:  # a NUL byte or a name too long for the system
        raise InputError(
            [document.problem(("catalog",), f"catalog not readable: {error}")]
        ) from None
    if missing or not files:
        what = ", ".join(str(f) for f in missing) or "no *.yaml file"
        raise InputError([document.problem(("catalog",), f"catalog not found: {what}")])
    modules: dict[str, ModuleType] = {}
    module_files: dict[str, Document] = {}
    problems: list[Problem] = []
    for file in files:
        try:
            for module, doc in _modules_in(read_document(file)):
                if module.id in modules:
                    first = module_files[module.id].path
                    problems.append(
                        doc.problem((), f"module id '{module.id}' already defined in {first}")
                    )
                modules[module.id] = module
                module_files[module.id] = doc
        except InputError as error:
            problems += error.problems
    for module_id, module in modules.items():
        problems += check_module(module, module_files[module_id])
    if problems:
        raise InputError(problems)
    return modules, module_files


def _modules_in(doc: Document) -> Iterable[tuple[ModuleType, Document]]:
    if isinstance(doc.data, list):
        problems: list[Problem] = []
        parsed = []
        for i in range(len(doc.data)):
            try:
                parsed.append((parse_model(ModuleType, doc, (i,)), _sub(doc, i)))
            except InputError as error:
                problems += error.problems
        if problems:
            raise InputError(problems)
        return parsed
    return [(parse_model(ModuleType, doc), doc)]


def _sub(doc: Document, index: int) -> Document:
    """A view of one list item whose places keep the item's index."""
    marks = {p[1:]: m for p, m in doc.marks.items() if p[:1] == (index,)}
    view = Document(doc.path, doc.data[index], marks)
    view.problem = lambda place, message: doc.problem((index, *place), message)  # type: ignore[method-assign]
    return view


def check_module(module: ModuleType, doc: Document) -> list[Problem]:
    """Task ids unique, links name tasks of the module, no cycle in the network."""
    problems = _duplicates([t.id for t in module.tasks], doc, ("tasks",), "task id")
    ids = {t.id for t in module.tasks}
    graph = nx.DiGraph()
    for i, task in enumerate(module.tasks):
        for j, link in enumerate(task.links()):
            if link.task not in ids:
                problems.append(
                    doc.problem(
                        ("tasks", i, "after", j),
                        f"task '{task.id}' of module '{module.id}' comes "
                        f"after unknown task '{link.task}'",
                    )
                )
            else:
                graph.add_edge(link.task, task.id)
    energisers = [t.id for t in module.tasks if t.energises]
    if len(energisers) > 1:
        problems.append(
            doc.problem(
                ("tasks",),
                f"module '{module.id}' has {len(energisers)} "
                f"tasks with energises: true ({', '.join(energisers)}); its "
                "load_mw is energised once, by one task",
            )
        )
    if not problems:
        problems += _cycle_problem(graph, doc, ("tasks",), f"module '{module.id}' task links")
    return problems


# ---------------------------------------------------------------- project checks


def check_plan(plan: Plan) -> list[Problem]:
    checks = (
        check_size,
        check_ids,
        check_dates,
        check_deployments,
        check_deployment_links,
        check_crews,
        check_crew_calendars,
        check_travel,
        check_skills,
        check_resources,
        check_milestones,
    )
    return [problem for check in checks for problem in check(plan)]


def _duplicates(ids: list[str], doc: Document, place: Place, what: str) -> list[Problem]:
    seen: Counter[str] = Counter()
    problems = []
    for i, item_id in enumerate(ids):
        seen[item_id] += 1
        if seen[item_id] == 2:
            problems.append(doc.problem((*place, i, "id"), f"duplicate {what} '{item_id}'"))
    return problems


def _cycle_problem(graph: nx.DiGraph, doc: Document, place: Place, what: str) -> list[Problem]:
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return []
    path = " -> ".join([edge[0] for edge in cycle] + [cycle[0][0]])
    return [doc.problem(place, f"cycle in {what}: {path}")]


def check_ids(plan: Plan) -> list[Problem]:
    p, doc = plan.project, plan.document
    problems = _duplicates([s.id for s in p.sites], doc, ("sites",), "site id")
    problems += _duplicates([f.id for f in p.factories], doc, ("factories",), "factory id")
    problems += _duplicates([c.id for c in p.crews], doc, ("crews",), "crew pool id")
    problems += _duplicates([d.id for d in p.deployments], doc, ("deployments",), "deployment id")
    problems += _duplicates([m.id for m in p.milestones], doc, ("milestones",), "milestone id")
    for i, site in enumerate(p.sites):
        if site.id == "factory":  # site resources are '{site}/{name}', factories 'factory/{id}'
            problems.append(
                doc.problem(
                    ("sites", i, "id"),
                    "site id 'factory' is reserved "
                    "(factory slots are the resources 'factory/<id>')",
                )
            )
    for i, site in enumerate(p.sites):
        names = [s.name for s in site.power]
        for j, name in enumerate(names):
            if names.index(name) != j:
                problems.append(
                    doc.problem(
                        ("sites", i, "power", j, "name"),
                        f"duplicate supply name '{name}' at site '{site.id}'",
                    )
                )
    return problems


MAX_TASKS = 50_000
"""Tasks a project may expand to (DESIGN.md, Limits), counted before any is built. The
solver's reach sets it: from 2,500 tasks (`LARGE_PROGRAM_TASKS`) the search goes window
by window, and BENCHMARKS.md's scale curve runs to 20,000 tasks (237 MB). A generated
program of 49,982 tasks (`benchmarks/generate.py 50000 --seed 1`) still loads in 1.2 s,
expands in 1.3 s and gets a plan (the greedy one) in 530 MB, but its search ran 1.8
times over a 60 s `--time-limit` already: 2.5 times the largest size measured is as far
as a plan can be promised. quickstart with quantities x80 (50,880 tasks, and 3.1 million
links: MAX_LINKS) ended in MemoryError (issue 26)."""


def num_tasks(plan: Plan) -> int:
    """The tasks `expand` would build: modules x their type's tasks, for each deployment."""
    modules = plan.modules
    return sum(
        dep.quantity * len(modules[dep.module].tasks)
        for dep in plan.project.deployments
        if dep.module in modules
    )


MAX_LINKS = 500_000
"""Task links a project may expand to (DESIGN.md, Limits). A link between deployments
joins every module of one to every module of the other, so links grow as the product of
quantities: quickstart with quantities x40 (26,280 tasks) makes 864,320 links and took
1.8 GB to schedule, x20 (13,140 tasks, 222,960 links) 556 MB; x80 (3,141,240 links) took
1.6 GB and 51 s only to validate. The generated program of 49,982 tasks has 92,601."""


def num_links(plan: Plan) -> tuple[int, int, Place]:
    """The links `expand` would build, and the most numerous link between deployments
    (the modules it joins, its place)."""
    p, modules = plan.project, plan.modules
    quantity = {d.id: d.quantity for d in p.deployments}
    links = sum(
        d.quantity * sum(len(t.links()) for t in modules[d.module].tasks)
        for d in p.deployments
        if d.module in modules
    )
    largest: tuple[int, Place] = (0, ())
    for i, dep in enumerate(p.deployments):
        for j, link in enumerate(dep.after):
            joined = dep.quantity * quantity.get(link.deployment, 0)
            links += joined
            largest = max(largest, (joined, ("deployments", i, "after", j)))
    return links, *largest


def check_size(plan: Plan) -> list[Problem]:
    """At most MAX_TASKS tasks and MAX_LINKS links, counted before they are built (the
    MemoryError otherwise)."""
    problems = []
    tasks = num_tasks(plan)
    if tasks > MAX_TASKS:
        message = (
            f"the deployments expand to {tasks:,} tasks (quantity x tasks of the module); "
            f"at most {MAX_TASKS:,} are planned (DESIGN.md, Limits)"
        )
        problems.append(plan.document.problem(("deployments",), message))
    links, joined, place = num_links(plan)
    if links > MAX_LINKS:
        message = (
            f"the deployments expand to {links:,} task links (a link between deployments "
            "joins every module of one to every module of the other; the largest, "
            f"{place_text(place)}, makes {joined:,}); at most {MAX_LINKS:,} are planned "
            "(DESIGN.md, Limits)"
        )
        problems.append(plan.document.problem(("deployments",), message))
    return problems


MAX_YEARS = 100
"""Dated events lie within this many years of the program start: beyond, the working-day
calendar (and every horizon) would grow without use, up to the end of Python's dates."""


def check_dates(plan: Plan) -> list[Problem]:
    """No release, target or deadline before the program start; no dated event more than
    MAX_YEARS from it. A supply or an absence may have begun before the program (a live
    backfeed, leave over the new year): it counts from day 0."""
    p, doc, start = plan.project, plan.document, plan.project.program.start
    dated: list[tuple[Place, date | None]] = []
    bounds: list[tuple[Place, date | None]] = []
    for i, site in enumerate(p.sites):
        if site.calendar is not None:
            bounds += [
                (("sites", i, "calendar", "holidays", j), h)
                for j, h in enumerate(site.calendar.holidays)
            ]
        bounds += [(("sites", i, "power", j, "from"), s.from_) for j, s in enumerate(site.power)]
        bounds += [(("sites", i, "power", j, "until"), s.until) for j, s in enumerate(site.power)]
    for i, factory in enumerate(p.factories):
        if factory.calendar is not None:
            bounds += [
                (("factories", i, "calendar", "holidays", j), h)
                for j, h in enumerate(factory.calendar.holidays)
            ]
    for i, crew in enumerate(p.crews):
        if crew.calendar is not None:
            bounds += [
                (("crews", i, "calendar", "holidays", j), h)
                for j, h in enumerate(crew.calendar.holidays)
            ]
        bounds += [
            (("crews", i, "unavailable", j, "from"), u.from_)
            for j, u in enumerate(crew.unavailable)
        ]
        bounds += [
            (("crews", i, "unavailable", j, "until"), u.until)
            for j, u in enumerate(crew.unavailable)
        ]
    dated += [(("deployments", i, "release"), d.release) for i, d in enumerate(p.deployments)]
    for i, m in enumerate(p.milestones):
        dated += [
            (("milestones", i, "target"), m.target),
            (("milestones", i, "deadline"), m.deadline),
        ]
    latest = start + timedelta(days=round(365.25 * MAX_YEARS))
    problems = [
        doc.problem(place, f"date {value} is before the program start {start}")
        for place, value in dated
        if value is not None and value < start
    ]
    earliest = start - timedelta(days=round(365.25 * MAX_YEARS))
    far = f"is more than {MAX_YEARS} years from the program start {start}"
    problems += [
        doc.problem(place, f"date {value} {far}")
        for place, value in dated + bounds
        if value is not None and not earliest <= value <= latest
    ]
    return problems


def check_deployments(plan: Plan) -> Iterator[Problem]:
    p, doc = plan.project, plan.document
    sites, factories = {s.id for s in p.sites}, {f.id for f in p.factories}
    for i, dep in enumerate(p.deployments):
        where = ("deployments", i)
        if dep.site not in sites:
            yield doc.problem(
                (*where, "site"), f"deployment '{dep.id}' names unknown site '{dep.site}'"
            )
        if dep.module not in plan.modules:
            yield doc.problem(
                (*where, "module"), f"deployment '{dep.id}' names unknown module '{dep.module}'"
            )
        elif any(t.factory for t in plan.modules[dep.module].tasks) and dep.factory is None:
            yield doc.problem(
                where,
                f"deployment '{dep.id}': module '{dep.module}' "
                "has a factory task but no factory is given",
            )
        if dep.factory is not None and dep.factory not in factories:
            yield doc.problem(
                (*where, "factory"),
                f"deployment '{dep.id}' names unknown factory '{dep.factory}'",
            )


def check_deployment_links(plan: Plan) -> Iterator[Problem]:
    """Each deployment's `after` names a deployment and tasks that exist."""
    doc, deployments = plan.document, plan.project.deployments
    by_id = {d.id: d for d in deployments}
    for i, dep in enumerate(deployments):
        for j, link in enumerate(dep.after):
            where = ("deployments", i, "after", j)
            other = by_id.get(link.deployment)
            if other is None:
                yield doc.problem(
                    (*where, "deployment"),
                    f"deployment '{dep.id}' comes after unknown deployment '{link.deployment}'",
                )
                continue
            yield from _task_exists(plan, other.module, link.task, doc, (*where, "task"))
            yield from _task_exists(plan, dep.module, link.to, doc, (*where, "to"))


def _task_exists(
    plan: Plan, module_id: str, task: str | None, doc: Document, place: Place
) -> list[Problem]:
    module = plan.modules.get(module_id)
    if module is None or task is None or any(t.id == task for t in module.tasks):
        return []
    return [doc.problem(place, f"module '{module_id}' has no task '{task}'")]


def check_crews(plan: Plan) -> Iterator[Problem]:
    p, doc = plan.project, plan.document
    sites = {s.id for s in p.sites}
    for i, crew in enumerate(p.crews):
        for j, site in enumerate(crew.sites or []):
            if site not in sites:
                yield doc.problem(
                    ("crews", i, "sites", j),
                    f"crew pool '{crew.id}' names unknown site '{site}'",
                )
        for j, out in enumerate(crew.unavailable):
            if out.count is not None and out.count > crew.count:
                yield doc.problem(
                    ("crews", i, "unavailable", j, "count"),
                    f"{out.count} crews unavailable but pool '{crew.id}' has {crew.count}",
                )


def check_crew_calendars(plan: Plan) -> Iterator[Problem]:
    """Pools that could take the same need of a task keep one calendar: a pool of its own
    calendar beside one without, or two different ones, would make the days a task works
    depend on which crews it gets (DESIGN.md, Time). Each pair is named once."""
    p, doc = plan.project, plan.document
    own = plan.pool_calendars()
    seen: set[tuple[int, int]] = set()
    for dep in p.deployments:
        module = plan.modules.get(dep.module)
        if module is None or dep.quantity == 0:
            continue
        for task in module.tasks:
            for skill in task.needs:
                able = [
                    j
                    for j, c in enumerate(p.crews)
                    if skill in c.skills and (c.sites is None or dep.site in c.sites)
                ]
                for first, j in ((able[0], j) for j in able[1:]):
                    a, b = p.crews[first].id, p.crews[j].id
                    if own.get(f"crew:{a}") == own.get(f"crew:{b}") or (first, j) in seen:
                        continue
                    seen.add((first, j))
                    yield doc.problem(
                        ("crews", j, "calendar"),
                        f"crew pools '{a}' and '{b}' can both take skill '{skill}' at site "
                        f"'{dep.site}' (task '{task.id}' of module '{dep.module}') but keep "
                        f"{_calendar_words(own, a)} and {_calendar_words(own, b)}: pools "
                        "that can take the same task keep one calendar",
                    )


def _calendar_words(own: dict[str, Calendar], pool: str) -> str:
    calendar = own.get(f"crew:{pool}")
    if calendar is None:
        return "the calendar of the task"
    days = ", ".join(WEEKDAYS[d] for d in sorted(calendar.workdays))
    return f"a calendar of its own ({days})"


def check_travel(plan: Plan) -> Iterator[Problem]:
    """Travel pairs name two different known sites, each pair once."""
    p, doc = plan.project, plan.document
    sites, seen = {s.id for s in p.sites}, set()
    for i, pair in enumerate(p.travel.between):
        place = ("travel", "between", i, "sites")
        for j, site in enumerate(pair.sites):
            if site not in sites:
                yield doc.problem((*place, j), f"travel names unknown site '{site}'")
        a, b = sorted(pair.sites)
        if a == b:
            yield doc.problem(place, f"travel pair names site '{a}' twice")
        elif (a, b) in seen:
            yield doc.problem(place, f"travel between '{a}' and '{b}' is given twice")
        seen.add((a, b))


def check_skills(plan: Plan) -> Iterator[Problem]:
    """Every crew need can be met at its site by the pools allowed there."""
    p, doc = plan.project, plan.document
    for i, dep in enumerate(p.deployments):
        module = plan.modules.get(dep.module)
        if module is None or dep.quantity == 0:
            continue
        for task in module.tasks:
            for skill, need in task.needs.items():
                have = sum(
                    c.count
                    for c in p.crews
                    if skill in c.skills and (c.sites is None or dep.site in c.sites)
                )
                if have < need:
                    known = any(skill in c.skills for c in p.crews)
                    reason = (
                        f"no crew pool allowed at site '{dep.site}' has it"
                        if known
                        else "no crew pool has this skill"
                    )
                    yield doc.problem(
                        ("deployments", i, "module"),
                        f"task '{task.id}' of module '{dep.module}' needs {need} crew(s) of "
                        f"skill '{skill}' but only {have} can work at site '{dep.site}' "
                        f"({reason})"
                        if have
                        else f"task '{task.id}' of module '{dep.module}' needs skill "
                        f"'{skill}': {reason}",
                    )


def check_resources(plan: Plan) -> Iterator[Problem]:
    """Every ``uses`` names a resource of the site or the program, large enough."""
    p, doc = plan.project, plan.document
    sites = {s.id: s for s in p.sites}
    for i, dep in enumerate(p.deployments):
        module, site = plan.modules.get(dep.module), sites.get(dep.site)
        if module is None or site is None or dep.quantity == 0:
            continue
        for task in module.tasks:
            for resource, amount in task.uses.items():
                capacity = site.resources.get(resource, p.resources.get(resource))
                if capacity is None:
                    yield doc.problem(
                        ("deployments", i, "module"),
                        f"task '{task.id}' of module '{dep.module}' uses "
                        f"'{resource}', which neither site '{dep.site}' "
                        "nor the program defines",
                    )
                elif capacity < amount:
                    yield doc.problem(
                        ("deployments", i, "module"),
                        f"task '{task.id}' of module '{dep.module}' uses "
                        f"{amount} '{resource}' but site '{dep.site}' has "
                        f"{capacity}",
                    )


def check_milestones(plan: Plan) -> Iterator[Problem]:
    p, doc = plan.project, plan.document
    deployments = {d.id: d for d in p.deployments}
    for i, milestone in enumerate(p.milestones):
        for j, name in enumerate(milestone.after):
            if name not in deployments:
                yield doc.problem(
                    ("milestones", i, "after", j),
                    f"milestone '{milestone.id}' comes after unknown deployment '{name}'",
                )
        known = [deployments[n] for n in milestone.after if n in deployments]
        if known and all(d.quantity == 0 for d in known):
            # no task would mark its day: schedule.json could give it no date
            yield doc.problem(
                ("milestones", i, "after"),
                f"milestone '{milestone.id}' comes after no module: "
                "its deployments all have quantity 0",
            )
