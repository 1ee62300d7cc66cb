"""What the figures share: phase and supply colours, gate levels, the plotly template."""

from __future__ import annotations

PHASES = ("design", "procurement", "factory", "fat", "transport", "site", "commissioning")
PHASE_COLORS = {
    "design": "#9467bd",
    "procurement": "#17becf",
    "factory": "#1f77b4",
    "fat": "#7fb2e5",
    "transport": "#ff7f0e",
    "site": "#8c564b",
    "commissioning": "#2ca02c",
}
OTHER_PHASE = "other"
OTHER_COLOR = "#7f7f7f"
BASELINE_COLOR = "rgba(150, 150, 150, 0.45)"

SUPPLY_KINDS = ("backfeed", "temporary", "permanent")
KIND_LEVEL = {"backfeed": 1, "temporary": 2, "permanent": 3}
KIND_COLORS = {"backfeed": "#9ecae1", "temporary": "#fdae6b", "permanent": "#74c476"}
GATE_LEVEL = {"": 0, "none": 0, "any": 1, "temporary": 2, "permanent": 3}
LEVEL_NAMES = {1: "any", 2: "temporary", 3: "permanent"}

MS_PER_DAY = 86_400_000
TEMPLATE = "plotly_white"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def fmt_mw(mw: float) -> str:
    return f"{mw:.3f}".rstrip("0").rstrip(".")
