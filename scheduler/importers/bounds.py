"""Best known bounds of the benchmark instances, from the shared ``bounds.csv`` tables.

The shared data folder lies beside the repository (``<parent>/shared/benchmarks``); the
environment variable ``MODSCHED_BENCHMARKS`` or an explicit argument overrides it.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

# Subset name -> the family folder holding its bounds.csv.
FAMILIES = {
    "psplib": "psplib",
    "j30": "psplib",
    "j60": "psplib",
    "j120": "psplib",
    "mspsp": "mspsp",
    "set-1a": "mspsp",
    "set-2c": "mspsp",
}


def benchmarks_dir(shared: str | Path | None = None) -> Path:
    """The benchmark data folder: ``shared``, else ``$MODSCHED_BENCHMARKS``, else the
    ``shared/benchmarks`` folder beside the repository root."""
    if shared is not None:
        return Path(shared)
    if os.environ.get("MODSCHED_BENCHMARKS"):
        return Path(os.environ["MODSCHED_BENCHMARKS"])
    return Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"


def best_known(set_name_or_path: str | Path, shared: str | Path | None = None) -> dict[str, dict]:
    """Bounds per instance stem, e.g. ``{"j301_1": {"set": "j30", "cpm": 38, "lb": 43, ...}}``.

    ``set_name_or_path`` is a family (``psplib``, ``mspsp``), a subset (``j30``, ``set-1a``:
    only its rows), a ``bounds.csv`` file or a folder holding one. Integer columns become
    ints; empty cells are left out, so ``cpm`` is present for PSPLIB only.
    """
    name = str(set_name_or_path)
    if name in FAMILIES:
        path = benchmarks_dir(shared) / FAMILIES[name] / "bounds.csv"
    else:
        path = Path(set_name_or_path)
        if path.is_dir():
            path = path / "bounds.csv"
    rows = _read_rows(path)
    if name in FAMILIES and name != FAMILIES[name]:
        rows = {k: v for k, v in rows.items() if v.get("set") == name}
    return rows


def _read_rows(path: Path) -> dict[str, dict]:
    """All rows of a bounds.csv, keyed by the ``instance`` column."""
    with path.open(newline="") as handle:
        return {
            row["instance"]: {
                key: _cell(value)
                for key, value in row.items()
                if key != "instance" and value not in ("", None)
            }
            for row in csv.DictReader(handle)
        }


def _cell(value: str) -> int | str:
    """A csv cell as an int when it is one, else the text."""
    text = value.strip()
    return int(text) if text.lstrip("-").isdigit() else text
