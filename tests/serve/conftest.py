"""Fixtures for the live-service tests: a virtual site on 127.0.0.1 and a runtime controlling it.

Every test uses real sockets on free loopback ports, a short control period (50 ms) and a
time-scaled plant, so a fault test takes about a second.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("pymodbus", reason="needs the 'serve' extra (pymodbus)")

from packlife.serve.app import build_runtime
from packlife.serve.runtime import Runtime
from packlife.serve.store import EvseRow, PackRow, RunInfo, TelemetryStore
from packlife.serve.virtual.site import VirtualSite
from packlife.site.scenario import Scenario, load_scenario
from packlife.site.sessions import Session

#: Size of the synthetic run that :func:`fill_store` writes.
N_PACKS, N_EVSES, N_CYCLES = 3, 2, 20
PERIOD_S = 0.05
TIME_SCALE = 1200.0  # one 60 s engine step per cycle

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    """The default scenario (seven second-life packs, one 22 kW supply)."""
    return load_scenario("jlr-test-site")[0]


SiteRun = Callable[..., Awaitable[tuple[VirtualSite, Runtime, TelemetryStore]]]


async def start_site(
    scenario: Scenario,
    tmp_path: Path,
    record: bool = False,
    sessions: list[Session] | None = None,
) -> tuple[VirtualSite, Runtime, TelemetryStore]:
    """A started virtual site and a runtime (not yet running) pointed at it; with ``sessions``
    the virtual OCPP stations are connected to the runtime's CSMS."""
    site = VirtualSite(scenario, TIME_SCALE, PERIOD_S, sessions=sessions)
    devices = await site.start()
    if sessions is None:
        devices = devices.model_copy(update={"ocpp": None})
    store = TelemetryStore(f"sqlite:///{tmp_path / 'serve.db'}")
    rt = build_runtime(
        scenario, devices, TIME_SCALE, site.plant.now_s, store, record=record, run_id="t"
    )
    if sessions is not None:
        await rt.start()
        assert rt.csms is not None
        await site.connect_stations(rt.csms.port)
    return site, rt, store


def early_sessions(n: int, energy_wh: float = 25_000.0) -> list[Session]:
    """``n`` Range Rover PHEV sessions arriving one minute into the run, staying 3 h."""
    return [
        Session(
            session_id=f"s{k}",
            arrival_s=60.0,
            departure_s=3 * 3600.0,
            energy_needed_wh=energy_wh,
            vehicle_model="range_rover_p440e",
            soc_arrival=0.1,
            onboard_charger_kw=7.0,
        )
        for k in range(n)
    ]


async def wait_cycles(rt: Runtime, n: int, timeout_s: float = 10.0) -> None:
    """Wait until the runtime has run ``n`` more cycles."""
    target = rt.stats.cycles + n
    async with asyncio.timeout(timeout_s):
        while rt.stats.cycles < target:
            await asyncio.sleep(PERIOD_S / 5)


def fill_store(url: str, run_id: str = "r1", fresh: bool = True) -> TelemetryStore:
    """A store with a run of ``N_CYCLES`` 1-s cycles ending now (``fresh``) or an hour ago."""
    store = TelemetryStore(url)
    end = datetime.now(UTC) - (timedelta(0) if fresh else timedelta(hours=1))
    start = end - timedelta(seconds=N_CYCLES - 1)
    store.write_run(
        RunInfo(run_id, "test-site", "Europe/London", 1.0, start,
                tuple(f"P{i}" for i in range(N_PACKS)), N_EVSES, ("grid",))
    )
    for c in range(N_CYCLES):
        at = start + timedelta(seconds=c)
        packs = [PackRow(i, f"P{i}", 1000.0 * (i + 1), 1000.0 * (i + 1), 0.5 - 0.01 * c, 0.8,
                         25.0, 0) for i in range(N_PACKS)]
        evses = [EvseRow(0, 6000.0, 6000.0, "s1", 0.3, 20_000.0, 7200.0),
                 EvseRow(1, 0.0, 0.0, None, None, None, None)]
        store.write_cycle(run_id, c, at, float(c), 0.001, 6000.0, 6000.0, {"grid": 0.0},
                          packs, evses)
    store.event(run_id, start, "alarm", "pack[2] P2", "data stale (link lost): limit 0 W")
    return store
