"""Typed domain model of catalogs and projects (DESIGN.md, Catalog and Project).

Pydantic checks each document's shape and value ranges; cross-references between
documents are checked by `scheduler.domain.load`. Nothing here knows about solvers.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from scheduler.instance import PHASES, Gate, LinkType, SupplyKind

GateName = Literal["none", "any", "temporary", "permanent"]
KindName = Literal["backfeed", "temporary", "permanent"]
DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
LinkTypeName = Literal["FS", "SS", "FF", "SF"]

GATES = {gate.label: gate for gate in Gate}
KINDS = {kind.label: kind for kind in SupplyKind}

# Bounds far beyond any real program that keep days, kW and scaled amounts far inside the
# 64-bit integers of CP-SAT and numpy, and dates inside Python's calendar.
MAX_DAYS = 10_000  # a duration or a lag, in working days (about 40 years)
MAX_COUNT = 1_000  # modules of a deployment, crews of a pool or of a need, factory slots
MAX_WEIGHT = 1_000  # a milestone's weight
MAX_AMOUNT = 1_000_000.0  # MW, resource capacities and amounts
EARLIEST_START, LATEST_START = date(1900, 1, 1), date(2199, 12, 31)  # program.start
ID_SEPARATORS = "#;/"  # crew "pool#k", crews joined by ";", task "deployment/i/task"


def _plain_id(value: str) -> str:
    """Ids appear inside the ids and lists of every output, so they may not hold the
    separators those use, nor spaces or control characters."""
    bad = sorted({c for c in value if c in ID_SEPARATORS or c.isspace() or not c.isprintable()})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ValueError(f"id {value!r} may not contain {shown} (no spaces, '#', ';' or '/')")
    return value


def _thousandths(value: float) -> float:
    """MW and fractional amounts are counted in thousandths (kW): a finer value would be
    rounded, differently for a capacity and a demand."""
    if abs(value * 1000 - round(value * 1000)) > 1e-6:
        raise ValueError(f"{value:g} is not a whole number of thousandths (0.001)")
    return value


Id = Annotated[str, Field(min_length=1), AfterValidator(_plain_id)]
Amount = Annotated[
    float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False), AfterValidator(_thousandths)
]
NonNegativeFloat = Amount  # the name scheduler.replanning.scenario imports
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Lag = Annotated[int, Field(ge=-MAX_DAYS, le=MAX_DAYS)]


class Strict(BaseModel):
    """Unknown fields are errors: a typo must not silently drop a constraint."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Window(Strict):
    """``from`` included, ``until`` excluded."""

    from_: date = Field(alias="from")
    until: date | None = None

    @model_validator(mode="after")
    def _until_after_from(self) -> Window:
        if self.until is not None and self.until <= self.from_:
            raise ValueError(f"window 'until' {self.until} is not after 'from' {self.from_}")
        return self


# ---------------------------------------------------------------- uncertainty (issue 25)
# Optional everywhere: a project without them plans as before, and `modsched risk` samples
# them (scheduler/risk). Days are whole days; the plan itself uses a duration's mode, a
# supply's written date and no delivery delay or retest.

Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]


class Spread(Strict):
    """Three-point days ``min <= mode <= max``, drawn from a triangular (default) or a
    uniform distribution; ``group`` names a project's correlation group."""

    dist: Literal["triangular", "uniform"] = "triangular"
    min: Days
    mode: Days
    max: Days
    group: Id | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Spread:
        if not self.min <= self.mode <= self.max:
            raise ValueError(
                f"needs min <= mode <= max, got min {self.min}, mode {self.mode}, max {self.max}"
            )
        return self


