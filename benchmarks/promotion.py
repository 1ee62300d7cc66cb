"""Milestone promotion (scheduler/solvers/promote.py) on and off, side by side: weighted
late days of the greedy plan and of the window search at the time limit, on generated
programs (`benchmarks/generate.py`, seed 0) and on the example projects.

Each program runs twice in fresh processes (`benchmarks/scale.py --one`), with promotion
then without, one after the other, so that both see the same machine; the figures are
ratios to the greedy plan of the same run. Usage:

    .venv/bin/python benchmarks/promotion.py --time-limit 120 --workers 2 \\
        --sizes 5000 10000 20000 --projects projects/three-sites.yaml projects/atlas-27.yaml
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import machine, write_section  # noqa: E402
from benchmarks.scale import one_command  # noqa: E402


def run(project: Path, args: argparse.Namespace, promotion: bool) -> dict:
    command = one_command(project, args.time_limit, args.workers)
    if not promotion:
        command.append("--no-promotion")
    before = os.getloadavg()[0]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    row = json.loads(done.stdout.strip().splitlines()[-1])
    return row | {
        "promotion": promotion,
        "load1_before": round(before, 2),
        "load1_after": round(os.getloadavg()[0], 2),
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| program | tasks | greedy | promotion + windows | windows only | "
        "below greedy: with / without | peak MB with / without | load1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys(r["program"] for r in rows):
        on = next(r for r in rows if r["program"] == name and r["promotion"])
        off = next(r for r in rows if r["program"] == name and not r["promotion"])
        lines.append(
            f"| {name} | {on['tasks']:,} | {on['greedy_tardiness']:,} | "
            f"{on['cpsat_tardiness']:,} | {off['cpsat_tardiness']:,} | "
            f"{on.get('improvement_pct', 0.0)} % / {off.get('improvement_pct', 0.0)} % | "
            f"{on['peak_rss_mb']} / {off['peak_rss_mb']} | "
            f"{on['load1_before']}-{off['load1_after']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[5000, 10000, 20000])
    parser.add_argument("--projects", nargs="*", default=[])
    parser.add_argument("--time-limit", type=float, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", action="store_true", help="write docs/BENCHMARKS.md")
    args = parser.parse_args()
    from benchmarks.generate import generate

    rows = []
    with tempfile.TemporaryDirectory(prefix="modsched-promotion-") as temp:
        programs = [
            (f"generated {size:,}", generate(size, Path(temp) / f"program-{size}.yaml", 0))
            for size in args.sizes
        ]
        programs += [(Path(p).stem, Path(p)) for p in args.projects]
        for name, project in programs:
            for promotion in (True, False):
                row = run(project, args, promotion) | {"program": name}
                rows.append(row)
                print(
                    name,
                    "promotion" if promotion else "windows only",
                    row.get("greedy_tardiness"),
                    "->",
                    row.get("cpsat_tardiness"),
                    f"({row.get('improvement_pct')} %)",
                    flush=True,
                )
    print(table(rows))
    if args.write:
        command = " ".join(["python", "benchmarks/promotion.py", *sys.argv[1:]])
        body = f"""## Milestone promotion (issue 20, item 3)

Machine: {machine()}. Date: {date.today()}. CP-SAT {args.workers} workers, time limit
{args.time_limit:g} s. Command:

```
{command}
```

Weighted late days at the time limit: the greedy plan, the window search started by
milestone promotion (`scheduler/solvers/promote.py`, as `modsched schedule` runs from
2,500 tasks on) and the window search alone, each program run with and without promotion
one after the other. *below greedy*: (greedy - found) / greedy. *load1*: the 1-minute
load average before the first run and after the second.

{table(rows)}
"""
        write_section("promotion", body, rows)


if __name__ == "__main__":
    main()
