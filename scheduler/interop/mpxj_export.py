"""The plan as MS Project XML (MSPDI) and Primavera P6 XML (PMXML), written by MPXJ.

One MPXJ ``ProjectFile`` is built from an `ExportPlan` (`build_project`) and handed to
MPXJ's ``MSPDIWriter`` or ``PrimaveraPMFileWriter``:

- the program calendar (its workdays, 08:00-12:00 and 13:00-17:00, and its holidays as
  exceptions), the project's default; each site's or factory's own calendar likewise
  ("Site s3", "Factory f1"; narrowed by a crew pool's own calendar: "Site s3 + Crew oem"),
  the task calendar (P6: activity calendar) of the tasks that
  work by it, so that start + duration on it gives modsched's finish;
- a WBS of summary tasks site / deployment / module, each task under its module, with its
  planned start (08:00 of its first day) and finish (17:00 of its last), duration in
  working days of its calendar, and no constraint: the logic alone (every link with its
  type and lag in working days) gives the dates when the receiving tool schedules
  without levelling (lags: see docs/INTEROP.md);
- each crew pool as a work resource with max units = its count (100 % a crew), a task's
  crews as one assignment a pool (units = 100 % x crews), the named crews in a field;
- each milestone as a zero-duration milestone after the last tasks of its deployments,
  its target as the deadline, its hard deadline as a finish-no-later-than constraint;
- after a replan: baseline start/finish/duration, actual start/finish, percent complete
  and the status date;
- custom fields (P6: user-defined fields) for phase, site, module type, power gate,
  crews, MW drawn and MW energised (`CUSTOM_FIELDS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from scheduler.domain.calendar import Calendar
from scheduler.interop.formats import ExportFormat
from scheduler.interop.java import start_jvm
from scheduler.interop.plan import PROGRAM, ExportPlan
from scheduler.io import write_bytes
from scheduler.schedule import MilestoneRow, PoolRow, Schedule, TaskRow

# (MPXJ task field, alias, the TaskRow attribute it holds)
CUSTOM_FIELDS = (
    ("TEXT1", "Phase", "phase"),
    ("TEXT2", "Site", "site"),
    ("TEXT3", "Module type", "module_type"),
    ("TEXT4", "Power gate", "gate"),
    ("TEXT5", "Crews", "crews"),
    ("TEXT6", "modsched task id", "task_id"),
    ("NUMBER1", "MW drawn", "power_mw"),
    ("NUMBER2", "MW energised", "energise_mw"),
)
LINK_TYPES = {
    "FS": "FINISH_START",
    "SS": "START_START",
    "FF": "FINISH_FINISH",
    "SF": "START_FINISH",
}
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
# a working day is 08:00-17:00 with an hour's lunch: 8 hours
DAY_START, DAY_END = 8, 17
EARLIEST = date(1984, 1, 1)  # MS Project's first date
OWNERS = {"site": "Site", "factory": "Factory", "crew": "Crew"}


@dataclass
class _Java:
    """The MPXJ and java.time classes a build uses, looked up once the JVM runs."""

    mpxj: Any
    time: Any

    @classmethod
    def load(cls) -> _Java:
        import jpype

        return cls(jpype.JPackage("org").mpxj, jpype.JPackage("java").time)

    def day(self, day: date) -> Any:
        return self.time.LocalDate.of(day.year, day.month, day.day)

    def at(self, day: date, hour: int) -> Any:
        return self.time.LocalDateTime.of(day.year, day.month, day.day, hour, 0)

    def days(self, count: float) -> Any:
        return self.mpxj.Duration.getInstance(float(count), self.mpxj.TimeUnit.DAYS)


def write_project(plan: ExportPlan, fmt: ExportFormat, path: Path) -> None:
    """Write ``plan`` as MSPDI or PMXML to ``path`` (atomically)."""
    write_bytes(path, project_bytes(plan, fmt))


def project_bytes(plan: ExportPlan, fmt: ExportFormat) -> bytes:
    start_jvm(f"{fmt.value} export")
    import jpype

    java = _Java.load()
    project = build_project(plan, java, fmt)
    writer = (
        java.mpxj.mspdi.MSPDIWriter()
        if fmt is ExportFormat.MSPDI
        else java.mpxj.primavera.PrimaveraPMFileWriter()
    )
    stream = jpype.JPackage("java").io.ByteArrayOutputStream()
    writer.write(project, stream)
    return bytes(stream.toByteArray())


def build_project(plan: ExportPlan, java: _Java, fmt: ExportFormat) -> Any:
    """The MPXJ ProjectFile of a plan (see the module's docstring), for ``fmt``: the
    targets of milestones go where each tool keeps them (`_milestone_dates`)."""
    schedule = plan.schedule
    project = java.mpxj.ProjectFile()
    calendars = _calendars(project, plan, java)
    properties = project.getProjectProperties()
    properties.setName(schedule.project)
    properties.setStartDate(java.at(schedule.program_start, DAY_START))
    properties.setDefaultCalendar(calendars[PROGRAM])
    # P6 counts lags on the project's default calendar (its own default: the
    # predecessor's); MS Project counts them on the successor's task calendar (as MPXJ's
    # org.mpxj.cpm scheduler does for it), docs/INTEROP.md
    properties.setRelationshipLagCalendar(java.mpxj.RelationshipLagCalendar.PROJECT_DEFAULT)
    if schedule.kpis.status_date is not None:
        properties.setStatusDate(java.at(schedule.kpis.status_date, DAY_START))
    _custom_fields(project, java)
    resources = _resources(project, schedule, java)
    tasks = _tasks(project, plan, calendars, resources, java)
    for link in plan.links:
        tasks[link.succ].addPredecessor(
            java.mpxj.Relation.Builder()
            .predecessorTask(tasks[link.pred])
            .type(getattr(java.mpxj.RelationType, LINK_TYPES[link.type]))
            .lag(java.days(link.lag))
        )
    _milestones(project, plan, tasks, java, fmt)
    return project


def calendar_name(key: str) -> str:
    """The name a calendar is written under: ``site:s3`` -> "Site s3",
    ``site:s3+crew:oem`` -> "Site s3 + Crew oem", ``program+crew:oem`` -> "modsched
    program + Crew oem"."""
    names = []
    for part in key.split("+"):
        if part == PROGRAM:
            names.append("modsched program")
        else:
            kind, owner = part.split(":", 1)
            names.append(f"{OWNERS[kind]} {owner}")
    return " + ".join(names)


def _calendars(project: Any, plan: ExportPlan, java: _Java) -> dict[str, Any]:
    """Every calendar of the plan by key, the program's the default base calendar."""
    found = {}
    for key, spec in plan.calendars.items():
        calendar = project.addDefaultBaseCalendar() if key == PROGRAM else project.addCalendar()
        _fill_calendar(calendar, calendar_name(key), spec, java)
        found[key] = calendar
    return found


def _fill_calendar(calendar: Any, name: str, spec: Calendar, java: _Java) -> None:
    calendar.setName(name)
    day_type = java.mpxj.DayType
    for number, weekday_name in enumerate(WEEKDAYS):
        weekday = getattr(java.time.DayOfWeek, weekday_name)
        working = number in spec.workdays
        calendar.setCalendarDayType(weekday, day_type.WORKING if working else day_type.NON_WORKING)
        hours = calendar.getCalendarHours(weekday) or calendar.addCalendarHours(weekday)
        hours.clear()
        if working:
            for a, b in ((DAY_START, 12), (13, DAY_END)):
                hours.add(
                    java.mpxj.LocalTimeRange(
                        java.time.LocalTime.of(a, 0), java.time.LocalTime.of(b, 0)
                    )
                )
    for holiday in sorted(spec.holidays):
        calendar.addCalendarException(java.day(holiday)).setName("holiday")


def _custom_fields(project: Any, java: _Java) -> None:
    fields = project.getCustomFields()
    for field, alias, _ in CUSTOM_FIELDS:
        fields.getOrCreate(getattr(java.mpxj.TaskField, field)).setAlias(alias)


def _resources(project: Any, schedule: Schedule, java: _Java) -> dict[str, Any]:
    found = {}
    for pool in schedule.pools:
        resource = project.addResource()
        resource.setName(pool.pool)
        resource.setInitials(pool.pool[:10])
        resource.setNotes("skills: " + ", ".join(pool.skills))
        availability, rates = resource.getAvailability(), java.mpxj.CostRateTable()
        for start, end, count in _segments(pool):
            first = java.at(schedule.calendar.date_of(start), 0)
            last = (
                java.mpxj.AvailabilityTable.END_DATE_NA
                if end is None
                else java.at(schedule.calendar.date_of(end - 1), DAY_END)
            )
            # MSPDI: the availability table; the first entry from MS Project's earliest
            # date, so that max units hold on any day. PMXML: P6 keeps max units on
            # resource rates, which MPXJ writes from the cost rate table (no cost here)
            since = java.at(EARLIEST, 0) if start == 0 else first
            availability.add(java.mpxj.Availability(since, last, float(100 * count)))
            no_cost = java.mpxj.Rate(0.0, java.mpxj.TimeUnit.HOURS)
            rates.add(java.mpxj.CostRateTableEntry(first, last, 0.0, no_cost))
        resource.setCostRateTable(0, rates)
        found[pool.pool] = resource
    return found


def _segments(pool: PoolRow) -> list[tuple[int, int | None, int]]:
    """The pool's crews over working days: ``(start, end or None, count)``, the count
    outside its windows, the windows' counts inside (first window first, as the solver)."""
    found: list[tuple[int, int | None, int]] = []
    cursor = 0
    for w in sorted(pool.available, key=lambda w: w.start):
        start = max(w.start, cursor)
        if start >= w.end:
            continue
        if start > cursor:
            found.append((cursor, start, pool.count))
        found.append((start, w.end, w.count))
        cursor = w.end
    found.append((cursor, None, pool.count))
    return found


def _summary(parent: Any, name: str, wbs: str) -> Any:
    task = parent.addTask()
    task.setName(name)
    task.setWBS(wbs)
    task.setSummary(True)
    return task


def _tasks(
    project: Any,
    plan: ExportPlan,
    calendars: dict[str, Any],
    resources: dict[str, Any],
    java: _Java,
) -> dict[str, Any]:
    """Every task under its site / deployment / module summary; the Java task by id."""
    schedule = plan.schedule
    summaries: dict[tuple[str, ...], Any] = {}
    spans: dict[tuple[str, ...], list[TaskRow]] = {}
    found = {}
    for row in schedule.tasks:
        keys = [
            (row.site or "-",),
            (row.site or "-", row.deployment),
            (row.site or "-", row.deployment, row.module_id),
        ]
        parent: Any = project
        for key in keys:
            if key not in summaries:
                summaries[key] = _summary(parent, key[-1], ".".join(key))
            parent = summaries[key]
            spans.setdefault(key, []).append(row)
        task = _task(parent, row, resources, java)
        works_by = plan.calendar_of(row.task_id)
        if works_by != PROGRAM:
            task.setCalendar(calendars[works_by])
        if row.baseline_start_day is not None:
            _progress(task, row, schedule, plan.calendars[works_by], java)
        found[row.task_id] = task
    for key, rows in spans.items():
        summary = summaries[key]
        summary.setStart(java.at(min(r.start for r in rows), DAY_START))
        summary.setFinish(java.at(max(r.finish for r in rows), DAY_END))
        end = max(r.end_day for r in rows)
        summary.setDuration(java.days(end - min(r.start_day for r in rows)))
    return found


def _task(parent: Any, row: TaskRow, resources: dict[str, Any], java: _Java) -> Any:
    task = parent.addTask()
    task.setName(f"{row.module_id} {row.task_name}")
    task.setWBS(row.task_id)
    task.setActivityID(row.task_id)
    task.setStart(java.at(row.start, DAY_START))
    task.setFinish(java.at(row.finish, DAY_END if row.duration else DAY_START))
    task.setDuration(java.days(row.duration))
    task.setMilestone(row.duration == 0)
    task.setActivityType(
        java.mpxj.ActivityType.FINISH_MILESTONE
        if row.duration == 0
        else java.mpxj.ActivityType.TASK_DEPENDENT  # P6: the calendar, not resources, times it
    )
    for field, _, attribute in CUSTOM_FIELDS:
        value = getattr(row, attribute)
        if field.startswith("TEXT"):
            task.setText(int(field[4:]), ";".join(value) if attribute == "crews" else str(value))
        else:
            task.setNumber(int(field[6:]), float(value))
    pools: dict[str, int] = {}
    for crew in row.crews:
        pool = crew.rsplit("#", 1)[0]
        pools[pool] = pools.get(pool, 0) + 1
    for pool, count in pools.items():
        if pool in resources:
            assignment = task.addResourceAssignment(resources[pool])
            assignment.setUnits(float(100 * count))
            assignment.setStart(java.at(row.start, DAY_START))
            assignment.setFinish(java.at(row.finish, DAY_END))
            assignment.setWork(
                java.mpxj.Duration.getInstance(8.0 * count * row.duration, java.mpxj.TimeUnit.HOURS)
            )
    return task


def _workdays(calendar: Calendar, first: date, last: date) -> int:
    """The workdays of ``calendar`` from ``first`` to ``last``, both included."""
    return sum(
        calendar.is_workday(first + timedelta(days=k)) for k in range((last - first).days + 1)
    )


def _progress(task: Any, row: TaskRow, schedule: Schedule, own: Calendar, java: _Java) -> None:
    """A replanned task's baseline dates, and its actuals when it has begun; durations
    and elapsed days count ``own``, the calendar the task works by."""
    calendar = schedule.calendar
    start, end = row.baseline_start_day, row.baseline_end_day
    assert start is not None and end is not None
    first, last = calendar.date_of(start), calendar.finish_date(end, end - start)
    task.setBaselineStart(java.at(first, DAY_START))
    task.setBaselineFinish(java.at(last, DAY_END))
    task.setBaselineDuration(java.days(_workdays(own, first, last) if end > start else 0))
    if row.status == "done":
        task.setActualStart(java.at(row.start, DAY_START))
        task.setActualFinish(java.at(row.finish, DAY_END))
        task.setPercentageComplete(100.0)
    elif row.status == "in_progress":
        task.setActualStart(java.at(row.start, DAY_START))
        status = schedule.kpis.status_date
        before = status - timedelta(days=1) if status is not None else row.start
        elapsed = min(_workdays(own, row.start, before) if before >= row.start else 0, row.duration)
        task.setPercentageComplete(round(100.0 * elapsed / max(row.duration, 1), 1))
    else:
        task.setPercentageComplete(0.0)


def _milestones(
    project: Any, plan: ExportPlan, tasks: dict[str, Any], java: _Java, fmt: ExportFormat
) -> None:
    """A milestone task a milestone, after each of its tasks no other of its tasks follows."""
    schedule = plan.schedule
    group = _summary(project, "Milestones", "milestones")
    for m in schedule.milestones:
        members = {t.task_id for t in schedule.tasks if t.deployment in set(m.deployments)}
        task = group.addTask()
        task.setName(m.milestone_id)
        task.setWBS(f"milestones.{m.milestone_id}")
        task.setActivityID(m.milestone_id)
        task.setMilestone(True)
        task.setActivityType(java.mpxj.ActivityType.FINISH_MILESTONE)
        task.setDuration(java.days(0))
        when = m.date or schedule.program_start
        task.setStart(java.at(when, DAY_END))
        task.setFinish(java.at(when, DAY_END))
        _milestone_dates(task, m, java, fmt)
        for pred in _last_tasks(members, plan):
            task.addPredecessor(
                java.mpxj.Relation.Builder()
                .predecessorTask(tasks[pred])
                .type(java.mpxj.RelationType.FINISH_START)
                .lag(java.days(0))
            )
    if schedule.milestones:
        dates = [m.date or schedule.program_start for m in schedule.milestones]
        group.setStart(java.at(min(dates), DAY_END))
        group.setFinish(java.at(max(dates), DAY_END))
    else:
        project.removeTask(group)


def _milestone_dates(task: Any, m: MilestoneRow, java: _Java, fmt: ExportFormat) -> None:
    """The hard deadline as a finish-no-later-than constraint (P6: finish on or before),
    which does not move a plan that meets it; the target as MS Project's deadline, or as
    P6's secondary constraint (P6 has no deadline field): both only mark lateness."""
    fnlt = java.mpxj.ConstraintType.FINISH_NO_LATER_THAN
    if m.deadline is not None:
        task.setConstraintType(fnlt)
        task.setConstraintDate(java.at(m.deadline, DAY_END))
    if m.target is None:
        return
    if fmt is ExportFormat.MSPDI:
        task.setDeadline(java.at(m.target, DAY_END))
    else:
        task.setSecondaryConstraintType(fnlt)
        task.setSecondaryConstraintDate(java.at(m.target, DAY_END))


def _last_tasks(members: set[str], plan: ExportPlan) -> Iterable[str]:
    """The tasks of ``members`` that no other member follows, in the plan's order."""
    followed = {k.pred for k in plan.links if k.pred in members and k.succ in members}
    return [
        t.task_id for t in plan.schedule.tasks if t.task_id in members and t.task_id not in followed
    ]
