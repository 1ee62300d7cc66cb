"""Seeded generator of multi-site AI hall programs of a given size (tasks), for the scale
benchmark (`benchmarks/scale.py`).

    .venv/bin/python benchmarks/generate.py 5000 --seed 1 --out /tmp/gen/p5000.yaml

writes the project YAML and, beside it, `halls.yaml`: hall types for IT sizes other than
the catalog's 25 MW `hall` (loads and load banks scaled by MW / 25, same task network);
`--sites 16` spreads the same size over sixteen sites (smaller halls). The catalog is
`modules_catalog/` of this repository, named by absolute path, so the generated files can
live in any folder.

What a program looks like (all of it drawn from `random.Random(seed)`):
- halls of 7.5-30 MW IT, with the DOMAIN.md 9.2 per-hall mix scaled to the hall size
  (1 mvsg, MW/2.5 pskid, MW/6.25 mechpwr and gen, 1 bess, chillers, CDUs and RDHX
  batches by cooling style: liquid-cooled or hybrid with more rear doors); two halls a
  building, each building with a water-treatment skid and a reserve power skid;
- sites of four power stories, cycling: TX (switchyard backfeed, gas recips, staged
  utility), OH (staged utility only: the one site WITHOUT temporary power), LA (turbines
  first, late interconnection), DN (early utility plus rental gensets); large programs get
  a fab utility site (UPW trains, water reclaim) as well;
- local electricians, pipefitters and riggers per site; MV terminators, NETA, controls,
  commissioning (two pools), OEM, water-treatment and load-bank crews shared by all
  sites; eHouse integrators and skid shops shared by all sites;
- the deployment links of the example projects (skid L3 after the MVSG L3, chillers after
  the mechanical power skids and the building WTS, CDUs after the power skids and the
  chillers, doors after the CDU flush, hall BMS after every controls task and the hall's
  heat-load test after every module's last task);
- one RFS milestone per hall (and one for the fab utilities) with a TIGHT target: the
  resource-free critical-path day of the milestone (releases, links, power openings) plus
  a small slack, so that crews, factories, cranes and power make the greedy plan late
  and there is something to optimise. No hard deadlines, so the program stays feasible.

The task count is met within a few per cent (the hall sizes are adjusted to it).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.domain.calendar import Calendar  # noqa: E402

CATALOG = ROOT / "modules_catalog"
START = date(2025, 3, 3)
WORKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat"]
HALL_SIZES = [7.5, 10.0, 12.5, 15.0, 17.5, 20.0, 22.5, 25.0, 27.5, 30.0]  # MW IT
SITE_STORIES = ["tx", "oh", "la", "dn"]  # "oh": the one site without temporary power
UTILISATION = 0.5  # crew-days needed / crew-days available in the busy window


def holidays(years: range) -> list[date]:
    """US federal holidays kept simple: New Year, Independence Day, Christmas."""
    return [date(y, m, d) for y in years for m, d in ((1, 1), (7, 4), (12, 25))]


def catalog_networks() -> dict[str, list[dict]]:
    """The task list of each module type of the repository catalog."""
    networks = {}
    for path in sorted(CATALOG.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for module in doc if isinstance(doc, list) else [doc]:
            networks[module["id"]] = module["tasks"]
    return networks


def catalog_tasks() -> dict[str, int]:
    """Tasks per module type of the repository catalog."""
    return {m: len(tasks) for m, tasks in catalog_networks().items()}


def site_window(halls: int) -> int:
    """Working days of site work at a site of ``halls`` halls: about 150 for the first
    hall (sets to RFS), then a hall every 70."""
    return 150 + 70 * (halls - 1)


def catalog_loads() -> dict[str, float]:
    loads = {}
    for path in sorted(CATALOG.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for module in doc if isinstance(doc, list) else [doc]:
            loads[module["id"]] = float(module.get("load_mw", 0.0))
    return loads


def hall_type(mw: float) -> str:
    return "hall" if mw == 25.0 else f"hall-{mw:g}mw".replace(".", "p")


def hall_mix(mw: float, style: str) -> dict[str, int]:
    """Modules of a hall of ``mw`` MW IT (DOMAIN.md 9.2 counts for 25 MW, liquid-cooled)."""
    mix = {
        "mvsg": 1,
        "pskid": math.ceil(mw / 2.5),
        "mechpwr": math.ceil(mw / 6.25),
        "bess": 1,
        "gen": math.ceil(mw / 6.25),
    }
    if style == "liquid":  # direct-to-chip: 14 CDUs, 12 chillers, 2 door batches at 25 MW
        mix |= {"chl": round(mw * 0.48), "cdu": round(mw * 0.56), "rdhx": max(1, round(mw / 12.5))}
    else:  # hybrid: fewer CDUs, more rear doors and chillers
        mix |= {"chl": round(mw * 0.52), "cdu": round(mw * 0.40), "rdhx": max(2, round(mw / 5))}
    return mix


@dataclass
class Hall:
    id: str
    site: str
    building: str
    wave: int  # 0, 1, ... within its site
    mw: float
    style: str
    mix: dict[str, int] = field(default_factory=dict)
    reserve: bool = False  # first hall of its building: gets the reserve pskid


@dataclass
class SiteSpec:
    id: str
    story: str
    first_power: int  # working day
    halls: list[Hall] = field(default_factory=list)


def hall_tasks(mw: float, style: str, per_type: dict[str, int]) -> int:
    return sum(q * per_type[m] for m, q in hall_mix(mw, style).items()) + per_type["hall"]


def plan_halls(
    tasks: int, rng: random.Random, per_type: dict[str, int], n_sites: int | None = None
) -> tuple[list[SiteSpec], bool]:
    """Sites and halls whose task count is close to ``tasks``: about three halls a site
    (at most 10 sites), or ``n_sites`` sites of at least one hall each (smaller halls)."""
    if n_sites is not None:
        smallest = hall_tasks(HALL_SIZES[0], "liquid", per_type)
        if n_sites < 2 or n_sites * smallest > 1.15 * tasks:
            raise ValueError(
                f"{n_sites} sites: between 2 and {int(1.15 * tasks) // smallest} for about "
                f"{tasks} tasks (a site has a hall of at least {smallest} tasks)"
            )
    n_halls = max(2, round(tasks / 690), n_sites or 0)
    if n_sites is None:
        n_sites = min(n_halls, max(2, math.ceil(n_halls / 3)), 10)
    fab = tasks >= 5000
    sites = [
        SiteSpec(
            f"s{k + 1}", SITE_STORIES[k % 4] if k != 1 else "oh", 380 + 25 * k + rng.randint(0, 30)
        )
        for k in range(n_sites)
    ]
    for k, site in enumerate(sites):  # exactly one site without temporary power
        if k != 1 and site.story == "oh":
            site.story = "tx"
    styles = [rng.choice(["liquid", "liquid", "liquid", "hybrid"]) for _ in range(n_halls)]
    # building overhead: a WTS (11) and a reserve pskid (14) per two halls; fab: ~61
    buildings = sum(math.ceil(c / 2) for c in _split(n_halls, n_sites))
    fixed = buildings * (per_type["wts"] + per_type["pskid"])
    fixed += (per_type["wts"] + 2 * per_type["upw"] + 2 * per_type["wrc"]) if fab else 0
    per_hall = (tasks - fixed) / n_halls
    base = min(HALL_SIZES, key=lambda mw: abs(hall_tasks(mw, "liquid", per_type) - per_hall))
    i0 = HALL_SIZES.index(base)
    sizes = [
        HALL_SIZES[min(len(HALL_SIZES) - 1, max(0, i0 + rng.choice([-2, -1, 0, 0, 1, 2])))]
        for _ in range(n_halls)
    ]
    # move sizes one step at a time towards the task target
    for _ in range(4 * n_halls):
        total = fixed + sum(
            hall_tasks(mw, st, per_type) for mw, st in zip(sizes, styles, strict=True)
        )
        k = rng.randrange(n_halls)
        j = HALL_SIZES.index(sizes[k])
        step = 1 if total < tasks else -1
        if 0 <= j + step < len(HALL_SIZES):
            after = (
                total
                + hall_tasks(HALL_SIZES[j + step], styles[k], per_type)
                - hall_tasks(sizes[k], styles[k], per_type)
            )
            if abs(after - tasks) < abs(total - tasks):
                sizes[k] = HALL_SIZES[j + step]
    counts = _split(n_halls, n_sites)
    h = 0
    for site, count in zip(sites, counts, strict=True):
        for wave in range(count):
            building = f"{site.id}-b{wave // 2 + 1}"
            hall = Hall(
                f"{site.id}-h{wave + 1}",
                site.id,
                building,
                wave,
                sizes[h],
                styles[h],
                reserve=wave % 2 == 0,
            )
            hall.mix = hall_mix(hall.mw, hall.style)
            site.halls.append(hall)
            h += 1
    return sites, fab


def _split(n: int, parts: int) -> list[int]:
    return [n // parts + (1 if k < n % parts else 0) for k in range(parts)]


def hall_catalog(sizes: set[float]) -> list[dict]:
    """Hall types for sizes other than 25 MW: the catalog hall, loads scaled by MW / 25."""
    base = yaml.safe_load((CATALOG / "hall.yaml").read_text())
    types = []
    for mw in sorted(s for s in sizes if s != 25.0):
        f = mw / 25.0
        module = {
            "id": hall_type(mw),
            "name": f"Hall systems, {mw:g} MW IT",
            "category": "hall",
            "load_mw": round(base["load_mw"] * f, 3),
            "tasks": [],
        }
        for task in base["tasks"]:
            task = dict(task)
            if "power_mw" in task:
                task["power_mw"] = round(task["power_mw"] * f, 3)
            if "uses" in task:
                task["uses"] = {k: round(v * f, 3) for k, v in task["uses"].items()}
            module["tasks"].append(task)
        types.append(module)
    return types


class Builder:
    """The project document of one generated program."""

    def __init__(
        self,
        tasks: int,
        seed: int,
        slack: tuple[int, int],
        crew_factor: float,
        sites: int | None = None,
    ):
        self.rng = random.Random(seed)
        self.target_tasks, self.seed = tasks, seed
        self.slack, self.crew_factor = slack, crew_factor
        self.networks = catalog_networks()
        self.per_type = catalog_tasks()
        self.loads = catalog_loads()
        self.sites, self.fab = plan_halls(tasks, self.rng, self.per_type, sites)
        self.halls = [h for s in self.sites for h in s.halls]
        self.calendar = Calendar(START, frozenset(range(6)), frozenset(holidays(range(2025, 2036))))
        self.n_eh = max(1, math.ceil(len(self.halls) / 4))
        self.n_skid = max(1, math.ceil(len(self.halls) / 8))

    def day(self, index: int) -> str:
        return self.calendar.iso_of(index)

    # ---------------------------------------------------------------- document

    def document(self) -> dict:
        n = len(self.halls)
        doc: dict = {
            "program": {
                "name": f"Generated program: {n} halls at {len(self.sites)} sites "
                f"(~{self.target_tasks} tasks, seed {self.seed})",
                "start": START,
                "calendar": {"workdays": WORKDAYS, "holidays": holidays(range(2025, 2036))},
            },
            "catalog": [str(CATALOG), "halls.yaml"],
            "resources": {"load-bank-mw": 25 + 3 * n, "liquid-load-bank-mw": 6 + n},
            "sites": [self.site(s) for s in self.sites],
            "factories": [{"id": f"eh{k + 1}", "slots": 6} for k in range(self.n_eh)]
            + [{"id": f"skid{k + 1}", "slots": 4} for k in range(self.n_skid)],
            "crews": self.crews(),
            "deployments": [],
            "milestones": [],
        }
        if self.fab:
            doc["sites"].append(
                {
                    "id": "fab",
                    "power": [
                        {
                            "name": "construction feed",
                            "kind": "backfeed",
                            "mw": 5,
                            "from": self.day(330),
                            "until": self.day(480),
                        },
                        {
                            "name": "substation expansion",
                            "kind": "permanent",
                            "mw": 20,
                            "from": self.day(420),
                        },
                    ],
                    "resources": {"crane": 1},
                }
            )
        for h, hall in enumerate(self.halls):
            doc["deployments"] += self.hall_deployments(hall, h)
            doc["milestones"].append(
                {
                    "id": f"{hall.id}-rfs",
                    "after": [f"{hall.id}-hall"],
                    "weight": self.rng.choice([5, 10, 10, 20]),
                }
            )
        if self.fab:
            doc["deployments"] += self.fab_deployments()
            doc["milestones"].append(
                {"id": "fab-utilities", "weight": 5, "after": ["fab-b1-wts", "fab-upw", "fab-wrc"]}
            )
        return doc

    def site(self, site: SiteSpec) -> dict:
        """Staged power for the site's halls: permanent tranches that cover the halls'
        end state two halls at a time (plus one hall's IST draw), and by story a backfeed,
        a temporary supply or neither."""
        p0 = site.first_power
        end_state = [self.hall_load(h) for h in site.halls]
        draw = 1.2 * max(h.mw for h in site.halls)
        tranches, covered = [], 0.0
        delay = {"tx": 30, "oh": 0, "la": 150, "dn": 0}[site.story]
        for j in range(0, len(site.halls), 2):
            need = sum(end_state[: j + 2]) + draw + 3
            mw = math.ceil(need - covered)
            covered += mw
            tranches.append(
                {
                    "name": f"utility tranche {j // 2 + 1}",
                    "kind": "permanent",
                    "mw": mw,
                    "from": self.day(p0 + delay + 110 * (j // 2)),
                }
            )
        last = p0 + delay + 110 * ((len(site.halls) - 1) // 2)
        power = []
        if site.story == "tx":
            power.append(
                {
                    "name": "switchyard backfeed",
                    "kind": "backfeed",
                    "mw": 10,
                    "from": self.day(p0 - 60),
                    "until": self.day(p0 + 60),
                }
            )
            power.append(
                {
                    "name": "gas recips",
                    "kind": "temporary",
                    "mw": math.ceil(draw + 10),
                    "from": self.day(p0 - 20),
                    "until": self.day(last + 120),
                }
            )
        elif site.story == "la":
            power.append(
                {
                    "name": "gas turbines",
                    "kind": "temporary",
                    "mw": math.ceil(draw + 15),
                    "from": self.day(p0 - 30),
                    "until": self.day(last + 150),
                }
            )
        elif site.story == "dn":
            power.append(
                {
                    "name": "rental gensets",
                    "kind": "temporary",
                    "mw": math.ceil(draw + 5),
                    "from": self.day(p0 - 60),
                    "until": self.day(p0 + 200),
                }
            )
        power += tranches
        cranes = 1 if len(site.halls) < 4 else 2
        return {"id": site.id, "power": power, "resources": {"crane": cranes}}

    def hall_load(self, hall: Hall) -> float:
        modules = sum(q * self.loads[m] for m, q in hall.mix.items())
        return 1.2 * hall.mw + modules + (self.loads["pskid"] if hall.reserve else 0) + 0.02

    def crews(self) -> list[dict]:
        """Pools sized to the crew-days the halls need (catalog durations x needs) over the
        window in which the site (or the program) does site work, at ``UTILISATION``:
        busy enough that crews are the bottleneck, not so short that plans run far late."""
        f = self.crew_factor

        def count(days: float, window: float, least: int = 1) -> int:
            return max(least, round(f * days / (window * UTILISATION)))

        crews, total = [], Counter()
        for s in self.sites:
            need = Counter()
            for hall in s.halls:
                need += self.skill_days(hall)
            total += need
            window = site_window(len(s.halls))
            crews += [
                {
                    "id": f"el-{s.id}",
                    "skills": ["electrical"],
                    "count": count(need["electrical"], window),
                    "sites": [s.id],
                },
                {
                    "id": f"pf-{s.id}",
                    "skills": ["pipefitting"],
                    "count": count(need["pipefitting"], window, 2),
                    "sites": [s.id],
                },
                {
                    "id": f"rig-{s.id}",
                    "skills": ["rigging"],
                    "count": 1 if len(s.halls) < 4 else 2,
                    "sites": [s.id],
                },
            ]
        if self.fab:
            crews += [
                {
                    "id": "hpw-fab",
                    "skills": ["hp-welding", "pipefitting"],
                    "count": 2,
                    "sites": ["fab"],
                },
                {"id": "el-fab", "skills": ["electrical"], "count": 1, "sites": ["fab"]},
                {"id": "rig-fab", "skills": ["rigging"], "count": 1, "sites": ["fab"]},
            ]
        # shared crews travel: the program's window runs from the first site's power to
        # the last site's last hall
        first = min(s.first_power for s in self.sites)
        window = max(s.first_power + site_window(len(s.halls)) for s in self.sites) - first
        cx = count(total["commissioning"], window, 2)
        crews += [
            {
                "id": "mvt",
                "skills": ["mv-termination", "electrical"],
                "count": count(total["mv-termination"], window),
            },
            {
                "id": "neta",
                "skills": ["neta-testing"],
                "count": count(total["neta-testing"], window),
            },
            {"id": "ctrl", "skills": ["controls"], "count": count(total["controls"], window)},
            {"id": "cx-a", "skills": ["commissioning"], "count": max(1, (cx + 1) // 2)},
            {"id": "cx-b", "skills": ["commissioning"], "count": max(1, cx // 2)},
            {
                "id": "oem",
                "skills": ["oem-service"],
                "count": count(total["oem-service"], window, 2),
            },
            {
                "id": "wtx",
                "skills": ["water-treatment"],
                "count": count(total["water-treatment"], window),
            },
            {"id": "lb", "skills": ["load-bank"], "count": count(total["load-bank"], window, 2)},
        ]
        return crews

    def skill_days(self, hall: Hall) -> Counter:
        """Crew-days of each skill the hall's modules (and its building's) need."""
        mix = dict(hall.mix)
        if hall.reserve:
            mix["pskid"] = mix.get("pskid", 0) + 1
            mix["wts"] = 1
        need: Counter = Counter()
        for module, qty in mix.items():
            for task in self.networks[module]:
                for skill, k in task.get("needs", {}).items():
                    need[skill] += qty * k * task["duration"]
        for task in self.networks["hall"]:
            for skill, k in task.get("needs", {}).items():
                need[skill] += k * task["duration"]
        return need

    # ---------------------------------------------------------------- deployments

    def hall_deployments(self, hall: Hall, h: int) -> list[dict]:
        """The hall's modules, its building's WTS (first hall) and its links."""
        site = next(s for s in self.sites if s.id == hall.site)
        po = 0 if hall.wave == 0 else 55 * hall.wave + self.rng.randint(-10, 10)
        fitout = site.first_power - 40 + 70 * hall.wave + self.rng.randint(0, 20)
        eh = f"eh{h % self.n_eh + 1}"
        skid = f"skid{h % self.n_skid + 1}"
        p = hall.id
        deps: list[dict] = []

        def dep(
            suffix: str,
            module: str,
            qty: int,
            factory: str | None = None,
            after: list[dict] | None = None,
            release: int | None = None,
        ) -> dict:
            d: dict = {"id": f"{p}-{suffix}", "site": hall.site, "module": module, "quantity": qty}
            if factory:
                d["factory"] = factory
            rel = po if release is None else release
            if rel > 0:
                d["release"] = self.day(rel)
            if after:
                d["after"] = after
            deps.append(d)
            return d

        wts = f"{hall.building}-wts"
        if hall.reserve:
            deps.append(
                {"id": wts, "site": hall.site, "module": "wts", "quantity": 1, "factory": skid}
                | ({"release": self.day(po)} if po > 0 else {})
            )
        mvsg_l3 = {"deployment": f"{p}-mvsg", "task": "l3-energise", "to": "l3-energise"}
        mix = hall.mix
        dep("mvsg", "mvsg", mix["mvsg"], eh)
        if hall.reserve:
            dep("pskid-reserve", "pskid", 1, eh, [mvsg_l3])
        dep("pskid", "pskid", mix["pskid"], eh, [mvsg_l3])
        dep("mechpwr", "mechpwr", mix["mechpwr"], eh, [mvsg_l3])
        dep("bess", "bess", mix["bess"], skid, [mvsg_l3])
        dep(
            "gen",
            "gen",
            mix["gen"],
            None,
            [{"deployment": f"{p}-mvsg", "task": "l3-energise", "to": "l4-paralleling"}],
        )
        dep(
            "chl",
            "chl",
            mix["chl"],
            None,
            [
                {"deployment": wts, "task": "l3-startup", "to": "flush-fill"},
                {"deployment": f"{p}-mechpwr", "task": "l3-energise", "to": "l3-startup"},
            ],
        )
        dep(
            "cdu",
            "cdu",
            mix["cdu"],
            None,
            [
                {"deployment": wts, "task": "l3-startup", "to": "tcs-flush"},
                {"deployment": f"{p}-pskid", "task": "l3-energise", "to": "l3-startup"},
                {"deployment": f"{p}-chl", "task": "l3-startup", "to": "l3-startup"},
            ],
        )
        dep(
            "rdhx",
            "rdhx",
            mix["rdhx"],
            None,
            [{"deployment": f"{p}-cdu", "task": "tcs-flush", "to": "flush-fill"}],
        )
        modules = [d["id"] for d in deps if d["id"] != wts]
        with_controls = [d for d in modules if not d.endswith("-gen")]
        after = [
            {"deployment": d, "task": "controls", "to": "bms-integration"} for d in with_controls
        ]
        after += [{"deployment": d, "to": "heat-load-test"} for d in modules]
        dep("hall", hall_type(hall.mw), 1, None, after, release=fitout)
        return deps

    def fab_deployments(self) -> list[dict]:
        site = "fab"
        wts = "fab-b1-wts"
        return [
            {"id": wts, "site": site, "module": "wts", "quantity": 1, "factory": "skid1"},
            {
                "id": "fab-upw",
                "site": site,
                "module": "upw",
                "quantity": 2,
                "factory": "skid1",
                "after": [{"deployment": wts, "task": "l3-startup", "to": "l3-startup"}],
            },
            {
                "id": "fab-wrc",
                "site": site,
                "module": "wrc",
                "quantity": 2,
                "factory": f"skid{self.n_skid}",
                "after": [{"deployment": wts, "task": "l3-startup", "to": "l3-startup"}],
            },
        ]


def write(out: Path, doc: dict, halls: list[dict]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if halls:
        (out.parent / "halls.yaml").write_text(
            "# Hall types of generated programs: the catalog hall scaled to other IT sizes.\n"
            + yaml.safe_dump(halls, sort_keys=False, width=100)
        )
    out.write_text(
        f"# {doc['program']['name']}: written by benchmarks/generate.py\n"
        + yaml.safe_dump(doc, sort_keys=False, width=100)
    )


def generate(
    tasks: int,
    out: str | Path,
    seed: int = 0,
    slack: tuple[int, int] = (0, 15),
    crew_factor: float = 0.7,
    sites: int | None = None,
) -> Path:
    """Write a program of about ``tasks`` tasks to ``out`` (and ``halls.yaml`` beside it),
    at ``sites`` sites if given (else about three halls a site, at most 10).

    Targets: the milestone's critical-path day (resources ignored) plus a slack drawn
    from ``slack`` working days. Needs one load of the project (no solve)."""
    from scheduler.pipeline import load_instance

    out = Path(out)
    builder = Builder(tasks, seed, slack, crew_factor, sites)
    doc = builder.document()
    halls = hall_catalog({h.mw for h in builder.halls})
    if not halls:
        doc["catalog"] = str(CATALOG)
    write(out, doc, halls)
    _, instance, cpm = load_instance(out)
    days = {}
    for milestone in instance.milestones:
        days[milestone.id] = (
            max(cpm.earliest[i] + instance.tasks[i].duration for i in milestone.tasks) - 1
        )
    rng = random.Random(seed + 1)
    for m in doc["milestones"]:
        m["target"] = builder.calendar.date_of(days[m["id"]] + rng.randint(*slack))
    write(out, doc, halls)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tasks", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--slack",
        type=int,
        nargs=2,
        default=(0, 15),
        help="target = critical-path day + uniform(a, b) working days",
    )
    parser.add_argument(
        "--crew-factor",
        type=float,
        default=0.7,
        help="scales every crew pool sized from crew-days (tightness)",
    )
    parser.add_argument(
        "--sites",
        type=int,
        help="this many sites (at least one hall each); default about three halls a site, "
        "at most 10",
    )
    args = parser.parse_args()
    try:
        path = generate(
            args.tasks, args.out, args.seed, tuple(args.slack), args.crew_factor, args.sites
        )
    except ValueError as error:
        parser.error(f"--sites: {error}")
    print(path)


if __name__ == "__main__":
    main()
