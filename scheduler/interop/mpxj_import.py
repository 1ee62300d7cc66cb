"""An MS Project (MSPDI) or Primavera P6 (XER, PMXML) schedule read by MPXJ's
UniversalProjectReader into a catalog and a project that `modsched validate` accepts.

The mapping (DESIGN.md, "Exports and imports"; docs/INTEROP.md says what is not carried):

- the default calendar: its working weekdays; its non-working exceptions on workdays as
  holidays; the project's start date (else the first activity's start) as program start;
- each activity (a leaf task that is not a milestone) a module type of one task and a
  deployment of one module at the site ``imported``: a deployment a task, so that a
  link between any two activities is a deployment link with its type and lag, and an
  activity's start-no-earlier constraint is its deployment's release;
- activities that work by another calendar (MS Project's task calendar, P6's activity
  calendar) at a site of that calendar instead, named after it, which keeps the calendar
  as its own (``sites[].calendar``: workdays, holidays beyond the default calendar's);
  their tasks are of phase ``site``, so that they work by it (DESIGN.md, Time);
- each link between activities with its type and lag in working days; a link through a
  milestone is composed across it (the milestone has no duration, so pred -> M -> succ is
  exact as one link whose type takes the predecessor's side of the first link and the
  successor's side of the second, lag the sum);
- each work resource with units a crew pool (count = its most units / 100, one skill named
  after the pool); a lower availability period an ``unavailable`` window; an assignment
  of such a resource a crew need (units / 100, rounded up);
- each milestone (zero duration) a milestone after the deployments of the activities it
  follows; MS Project's deadline (or P6's finish-on-or-before secondary constraint) the
  target, a finish-no-later-than constraint the hard deadline.

What cannot be carried is one line each in `ImportResult.notes`, never dropped silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from scheduler.interop.java import start_jvm

SITE = "imported"
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
TYPES = {"FINISH_START": "FS", "START_START": "SS", "FINISH_FINISH": "FF", "START_FINISH": "SF"}
ELAPSED = {"ELAPSED_MINUTES", "ELAPSED_HOURS", "ELAPSED_DAYS", "ELAPSED_WEEKS", "ELAPSED_MONTHS"}
ELAPSED |= {"ELAPSED_YEARS", "ELAPSED_PERCENT", "PERCENT"}
ASAP = {"AS_SOON_AS_POSSIBLE", "None"}


class ImportError_(ValueError):
    """The file cannot be read as a schedule, or holds nothing to import."""


@dataclass
class _Link:
    pred: Any  # the predecessor's Java task
    type: str  # FS, SS, FF, SF
    lag: int  # working days


@dataclass
class ImportResult:
    project: dict[str, Any]
    catalog: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    source_ids: dict[str, str] = field(default_factory=dict)  # deployment -> source id


def read_schedule_file(path: Path, hold_dates: bool = False) -> ImportResult:
    """Read ``path`` (MSPDI, XER or PMXML, whatever MPXJ recognises) into a project and
    catalog. ``hold_dates``: each activity starts no earlier than its planned start."""
    start_jvm("import")
    import jpype

    mpxj = jpype.JPackage("org").mpxj
    try:
        project = mpxj.reader.UniversalProjectReader().read(str(path))
    except jpype.JException as error:
        raise ImportError_(f"{path}: MPXJ cannot read it: {error}") from None
    if project is None:
        raise ImportError_(f"{path}: not a schedule MPXJ recognises (MSPDI, XER, PMXML)")
    return _Importer(project, mpxj, hold_dates).run(path)


def _day(value: Any) -> date | None:
    if value is None:
        return None
    return date(value.getYear(), value.getMonthValue(), value.getDayOfMonth())


def _start(task: Any) -> date | None:
    """The activity's planned start (P6 XER may give only the planned start)."""
    return _day(task.getStart()) or _day(task.getPlannedStart())


def _name(value: Any) -> str:
    """A Java enum's constant name (its toString may be an abbreviation); "None" for null."""
    return "None" if value is None else str(value.name())


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def plain_id(text: str) -> str:
    """An id modsched accepts: no spaces nor '#', ';', '/' (each becomes '-')."""
    cleaned = re.sub(r"[\s#;/]+", "-", text.strip()).strip("-")
    return "".join(c for c in cleaned if c.isprintable()) or "task"


