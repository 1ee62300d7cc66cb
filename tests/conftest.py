"""Fixtures shared by test files, and the Hypothesis profiles.

Hypothesis profiles: `ci` (the default) holds on a loaded machine: no deadline (a busy
core makes any example slow, which says nothing about the code), the same examples every
run (`derandomize`), no example database, no shrinking (it can take minutes). `campaign`
draws new examples each run, for the long runs of benchmarks/fuzz.py; select it with
MODSCHED_HYPOTHESIS_PROFILE=campaign."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from scheduler.io import write_json
from scheduler.pipeline import plan_project

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("campaign", parent=settings.get_profile("ci"), derandomize=False)
settings.load_profile(os.environ.get("MODSCHED_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def baseline(tmp_path_factory) -> Path:
    """schedule.json of the complete test project's plan, the baseline of the replanning
    tests (once for the session: three test files replan from it)."""
    # imported here, not at the top: generators.py makes PROPERTY_SETTINGS from the
    # profile loaded above, so it must not be imported before that
    from generators import REPLAN_OPTIONS, REPLAN_PROJECT

    outcome = plan_project(REPLAN_PROJECT, REPLAN_OPTIONS)
    path = tmp_path_factory.mktemp("baseline") / "schedule.json"
    write_json(outcome.schedule, path)
    return path


@pytest.fixture
def budgets(monkeypatch) -> list:
    """Every `Budget` that `Budget.of` makes during the test, in order."""
    from scheduler.solvers.budget import Budget

    made: list[Budget] = []
    make = Budget.of

    def recorded(*args, **kwargs) -> Budget:
        made.append(make(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(Budget, "of", recorded)
    return made
