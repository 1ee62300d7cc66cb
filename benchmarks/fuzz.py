"""The long fuzz and property campaign: the suite's hypothesis tests with many more cases.

CI runs a few derandomized cases of each (tests/test_cli_fuzz.py: 40 corruptions of the
complete project, 12 of the example projects; tests/test_pipeline.py and
test_greedy_plan_is_valid of tests/test_solvers_greedy.py: 25 generated projects each),
the same every run, so that the suite's time does not grow with the campaign. This script
runs them with the `campaign` profile of tests/conftest.py (new cases every run), the
counts given, and every fuzzed case logged (MODSCHED_FUZZ_LOG); it then counts the cases
by source, kind of corruption and exit codes (for docs/RELIABILITY.md). A failure is a
bug: pytest prints the falsifying example.

The replan inputs (tests/test_replanning_fuzz.py: 4 cases each in CI) have their own counts:
corrupted actuals CSVs, scenario YAMLs and baseline JSONs through `replan` and `whatif`.
A count of 0 leaves that test out.

    .venv/bin/python benchmarks/fuzz.py --fuzz 1000 --properties 500 --log cases.jsonl
    .venv/bin/python benchmarks/fuzz.py --fuzz 0 --properties 0 --actuals 1000 \
        --scenarios 1000 --baselines 1000 --log replan-cases.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUZZ_TESTS = [
    "tests/test_cli_fuzz.py::test_corrupted_complete_project_never_crashes",
    "tests/test_cli_fuzz.py::test_corrupted_example_projects_never_crash",
]
PROPERTY_TESTS = [
    "tests/test_pipeline.py",
    "tests/test_solvers_greedy.py::test_greedy_plan_is_valid",
]
REPLAN_TESTS = {  # flag -> the test it scales
    "actuals": "tests/test_replanning_fuzz.py::test_corrupted_actuals_never_crash",
    "scenarios": "tests/test_replanning_fuzz.py::test_corrupted_scenarios_never_crash",
    "baselines": "tests/test_replanning_fuzz.py::test_corrupted_baselines_never_crash",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fuzz", type=int, default=1000, help="corruptions of complete.yaml")
    parser.add_argument("--properties", type=int, default=500, help="generated projects")
    for flag, test in REPLAN_TESTS.items():
        parser.add_argument(f"--{flag}", type=int, default=0, help=f"cases of {test}")
    parser.add_argument("--log", type=Path, default=Path("fuzz-cases.jsonl"))
    args = parser.parse_args()
    env = os.environ | {
        "MODSCHED_HYPOTHESIS_PROFILE": "campaign",
        "MODSCHED_FUZZ_EXAMPLES": str(max(1, args.fuzz)),  # imported even when left out
        "MODSCHED_PROPERTY_EXAMPLES": str(max(1, args.properties)),
        "MODSCHED_FUZZ_LOG": str(args.log.resolve()),
    }
    env |= {
        f"MODSCHED_FUZZ_{f.upper()}": str(getattr(args, f))
        for f in REPLAN_TESTS
        if getattr(args, f)
    }
    tests = (FUZZ_TESTS if args.fuzz else []) + (PROPERTY_TESTS if args.properties else [])
    tests += [test for flag, test in REPLAN_TESTS.items() if getattr(args, flag)]
    args.log.write_text("")  # the fuzz tests append: count this run's cases only
    began = time.perf_counter()
    # no faulthandler_timeout: one campaign test runs far longer than its 10 minutes, and a
    # traceback dumped from the watchdog thread while the main thread runs can crash it
    pytest = [sys.executable, "-m", "pytest", "-q", "-o", "faulthandler_timeout=0"]
    done = subprocess.run([*pytest, *tests], cwd=ROOT, env=env)
    seconds = time.perf_counter() - began
    cases = [json.loads(line) for line in args.log.read_text().splitlines()]
    print(f"\n{len(cases)} fuzzed cases in {seconds:.0f} s, pytest exit {done.returncode}")
    counts = Counter(
        (c["source"], c["kind"], c.get("validate"), c.get("schedule"), c.get("exit")) for c in cases
    ).most_common()
    print("| source | kind | validate exit | schedule exit | replan/whatif exit | cases |")
    print("|---|---|---|---|---|---|")
    for (source, kind, validate, schedule, replanned), n in counts:
        print(f"| {source} | {kind} | {validate} | {schedule} | {replanned} | {n} |")
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
