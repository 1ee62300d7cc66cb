"""scheduler/domain/load.py: loading a project and its catalog, one exact message per rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scheduler.domain import load
from scheduler.domain.load import load_project
from scheduler.errors import InputError

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


# ---------------------------------------------------------------- limits (DESIGN.md, Limits)


def test_too_many_tasks_are_refused_before_they_are_built(tmp_path, monkeypatch):
    """complete.yaml: 3 skids x 6 tasks + 1 hall task = 19 tasks."""
    monkeypatch.setattr(load, "MAX_TASKS", 18)
    path = bad_project(tmp_path, "catalog: catalog", "catalog: catalog")
    assert problems(path) == [
        "deployments (line 25, column 3): the deployments expand to 19 tasks (quantity x "
        "tasks of the module); at most 18 are planned (DESIGN.md, Limits)"
    ]
    monkeypatch.setattr(load, "MAX_TASKS", 19)
    assert load_project(path).project.deployments


def test_too_many_links_are_refused_with_the_largest(tmp_path, monkeypatch):
    """complete.yaml: 3 skids x 5 links, 2 skids joined to 1 hall: 17 links."""
    monkeypatch.setattr(load, "MAX_LINKS", 16)
    path = bad_project(tmp_path, "catalog: catalog", "catalog: catalog")
    assert problems(path) == [
        "deployments (line 25, column 3): the deployments expand to 17 task links (a link "
        "between deployments joins every module of one to every module of the other; the "
        "largest, deployments[2].after[0], makes 2); at most 16 are planned (DESIGN.md, Limits)"
    ]
    monkeypatch.setattr(load, "MAX_LINKS", 17)
    assert load_project(path).project.deployments
