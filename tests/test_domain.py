"""Loading projects: dates to working days, expansion, and one exact message per rule."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from scheduler.domain.calendar import Calendar
from scheduler.domain.load import load_project
from scheduler.errors import InputError
from scheduler.expand import expand
from scheduler.instance import Gate, LinkType, SupplyKind, Window

DATA = Path(__file__).parent / "data"


def bad_project(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the complete test project with one edit."""
    text = (DATA / "complete.yaml").read_text()
    assert old in text, old
    shutil.copytree(DATA / "catalog", tmp_path / "catalog")
    path = tmp_path / "p.yaml"
    path.write_text(text.replace(old, new))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_project(path)
    return [
        str(p).removeprefix(str(path)).removeprefix(": ").strip() for p in caught.value.problems
    ]


def test_calendar_days_and_dates():
    """Mon-fri with a holiday on Monday 2027-01-18: day 0 is Mon 2027-01-04, day 10 is
    Tue 2027-01-19; a Saturday event takes the next workday."""
    cal = Calendar(date(2027, 1, 4), frozenset(range(5)), frozenset({date(2027, 1, 18)}))
    assert cal.date_of(0) == date(2027, 1, 4)
    assert cal.date_of(10) == date(2027, 1, 19)
    assert cal.day_of(date(2027, 1, 16)) == 10
    assert cal.day_of(date(2027, 1, 19)) == 10
    assert cal.finish_date(12, 2) == date(2027, 1, 20)
    assert cal.date_of(-1) == date(2027, 1, 1)
    # a deadline is "no later than": Saturday 01-16 and holiday Monday 01-18 mean Friday
    # 01-15 (day 9); a workday deadline is its own day
    assert cal.last_day_by(date(2027, 1, 16)) == 9
    assert cal.last_day_by(date(2027, 1, 18)) == 9
    assert cal.last_day_by(date(2027, 1, 19)) == 10


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


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "module: skid, quantity: 2",
            "module: skidd, quantity: 2",
            "deployments[0].module (line 25, column 37): deployment 's1-skid' names unknown "
            "module 'skidd'",
        ),
        (
            "count: 2, sites: [s1, s2]",
            "count: -1, sites: [s1, s2]",
            "crews[1].count (line 22, column 45): Input should be greater than or equal to 0 "
            "(got -1)",
        ),
        (
            "{id: f1, slots: 2}",
            "{id: f1, slots: 2, colour: red}",
            "factories[0].colour (line 19, column 32): unknown field 'colour'",
        ),
        (
            "kind: backfeed",
            "kind: backfed",
            "sites[0].power[0].kind (line 10, column 32): Input should be 'backfeed', 'temporary' "
            "or 'permanent' (got 'backfed')",
        ),
        (
            "program:\n  name",
            "program:\n name",
            "(line 3, column 8): malformed YAML: mapping values are not allowed here",
        ),
        (
            "from: 2027-01-18, until: 2027-04-01",
            "from: 2027-04-18, until: 2027-04-01",
            "sites[0].power[1] (line 11, column 9): window 'until' 2027-04-01 is not after "
            "'from' 2027-04-18",
        ),
        (
            "target: 2027-02-05",
            "target: 2026-02-05",
            "milestones[1].target (line 33, column 44): date 2026-02-05 is before the program "
            "start 2027-01-04",
        ),
        (
            "task: loadbank, to: ist",
            "task: loadbnk, to: ist",
            "deployments[2].after[0].task (line 30, column 41): module 'skid' has no task "
            "'loadbnk'",
        ),
        (
            "sites: [s1, s2]",
            "sites: [s1, s9]",
            "crews[1].sites[1] (line 22, column 60): crew pool 'elec' names unknown site 's9'",
        ),
        (
            "{id: rig, skills: [rigging], count: 1}",
            "{id: rig, skills: [rig], count: 1}",
            "deployments[0].module (line 25, column 37): task 'set' of module 'skid' needs "
            "skill 'rigging': no crew pool has this skill",
        ),
        (
            "resources: {crane: 1}\n  - id: s2",
            "resources: {}\n  - id: s2",
            "deployments[0].module (line 25, column 37): task 'set' of module 'skid' uses "
            "'crane', which neither site 's1' nor the program defines",
        ),
        (
            "{id: s2-rfs, after: [s2-skid]",
            "{id: s2-rfs, after: [s3-skid]",
            "milestones[1].after[0] (line 33, column 26): milestone 's2-rfs' comes after "
            "unknown deployment 's3-skid'",
        ),
        (
            "{id: s1-skid, site: s1, module: skid, quantity: 2, factory: f1}",
            "{id: s1-skid, site: s1, module: skid, quantity: 2, factory: f1}\n"
            "  - {id: s1-skid, site: s1, module: skid, quantity: 1, factory: f1}",
            "deployments[1].id (line 26, column 10): duplicate deployment id 's1-skid'",
        ),
        (
            "{id: s2-skid, site: s2, module: skid, quantity: 1,",
            "{id: s2-skid, site: s2, module: skid, quantity: 0,",
            "milestones[1].after (line 33, column 25): milestone 's2-rfs' comes after no "
            "module: its deployments all have quantity 0",
        ),
        (  # a value YAML itself cannot read still names its place in the document
            "release: 2027-01-11",
            "release: 2027-13-01",
            "deployments[1].release (line 26, column 78): bad value '2027-13-01': month must "
            "be in 1..12",
        ),
    ],
)
def test_input_error_messages(tmp_path, old, new, expected):
    assert expected in problems(bad_project(tmp_path, old, new))


def test_all_problems_reported_at_once(tmp_path):
    text = (DATA / "complete.yaml").read_text()
    text = text.replace("module: skid, quantity: 2", "module: skidd, quantity: 2")
    text = text.replace("sites: [s1, s2]", "sites: [s1, s9]")
    shutil.copytree(DATA / "catalog", tmp_path / "catalog")
    (tmp_path / "p.yaml").write_text(text)
    assert len(problems(tmp_path / "p.yaml")) == 2


def test_catalog_problems_name_the_catalog_file(tmp_path):
    path = bad_project(tmp_path, "catalog: catalog", "catalog: catalog")
    module = tmp_path / "catalog" / "skid.yaml"
    module.write_text(module.read_text().replace("after: [ship]", "after: [shipp]"))
    found = problems(path)
    assert found == [
        f"{module}: [0].tasks[2].after[0] (line 9, column 38): task 'set' of "
        "module 'skid' comes after unknown task 'shipp'"
    ]


def test_cycle_in_module_network_is_printed(tmp_path):
    path = bad_project(tmp_path, "catalog: catalog", "catalog: catalog")
    module = tmp_path / "catalog" / "skid.yaml"
    module.write_text(
        module.read_text().replace(
            "{id: fabricate, duration: 5,", "{id: fabricate, duration: 5, after: [ship],"
        )
    )
    (found,) = problems(path)
    assert found.endswith("cycle in module 'skid' task links: ship -> fabricate -> ship")
