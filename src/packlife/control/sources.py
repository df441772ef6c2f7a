"""Energy sources of a BESS site: the dispatch policy (PV power itself: :mod:`packlife.models.pv`).

Policy (:func:`dispatch_sources`): renewables first, grid / DC charger to cover the rest and refill
the packs, the packs next, a generator only when demand would otherwise be unmet. PV that has no
sink, no pack room and no allowed export is curtailed and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from packlife.control.types import LimitReason, SourceState

#: Dispatch rank of each source kind (lower first); the packs sit between 1 and 2.
KIND_RANK = {"pv": 0, "grid": 1, "dc_charger": 1, "generator": 2}


@dataclass
class Dispatch:
    """Result of :func:`dispatch_sources` (all [W])."""

    source_power_w: dict[str, float]
    bess_power_w: float
    curtailed_w: float
    unmet_w: float
    limits: list[LimitReason] = field(default_factory=list)


def policy_order(sources: tuple[SourceState, ...]) -> list[int]:
    """Indices of ``sources`` in dispatch order: PV, grid / DC charger, generator; by priority."""
    return sorted(
        range(len(sources)), key=lambda j: (KIND_RANK[sources[j].kind], sources[j].priority)
    )


def source_capacity_w(src: SourceState) -> float:
    """What a source can supply now: ``min(available, max)``, never negative [W]."""
    return max(min(src.available_power_w, src.max_power_w), 0.0)


def dispatch_sources(
    sources: tuple[SourceState, ...],
    sinks_w: float,
    pack_discharge_cap_w: float,
    pack_charge_cap_w: float,
    export_limit_w: float = 0.0,
) -> Dispatch:
    """Cover ``sinks_w`` from the sources and the packs in policy order.

    1. PV (by priority) covers the sinks, then fills the packs' charge room, then exports up to
       ``export_limit_w`` through the first grid source; the rest is curtailed.
    2. Grid and DC charger (by priority) cover what is left of the sinks and refill the packs.
    3. The packs discharge for the rest, up to ``pack_discharge_cap_w``.
    4. A generator covers what is still missing; anything beyond it is ``unmet_w``.

    Parameters
    ----------
    sources : tuple of SourceState
    sinks_w : float
        Outputs plus site load to cover (≥ 0) [W].
    pack_discharge_cap_w, pack_charge_cap_w : float
        What the packs together can deliver / absorb this step (≥ 0) [W].
    export_limit_w : float
        Largest export through a grid source (≥ 0) [W].

    Returns
    -------
    Dispatch
        Per-source power (export negative), net BESS power (discharge positive), curtailment,
        unmet demand and the limits that bound.
    """
    from packlife.control import kernels as KN
    from packlife.control.reasons import source_reason

    order = policy_order(sources)
    srcs = [sources[j] for j in order]
    n = len(srcs)
    kind = np.array([KN.KIND_CODES[s.kind] for s in srcs], dtype=np.int64)
    cap = np.array([source_capacity_w(s) for s in srcs], dtype=float)
    grids = [s for s in srcs if s.kind == "grid"]
    src_w, why_w, res = np.zeros(n), np.zeros(n), np.zeros(3)
    why = np.zeros(n, dtype=np.int64)
    KN.dispatch_sources_kernel(
        kind, cap, sinks_w, pack_discharge_cap_w, pack_charge_cap_w, export_limit_w,
        bool(grids and grids[0].available_power_w > 0), True, src_w, why, why_w, res,
    )  # fmt: skip
    limits = []
    for pos, src in enumerate(srcs):
        if why[pos] != KN.SRC_NONE:
            quantity, who = source_reason(src.name, int(why[pos]), float(why_w[pos]))
            limits.append(LimitReason(quantity, float(why_w[pos]), who))
    out = {s.name: 0.0 for s in sources}
    out.update({src.name: float(src_w[pos]) for pos, src in enumerate(srcs)})
    return Dispatch(out, float(res[0]), float(res[1]), float(res[2]), limits)
