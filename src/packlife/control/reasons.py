"""Texts of the limits that bound: one wording for ``decide`` and the simulator's counts."""

from __future__ import annotations

from packlife.control import kernels as KN
from packlife.control.pack_split import WHY_ENERGY, WHY_FAULTED, WHY_NOT_JOINED, WHY_RATED


def pack_reason(i: int, code: int, note: str, ramp_w_per_s: float) -> str:
    """Who limited pack ``i`` (0-based) for a ``WHY_*`` code."""
    if code == WHY_FAULTED:
        return f"pack {i + 1} faulted (isolated)"
    if code == WHY_NOT_JOINED:
        return f"pack {i + 1} not joined"
    if code == WHY_RATED:
        return f"pack {i + 1} {note or 'derated limit'}"
    if code == WHY_ENERGY:
        return f"pack {i + 1} SoC window (energy left)"
    return f"pack {i + 1} ramp ({ramp_w_per_s / 1000:.1f} kW/s)"


def output_reason(k: int, code: int, connector_w: float) -> str:
    """Who limited output ``k`` (0-based) for an ``OUT_*`` code."""
    if code == KN.OUT_CONNECTOR:
        return f"connector {k + 1} ({connector_w / 1000:.0f} kW)"
    if code == KN.OUT_ACCEPTANCE:
        return f"vehicle on output {k + 1} acceptance curve"
    return f"session on output {k + 1} energy remaining"


def source_reason(name: str, code: int, value_w: float) -> tuple[str, str]:
    """``(quantity, source)`` of a source limit for an ``SRC_*`` code."""
    if code == KN.SRC_CURTAILED:
        return "pv curtailed", f"{name}: no sink, pack room or export"
    if code == KN.SRC_CAP:
        return "source power", f"site cap {name} ({value_w / 1000:.0f} kW)"
    return "generator power", f"{name} running: demand exceeds packs and inputs"


LOAD_REASON = "site load exceeds packs + inputs"
BUDGET_REASON = "site budget (packs + inputs − load)"
