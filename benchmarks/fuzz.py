"""The long fuzz and property campaign: the suite's hypothesis tests with many more cases.

CI runs a few derandomized cases of each (tests/test_cli_fuzz.py: 40 corruptions of the
complete project, 12 of the example projects; tests/test_pipeline.py and
test_greedy_plan_is_valid of tests/test_solvers_greedy.py: 25 generated projects each),
the same every run, so that the suite's time does not grow with the campaign. This script
runs them with the `campaign` profile of tests/conftest.py (new cases every run), the
counts given, and every fuzzed case logged (MODSCHED_FUZZ_LOG); it then counts the cases
by source, kind of corruption and exit codes (for docs/RELIABILITY.md). A failure is a
bug: pytest prints the falsifying example.

    .venv/bin/python benchmarks/fuzz.py --fuzz 1000 --properties 500 --log cases.jsonl
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
TESTS = [
    "tests/test_cli_fuzz.py::test_corrupted_complete_project_never_crashes",
    "tests/test_cli_fuzz.py::test_corrupted_example_projects_never_crash",
    "tests/test_pipeline.py",
    "tests/test_solvers_greedy.py::test_greedy_plan_is_valid",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fuzz", type=int, default=1000, help="corruptions of complete.yaml")
    parser.add_argument("--properties", type=int, default=500, help="generated projects")
    parser.add_argument("--log", type=Path, default=Path("fuzz-cases.jsonl"))
    args = parser.parse_args()
    env = os.environ | {
        "MODSCHED_HYPOTHESIS_PROFILE": "campaign",
        "MODSCHED_FUZZ_EXAMPLES": str(args.fuzz),
        "MODSCHED_PROPERTY_EXAMPLES": str(args.properties),
        "MODSCHED_FUZZ_LOG": str(args.log.resolve()),
    }
    args.log.write_text("")  # the fuzz tests append: count this run's cases only
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", *TESTS], cwd=ROOT, env=env)
    seconds = time.perf_counter() - began
    cases = [json.loads(line) for line in args.log.read_text().splitlines()]
    print(f"\n{len(cases)} fuzzed cases in {seconds:.0f} s, pytest exit {done.returncode}")
    counts = Counter(
        (c["source"], c["kind"], c["validate"], c["schedule"]) for c in cases
    ).most_common()
    print("| source | kind | validate exit | schedule exit | cases |")
    print("|---|---|---|---|---|")
    for (source, kind, validate, schedule), n in counts:
        print(f"| {source} | {kind} | {validate} | {schedule} | {n} |")
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
