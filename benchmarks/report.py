"""Shared by the benchmark scripts: the machine line and section updates of
docs/BENCHMARKS.md (each script owns the part between its two markers)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
        platform.processor(),
    )
    memory = next(
        line.split()[1]
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(memory) // 1024 // 1024} GiB, Python "
        f"{platform.python_version()}"
    )


def write_section(name: str, body: str, rows: list[dict]) -> None:
    """Replace (or append) the ``<!-- name -->`` section of docs/BENCHMARKS.md and keep the
    raw rows in docs/results/{name}.json."""
    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    path = ROOT / "docs" / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = f"{begin}\n{body.strip()}\n\nRaw rows: `docs/results/{name}.json`.\n{end}"
    if begin in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)
    (ROOT / "docs" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "docs" / "results" / f"{name}.json").write_text(json.dumps(rows, indent=1))
