"""scheduler/solving.py: `solve_plan`, the one solve path of schedule, replan, whatif,
bench and the library."""

from __future__ import annotations

from operator import itemgetter
from pathlib import Path

from scheduler import solving
from scheduler.instance import objective_terms
from scheduler.pipeline import plan_project
from scheduler.solvers.budget import SolveOptions
from scheduler.validate import recompute_objective, validate

QUICKSTART = Path(__file__).resolve().parents[1] / "projects" / "quickstart.yaml"


def test_pipeline_switches_to_windows_from_the_threshold(monkeypatch):
    """From LARGE_PROGRAM_TASKS on the product's plan comes from the windows, and is valid."""
    monkeypatch.setattr(solving, "LARGE_PROGRAM_TASKS", 100)
    outcome = plan_project(QUICKSTART, SolveOptions(time_limit=3, workers=1, seed=0))
    assert (outcome.result.engine, outcome.result.method) == ("cp-sat", "windows")
    # schedule.json keeps DESIGN's engine name and says how it ran beside it
    assert outcome.schedule.solver.name == "cp-sat"
    assert outcome.schedule.solver.method == "windows"
    assert validate(outcome.instance, outcome.result.solution) == []
    assert outcome.result.objective <= outcome.greedy.objective
    late, _ = objective_terms(outcome.instance, outcome.result.solution.starts)
    assert outcome.result.bound <= outcome.result.objective
    # the model's terms against the validator's own count of the same plan
    assert (late, outcome.result.objective) == itemgetter(0, 2)(
        recompute_objective(outcome.instance, outcome.result.solution)
    )