class _Importer:
    def __init__(self, project: Any, mpxj: Any, hold_dates: bool) -> None:
        self.project = project
        self.mpxj = mpxj
        self.hold_dates = hold_dates
        self.notes: list[str] = []
        self.properties = project.getProjectProperties()

    def note(self, text: str) -> None:
        self.notes.append(text)

    def days(self, duration: Any, what: str) -> int | None:
        """A duration in whole working days; a note when it is elapsed or not whole."""
        if duration is None:
            return 0
        units = _name(duration.getUnits())
        if units in ELAPSED:
            value = float(duration.getDuration())
            self.note(
                f"{what}: {value:g} {units.lower()} is in elapsed or percent units, "
                "carried as that many working days"
            )
            return math.ceil(value) if units.startswith("ELAPSED_DAYS") else None
        days = float(duration.convertUnits(self.mpxj.TimeUnit.DAYS, self.properties).getDuration())
        whole = round(days)
        if abs(days - whole) > 1e-6:
            whole = math.ceil(days - 1e-6) if days > 0 else math.floor(days + 1e-6)
            self.note(f"{what}: {days:g} working days rounded to {whole}")
        return whole

    # ------------------------------------------------------------------ calendar

    def calendar(self, calendar: Any, start: date, end: date, label: str) -> dict[str, Any]:
        """``calendar``'s working weekdays and its holidays (non-working exceptions on
        them) from a year before ``start`` to ``end``; ``label`` names it in notes."""
        day_of_week = self.mpxj_time.DayOfWeek
        workdays = [
            DAY_NAMES[i]
            for i, name in enumerate(WEEKDAYS)
            if calendar.isWorkingDay(getattr(day_of_week, name))
        ]
        if not workdays:
            self.note(f"{label} has no working weekday: mon-fri used")
            workdays = list(DAY_NAMES[:5])
        holidays: set[date] = set()
        for exception in calendar.getCalendarExceptions():
            first, last = _day(exception.getFromDate()), _day(exception.getToDate())
            if first is None:
                continue
            last = last or first
            if exception.getWorking():
                self.note(
                    f"{label}: exception {first}..{last} ({_text(exception.getName())}): "
                    "working days off the weekly pattern are not carried"
                )
                continue
            if exception.getRecurring() is not None:
                self.note(
                    f"{label}: exception from {first} ({_text(exception.getName())}) recurs: "
                    f"carried only from {start} to {end}"
                )
                last = max(last, end)
            day = max(first, start - timedelta(days=366))
            while day <= last:
                if DAY_NAMES[day.weekday()] in workdays and (
                    exception.getRecurring() is None
                    or not calendar.isWorkingDate(
                        self.mpxj_time.LocalDate.of(day.year, day.month, day.day)
                    )
                ):
                    holidays.add(day)
                day += timedelta(days=1)
        return {"workdays": workdays, "holidays": sorted(holidays)}

    def calendars(
        self, leaves: list[Any], start: date, end: date
    ) -> tuple[dict[str, Any], dict[int, str], list[dict[str, Any]]]:
        """The program calendar (the default calendar's), the site of each activity by
        unique id, and the sites: ``imported`` for the activities on the default calendar,
        one site a calendar for those on another, with that calendar as its own."""
        default = self.project.getDefaultCalendar()
        if default is None:
            self.note("no default calendar: mon-fri without holidays")
            program: dict[str, Any] = {"workdays": list(DAY_NAMES[:5]), "holidays": []}
        else:
            program = self.calendar(default, start, end, "the default calendar")
        default_id = None if default is None else default.getUniqueID()
        used_ids: set[str] = {SITE}
        own: dict[Any, dict[str, Any]] = {}  # calendar unique id -> site
        site_of: dict[int, str] = {}
        for task in leaves:
            calendar = task.getEffectiveCalendar()
            if calendar is None or calendar.getUniqueID() == default_id:
                site_of[int(task.getUniqueID())] = SITE
                continue
            key = calendar.getUniqueID()
            if key not in own:
                own[key] = self.calendar_site(calendar, program, used_ids, start, end)
            site_of[int(task.getUniqueID())] = own[key]["id"]
        for other in self.project.getCalendars():
            key = other.getUniqueID()
            if key != default_id and key not in own and not other.isDerived():
                self.note(f"calendar '{_text(other.getName())}': no activity works by it")
        sites = [{"id": SITE}] if SITE in site_of.values() else []
        return program, site_of, sites + list(own.values())

    def calendar_site(
        self, calendar: Any, program: dict[str, Any], used: set[str], start: date, end: date
    ) -> dict[str, Any]:
        """A site keeping ``calendar`` as its own: its holidays beyond the program's. A
        site's calendar adds to the program's holidays (DESIGN.md, Time): a program
        holiday it works is noted, the site keeps it off."""
        name = _text(calendar.getName()) or f"calendar-{calendar.getUniqueID()}"
        label = f"calendar '{name}'"
        spec = self.calendar(calendar, start, end, label)
        kept = set(program["holidays"])
        worked = [
            d
            for d in sorted(kept)
            if DAY_NAMES[d.weekday()] in spec["workdays"] and d not in spec["holidays"]
        ]
        if worked:
            self.note(
                f"{label} works {len(worked)} holiday(s) of the default calendar (the first "
                f"{worked[0]}): its site keeps them off"
            )
        own: dict[str, Any] = {"workdays": spec["workdays"]}
        holidays = [d for d in spec["holidays"] if d not in kept]
        if holidays:
            own["holidays"] = holidays
        return {"id": self._unique(plain_id(name), used), "calendar": own}

    # ------------------------------------------------------------------ resources

    def pools(self) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        used: set[str] = set()
        for resource in self.project.getResources():
            name = _text(resource.getName())
            if resource.getUniqueID() is None or (not name and resource.getID() == 0):
                continue  # MS Project's blank resource 0
            kind = _name(resource.getType())
            label = f"resource '{name}'"
            if kind != "WORK":
                self.note(f"{label} ({kind.lower()}): not a crew pool, its assignments dropped")
                continue
            table = resource.getAvailability()
            units = [float(a.getUnits()) for a in table] if table is not None else []
            max_units = resource.getMaxUnits()
            if max_units is not None:
                units.append(float(max_units))
            top = max(units, default=0.0)
            if top <= 0:
                self.note(f"{label}: no units available, not a crew pool")
                continue
            count = math.ceil(top / 100 - 1e-9)
            if abs(top / 100 - count) > 1e-6:
                self.note(f"{label}: {top:g} % max units carried as {count} crews")
            pool_id = self._unique(plain_id(name or f"resource-{resource.getUniqueID()}"), used)
            pool: dict[str, Any] = {"id": pool_id, "skills": [pool_id], "count": count}
            unavailable = []
            for entry in table or []:
                span = entry.getRange()
                first, until = _day(span.getStart()), _day(span.getEnd())
                amount = round(float(entry.getUnits()) / 100)
                if amount < count and first is not None and until is not None:
                    # an availability period ends on its last day (included)
                    until = until + timedelta(days=1)
                    unavailable.append({"from": first, "until": until, "count": count - amount})
            if unavailable:
                pool["unavailable"] = unavailable
            if resource.getStandardRate() is not None and float(
                resource.getStandardRate().getAmount()
            ):
                self.note(f"{label}: rates and cost are not carried")
            found[int(resource.getUniqueID())] = pool
        return found

    @staticmethod
    def _unique(base: str, used: set[str]) -> str:
        name, k = base, 2
        while name in used:
            name, k = f"{base}-{k}", k + 1
        used.add(name)
        return name

    # ------------------------------------------------------------------ tasks

    def run(self, path: Path) -> ImportResult:
        import jpype

        self.mpxj_time = jpype.JPackage("java").time
        tasks = [t for t in self.project.getTasks() if t.getUniqueID() is not None]
        leaves, milestones = [], []
        for task in tasks:
            if (
                int(task.getUniqueID()) == 0
                and task.getParentTask() is None
                and (task.getSummary() or task.getName() is None)
            ):
                continue  # MS Project's project summary task
            label = self.label(task)
            if task.getSummary() or task.hasChildTasks():
                if task.getPredecessors() or task.getSuccessors():
                    self.note(f"summary {label}: its links (summary-task logic) are not carried")
                continue
            duration = self.days(task.getDuration(), label)
            if task.getMilestone() or duration == 0:
                milestones.append(task)
            else:
                leaves.append(task)
        if not leaves:
            raise ImportError_(f"{path}: no activity with a duration to import")
        starts = [d for d in (_start(t) for t in leaves) if d is not None]
        program_start = (
            _day(self.properties.getStartDate())
            or _day(self.properties.getPlannedStart())
            or min(starts, default=None)
        )
        if program_start is None:
            raise ImportError_(f"{path}: neither the project nor any activity has a start date")
        end = max([*starts, program_start]) + timedelta(days=3 * 366)
        calendar, site_of, sites = self.calendars(leaves, program_start, end)
        pools = self.pools()

        used: set[str] = {"milestones"}
        ids: dict[int, str] = {}
        for task in leaves:
            ids[int(task.getUniqueID())] = self._unique(plain_id(self.source_id(task)), used)
        milestone_ids = {int(t.getUniqueID()) for t in milestones}

        catalog, deployments, source_ids = [], [], {}
        lagged: set[str] = set()
        for task in leaves:
            uid = int(task.getUniqueID())
            dep_id = ids[uid]
            label = self.label(task)
            duration = max(1, self.days(task.getDuration(), label) or 1)
            template: dict[str, Any] = {"id": "activity", "duration": duration}
            name = _text(task.getName())
            if name:
                template["name"] = name
            needs = self.needs(task, pools, label)
            if needs:
                template["needs"] = needs
            site = site_of[uid]
            if site != SITE:
                template["phase"] = "site"  # works by its site's calendar
            catalog.append({"id": dep_id, "name": name or dep_id, "tasks": [template]})
            deployment: dict[str, Any] = {"id": dep_id, "site": site, "module": dep_id}
            release = self.release(task, label)
            if release is not None:
                deployment["release"] = release
            after = []
            for link in self.links(task, milestone_ids, set()):
                pred_uid = int(link.pred.getUniqueID())
                if pred_uid not in ids:
                    continue  # noted where found
                after.append(
                    {
                        "deployment": ids[pred_uid],
                        "task": "activity",
                        "to": "activity",
                        "type": link.type,
                        "lag": link.lag,
                    }
                )
            if after:
                deployment["after"] = after
            if site != SITE and site not in lagged and any(a["lag"] for a in after):
                lagged.add(site)
                self.note(
                    f"lags into activities at site '{site}' count days of modsched's day axis "
                    "(DESIGN.md, Time), not that site's calendar"
                )
            deployments.append(deployment)
            source_ids[dep_id] = self.source_id(task)
            self.dropped(task, label)

        project_milestones = []
        for task in milestones:
            entry = self.milestone(task, ids, milestone_ids, used)
            if entry is not None:
                project_milestones.append(entry)

        name = _text(self.properties.getName()) or _text(self.properties.getProjectTitle())
        project: dict[str, Any] = {
            "program": {
                "name": name or path.stem,
                "start": program_start,
                "calendar": calendar,
            },
            "catalog": "catalog.yaml",
            "sites": sites,
        }
        if pools:
            project["crews"] = list(pools.values())
        project["deployments"] = deployments
        if project_milestones:
            project["milestones"] = project_milestones
        return ImportResult(project, catalog, self.notes, source_ids)

    def source_id(self, task: Any) -> str:
        """The activity's id where the file keeps one (P6 activity id; else modsched's
        own text 6 when it wrote the file; else the WBS code; else the unique id)."""
        for value in (task.getActivityID(), task.getText(6), task.getWBS()):
            if value is not None and str(value).strip():
                return str(value)
        return f"task-{task.getUniqueID()}"

    def label(self, task: Any) -> str:
        return f"activity '{self.source_id(task)}' ({_text(task.getName())})"

    def needs(self, task: Any, pools: dict[int, dict[str, Any]], label: str) -> dict[str, int]:
        needs: dict[str, int] = {}
        for assignment in task.getResourceAssignments():
            resource = assignment.getResource()
            if resource is None:
                continue
            pool = pools.get(int(resource.getUniqueID()))
            if pool is None:
                if _name(resource.getType()) == "WORK" and resource.getName() is not None:
                    self.note(f"{label}: resource '{_text(resource.getName())}' matches no pool")
                continue
            units = assignment.getUnits()
            crews = max(1, math.ceil((float(units) if units is not None else 100.0) / 100 - 1e-9))
            needs[pool["id"]] = needs.get(pool["id"], 0) + crews
        return needs

    def release(self, task: Any, label: str) -> date | None:
        """Start-no-earlier constraint (and the planned start with ``hold_dates``)."""
        found: list[date] = []
        kind = _name(task.getConstraintType())
        when = _day(task.getConstraintDate())
        if kind == "START_NO_EARLIER_THAN" and when is not None:
            found.append(when)
        elif kind not in ASAP:
            self.note(f"{label}: constraint {kind.lower()} {when or ''} is not carried")
        secondary = task.getSecondaryConstraintType()
        if secondary is not None:
            self.note(
                f"{label}: secondary constraint {_name(secondary).lower()} "
                f"{_day(task.getSecondaryConstraintDate()) or ''} is not carried"
            )
        if self.hold_dates and (start := _start(task)) is not None:
            found.append(start)
        return max(found, default=None)

    def dropped(self, task: Any, label: str) -> None:
        cost = task.getCost()
        if cost is not None and float(cost.doubleValue()) != 0:
            self.note(f"{label}: cost {float(cost.doubleValue()):g} is not carried")
        if task.getActualStart() is not None:
            self.note(f"{label}: actual start and progress are not carried (plan from scratch)")
        if task.getDeadline() is not None:
            self.note(
                f"{label}: deadline {_day(task.getDeadline())} is not carried (only on milestones)"
            )

    def links(self, task: Any, milestones: set[int], seen: set[int]) -> Iterable[_Link]:
        """The task's incoming links from activities; those from a milestone composed
        with the milestone's own incoming links (a milestone has no duration)."""
        for relation in task.getPredecessors():
            pred = relation.getPredecessorTask()
            kind = TYPES[_name(relation.getType())]
            what = f"link {self.source_id(pred)} -> {self.source_id(task)}"
            lag = self.days(relation.getLag(), what)
            if lag is None:
                self.note(f"{what}: lag not carried (lag 0)")
                lag = 0
            if pred.getSummary() or pred.hasChildTasks():
                continue  # noted on the summary
            uid = int(pred.getUniqueID())
            if uid not in milestones:
                yield _Link(pred, kind, lag)
                continue
            if uid in seen:
                continue
            for inner in self.links(pred, milestones, seen | {uid}):
                yield _Link(inner.pred, inner.type[0] + kind[1], inner.lag + lag)

    def milestone(
        self, task: Any, ids: dict[int, str], milestones: set[int], used: set[str]
    ) -> dict[str, Any] | None:
        label = f"milestone '{self.source_id(task)}' ({_text(task.getName())})"
        after: list[str] = []
        for link in self.links(task, milestones, {int(task.getUniqueID())}):
            dep = ids.get(int(link.pred.getUniqueID()))
            if dep is None:
                continue
            if link.type != "FS" or link.lag != 0:
                self.note(
                    f"{label}: its {link.type} {link.lag:+d} link from '{dep}' is carried as "
                    "reached when it finishes"
                )
            if dep not in after:
                after.append(dep)
        if not after:
            self.note(f"{label}: follows no activity, not carried")
            return None
        entry: dict[str, Any] = {"id": self._unique(plain_id(self.source_id(task)), used)}
        entry["after"] = after
        target = _day(task.getDeadline())
        if target is None and _name(task.getSecondaryConstraintType()) in {
            "FINISH_NO_LATER_THAN",
            "MUST_FINISH_ON",
        }:
            target = _day(task.getSecondaryConstraintDate())
        kind = _name(task.getConstraintType())
        when = _day(task.getConstraintDate())
        if kind == "FINISH_NO_LATER_THAN" and when is not None:
            entry["deadline"] = when
        elif kind not in ASAP:
            self.note(f"{label}: constraint {kind.lower()} {when or ''} is not carried")
        if target is not None:
            entry["target"] = target
        return entry


def write_import(result: ImportResult, out: Path) -> None:
    """OUT/catalog.yaml, OUT/project.yaml and OUT/import-notes.txt (each atomically)."""
    import yaml

    from scheduler.io import write_text

    out.mkdir(parents=True, exist_ok=True)
    header = "# written by modsched import; what was not carried: import-notes.txt\n"
    dump = {"sort_keys": False, "allow_unicode": True, "width": 100}
    write_text(out / "catalog.yaml", header + yaml.safe_dump(result.catalog, **dump))
    write_text(out / "project.yaml", header + yaml.safe_dump(result.project, **dump))
    notes = "".join(f"{line}\n" for line in result.notes)
    write_text(out / "import-notes.txt", notes or "nothing: everything was carried over\n")
