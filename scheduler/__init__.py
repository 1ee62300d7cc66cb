"""modsched: CP-SAT scheduling of prefabricated-module deployment.

The pipeline, front to back: `load_project` -> `expand` -> `Instance` -> `solve_plan`
(greedy, CP-SAT) -> `validate` -> `Schedule` -> `write_outputs`; `plan_project` runs all of it.
Replanning: `replan`, `compare`. Risk: `prepare_risk` -> `sample_risk` -> `write_risk`.
"""

from scheduler.domain.load import load_project
from scheduler.errors import Infeasible, InputError
from scheduler.expand import expand
from scheduler.instance import Instance, Solution
from scheduler.pipeline import Outcome, plan_project, write_outputs
from scheduler.replanning.compare import compare
from scheduler.replanning.replan import replan
from scheduler.risk.executors import sample_risk
from scheduler.risk.report import write_risk
from scheduler.risk.run import prepare_risk
from scheduler.schedule import Schedule
from scheduler.solvers.budget import Budget, SolveOptions
from scheduler.solvers.cpsat import solve
from scheduler.solvers.greedy import best_greedy, greedy
from scheduler.solving import solve_plan
from scheduler.validate import validate as validate_solution

__all__ = [
    "Budget",
    "Infeasible",
    "InputError",
    "Instance",
    "Outcome",
    "Schedule",
    "Solution",
    "SolveOptions",
    "best_greedy",
    "compare",
    "expand",
    "greedy",
    "load_project",
    "plan_project",
    "prepare_risk",
    "replan",
    "sample_risk",
    "solve",
    "solve_plan",
    "validate_solution",
    "write_outputs",
    "write_risk",
]
