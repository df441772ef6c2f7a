"""A whole virtual site on 127.0.0.1: the plant's SunSpec servers and its clock.

:meth:`VirtualSite.start` starts one Modbus/TCP server per pack string and per input PCS on free
ports and a task that advances the plant every ``tick_s`` of wall time; it returns the
``[devices]`` configuration pointing at them, so the runtime controls the virtual site over the
wire exactly as it would control hardware.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from packlife.serve.config import (
    DevicesConfig,
    ModbusDevice,
    OcppSettings,
    PcsDevice,
    StationSettings,
)
from packlife.serve.virtual.plant import VirtualPlant
from packlife.serve.virtual.stations import SessionQueue, VirtualStation
from packlife.site.scenario import Scenario
from packlife.site.sessions import Session

log = logging.getLogger(__name__)


class VirtualSite:
    """Plant + servers (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
    time_scale : float
        Simulated seconds per wall second.
    period_s : float
        The runtime's control period (wall) [s]; the plant ticks four times per period.
    hb_cycles : float
        A pack goes safe when its 802 ``CtrlHb`` has not moved for this many periods.
    """

    def __init__(
        self,
        scenario: Scenario,
        time_scale: float,
        period_s: float,
        hb_cycles: float = 3.0,
        sessions: list[Session] | None = None,
    ):
        self.scenario = scenario
        self.period_s = period_s
        self.plant = VirtualPlant(
            scenario, time_scale, hb_timeout_s=hb_cycles * period_s * time_scale
        )
        self._task: asyncio.Task[None] | None = None
        self.queue = SessionQueue(sessions or [])
        self._booked_wh = 0.0
        self.stations: list[VirtualStation] = []
        v = scenario.vehicles
        if v is not None:
            n_left, j = v.outputs, 0
            while n_left > 0:
                n = min(n_left, 9)
                j += 1
                self.stations.append(
                    VirtualStation(
                        f"VDC{j}",
                        n,
                        v.connector_max_kw * 1000.0,
                        self.queue,
                        self.plant.now_s,
                        scenario.simulation.start,
                    )
                )
                n_left -= n

    async def start(self, base: DevicesConfig | None = None) -> DevicesConfig:
        """Start every server and the plant clock; the returned config points at them."""
        packs = [ModbusDevice(host="127.0.0.1", port=await d.start()) for d in self.plant.packs]
        pcs = [
            PcsDevice(source=name, host="127.0.0.1", port=await d.start())
            for name, d in self.plant.pcs.items()
        ]
        self._task = asyncio.create_task(self._tick())
        cfg = base or DevicesConfig(period_s=self.period_s)
        ocpp = None
        if self.stations:
            st = [StationSettings(id=s.station_id, evses=s.n) for s in self.stations]
            ocpp = (cfg.ocpp or OcppSettings(stations=st)).model_copy(
                update={"port": 0, "host": "127.0.0.1", "stations": st}
            )
        return cfg.model_copy(
            update={"packs": packs, "pcs": pcs, "period_s": self.period_s, "ocpp": ocpp}
        )

    async def connect_stations(self, port: int) -> None:
        """Connect every virtual station to the CSMS listening on ``port``."""
        for st in self.stations:
            await st.connect(f"ws://127.0.0.1:{port}")

    async def _tick(self) -> None:
        k = 0
        while not self.plant.done():
            self._plant_tick()
            if k % 4 == 0:
                await self._tick_stations()
            k += 1
            await asyncio.sleep(self.period_s / 4)
        await self._tick_stations()
        self._plant_tick()

    def _plant_tick(self) -> None:
        """Advance the plant with the energy the vehicles took since the last booking."""
        taken = self.queue.energy_wh - self._booked_wh
        if self.plant.tick(taken / self.scenario.bess.output_efficiency):
            self._booked_wh = self.queue.energy_wh

    async def _tick_stations(self) -> None:
        for st in self.stations:
            try:
                await st.tick()
            except Exception as exc:  # a station link error must not stop the plant
                log.warning("station %s: %s", st.station_id, str(exc) or type(exc).__name__)

    async def stop(self) -> None:
        """Stop the plant clock and every server."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for st in self.stations:
            await st.disconnect()
        for d in (*self.plant.packs, *self.plant.pcs.values()):
            await d.link_down()
