"""The program generator of the scale benchmark (benchmarks/generate.py): valid projects of
the asked size, the same file for the same seed, and a greedy plan that is late (something
for CP-SAT to optimise). Small programs only; no timing assertions."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402
from scheduler.cli import app  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module")
def program(tmp_path_factory) -> Path:
    return generate(500, tmp_path_factory.mktemp("gen") / "p500.yaml", seed=0)


def test_validate_accepts_it_with_the_asked_task_count(program):
    result = runner.invoke(app, ["validate", str(program)])
    assert result.exit_code == 0, result.output
    tasks = int(re.search(r"([\d,]+) tasks", result.output).group(1).replace(",", ""))
    assert 0.85 * 500 <= tasks <= 1.15 * 500


@pytest.mark.parametrize("size", [1000, 2000])
def test_task_count_follows_the_size(tmp_path, size):
    from scheduler.pipeline import load_instance

    _, instance, _ = load_instance(generate(size, tmp_path / "p.yaml", seed=2))
    assert 0.85 * size <= instance.num_tasks <= 1.15 * size


def test_same_seed_same_files_other_seed_other_program(tmp_path):
    a = generate(500, tmp_path / "a" / "p.yaml", seed=7)
    b = generate(500, tmp_path / "b" / "p.yaml", seed=7)
    c = generate(500, tmp_path / "c" / "p.yaml", seed=8)
    assert a.read_text() == b.read_text()
    assert (a.parent / "halls.yaml").exists() == (b.parent / "halls.yaml").exists()
    if (a.parent / "halls.yaml").exists():
        assert (a.parent / "halls.yaml").read_text() == (b.parent / "halls.yaml").read_text()
    assert a.read_text() != c.read_text()


def test_program_shape(program):
    doc = yaml.safe_load(program.read_text())
    kinds = [{s["kind"] for s in site["power"]} for site in doc["sites"]]
    assert len(doc["sites"]) >= 2
    assert sum("temporary" not in k for k in kinds) == 1  # one site without temporary power
    assert all("permanent" in k for k in kinds)
    shared = [c for c in doc["crews"] if "sites" not in c]
    assert {"cx-a", "oem", "lb"} <= {c["id"] for c in shared}  # crews shared by all sites
    assert len(doc["factories"]) >= 1
    assert all(m.get("target") and "deadline" not in m for m in doc["milestones"])
    halls = [d for d in doc["deployments"] if d["module"].startswith("hall")]
    assert len(doc["milestones"]) == len(halls)
    for hall in halls:  # the hall's heat-load test waits for every module of the hall
        waits = {a["deployment"] for a in hall["after"] if a["to"] == "heat-load-test"}
        prefix = hall["id"].removesuffix("-hall")
        assert {
            d["id"]
            for d in doc["deployments"]
            if d["id"].startswith(prefix + "-") and d is not hall
        } == waits


def test_greedy_plan_is_late_but_complete(program):
    from scheduler.instance import objective_terms
    from scheduler.pipeline import load_instance
    from scheduler.solving import run_greedy
    from scheduler.validate import validate

    _, instance, _ = load_instance(program)
    greedy = run_greedy(instance)
    assert greedy.solution is not None
    assert not validate(instance, greedy.solution)
    tardiness, _ = objective_terms(instance, greedy.solution.starts)
    assert tardiness > 0


def test_sites_asked_for_are_the_sites_written_each_with_a_hall(tmp_path):
    """`--sites`: more sites than the default (about three halls a site) at the same size,
    every one of them with at least one hall and its milestone."""
    path = generate(2000, tmp_path / "p.yaml", seed=1, sites=4)
    doc = yaml.safe_load(path.read_text())
    assert [s["id"] for s in doc["sites"]] == ["s1", "s2", "s3", "s4"]
    halls = {m["id"].split("-")[0] for m in doc["milestones"]}
    assert halls == {"s1", "s2", "s3", "s4"}
    default = yaml.safe_load(generate(2000, tmp_path / "d" / "p.yaml", seed=1).read_text())
    assert len(default["sites"]) == 2


@pytest.mark.parametrize("sites", [1, 16])
def test_sites_the_size_cannot_hold_are_refused(tmp_path, sites):
    """A site has at least one hall of 7.5 MW (242 tasks): 2,000 tasks cannot make 16 sites
    (it would write twice the size asked), nor is one site a program of sites."""
    with pytest.raises(ValueError, match=rf"^{sites} sites: between 2 and 9 for about 2000 tasks"):
        generate(2000, tmp_path / "p.yaml", seed=1, sites=sites)
