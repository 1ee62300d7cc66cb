"""scheduler/solving.py: `solve_plan`, the one solve path of schedule, replan, whatif,
bench and the library: which engine and method give the plan, the warm start kept when
CP-SAT finds none, infeasibility explained, and a replan's left-justification."""

from __future__ import annotations

from dataclasses import replace
from operator import itemgetter
from pathlib import Path

import pytest
from generators import make

from scheduler import solving
from scheduler.errors import Infeasible, NoPlanFound
from scheduler.instance import (
    CrewPool,
    Gate,
    Instance,
    Milestone,
    Solution,
    Supply,
    SupplyKind,
    Task,
    objective_terms,
    objective_value,
)
from scheduler.pipeline import load_instance, plan_project
from scheduler.solvers.bounds import floors
from scheduler.solvers.budget import SolveOptions
from scheduler.solvers.cpsat.stability import changes
from scheduler.solvers.greedy import best_greedy
from scheduler.solvers.result import Engine, Method, Result, Status
from scheduler.solving import Stability, left_justify, solve_plan
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


def one_crew() -> Instance:
    """a(3) and b(2) both need the one rigging crew: one after the other, makespan 5."""
    pool = CrewPool("rig", frozenset({"rigging"}), 1)
    tasks = [Task("a", 3, skills={"rigging": 1}), Task("b", 2, skills={"rigging": 1})]
    return make(tasks, pools=[pool])


def no_plan(*args, **kwargs) -> Result:
    """CP-SAT's answer when its time ran out before any plan."""
    return Result(Engine.CP_SAT, Method.WHOLE_MODEL, Status.UNKNOWN, seconds=1.0)


def test_a_limit_the_deterministic_work_does_not_fit_says_the_plan_may_not_repeat():
    """One worker, --time-limit 0.1 on three-sites: the greedy rules alone take seconds,
    so the stages after them get no wall time for their deterministic work. The run still
    ends with a valid plan, and says it may not repeat (`repeatable` False); with two
    workers nothing is promised (None)."""
    three_sites = QUICKSTART.parent / "three-sites.yaml"
    outcome = plan_project(three_sites, SolveOptions(time_limit=0.1, workers=1))
    assert outcome.result.repeatable is False
    assert outcome.schedule.solver.repeatable is False
    assert validate(outcome.instance, outcome.result.solution) == []
    two = plan_project(QUICKSTART, SolveOptions(time_limit=5, workers=2))
    assert two.result.repeatable is None


def test_greedy_rules_cut_short_by_the_limit_are_not_repeatable():
    """Past the deadline the rules still to run are skipped once one has a plan: that
    result says it may not repeat; all five run, it promises nothing either way (None)."""
    _, instance, _ = load_instance(QUICKSTART)
    assert solving.run_greedy(instance, SolveOptions(workers=1), deadline=0.0).repeatable is False
    assert solving.run_greedy(instance, SolveOptions(workers=1)).repeatable is None


def test_greedy_engine_returns_the_greedy_plan(monkeypatch):
    """With the greedy engine CP-SAT never runs: the answer is the serial scheme's plan,
    a on days 0-2 and b from day 3 on the one crew, objective the makespan 5, with the
    greedy engine's method; it is also the greedy result handed back beside it."""
    monkeypatch.setattr(solving, "_cp_sat", lambda *args: pytest.fail("CP-SAT ran"))
    instance = one_crew()
    solved = solve_plan(instance, SolveOptions(time_limit=5, workers=1), engine=Engine.GREEDY)
    result = solved.result
    assert (result.engine, result.method, result.status) == (
        Engine.GREEDY,
        Method.PRIORITY_RULES,
        Status.FEASIBLE,
    )
    assert result.solution == best_greedy(instance)
    assert result.solution.starts == [0, 3]
    assert result.solution.crews == [("rig#1",), ("rig#1",)]
    assert result.objective == 5
    assert solved.greedy == result


def test_cp_sat_without_a_plan_keeps_the_warm_start(monkeypatch):
    """CP-SAT ends without a plan (UNKNOWN): the greedy warm start is the answer, still
    credited to CP-SAT's run but with the method "greedy plan kept", FEASIBLE, objective 5."""
    monkeypatch.setattr(solving, "_cp_sat", no_plan)
    solved = solve_plan(one_crew(), SolveOptions(time_limit=5, workers=1))
    result = solved.result
    assert (result.engine, result.method, result.status) == (
        Engine.CP_SAT,
        Method.GREEDY_KEPT,
        Status.FEASIBLE,
    )
    assert str(result.method) == "greedy plan kept"
    assert result.solution.starts == [0, 3] and result.objective == 5


def test_a_cp_sat_plan_worse_than_the_warm_start_is_not_handed_on(monkeypatch):
    """Milestone m on a, target day 2 (weight 1): the greedy plan puts a first (days 0-2,
    on time) and b on days 3-4. CP-SAT hands back b first and a on days 2-4, 2 days late
    (it can, when it does not take its hint: MSPSP set-1b m40_00, docs/BENCHMARKS.md).
    Left-justifying cannot mend that order; the warm start is the answer, with the method
    "greedy plan kept", FEASIBLE, 0 late days, makespan 5."""
    instance = replace(one_crew(), milestones=(Milestone("m", (0,), 2, None, 1),))
    worse = Solution([2, 0], [("rig#1",), ("rig#1",)])
    assert validate(instance, worse) == []
    assert objective_terms(instance, worse.starts) == (2, 5)

    def worse_plan(instance, *args) -> Result:
        objective = objective_value(instance, worse.starts)
        return Result(Engine.CP_SAT, Method.WHOLE_MODEL, Status.FEASIBLE, worse, objective, 5)

    monkeypatch.setattr(solving, "_cp_sat", worse_plan)
    solved = solve_plan(instance, SolveOptions(time_limit=5, workers=1))
    result = solved.result
    assert (result.engine, result.method, result.status) == (
        Engine.CP_SAT,
        Method.GREEDY_KEPT,
        Status.OPTIMAL,  # 0 late days on the critical path's 5: both bounds met
    )
    assert result.solution.starts == [0, 3]
    assert objective_terms(solved.instance, result.solution.starts) == (0, 5)


