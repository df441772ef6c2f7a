"""Independent safety clamp between the controller and the devices.

The clamp does not trust the controller: just before set-points are written it re-checks every
device against the freshest health flags and its own reported limits. A pack that is stale, missing
or in alarm gets 0 W; a pack's power is cut to its reported limit; an EVSE that is stale gets 0 W;
an input that is stale gets 0 W. Whatever pack power the clamp removes is taken off the outputs
(discharge) or the inputs (charge), in proportion, so the bus stays balanced.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from packlife.control.types import LimitReason, Setpoints
from packlife.serve.state import DeviceCache
from packlife.serve.view import Health


@dataclass(frozen=True)
class ClampResult:
    """Clamped set-points and a note for each change (empty when nothing was changed)."""

    setpoints: Setpoints
    notes: tuple[str, ...]


def clamp(sp: Setpoints, cache: DeviceCache, health: Health) -> ClampResult:
    """Apply the safety rules of the module docstring to ``sp``."""
    notes: list[str] = []
    pack = np.array(sp.pack_power_w, dtype=float)
    for i, r in enumerate(cache.packs):
        lo, hi = 0.0, 0.0
        if health.packs[i] and r is not None:
            lo, hi = -r.max_charge_power_w, r.max_discharge_power_w
        new = min(max(pack[i], lo), hi)
        if abs(new - pack[i]) > 1e-6:
            notes.append(f"pack {i}: {pack[i]:.0f} W clamped to {new:.0f} W")
        pack[i] = new
    out = np.array(sp.output_power_w, dtype=float)
    for k, ok in enumerate(health.evses):
        if not ok and out[k] != 0.0:
            notes.append(f"evse {k}: stale, {out[k]:.0f} W → 0 W")
            out[k] = 0.0
    src = dict(sp.source_power_w)
    for name, ok in health.sources.items():
        if not ok and src.get(name, 0.0) != 0.0:
            notes.append(f"source {name}: stale, {src[name]:.0f} W → 0 W")
            src[name] = 0.0
    pack, out, load, src = _rebalance(pack, out, sp.load_served_w, src)
    bess = float(pack.sum())
    if not notes and bess == sp.bess_power_w and np.array_equal(pack, sp.pack_power_w):
        return ClampResult(sp, ())
    limits = [*sp.limits, *(LimitReason("safety", 0.0, n) for n in notes)]
    clamped = replace(
        sp,
        pack_power_w=pack,
        bess_power_w=bess,
        output_power_w=out,
        load_served_w=load,
        source_power_w=src,
        limits=limits,
    )
    return ClampResult(clamped, tuple(notes))


def _rebalance(
    pack: np.ndarray, out: np.ndarray, load_w: float, src: dict[str, float]
) -> tuple[np.ndarray, np.ndarray, float, dict[str, float]]:
    """Make ``Σ sources + Σ packs = Σ outputs + load`` by only ever reducing a power magnitude.

    Short of supply: exports first, then outputs and load in proportion, then pack charging.
    Too much supply: inputs first, then pack discharge.
    """
    src = dict(src)
    gap = sum(src.values()) + float(pack.sum()) - float(out.sum()) - load_w
    if gap < 0:  # short: cut exports, sinks, then charging
        need = -gap
        for name in src:
            give = min(max(-src[name], 0.0), need)
            src[name] += give
            need -= give
        demand = float(out.sum()) + load_w
        cut = min(need, demand)
        if cut > 0:
            scale = 1.0 - cut / demand
            out, load_w = out * scale, load_w * scale
            need -= cut
        chg = np.minimum(pack, 0.0)
        if need > 0 and chg.sum() < 0:
            pack = pack - chg * min(need / -float(chg.sum()), 1.0)
    elif gap > 0:  # too much: cut inputs, then discharging
        for name in sorted(src, key=lambda k: -src[k]):
            take = min(max(src[name], 0.0), gap)
            src[name] -= take
            gap -= take
        dis = np.maximum(pack, 0.0)
        if gap > 0 and dis.sum() > 0:
            pack = pack - dis * min(gap / float(dis.sum()), 1.0)
    return pack, out, load_w, src
