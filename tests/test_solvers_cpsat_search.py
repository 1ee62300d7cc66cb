"""scheduler/solvers/cpsat/search.py: the staged search (portfolio, then LNS from its
plan), the mirror searched both ways, `wait` stopping every search on a proof and passing
a thread's error on. Optima are worked out by hand in each test's docstring."""

from __future__ import annotations

import threading

import pytest
from generators import four_links, make
from ortools.sat.python import cp_model

from scheduler.instance import Link, LinkType, Milestone, Resource, Solution, Task, mirrored
from scheduler.solvers.budget import Limits, SolveOptions
from scheduler.solvers.cpsat import CpSatModel, solve
from scheduler.solvers.cpsat import search as cpsat
from scheduler.solvers.result import Status
from scheduler.validate import validate


def test_makespan_model_unproven_at_first_goes_on_with_lns_from_its_plan(monkeypatch):
    """a(4) -FS-> d(1); b(2) and c(2) share a one-slot resource. The critical path a-d is
    5 days and b, c fit one after the other inside it: optimum 5. The first stage is made
    to stop at its first plan (the hint: c after d, makespan 7), so its proved bound is the
    makespan's floor, the critical path (5). The second stage runs LNS only, from that
    plan, with the objective held at the first stage's bound or more, on the scheduling
    neighbourhoods alone: reaching 5 proves it optimal."""
    slot = Resource("slot", 1, "site")
    tasks = [
        Task("a", 4),
        Task("b", 2, resources={"slot": 1}),
        Task("c", 2, resources={"slot": 1}),
        Task("d", 1),
    ]
    instance = make(tasks, links=[Link(0, 3, LinkType.FS, 0)], resources=[slot])
    calls: list[tuple[bool, str]] = []
    original_run, original_configure = cpsat.run, cpsat.configure

    def configure(solver, options, budget):
        original_configure(solver, options, budget)
        solver.parameters.stop_after_first_solution = not calls  # first stage: first plan

    def run(built, options, budget, callback, stop, lns_only=False):
        if lns_only:  # the last constraint holds the objective at the first stage's bound
            constraints = built.model.proto.constraints
            held = constraints[len(constraints) - 1].linear
            assert list(held.vars) == [built.makespan.index] and list(held.coeffs) == [1]
            assert held.domain[0] == round(bounds_seen[-1])
        solver = original_run(built, options, budget, callback, stop, lns_only)
        calls.append((lns_only, solver.status_name(solver.status_code)))
        bounds_seen.append(solver.best_objective_bound)
        ignored.append(set(solver.parameters.ignore_subsolvers))
        return solver

    bounds_seen: list[float] = []
    ignored: list[set[str]] = []
    monkeypatch.setattr(cpsat, "mirrored", lambda instance: None)  # one way only
    monkeypatch.setattr(cpsat, "configure", configure)
    monkeypatch.setattr(cpsat, "run", run)
    hint = Solution([0, 0, 5, 4], [(), (), (), ()])
    result = solve(instance, SolveOptions(time_limit=20, workers=2), hint=hint)
    assert calls == [(False, "FEASIBLE"), (True, "OPTIMAL")]
    assert ignored == [
        set(),
        {
            "ls",
            "fj",
            "feasibility_pump",
            "graph_arc_lns",
            "graph_cst_lns",
            "graph_dec_lns",
            "graph_var_lns",
            "rnd_cst_lns",
            "rnd_var_lns",
        },
    ]
    assert result.status == Status.OPTIMAL and result.objective == 5 and result.bound == 5
    assert validate(instance, result.solution) == []
    s = result.solution.starts
    assert abs(s[1] - s[2]) >= 2 and max(s[1], s[2]) + 2 <= 5
    bounds = [bound for _, _, bound in result.history]
    assert bounds == sorted(bounds)