def test_a_plan_proven_optimal_has_its_late_days_as_their_proven_minimum(monkeypatch):
    """a(3) and b(2) on the one crew, milestones on a (target day 2) and on b (target day
    1), weight 1 each: a first makes b 3 days late, b first makes a 2 days late, so the
    optimum is 2 weighted late days, which CP-SAT proves. With no probe to prove it (the
    critical path's floors are 0), the plan proven optimal says it: tardiness bound 2, not
    0 (a gap of 100 % beside "OPTIMAL")."""
    instance = replace(
        one_crew(),
        milestones=(Milestone("ma", (0,), 2, None, 1), Milestone("mb", (1,), 1, None, 1)),
    )
    monkeypatch.setattr(solving, "lateness_bounds", lambda instance, *args: floors(instance))
    result = solve_plan(instance, SolveOptions(time_limit=10, workers=1)).result
    assert result.status == Status.OPTIMAL
    assert result.solution.starts == [2, 0]
    assert result.tardiness_bound == 2
    assert result.late_bounds == (("ma", 0), ("mb", 0))  # each alone can be on time


def test_a_replan_cp_sat_found_nothing_for_is_the_repaired_warm_start(monkeypatch):
    """A replan's warm start (its repaired baseline) has b on day 5, two days later than it
    could be; the baseline is the same plan. CP-SAT finds nothing: the warm start is kept
    as the greedy engine's repair, method "repair (cp-sat found none)" (balanced brackets:
    once "repair (cp-sat found none"). Left-justifying cannot pull b before its baseline
    day 5, so the plan is the warm start: objective 7."""
    monkeypatch.setattr(solving, "_cp_sat", no_plan)
    warm = Solution([0, 5], [("rig#1",), ("rig#1",)])
    solved = solve_plan(
        one_crew(),
        SolveOptions(time_limit=5, workers=1),
        warm_start=warm,
        stability=Stability(warm, last_end=7),
        use_greedy=False,
    )
    result = solved.result
    assert (result.engine, result.method, result.status) == (
        Engine.GREEDY,
        Method.REPAIR,
        Status.FEASIBLE,
    )
    assert str(result.method) == "repair (cp-sat found none)"
    assert result.solution == warm and result.objective == 7


def test_an_infeasible_instance_raises_infeasible_with_the_explanation():
    """e is pinned to day 5 behind a gate whose only supply comes on day 10: no check
    before the search sees it (the gate does open), CP-SAT proves it infeasible, and
    `Infeasible` carries the explanation's one reason."""
    supply = Supply("backfeed", "s", SupplyKind.BACKFEED, 1000, 10)
    instance = make([Task("e", 2, site="s", gate=Gate.ANY, fixed_start=5)], supplies=[supply])
    with pytest.raises(Infeasible) as caught:
        solve_plan(instance, SolveOptions(time_limit=10, workers=1))
    assert not isinstance(caught.value, NoPlanFound)
    assert caught.value.reasons == [
        "task 'e' is fixed to start on day 5, but its power supply is not there every day it runs"
    ]


def test_left_justify_in_a_replan_stops_at_the_baseline_and_never_adds_changes():
    """Three free tasks of 2 days. Plan [4, 6, 1], baseline [3, 8, 0]: each task may move
    back to the earlier of its plan and baseline starts, [3, 6, 0], and no earlier (the
    plan from scratch would be [0, 0, 0]). That moves a and c back onto their baseline
    days: 3 changes become 1 (b), at the same objective (makespan 8)."""
    instance = make([Task("a", 2), Task("b", 2), Task("c", 2)])
    plan = Solution([4, 6, 1], [(), (), ()])
    stability = Stability(Solution([3, 8, 0], [(), (), ()]), last_end=10)
    result = Result(Engine.CP_SAT, Method.WHOLE_MODEL, Status.FEASIBLE, plan, 8)
    shifted = left_justify(instance, result, stability)
    assert shifted.solution.starts == [3, 6, 0]
    assert shifted.objective == 8
    floors = [min(p, b) for p, b in zip(plan.starts, stability.baseline.starts, strict=True)]
    assert all(s >= f for s, f in zip(shifted.solution.starts, floors, strict=True))
    assert (
        changes(instance, plan, stability.baseline),
        changes(instance, shifted.solution, stability.baseline),
    ) == (
        3,
        1,
    )
    # without a baseline the same plan goes all the way back
    assert left_justify(instance, result, None).solution.starts == [0, 0, 0]


def test_left_justify_keeps_the_plans_crews_in_a_replan():
    """Two crews; the plan and the baseline give a (on day 0) crew c#2. Left-justifying a
    fresh plan names c#1 (the lowest free crew); in a replan it takes the plan's crews
    first (greedy's ``prefer``), so no crew changes."""
    pool = CrewPool("c", frozenset({"x"}), 2)
    instance = make([Task("a", 2, skills={"x": 1})], pools=[pool])
    plan = Solution([0], [("c#2",)])
    result = Result(Engine.CP_SAT, Method.WHOLE_MODEL, Status.FEASIBLE, plan, 2)
    assert left_justify(instance, result, None).solution.crews == [("c#1",)]
    kept = left_justify(instance, result, Stability(plan, last_end=2)).solution
    assert kept.crews == [("c#2",)] and kept.starts == [0]
