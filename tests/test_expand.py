"""scheduler/expand.py: a loaded project expanded to the instance the solvers read, dates
become working days."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from scheduler.domain.load import load_project
from scheduler.expand import expand
from scheduler.instance import Gate, LinkType, SupplyKind, Window

DATA = Path(__file__).parent / "data"


def test_milestone_deadline_on_a_weekend_means_the_friday_before(tmp_path):
    """s2-rfs with a deadline on Saturday 2027-06-26 must be met by Friday 06-25."""
    shutil.copytree(DATA / "catalog", tmp_path / "catalog")
    text = (
        (DATA / "complete.yaml").read_text().replace("deadline: 2027-06-30", "deadline: 2027-06-26")
    )
    (tmp_path / "p.yaml").write_text(text)
    plan = load_project(tmp_path / "p.yaml")
    instance = expand(plan)
    deadline = next(m.deadline for m in instance.milestones if m.id == "s2-rfs")
    assert plan.calendar.date_of(deadline) == date(2027, 6, 25)


def test_supply_and_absence_begun_before_the_program_count_from_day_0(tmp_path):
    """A backfeed live since 2026 and electricians away from 2026-12-21 to 2027-01-06
    (Wednesday, day 2): the supply opens on day 0; one elec crew is out on days 0-1."""
    shutil.copytree(DATA / "catalog", tmp_path / "catalog")
    text = (DATA / "complete.yaml").read_text()
    text = text.replace("mw: 1, from: 2027-01-04", "mw: 1, from: 2026-06-01")
    text = text.replace(
        "unavailable: [{from: 2027-02-01,",
        "unavailable: [{from: 2026-12-21, until: 2027-01-06, count: 1}, {from: 2027-02-01,",
    )
    (tmp_path / "p.yaml").write_text(text)
    instance = expand(load_project(tmp_path / "p.yaml"))
    backfeed = next(s for s in instance.supplies if s.name == "backfeed")
    assert backfeed.start == 0
    elec = next(p for p in instance.pools if p.id == "elec")
    assert elec.windows[0] == Window(0, 2, 1)


def test_expand_complete_project():
    plan = load_project(DATA / "complete.yaml")
    instance = expand(plan)
    ids = [t.id for t in instance.tasks]
    assert len(ids) == 3 * 6 + 1 and ids[0] == "s1-skid/1/fabricate"
    energise = instance.tasks[ids.index("s1-skid/2/energise")]
    assert energise.gate == Gate.ANY and energise.energise_kw == 500
    assert energise.skills == {"electrical": 1, "commissioning": 1}
    loadbank = instance.tasks[ids.index("s2-skid/1/loadbank")]
    assert loadbank.resources == {"load-bank-mw": 1500} and loadbank.power_kw == 1500
    assert loadbank.release == 5  # released 2027-01-11, a Monday: working day 5
    assert instance.tasks[ids.index("s1-skid/1/set")].resources == {"s1/crane": 1}
    assert instance.tasks[ids.index("s1-skid/1/fabricate")].resources == {"factory/f1": 1}
    # the hall IST waits for the load-bank test of both s1 skids
    ist = ids.index("s1-hall/1/ist")
    preds = sorted(ids[k.pred] for k in instance.links if k.succ == ist)
    assert preds == ["s1-skid/1/loadbank", "s1-skid/2/loadbank"]
    assert all(k.type == LinkType.FS for k in instance.links)
    turbines = next(s for s in instance.supplies if s.name == "turbines")
    assert (turbines.kind, turbines.kw, turbines.start) == (SupplyKind.TEMPORARY, 2000, 10)
    elec = next(p for p in instance.pools if p.id == "elec")
    assert elec.windows[0].value == 1 and elec.sites == frozenset({"s1", "s2"})
    s1_rfs = instance.milestones[0]
    assert s1_rfs.weight == 10 and len(s1_rfs.tasks) == 13
