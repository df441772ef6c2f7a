"""Wiring: scenario + ``[devices]`` → adapters → :class:`~packlife.serve.runtime.Runtime`."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from packlife.serve.adapters.mqtt import MqttPublisher
from packlife.serve.adapters.ocpp_csms import CsmsAdapter
from packlife.serve.adapters.sunspec import Endpoint, PackAdapter, PcsAdapter
from packlife.serve.config import DevicesConfig
from packlife.serve.runtime import LoopSettings, Publisher, Runtime
from packlife.serve.store import TelemetryStore
from packlife.site.arrays import input_efficiencies
from packlife.site.config import controller_config
from packlife.site.scenario import Scenario
from packlife.site.snapshot import converter_parameters


def build_runtime(
    scenario: Scenario,
    devices: DevicesConfig,
    time_scale: float = 1.0,
    site_clock: Callable[[], float] | None = None,
    store: TelemetryStore | None = None,
    publisher: Publisher | None = None,
    record: bool = False,
    run_id: str | None = None,
) -> Runtime:
    """A runtime controlling ``devices`` for ``scenario`` (nothing is connected yet)."""
    period = devices.period_s
    revert_s = max(int(math.ceil(devices.revert_cycles * period * time_scale)), 1)
    timeout = max(0.4 * period, 0.03)
    packs = [
        PackAdapter(i, Endpoint(d.host, d.port, d.unit_id), revert_s, timeout)
        for i, d in enumerate(devices.packs)
    ]
    eff = input_efficiencies(scenario)
    pcs = [
        PcsAdapter(d.source, eff[d.source], Endpoint(d.host, d.port, d.unit_id), revert_s, timeout)
        for d in devices.pcs
    ]
    n_evses = scenario.vehicles.outputs if scenario.vehicles else 0
    settings = LoopSettings(
        period_s=period,
        time_scale=time_scale,
        stale_cycles=devices.stale_cycles,
        deadband_w=devices.deadband_w,
        site_clock=site_clock,
        record=record,
    )
    csms = None
    if devices.ocpp is not None:
        o = devices.ocpp
        conn_w = scenario.vehicles.connector_max_kw * 1000.0 if scenario.vehicles else 0.0
        n = sum(st.evses for st in o.stations)
        csms = CsmsAdapter(
            o.host,
            o.port,
            [(st.id, st.evses) for st in o.stations],
            o.default_limit_w,
            o.station_max_w or n * conn_w,
            revert_s,
            scenario.bess.output_efficiency,
            scenario.simulation.start if site_clock is not None else datetime.now(UTC),
            site_clock or (lambda: 0.0),
        )
    if publisher is None and devices.mqtt is not None:
        m = devices.mqtt
        publisher = MqttPublisher(
            m.host, m.port, m.topic, len(packs), n_evses, m.keepalive_s, scenario.name
        )
    serials = [p.serial or f"pack-{i}" for i, p in enumerate(scenario.bess.packs)]
    return Runtime(
        scenario,
        controller_config(scenario),
        packs,
        pcs,
        n_evses,
        settings,
        store=store,
        publisher=publisher,
        run_id=run_id or uuid.uuid4().hex[:12],
        serials=serials,
        csms=csms,
        converters=converter_parameters(scenario),
    )
