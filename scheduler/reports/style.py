"""What the figures share: phase, site and supply colours, gate levels, the plotly template."""

from __future__ import annotations

from scheduler.instance import Gate, SupplyKind

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
#: the crew view's sites (in order, then again) and its travel bars (grey, hatched)
SITE_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#b07aa1",
    "#76b7b2",
    "#edc948",
    "#ff9da7",
    "#9c755f",
)
TRAVEL_COLOR = "#d9d9d9"

SUPPLY_KINDS = tuple(kind.label for kind in SupplyKind)
KIND_LEVEL = {kind.label: int(kind) for kind in SupplyKind}
KIND_COLORS = {"backfeed": "#9ecae1", "temporary": "#fdae6b", "permanent": "#74c476"}
GATE_LEVEL = {"": 0} | {gate.label: int(gate) for gate in Gate}
LEVEL_NAMES = {int(gate): gate.label for gate in Gate if gate > Gate.NONE}

MS_PER_DAY = 86_400_000
TEMPLATE = "plotly_white"


def fmt_mw(mw: float) -> str:
    return f"{mw:.3f}".rstrip("0").rstrip(".")


def site_colors(sites: list[str]) -> dict[str, str]:
    """A colour a site, in the order given (the palette repeats after nine sites)."""
    return {s: SITE_PALETTE[k % len(SITE_PALETTE)] for k, s in enumerate(sites)}
