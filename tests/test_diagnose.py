"""scheduler/diagnose.py: why a project has no plan, in the words a planner reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from generators import make

from scheduler.instance import Gate, Milestone, Supply, SupplyKind, Task
from scheduler.solvers.budget import Budget, SolveOptions
from scheduler.solvers.cpsat import solve
from scheduler.solvers.result import Status

DATA = Path(__file__).parent / "data"
MODSCHED = str(Path(sys.executable).parent / "modsched")


def test_pinned_task_before_its_supply_is_infeasible_with_the_reason():
    """A task pinned (done or in progress) on day 5 behind a gate whose supply now comes on
    day 10 (a slipped tranche): the model says infeasible and why, as the validator
    would reject the pin; it once accepted the pin and the validator stopped the run."""
    from scheduler.diagnose import explain_infeasible

    supply = Supply("backfeed", "s", SupplyKind.BACKFEED, 1000, 10)
    instance = make([Task("e", 2, site="s", gate=Gate.ANY, fixed_start=5)], supplies=[supply])
    assert solve(instance, SolveOptions(time_limit=5)).status == Status.INFEASIBLE
    assert explain_infeasible(instance, Budget(30)) == [
        "task 'e' is fixed to start on day 5, but its power supply is not there every day it runs"
    ]
    late = make([Task("e", 2, fixed_start=5)], milestones=[Milestone("M", (0,), deadline=5)])
    assert solve(late, SolveOptions(time_limit=5)).status == Status.INFEASIBLE


INFEASIBLE = sorted((DATA.parent / "corpus" / "infeasible").glob("*.yaml"))


@pytest.mark.parametrize("path", INFEASIBLE, ids=[p.stem for p in INFEASIBLE])
def test_infeasible_examples_are_explained(tmp_path, path):
    """Three edits of the example projects that no plan can meet: exit 1 with the reason
    in the file's first line (`# expect: ...`)."""
    expected = path.read_text().splitlines()[0].removeprefix("# expect: ")
    done = subprocess.run(
        [MODSCHED, "schedule", str(path), "--out", str(tmp_path / "o"), "--time-limit", "60"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert expected in " ".join(done.stderr.split()), done.stderr
    assert not (tmp_path / "o").exists()
