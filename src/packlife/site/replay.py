"""Replaying a run's recorded snapshots through :func:`packlife.control.controller.decide`.

A run made with ``run_scenario(..., record=True)`` keeps, for every control interval, the view
the compiled controller decided on (pack limits, inputs, outputs, load, last setpoints) and what
it decided. :func:`recorded_snapshots` turns each row back into the typed
:class:`~packlife.control.types.SiteSnapshot` a live service would build, so the simulator and the
live path can be checked against each other decision by decision.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from packlife._typing import FloatArray
from packlife.control.types import (
    ControllerConfig,
    OutputState,
    PackLimits,
    Setpoints,
    SiteSnapshot,
    SourceState,
)
from packlife.errors import ConsistencyError
from packlife.simulation import site_loop as SL
from packlife.site.arrays import source_order
from packlife.site.config import controller_config
from packlife.site.run import SiteResult


@dataclass(frozen=True)
class RecordedInterval:
    """One control interval of a run: the snapshot, the pack setpoints the loop applied, and
    each pack's mean bus power over the interval [W]."""

    snapshot: SiteSnapshot
    pack_setpoint_w: FloatArray
    pack_delivered_w: FloatArray
    output_power_w: FloatArray


def _cols(n: int, m: int) -> tuple[int, int, int]:
    base_src = SL.REC_HEAD + SL.N_RP * n
    return SL.REC_HEAD, base_src, base_src + SL.N_RS * m


def recorded_snapshots(result: SiteResult) -> Iterator[RecordedInterval]:
    """Every recorded interval of ``result`` as a :class:`RecordedInterval`."""
    if result.record is None:
        raise ConsistencyError("the run kept no record: run it with record=True")
    sc = result.scenario
    order = source_order(sc)
    srcs = [sc.sources[j] for j in order]
    n = len(sc.bess.packs)
    m = len(srcs)
    n_out = sc.vehicles.outputs if sc.vehicles else 0
    b_pk, b_src, b_out = _cols(n, m)
    conv = result.pack_converters
    previous: Setpoints | None = None
    for row in result.record:
        pk = row[b_pk : b_src].reshape(n, SL.N_RP)
        joined = pk[:, SL.RP_JOINED] > 0.5
        packs = PackLimits(
            soc=np.zeros(n),
            max_discharge_power_w=pk[:, SL.RP_MAX_DIS].copy(),
            max_charge_power_w=pk[:, SL.RP_MAX_CHG].copy(),
            usable_discharge_energy_wh=pk[:, SL.RP_E_DIS].copy(),
            usable_charge_energy_wh=pk[:, SL.RP_E_CHG].copy(),
            joined=joined,
            faulted=~joined,
            resistance_ohm=pk[:, SL.RP_R].copy(),
            voltage_v=pk[:, SL.RP_V].copy(),
            converter_rated_w=conv[:, 0].copy(),
            converter_k0=conv[:, 1].copy(),
            converter_k2=conv[:, 2].copy(),
        )
        sv = row[b_src:b_out].reshape(m, SL.N_RS)
        sources = tuple(
            SourceState(s.name, s.kind, float(cap), float(cap), s.priority)
            for s, cap in zip(srcs, sv[:, SL.RS_CAP], strict=True)
        )
        ov = row[b_out:].reshape(n_out, SL.N_RO)
        outputs = tuple(
            OutputState(
                connector_max_power_w=float(o[SL.RO_CONN]),
                session_id=f"output{k + 1}" if o[SL.RO_ACTIVE] > 0.5 else None,
                energy_needed_wh=float(o[SL.RO_NEED]),
                arrival_s=float(o[SL.RO_ARR]),
                departure_s=float(o[SL.RO_DEP]),
                acceptance_max_power_w=float(o[SL.RO_ACC]),
            )
            for k, o in enumerate(ov)
        )
        if previous is not None:
            previous = Setpoints(
                output_power_w=ov[:, SL.RO_PREV].copy(), load_served_w=0.0, source_power_w={},
                curtailed_w=0.0, bess_power_w=0.0, pack_power_w=pk[:, SL.RP_PREV].copy(),
            )  # fmt: skip
        snap = SiteSnapshot(
            time_s=float(row[SL.REC_TIME]),
            step_s=result.control_interval_s,
            packs=packs,
            sources=sources,
            outputs=outputs,
            load_power_w=float(row[SL.REC_LOAD]),
            previous=previous,
            import_price_per_kwh=float(row[SL.REC_PRICE]),
        )
        yield RecordedInterval(
            snap,
            pk[:, SL.RP_SETPOINT].copy(),
            pk[:, SL.RP_DELIVERED].copy(),
            ov[:, SL.RO_POWER].copy(),
        )
        previous = Setpoints(
            output_power_w=ov[:, SL.RO_POWER].copy(), load_served_w=0.0, source_power_w={},
            curtailed_w=0.0, bess_power_w=0.0, pack_power_w=pk[:, SL.RP_SETPOINT].copy(),
        )  # fmt: skip


def replay_config(result: SiteResult) -> ControllerConfig:
    """The controller settings the run used."""
    return controller_config(result.scenario)