def test_lateness_models_and_one_worker_keep_the_single_search(monkeypatch):
    """Models with milestone targets, and runs on one worker, are searched once, whole
    portfolio (the staged search is measured on makespan models only)."""
    calls: list[bool] = []
    original = cpsat.run

    def spy(built, options, budget, callback, stop, lns_only=False):
        calls.append(lns_only)
        return original(built, options, budget, callback, stop, lns_only)

    monkeypatch.setattr(cpsat, "run", spy)
    tasks = [Task("a", 3), Task("b", 2)]
    late = make(tasks, milestones=[Milestone("m", (1,), target=1, weight=1)])
    assert solve(late, SolveOptions(time_limit=5, workers=2)).status == Status.OPTIMAL
    plain = make(tasks)
    assert solve(plain, SolveOptions(time_limit=5, workers=1)).status == Status.OPTIMAL
    assert calls == [False, False]


@pytest.mark.parametrize("proving_tasks, proving", [(4, True), (3, False)])
def test_makespan_model_searched_both_ways_reads_the_mirror_plan_back(
    monkeypatch, proving_tasks, proving
):
    """The instance of the staged-search test above (optimum 5, hint of makespan 7). The
    forward search is made to stop at its first plan (the hint's 7); the mirror's search
    goes on and proves 5. The answer is the mirror's plan read forwards, valid in the
    instance, proven optimal in the first stage (no LNS stage follows). Up to
    PROVING_TASKS tasks (4 here) both searches take the proving settings: no LP
    relaxation, integer conflict analysis, no disjunctive inside the cumulative, reasons'
    variables bumped."""
    monkeypatch.setattr(cpsat, "PROVING_TASKS", proving_tasks)
    slot = Resource("slot", 1, "site")
    tasks = [
        Task("a", 4),
        Task("b", 2, resources={"slot": 1}),
        Task("c", 2, resources={"slot": 1}),
        Task("d", 1),
    ]
    instance = make(tasks, links=[Link(0, 3, LinkType.FS, 0)], resources=[slot])
    configured: list[int] = []
    original_configure = cpsat.configure

    def configure(solver, options, budget):
        original_configure(solver, options, budget)
        solver.parameters.stop_after_first_solution = not configured  # the forward one
        configured.append(options.workers)

    seen: list[tuple[bool, int | None]] = []  # (forwards?, objective) of each search
    settings: list[tuple] = []  # the proving settings of each search
    original_found = cpsat.found

    def found(built, solver, prefer=None):
        answer = original_found(built, solver, prefer)
        seen.append((built.instance is instance, answer.objective))
        params = solver.parameters
        settings.append(
            (
                params.linearization_level,
                params.use_new_integer_conflict_resolution,
                params.use_disjunctive_constraint_in_cumulative,
                params.also_bump_variables_in_conflict_reasons,
            )
        )
        return answer

    monkeypatch.setattr(cpsat, "configure", configure)
    monkeypatch.setattr(cpsat, "found", found)
    monkeypatch.setattr(cpsat, "run", lambda *args, **kwargs: pytest.fail("one way only"))
    hint = Solution([0, 0, 5, 4], [(), (), (), ()])
    result = solve(instance, SolveOptions(time_limit=20, workers=2), hint=hint)
    assert configured == [1, 1]  # one worker each way
    assert seen == [(True, 7), (False, 5)]
    assert settings == [(0, True, False, True) if proving else (1, False, True, False)] * 2
    assert result.status == Status.OPTIMAL and result.objective == 5 and result.bound == 5
    assert validate(instance, result.solution) == []
    s = result.solution.starts
    assert s[3] >= s[0] + 4 and abs(s[1] - s[2]) >= 2 and max(s[1], s[2]) + 2 <= 5
    objectives = [objective for _, objective, _ in result.history]
    assert objectives == sorted(objectives, reverse=True) and objectives[-1] == 5


