"""Virtual charging stations: python-ocpp 2.0.1 clients that plug the scenario's vehicles in.

Each station connects to the CSMS over a real websocket, boots, and on every :meth:`tick` (plant
clock): plugs arrived vehicles into free EVSEs (``TransactionEvent`` Started,
``NotifyEVChargingNeeds`` with energy, departure and the vehicle's present maximum power), charges
each vehicle at ``min(composite limit, vehicle acceptance, connector rating)``, reports
``MeterValues`` and ends transactions when a vehicle is full or leaves.

Profiles are enforced as a station does: any profile failing the K01 rules
(:func:`packlife.serve.ocpp_profiles.k01_problems`) is rejected; the composite limit is
``min(station max, TxProfile if valid else TxDefault)``; a profile with a ``duration`` expires that
long after it was installed (station clock = plant clock, simulated seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from packlife.control.vehicles import VEHICLE_MODELS
from packlife.serve.ocpp_profiles import k01_problems
from packlife.site.sessions import Session

log = logging.getLogger(__name__)


@dataclass
class _Plug:
    session: Session
    tx_id: str
    delivered_wh: float = 0.0
    power_w: float = 0.0
    seq: int = 0
    reported_max_w: float = -1.0


class SessionQueue:
    """The scenario's sessions in arrival order, shared by every station of a site."""

    def __init__(self, sessions: list[Session]):
        self.pending = sorted(sessions, key=lambda s: s.arrival_s)
        self.energy_wh = 0.0
        self.missed = 0

    def arrivals(self, t: float) -> list[Session]:
        """Sessions that arrived by ``t`` and have not been taken."""
        return [s for s in self.pending if s.arrival_s <= t]

    def take(self, s: Session) -> None:
        """Remove a session (plugged in or gone)."""
        self.pending.remove(s)