class Slip(Strict):
    """Days later than written: ``{p50_days, p90_days}`` (a lognormal with that median and
    90th percentile) or a three-point ``{min, mode, max}`` (see `Spread`)."""

    p50_days: Annotated[float, Field(gt=0, le=MAX_DAYS, allow_inf_nan=False)] | None = None
    p90_days: Annotated[float, Field(gt=0, le=MAX_DAYS, allow_inf_nan=False)] | None = None
    dist: Literal["triangular", "uniform"] = "triangular"
    min: Days | None = None
    mode: Days | None = None
    max: Days | None = None
    group: Id | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Slip:
        points = (self.min, self.mode, self.max)
        quantiles = (self.p50_days, self.p90_days)
        if all(q is not None for q in quantiles) and all(p is None for p in points):
            if self.p90_days < self.p50_days:  # type: ignore[operator]
                raise ValueError(f"p90_days {self.p90_days:g} is below p50_days {self.p50_days:g}")
            return self
        if all(p is not None for p in points) and all(q is None for q in quantiles):
            Spread(dist=self.dist, min=self.min, mode=self.mode, max=self.max)  # type: ignore[arg-type]
            return self
        raise ValueError("give either {p50_days, p90_days} or {min, mode, max}")

    def spread(self) -> Spread | None:
        """The three-point form, or None for the p50/p90 form."""
        if self.min is None or self.mode is None or self.max is None:
            return None
        return Spread(dist=self.dist, min=self.min, mode=self.mode, max=self.max, group=self.group)


class Retest(Strict):
    """A test that fails with ``probability`` and is run again: ``days`` more."""

    probability: float = Field(ge=0, le=1, allow_inf_nan=False)
    days: int = Field(ge=1, le=MAX_DAYS)
    group: Id | None = None


class DeliveryDelay(Slip):
    """Working days a deployment's delivery ``task`` (e.g. ship) takes longer, one draw for
    every module of the deployment."""

    task: str


class CorrelationGroup(Strict):
    """Inputs naming this group move together: their draws share a normal factor with this
    correlation (1: the same quantile, 0: independent)."""

    id: Id
    correlation: float = Field(default=1.0, ge=0, le=1, allow_inf_nan=False)


def _planned_duration(value: Any) -> Any:
    """``duration: {min, mode, max}`` plans on its mode; the spread is read beside it."""
    if not isinstance(value, dict):
        return value
    mode = value.get("mode")
    valid = isinstance(mode, int) and not isinstance(mode, bool) and 1 <= mode <= MAX_DAYS
    return mode if valid else 1  # a bad mode is reported once, by the spread


def _spread_only(value: Any) -> Any:
    return value if isinstance(value, dict) else None


# ---------------------------------------------------------------- catalog


class TaskLinkSpec(Strict):
    task: str
    type: LinkTypeName = "FS"
    lag: Lag = 0


class TaskTemplate(Strict):
    """One task of a module type's network."""

    id: Id
    name: str | None = None
    duration: Annotated[int, BeforeValidator(_planned_duration), Field(ge=1, le=MAX_DAYS)]
    # the same key read as a spread: `duration: {min, mode, max}` (issue 25)
    duration_spread: Annotated[
        Spread | None, BeforeValidator(_spread_only), Field(alias="duration")
    ] = None
    retest: Retest | None = None
    after: list[str | TaskLinkSpec] = []
    needs: dict[str, Annotated[int, Field(ge=1, le=MAX_COUNT)]] = {}
    uses: dict[
        str,
        Annotated[float, Field(le=MAX_AMOUNT, allow_inf_nan=False), AfterValidator(_thousandths)],
    ] = {}
    factory: bool = False
    energises: bool = False
    power_gate: GateName = "none"
    power_mw: Amount = 0.0
    phase: Literal[PHASES] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _uses_positive(self) -> TaskTemplate:
        for resource, amount in self.uses.items():
            if amount <= 0:
                raise ValueError(f"uses '{resource}' must be > 0, got {amount}")
        return self

    @model_validator(mode="after")
    def _uncertainty(self) -> TaskTemplate:
        if self.duration_spread is not None and self.duration_spread.min < 1:
            raise ValueError(f"duration min must be at least 1, got {self.duration_spread.min}")
        if self.retest is not None and self.gate() == Gate.NONE:
            raise ValueError(
                "retest is only for test tasks (L3-L5: power_gate any, temporary or permanent)"
            )
        return self

    def links(self) -> list[TaskLinkSpec]:
        return [TaskLinkSpec(task=a) if isinstance(a, str) else a for a in self.after]

    def gate(self) -> Gate:
        """The declared gate, raised to ``any`` when the task draws or energises."""
        gate = GATES[self.power_gate]
        if (self.power_mw > 0 or self.energises) and gate == Gate.NONE:
            return Gate.ANY
        return gate


