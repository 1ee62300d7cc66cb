"""Stability of a replan on the three-site example (projects/three-sites.yaml): NAL's
second utility tranche slips 16 weeks (projects/scenarios/power-slip.yaml). ABL and RPL
share the travelling crews and the factories with NAL but get no power change."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.instance import objective_terms
from scheduler.io import write_json
from scheduler.pipeline import plan_project, run_greedy
from scheduler.replanning.replan import prepare, replan
from scheduler.solvers.cpsat import STAGE_ONE_SHARE, SolveOptions, solve
from scheduler.validate import validate

ROOT = Path(__file__).parents[1]
PROJECT = ROOT / "projects" / "three-sites.yaml"
SLIP = ROOT / "projects" / "scenarios" / "power-slip.yaml"
OPTIONS = SolveOptions(time_limit=30, workers=1)  # deterministic: the same outcome every run


@pytest.mark.slow
def test_power_slip_replan_moves_little(tmp_path):
    base = plan_project(PROJECT, OPTIONS)
    write_json(base.schedule, tmp_path / "schedule.json")
    new = replan(PROJECT, tmp_path / "schedule.json", scenario=SLIP, options=OPTIONS)
    assert validate(new.instance, new.result.solution) == []
    _, instance, _, baseline, _, _, _ = prepare(PROJECT, tmp_path / "schedule.json", scenario=SLIP)
    greedy = run_greedy(instance)  # a fresh solve as `modsched schedule` does it
    # the same search time as the replan gives the objective (its first stage)
    same_effort = SolveOptions(time_limit=OPTIONS.time_limit * STAGE_ONE_SHARE, workers=1)
    fresh = solve(instance, same_effort, hint=greedy.solution)
    assert fresh.solution is not None and validate(instance, fresh.solution) == []

    def moved(starts, sites=None):
        return sum(
            start != baseline.starts[t.id]
            for t, start in zip(instance.tasks, starts, strict=True)
            if t.fixed_start is None and (sites is None or t.site in sites)
        )

    replan_moved = moved(new.result.solution.starts)
    fresh_moved = moved(fresh.solution.starts)
    assert replan_moved * 5 <= fresh_moved  # far fewer: at most a fifth
    late, _ = objective_terms(new.instance, new.result.solution.starts)
    fresh_late, _ = objective_terms(instance, fresh.solution.starts)
    assert late <= fresh_late * 1.01
    others = [t for t in instance.tasks if t.site in ("abl", "rpl") and t.fixed_start is None]
    assert moved(new.result.solution.starts, {"abl", "rpl"}) <= 0.1 * len(others)
    # the slipped tranche holds NAL H2 back by the slip, give or take the re-sequencing
    nal_h2 = new.schedule.kpis.milestones["nal-h2-rfs"].late_days
    assert nal_h2 >= base.schedule.kpis.milestones["nal-h2-rfs"].late_days + 60
