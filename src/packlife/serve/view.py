"""Freeze the device cache into the controller's snapshot (via :mod:`packlife.site.snapshot`).

A pack, input or EVSE whose reading is missing or older than ``max_age_s`` is shown to the
controller as unavailable: a pack as not joined (zero limits), an input as supplying nothing, an
EVSE as a connector with no rating. A pack with an alarm bit set is shown as not joined too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from packlife._typing import FloatArray
from packlife.control.types import OutputState, Setpoints, SiteSnapshot
from packlife.serve.state import DeviceCache, is_fresh
from packlife.site.arrays import input_efficiencies
from packlife.site.config import output_ratings_w
from packlife.site.scenario import Scenario
from packlife.site.snapshot import (
    bus_sources,
    idle_output,
    measured_output,
    pack_limits,
    site_snapshot,
)


@dataclass(frozen=True)
class Health:
    """Which devices the controller may use this cycle (``True`` = fresh and without alarm)."""

    packs: tuple[bool, ...]
    pack_alarms: tuple[int, ...]
    sources: dict[str, bool]
    evses: tuple[bool, ...]


#: Alarm bit the runtime sets for a pack an operator isolated (above the 802 ``Evt1`` bits used).
OPERATOR_BIT = 1 << 31


def with_operator_isolation(health: Health, packs: set[int]) -> Health:
    """``health`` with the operator-isolated ``packs`` marked unusable (alarm bit 31)."""
    if not packs:
        return health
    alarms = tuple(a | OPERATOR_BIT if i in packs else a for i, a in enumerate(health.pack_alarms))
    ok = tuple(o and i not in packs for i, o in enumerate(health.packs))
    return Health(ok, alarms, health.sources, health.evses)


def device_health(cache: DeviceCache, now: float, max_age_s: float) -> Health:
    """Fresh / usable flags of every device at monotonic time ``now``."""
    packs = []
    alarms = []
    for r in cache.packs:
        fresh = r is not None and is_fresh(r.stamp_s, now, max_age_s)
        alarm = r.alarms if r is not None and fresh else 0
        packs.append(bool(fresh and alarm == 0))
        alarms.append(alarm)
    return Health(
        packs=tuple(packs),
        pack_alarms=tuple(alarms),
        sources={
            k: r is not None and is_fresh(r.stamp_s, now, max_age_s)
            for k, r in cache.sources.items()
        },
        evses=tuple(r is not None and is_fresh(r.stamp_s, now, max_age_s) for r in cache.evses),
    )


def freeze(
    scenario: Scenario,
    cache: DeviceCache,
    health: Health,
    time_s: float,
    step_s: float,
    previous: Setpoints | None,
    converters: tuple[FloatArray, FloatArray, FloatArray] | None = None,
    import_price_per_kwh: float = 0.0,
    caps_w: dict[int, tuple[float | None, float | None]] | None = None,
) -> SiteSnapshot:
    """The controller's snapshot at site time ``time_s`` from the cached readings
    (``converters``: :func:`packlife.site.snapshot.converter_parameters`; ``caps_w``: operator
    caps of a pack's discharge and charge power [W], ``None`` = no cap)."""
    n = len(cache.packs)
    cols = np.zeros((6, n))
    for i, r in enumerate(cache.packs):
        if r is None:
            continue
        cols[0, i] = r.soc
        if health.packs[i]:
            cols[1:5, i] = (
                r.max_discharge_power_w,
                r.max_charge_power_w,
                r.usable_discharge_energy_wh,
                r.usable_charge_energy_wh,
            )
    for i, (dis, chg) in (caps_w or {}).items():
        cols[1, i] = min(cols[1, i], dis) if dis is not None else cols[1, i]
        cols[2, i] = min(cols[2, i], chg) if chg is not None else cols[2, i]
    packs = pack_limits(cols[0], cols[1], cols[2], cols[3], cols[4], health.packs, converters)
    available = {
        name: (r.available_w if r is not None and health.sources[name] else 0.0)
        for name, r in cache.sources.items()
    }
    sources = bus_sources(scenario, available, input_efficiencies(scenario))
    outputs: list[OutputState] = []
    ratings = output_ratings_w(scenario)
    for k, e in enumerate(cache.evses):
        if e is None or not health.evses[k]:
            outputs.append(OutputState(connector_max_power_w=0.0))
        elif e.session_id is None:
            outputs.append(idle_output(scenario, ratings[k]))
        else:
            outputs.append(
                measured_output(
                    scenario,
                    ratings[k],
                    e.session_id,
                    e.soc,
                    e.energy_needed_wh,
                    e.arrival_s,
                    e.departure_s,
                    e.acceptance_w,
                )
            )
    return site_snapshot(
        scenario, time_s, step_s, packs, sources, outputs, 0.0, previous, import_price_per_kwh
    )
