"""modsched: CP-SAT scheduling of prefabricated-module deployment.

The pipeline, front to back: `load_project` -> `expand` -> `Instance` -> `solve_plan`
(greedy, CP-SAT) -> `validate` -> `Schedule` -> `write_outputs`; `plan_project` runs all of it.
Replanning: `replan`, `compare`. Risk: `prepare_risk` -> `sample_risk` -> `write_risk`.
"""

import time

# When this package began to be imported, less the interpreter's own start-up (its CPU
# time so far, about 0.03 s here; capped, since a shell's CPU before an exec and work done
# before the import count in it too): where a console-script command began (`cli.main`
# counts `--time-limit` from it, imports included). Not the process's start, which can be
# long before: a shell runs the last command of `bash -c "a && b"` in its own process.
IMPORTED_AT = time.perf_counter() - min(time.process_time(), 0.25)

from scheduler.domain.load import load_project  # noqa: E402
from scheduler.errors import Infeasible, InputError  # noqa: E402
from scheduler.expand import expand  # noqa: E402
from scheduler.instance import Instance, Solution  # noqa: E402
from scheduler.pipeline import Outcome, plan_project, write_outputs  # noqa: E402
from scheduler.replanning.compare import compare  # noqa: E402
from scheduler.replanning.replan import replan  # noqa: E402
from scheduler.risk.executors import sample_risk  # noqa: E402
from scheduler.risk.report import write_risk  # noqa: E402
from scheduler.risk.run import prepare_risk  # noqa: E402
from scheduler.schedule import Schedule  # noqa: E402
from scheduler.solvers.budget import Budget, SolveOptions  # noqa: E402
from scheduler.solvers.cpsat import solve  # noqa: E402
from scheduler.solvers.greedy import best_greedy, greedy  # noqa: E402
from scheduler.solving import solve_plan  # noqa: E402
from scheduler.validate import validate as validate_solution  # noqa: E402

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