class ModuleType(Strict):
    id: Id
    name: str = ""
    category: str = "other"
    load_mw: Amount = 0.0
    tasks: list[TaskTemplate] = Field(min_length=1)


# ---------------------------------------------------------------- project


class CalendarSpec(Strict):
    workdays: list[DayName] = Field(default=["mon", "tue", "wed", "thu", "fri"], min_length=1)
    holidays: list[date] = []


class SiteCalendarSpec(Strict):
    """A site's, a factory's or a crew pool's own calendar: its workdays (default: the
    program's) and holidays kept on top of the program's (DESIGN.md, Time)."""

    workdays: list[DayName] | None = Field(default=None, min_length=1)
    holidays: list[date] = []


class Program(Strict):
    name: str
    start: date = Field(ge=EARLIEST_START, le=LATEST_START)
    calendar: CalendarSpec = CalendarSpec()


class PowerSupply(Window):
    name: str
    kind: KindName
    mw: Amount
    slip: Slip | None = None  # calendar days its `from` may come later (issue 25)


class Site(Strict):
    id: Id
    name: str | None = None
    power: list[PowerSupply] = []
    resources: dict[Id, Amount] = {}
    calendar: SiteCalendarSpec | None = None


class Factory(Strict):
    id: Id
    name: str | None = None
    slots: Count
    calendar: SiteCalendarSpec | None = None


class Unavailability(Window):
    until: date  # type: ignore[assignment]
    count: int | None = Field(default=None, ge=1, le=MAX_COUNT)


class CrewPoolSpec(Strict):
    id: Id
    skills: list[Id] = Field(min_length=1)
    count: Count
    sites: list[str] | None = None
    unavailable: list[Unavailability] = []
    calendar: SiteCalendarSpec | None = None


class DeploymentLink(Strict):
    deployment: str
    task: str | None = None
    to: str | None = None
    type: LinkTypeName = "FS"
    lag: Lag = 0


class Deployment(Strict):
    id: Id
    site: str
    module: str
    quantity: Count = 1
    factory: str | None = None
    release: date | None = None
    after: list[DeploymentLink] = []
    delivery_delay: DeliveryDelay | None = None  # issue 25


class MilestoneSpec(Strict):
    id: Id
    after: list[str] = Field(min_length=1)
    target: date | None = None
    deadline: date | None = None
    weight: int = Field(default=1, ge=0, le=MAX_WEIGHT)


class TravelPair(Strict):
    """Working days a crew needs between two sites (either way)."""

    sites: list[Id] = Field(min_length=2, max_length=2)
    days: int = Field(ge=0, le=MAX_DAYS)


class TravelSpec(Strict):
    """Working days a named crew needs between two different sites: ``default`` for any
    two, ``between`` for named pairs (DESIGN.md, Travel)."""

    default: int = Field(default=0, ge=0, le=MAX_DAYS)
    between: list[TravelPair] = []


class Project(Strict):
    program: Program
    catalog: str | list[str] = "../modules_catalog"
    resources: dict[Id, Amount] = {}
    sites: list[Site] = Field(min_length=1)
    factories: list[Factory] = []
    crews: list[CrewPoolSpec] = []
    deployments: list[Deployment] = Field(min_length=1)
    milestones: list[MilestoneSpec] = []
    travel: TravelSpec = TravelSpec()
    correlation_groups: list[CorrelationGroup] = []  # issue 25


LINK_TYPES = {name: LinkType(name) for name in ("FS", "SS", "FF", "SF")}