class VirtualStation:
    """One station of ``n_evses`` outputs (see the module docstring)."""

    def __init__(
        self,
        station_id: str,
        n_evses: int,
        connector_max_w: float,
        queue: SessionQueue,
        clock: Callable[[], float],
        epoch: datetime,
    ) -> None:
        self.station_id = station_id
        self.n = n_evses
        self.connector_max_w = connector_max_w
        self.queue = queue
        self.clock = clock
        self.epoch = epoch
        self.plugs: dict[int, _Plug | None] = dict.fromkeys(range(1, n_evses + 1))
        self.profiles: dict[tuple[int, str], tuple[dict[str, Any], float]] = {}
        self.rejected: list[str] = []
        self.cp: Any = None
        self._task: asyncio.Task[None] | None = None
        self._ws: Any = None
        self._last = clock()

    # ------------------------------------------------------------ link
    async def connect(self, url: str) -> None:
        """Open the websocket and boot."""
        import websockets
        from ocpp.v201 import call

        self._ws = await websockets.connect(
            f"{url}/{self.station_id}",
            subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
        )
        self.cp = _make_station_cp(self, self._ws)
        self._task = asyncio.create_task(self.cp.start())
        await self.cp.call(
            call.BootNotification(
                reason="PowerUp",
                charging_station={"model": "virtual DC", "vendor_name": "packlife"},
            )
        )

    async def disconnect(self) -> None:
        """Drop the link (fault injection / shutdown)."""
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._task is not None:
            self._task.cancel()
        self._ws = None
        self.cp = None

    @property
    def online(self) -> bool:
        return self.cp is not None

    # ------------------------------------------------------------ profiles
    def install(self, evse_id: int, p: dict[str, Any]) -> str:
        """Install a profile if it passes the K01 rules; returns the OCPP status."""
        active = {k: v.tx_id for k, v in self.plugs.items() if v is not None}
        problems = k01_problems(evse_id, p, active)
        if problems:
            self.rejected.extend(problems)
            log.warning("station %s: rejected profile: %s", self.station_id, "; ".join(problems))
            return "Rejected"
        self.profiles[(evse_id, p["charging_profile_purpose"])] = (p, self.clock())
        return "Accepted"

    def _valid(self, key: tuple[int, str]) -> float | None:
        if key not in self.profiles:
            return None
        p, t0 = self.profiles[key]
        s = p["charging_schedule"][0]
        if s.get("duration") is not None and self.clock() - t0 > float(s["duration"]):
            return None
        if p["charging_profile_purpose"] == "TxProfile":
            plug = self.plugs.get(key[0])
            if plug is None or plug.tx_id != p.get("transaction_id"):
                return None
        return float(s["charging_schedule_period"][0]["limit"])

    def limit_w(self, evse_id: int) -> tuple[float, str]:
        """Composite limit of an EVSE and which profile set it (none → 0 W, safe)."""
        tx = self._valid((evse_id, "TxProfile"))
        dflt = self._valid((evse_id, "TxDefaultProfile"))
        if dflt is None:
            dflt = self._valid((0, "TxDefaultProfile"))
        mx = self._valid((0, "ChargingStationMaxProfile"))
        own, src = (tx, "TxProfile") if tx is not None else (dflt, "TxDefaultProfile")
        vals = [v for v in (own, mx) if v is not None]
        return (min(vals) if vals else 0.0), src

    # ------------------------------------------------------------ physics + messages
    async def tick(self) -> None:
        """Advance the vehicles to the plant clock and report (see the module docstring)."""
        now = self.clock()
        dt_h = max(now - self._last, 0.0) / 3600.0
        self._last = now
        for evse_id, plug in self.plugs.items():
            if plug is None:
                continue
            s = plug.session
            # a vehicle takes no more than it still needs (its BMS stops it when full)
            e = min(plug.power_w * dt_h, max(s.energy_needed_wh - plug.delivered_wh, 0.0))
            plug.delivered_wh += e
            self.queue.energy_wh += e
            if plug.delivered_wh >= s.energy_needed_wh - 1.0 or now >= s.departure_s:
                await self._end(evse_id, plug)
        await self._plug_in(now)
        for evse_id, plug in self.plugs.items():
            if plug is not None:
                await self._charge(evse_id, plug)

    def _soc(self, plug: _Plug) -> float:
        m = VEHICLE_MODELS[plug.session.vehicle_model]
        return plug.session.soc_arrival + plug.delivered_wh / (m.usable_energy_kwh * 1000.0)

    async def _charge(self, evse_id: int, plug: _Plug) -> None:
        from ocpp.v201 import call

        accept = min(
            VEHICLE_MODELS[plug.session.vehicle_model].acceptance_power_w(self._soc(plug)),
            self.connector_max_w,
        )
        limit, _ = self.limit_w(evse_id)
        plug.power_w = max(min(limit, accept), 0.0)
        if not self.online:
            return
        if abs(accept - plug.reported_max_w) > 500.0:
            await self._needs(evse_id, plug, accept)
        await self.cp.call(call.MeterValues(evse_id=evse_id, meter_value=[self._meter(plug)]))

    def _meter(self, plug: _Plug) -> dict[str, Any]:
        return {
            "timestamp": self._iso(self.clock()),
            "sampled_value": [
                {"value": plug.power_w, "measurand": "Power.Active.Import"},
                {"value": round(self._soc(plug) * 100.0, 3), "measurand": "SoC"},
                {"value": plug.delivered_wh, "measurand": "Energy.Active.Import.Register"},
            ],
        }

    async def _needs(self, evse_id: int, plug: _Plug, accept_w: float) -> None:
        from ocpp.v201 import call

        plug.reported_max_w = accept_w
        s = plug.session
        await self.cp.call(
            call.NotifyEVChargingNeeds(
                evse_id=evse_id,
                charging_needs={
                    "requested_energy_transfer": "DC",
                    "departure_time": self._iso(s.departure_s),
                    "dc_charging_parameters": {
                        "ev_max_current": 200,
                        "ev_max_voltage": 500,
                        "energy_amount": int(round(s.energy_needed_wh)),
                        "ev_max_power": int(round(accept_w)),
                        "state_of_charge": int(self._soc(plug) * 100),
                    },
                },
            )
        )

    async def _plug_in(self, now: float) -> None:
        for s in self.queue.arrivals(now):
            if s.departure_s <= now:
                self.queue.take(s)
                self.queue.missed += 1
                continue
            free = [k for k, p in self.plugs.items() if p is None]
            if not free or not self.online:
                return
            self.queue.take(s)
            plug = _Plug(s, tx_id=f"{self.station_id}-{s.session_id}")
            self.plugs[free[0]] = plug
            await self._tx_event(free[0], plug, "Started", "CablePluggedIn")

    async def _end(self, evse_id: int, plug: _Plug) -> None:
        self.plugs[evse_id] = None
        self.profiles.pop((evse_id, "TxProfile"), None)
        if self.online:
            await self._tx_event(evse_id, plug, "Ended", "EVDeparted")

    async def _tx_event(self, evse_id: int, plug: _Plug, kind: str, trigger: str) -> None:
        from ocpp.v201 import call

        plug.seq += 1
        await self.cp.call(
            call.TransactionEvent(
                event_type=kind,
                timestamp=self._iso(self.clock()),
                trigger_reason=trigger,
                seq_no=plug.seq,
                transaction_info={
                    "transaction_id": plug.tx_id,
                    "charging_state": "Charging" if kind != "Ended" else "Idle",
                },
                evse={"id": evse_id, "connector_id": 1},
                meter_value=[self._meter(plug)],
            )
        )
        if kind != "Ended":
            plug.reported_max_w = -1.0

    async def resend_transactions(self) -> None:
        """Answer a ``TriggerMessage(TransactionEvent)``: report every ongoing transaction."""
        await asyncio.sleep(0)
        for evse_id, plug in self.plugs.items():
            if plug is not None and self.online:
                await self._tx_event(evse_id, plug, "Updated", "Trigger")

    def _iso(self, t: float) -> str:
        return (self.epoch + timedelta(seconds=t)).isoformat()


def _make_station_cp(st: VirtualStation, ws: Any) -> Any:
    from ocpp.routing import on
    from ocpp.v201 import ChargePoint, call_result

    class Station(ChargePoint):  # type: ignore[misc]
        @on("SetChargingProfile")  # type: ignore[untyped-decorator]
        async def scp(self, evse_id: int, charging_profile: dict[str, Any], **_: Any) -> Any:
            return call_result.SetChargingProfile(status=st.install(evse_id, charging_profile))

        @on("TriggerMessage")  # type: ignore[untyped-decorator]
        async def trigger(self, requested_message: str, **_: Any) -> Any:
            if requested_message == "TransactionEvent":
                asyncio.get_running_loop().create_task(st.resend_transactions())
                return call_result.TriggerMessage(status="Accepted")
            return call_result.TriggerMessage(status="NotImplemented")

        @on("ClearChargingProfile")  # type: ignore[untyped-decorator]
        async def clear(self, **_: Any) -> Any:
            return call_result.ClearChargingProfile(status="Unknown")

    return Station(st.station_id, ws, response_timeout=5)
