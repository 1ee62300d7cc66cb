"""Typed domain model of catalogs and projects (DESIGN.md, Catalog and Project).

Pydantic checks each document's shape and value ranges; cross-references between
documents are checked by `scheduler.domain.load`. Nothing here knows about solvers.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, PositiveInt, model_validator

from scheduler.instance import Gate, LinkType, SupplyKind

GateName = Literal["none", "any", "temporary", "permanent"]
KindName = Literal["backfeed", "temporary", "permanent"]
DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
LinkTypeName = Literal["FS", "SS", "FF", "SF"]

GATES = {"none": Gate.NONE, "any": Gate.ANY, "temporary": Gate.TEMPORARY,
         "permanent": Gate.PERMANENT}  # fmt: skip
KINDS = {"backfeed": SupplyKind.BACKFEED, "temporary": SupplyKind.TEMPORARY,
         "permanent": SupplyKind.PERMANENT}  # fmt: skip
PHASES = ("design", "procurement", "factory", "fat", "transport", "site", "commissioning")


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


# ---------------------------------------------------------------- catalog


class TaskLinkSpec(Strict):
    task: str
    type: LinkTypeName = "FS"
    lag: int = 0


class TaskTemplate(Strict):
    """One task of a module type's network."""

    id: str = Field(min_length=1)
    name: str | None = None
    duration: PositiveInt
    after: list[str | TaskLinkSpec] = []
    needs: dict[str, PositiveInt] = {}
    uses: dict[str, float] = {}
    factory: bool = False
    energises: bool = False
    power_gate: GateName = "none"
    power_mw: NonNegativeFloat = 0.0
    phase: Literal[PHASES] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _uses_positive(self) -> TaskTemplate:
        for resource, amount in self.uses.items():
            if amount <= 0:
                raise ValueError(f"uses '{resource}' must be > 0, got {amount}")
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
    id: str = Field(min_length=1)
    name: str = ""
    category: str = "other"
    load_mw: NonNegativeFloat = 0.0
    tasks: list[TaskTemplate] = Field(min_length=1)


# ---------------------------------------------------------------- project


class CalendarSpec(Strict):
    workdays: list[DayName] = Field(default=["mon", "tue", "wed", "thu", "fri"], min_length=1)
    holidays: list[date] = []


class Program(Strict):
    name: str
    start: date
    calendar: CalendarSpec = CalendarSpec()


class PowerSupply(Window):
    name: str
    kind: KindName
    mw: NonNegativeFloat


class Site(Strict):
    id: str = Field(min_length=1)
    name: str | None = None
    power: list[PowerSupply] = []
    resources: dict[str, NonNegativeFloat] = {}


class Factory(Strict):
    id: str = Field(min_length=1)
    name: str | None = None
    slots: int = Field(ge=0)


class Unavailability(Window):
    until: date  # type: ignore[assignment]
    count: int | None = Field(default=None, ge=1)


class CrewPoolSpec(Strict):
    id: str = Field(min_length=1)
    skills: list[str] = Field(min_length=1)
    count: int = Field(ge=0)
    sites: list[str] | None = None
    unavailable: list[Unavailability] = []


class DeploymentLink(Strict):
    deployment: str
    task: str | None = None
    to: str | None = None
    type: LinkTypeName = "FS"
    lag: int = 0


class Deployment(Strict):
    id: str = Field(min_length=1)
    site: str
    module: str
    quantity: int = Field(default=1, ge=0)
    factory: str | None = None
    release: date | None = None
    after: list[DeploymentLink] = []


class MilestoneSpec(Strict):
    id: str = Field(min_length=1)
    after: list[str] = Field(min_length=1)
    target: date | None = None
    deadline: date | None = None
    weight: int = Field(default=1, ge=0)


class Project(Strict):
    program: Program
    catalog: str | list[str] = "../modules_catalog"
    resources: dict[str, NonNegativeFloat] = {}
    sites: list[Site] = Field(min_length=1)
    factories: list[Factory] = []
    crews: list[CrewPoolSpec] = []
    deployments: list[Deployment] = Field(min_length=1)
    milestones: list[MilestoneSpec] = []


LINK_TYPES = {name: LinkType(name) for name in ("FS", "SS", "FF", "SF")}