def test_a_proof_in_one_search_stops_the_others():
    """`wait` stops every search once one proves (CP-SAT's bound callback says nothing
    when a search closes its tree). The other search here is a pigeonhole (13 pigeons, 12
    holes) without LP or symmetry reasoning: more than 20 s alone on one worker."""
    limit = 3600.0
    easy = cp_model.CpModel()
    x = easy.new_int_var(0, 10, "x")
    easy.minimize(x)
    hard = cp_model.CpModel()
    holes = 12
    sits = [[hard.new_bool_var("") for _ in range(holes)] for _ in range(holes + 1)]
    for pigeon in sits:
        hard.add_exactly_one(pigeon)
    for h in range(holes):
        hard.add_at_most_one(pigeon[h] for pigeon in sits)
    solvers = [cp_model.CpSolver(), cp_model.CpSolver()]
    for solver in solvers:
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = limit
    solvers[1].parameters.linearization_level = 0
    solvers[1].parameters.symmetry_level = 0
    codes = cpsat.wait([(solvers[0], easy, None), (solvers[1], hard, None)], None)
    assert codes == [cp_model.OPTIMAL, cp_model.UNKNOWN]
    # stopped, not run to its own limit: a limit no machine reaches here, so no bound on
    # this machine's speed (it was `wall_time < 60` against a limit of 120)
    assert solvers[1].wall_time < limit


def test_large_makespan_models_keep_the_portfolio_first(monkeypatch):
    """Above BOTH_WAYS_TASKS the first stage is the whole portfolio, one way (PSPLIB j120's
    plans were worse searched both ways): the mirror is never searched."""
    monkeypatch.setattr(cpsat, "BOTH_WAYS_TASKS", 4)
    monkeypatch.setattr(cpsat, "both_ways", lambda *args: pytest.fail("searched both ways"))
    instance = four_links()
    assert mirrored(instance) is not None and instance.num_tasks == 5
    result = solve(instance, SolveOptions(time_limit=20, workers=2))
    assert result.status == Status.OPTIMAL
    assert validate(instance, result.solution) == []


def test_an_error_inside_a_search_thread_reaches_the_caller():
    """`wait` runs each search in a thread; an exception there is raised again in the
    caller (it once left the status UNKNOWN and surfaced later as another error)."""

    class Broken:
        def solve(self, model, callback):
            raise ValueError("model rejected")

        def stop_search(self):
            pass

    with pytest.raises(ValueError, match="model rejected"):
        cpsat.wait([(Broken(), None, None)], None)


def one_machine(n: int = 40) -> CpSatModel:
    """``n`` tasks of 3-9 days on one slot, each its own milestone due on day 0 with a
    weight of 1-7: single-machine weighted tardiness, which CP-SAT cannot close in a
    tenth of a second at 40 tasks."""
    slot = Resource("slot", 1, "site")
    tasks = [Task(f"t{i}", 3 + (i * 5) % 7, resources={"slot": 1}) for i in range(n)]
    milestones = [Milestone(f"m{i}", (i,), target=0, weight=1 + (i * 5) % 7) for i in range(n)]
    return CpSatModel(make(tasks, resources=[slot], milestones=milestones))


def test_a_deterministic_search_ended_by_the_clock_marks_its_run():
    """One worker: a search the wall clock ends before its deterministic limit (0.1 s of
    wall against 1,000 deterministic s) sets the run's `clock`; one that its deterministic
    limit ends (0.05 s, with 600 s of wall) does not, nor does a search without a
    deterministic limit, nor one that proves its optimum."""
    options = SolveOptions(workers=1)
    cut = threading.Event()
    cpsat.run(one_machine(), options, Limits(0.1, 10_000.0, cut), None, None)
    assert cut.is_set()
    kept = threading.Event()
    cpsat.run(one_machine(), options, Limits(600.0, 0.0, kept), None, None)
    cpsat.run(one_machine(), options, Limits(0.1, None, kept), None, None)
    tiny = cpsat.run(one_machine(2), options, Limits(600.0, 10_000.0, kept), None, None)
    assert tiny.status_code == cp_model.OPTIMAL  # type: ignore[attr-defined]
    assert not kept.is_set()
