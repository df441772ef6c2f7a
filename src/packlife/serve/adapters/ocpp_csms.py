"""OCPP 2.0.1 CSMS (python-ocpp over websockets) for stations of up to 9 EVSEs each.

Each configured station connects to ``ws://host:port/<station id>`` (subprotocol ``ocpp2.0.1``).
On connect (boot or reconnect) the CSMS installs a ``ChargingStationMaxProfile`` (Absolute, with
``startSchedule``) and a conservative ``TxDefaultProfile`` on EVSE 0, then asks the station to
re-send its transactions (``TriggerMessage(TransactionEvent)``) to reconcile. It follows
``TransactionEvent``, ``MeterValues`` (``Power.Active.Import``, ``SoC``,
``Energy.Active.Import.Register``), ``NotifyEVChargingNeeds`` (energy, departure, ``evMaxPower``)
and ``StatusNotification``. Every cycle each active transaction gets a short ``TxProfile``
(Relative, ``duration`` = a few periods) with the controller's limit, so a station that loses the
CSMS falls back to its default within that duration. No profile is sent unless it passes
:func:`packlife.serve.ocpp_profiles.k01_problems`.

EVSE readings are re-stamped every cycle while the station is connected; a station that drops
off ages out and the runtime gives its EVSEs 0 W.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from packlife.errors import PacklifeError
from packlife.serve.ocpp_profiles import k01_problems, profile
from packlife.serve.state import DeviceCache, EvseReading, now_s

log = logging.getLogger(__name__)

_MAX_PROFILE_ID, _DEFAULT_PROFILE_ID = 1, 2


@dataclass
class _Evse:
    index: int
    transaction_id: str | None = None
    reading: EvseReading = field(default_factory=lambda: EvseReading(stamp_s=now_s()))
    delivered_wh: float = 0.0
    requested_wh: float = 0.0


def _ocpp() -> Any:
    try:
        import ocpp.v201
        import websockets
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise PacklifeError("OCPP needs the 'serve' extra: pip install 'packlife[serve]'") from exc
    return ocpp.v201, websockets


class StationLink:
    """The CSMS side of one station (a python-ocpp ``ChargePoint`` subclass is built lazily)."""

    def __init__(self, station_id: str, first_index: int, n_evses: int, csms: CsmsAdapter):
        self.station_id = station_id
        self.evses = {k + 1: _Evse(first_index + k) for k in range(n_evses)}
        self.csms = csms
        self.cp: Any = None
        self.connected = False
        self.wake = asyncio.Event()
        self.sent: dict[int, tuple[str, float, float]] = {}  # evse → (tx, limit W, site time)

    def site_time(self, iso: str | None) -> float:
        """Site clock [s] of an OCPP timestamp."""
        if not iso:
            return float(self.csms.site_clock_now())
        t = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        return (t - self.csms.epoch).total_seconds()

    def on_meter(self, evse_id: int, meter_value: list[dict[str, Any]]) -> None:
        """Update an EVSE from sampled values."""
        e = self.evses.get(evse_id)
        if e is None:
            return
        r = e.reading
        for mv in meter_value:
            for sv in mv.get("sampled_value", []):
                m, v = sv.get("measurand", "Energy.Active.Import.Register"), float(sv["value"])
                if m == "Power.Active.Import":
                    r = replace(r, power_w=v)
                elif m == "SoC":
                    r = replace(r, soc=v / 100.0)
                elif m == "Energy.Active.Import.Register":
                    e.delivered_wh = v
        need = max(e.requested_wh - e.delivered_wh, 0.0)
        e.reading = replace(r, energy_needed_wh=need, stamp_s=now_s())

    def on_tx(
        self,
        event_type: str,
        info: dict[str, Any],
        evse: dict[str, Any] | None,
        ts: str,
        meter_value: list[dict[str, Any]] | None,
    ) -> None:
        """Follow a transaction: Started/Updated bind it to its EVSE, Ended frees the EVSE."""
        tx = info["transaction_id"]
        if evse is not None:
            e = self.evses.get(int(evse["id"]))
        else:
            e = next((x for x in self.evses.values() if x.transaction_id == tx), None)
        if e is None:
            raise ValueError(f"station {self.station_id}: transaction {tx} on unknown EVSE")
        if event_type == "Ended":
            e.transaction_id = None
            e.requested_wh = e.delivered_wh = 0.0
            e.reading = EvseReading(stamp_s=now_s())
            return
        if e.transaction_id != tx:
            e.transaction_id = tx
            e.reading = replace(e.reading, session_id=tx, arrival_s=self.site_time(ts))
        if meter_value:
            self.on_meter(int(evse["id"]) if evse else 0, meter_value)

    def on_needs(self, evse_id: int, needs: dict[str, Any]) -> None:
        """Energy wanted, departure and the vehicle's present maximum power."""
        e = self.evses[evse_id]
        dc = needs.get("dc_charging_parameters") or {}
        if dc.get("energy_amount") is not None:
            e.requested_wh = float(dc["energy_amount"])
        r = e.reading
        if dc.get("ev_max_power") is not None:
            r = replace(r, acceptance_w=float(dc["ev_max_power"]))
        if dc.get("state_of_charge") is not None:
            r = replace(r, soc=float(dc["state_of_charge"]) / 100.0)
        if needs.get("departure_time"):
            r = replace(r, departure_s=self.site_time(needs["departure_time"]))
        e.reading = replace(
            r, energy_needed_wh=max(e.requested_wh - e.delivered_wh, 0.0), stamp_s=now_s()
        )


class CsmsAdapter:
    """The CSMS for every configured station; EVSEs are numbered across stations in order."""

    def __init__(
        self,
        host: str,
        port: int,
        stations: list[tuple[str, int]],
        default_limit_w: float,
        station_max_w: float,
        tx_duration_s: int,
        output_efficiency: float,
        epoch: datetime,
        site_clock: Any,
    ) -> None:
        self.host, self.port = host, port
        self.links: dict[str, StationLink] = {}
        k = 0
        for sid, n in stations:
            self.links[sid] = StationLink(sid, k, n, self)
            k += n
        self.name = f"ocpp csms ws://{host}:{port}"
        self.default_limit_w = default_limit_w
        self.station_max_w = station_max_w
        self.tx_duration_s = tx_duration_s
        self.eta_out = output_efficiency
        self.epoch = epoch
        self.site_clock_now = site_clock
        self.target_w: list[float] = []
        self._server: Any = None

    # ------------------------------------------------------------ server
    async def start(self) -> int:
        """Listen; returns the port (a free one when configured 0)."""
        _, websockets = _ocpp()
        self._server = await websockets.serve(
            self._on_connect, self.host, self.port, subprotocols=["ocpp2.0.1"]
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        """Close every station connection and stop listening."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)

    async def _on_connect(self, ws: Any) -> None:
        sid = ws.request.path.strip("/")
        link = self.links.get(sid)
        if link is None:
            log.warning("OCPP: unknown station %r refused", sid)
            await ws.close(code=1008, reason="unknown station")
            return
        link.cp = _make_cp(sid, ws, link)
        link.connected = True
        link.sent.clear()
        sender = asyncio.create_task(self._sender(link))
        try:
            await link.cp.start()
        except Exception as exc:  # a dropped link ages the station out
            log.warning("OCPP %s: connection ended: %s", sid, str(exc) or type(exc).__name__)
        finally:
            link.connected = False
            sender.cancel()

    async def _install_base(self, link: StationLink) -> None:
        """Station max (Absolute, startSchedule) + TxDefault on EVSE 0; then reconcile."""
        from ocpp.v201 import call

        await asyncio.sleep(0)
        now = datetime.now(UTC) - timedelta(seconds=1)
        for p in (
            profile(
                _MAX_PROFILE_ID,
                "ChargingStationMaxProfile",
                "Absolute",
                self.station_max_w,
                start=now,
            ),
            profile(
                _DEFAULT_PROFILE_ID, "TxDefaultProfile", "Absolute", self.default_limit_w, start=now
            ),
        ):
            await self._send_profile(link, 0, p)
        with contextlib.suppress(Exception):
            await link.cp.call(call.TriggerMessage(requested_message="TransactionEvent"))

    async def _send_profile(self, link: StationLink, evse_id: int, p: Any) -> bool:
        from ocpp.v201 import call

        active = {k: e.transaction_id for k, e in link.evses.items() if e.transaction_id}
        problems = k01_problems(evse_id, p, active)
        if problems:
            log.error("OCPP %s: not sending profile: %s", link.station_id, "; ".join(problems))
            return False
        res = await link.cp.call(call.SetChargingProfile(evse_id=evse_id, charging_profile=p))
        if res.status != "Accepted":
            log.warning("OCPP %s EVSE %d: profile %s", link.station_id, evse_id, res.status)
            return False
        return True

    # ------------------------------------------------------------ runtime hooks
    async def poll(self, cache: DeviceCache) -> None:
        """Copy each connected station's EVSEs into the cache, stamped now."""
        t = now_s()
        for link in self.links.values():
            if not link.connected:
                continue
            for e in link.evses.values():
                cache.evses[e.index] = replace(e.reading, stamp_s=t)

    async def write(self, output_power_w: list[float]) -> None:
        """Hand the controller's output powers to each station's sender (never blocks)."""
        self.target_w = list(output_power_w)
        for link in self.links.values():
            link.wake.set()

    async def _sender(self, link: StationLink) -> None:
        """Per station: base profiles, reconcile, then TxProfiles whenever due.

        A TxProfile is sent when the limit changed by more than 1 % (or 100 W) or a third of its
        duration has passed, so it never expires while the CSMS is alive and the link is not
        flooded; calls are never cancelled half-way (python-ocpp serialises them per link).
        """
        try:
            await self._install_base(link)
            while True:
                await link.wake.wait()
                link.wake.clear()
                for evse_id, e in link.evses.items():
                    tx = e.transaction_id
                    if tx is not None and self._due(link, evse_id, tx):
                        await self._send_tx(link, evse_id, tx)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("OCPP %s: profile sender stopped", link.station_id)

    def _limit(self, index: int) -> float:
        return self.target_w[index] * self.eta_out if index < len(self.target_w) else 0.0

    def _due(self, link: StationLink, evse_id: int, tx: str) -> bool:
        last = link.sent.get(evse_id)
        if last is None or last[0] != tx:
            return True
        limit = self._limit(link.evses[evse_id].index)
        if abs(limit - last[1]) > max(100.0, 0.01 * abs(last[1])):
            return True
        return float(self.site_clock_now()) - last[2] >= self.tx_duration_s / 3.0

    async def _send_tx(self, link: StationLink, evse_id: int, tx: str) -> None:
        limit = self._limit(link.evses[evse_id].index)
        p = profile(
            100 + evse_id,
            "TxProfile",
            "Relative",
            limit,
            duration_s=self.tx_duration_s,
            transaction_id=tx,
        )
        if await self._send_profile(link, evse_id, p):
            link.sent[evse_id] = (tx, limit, float(self.site_clock_now()))


def _make_cp(station_id: str, ws: Any, link: StationLink) -> Any:
    """A python-ocpp ``ChargePoint`` answering every message a station sends."""
    _ocpp()
    from ocpp.routing import on
    from ocpp.v201 import ChargePoint, call_result

    class Csms(ChargePoint):  # type: ignore[misc]
        @on("BootNotification")  # type: ignore[untyped-decorator]
        async def boot(self, charging_station: dict[str, Any], reason: str, **_: Any) -> Any:
            return call_result.BootNotification(
                current_time=datetime.now(UTC).isoformat(), interval=30, status="Accepted"
            )

        @on("Heartbeat")  # type: ignore[untyped-decorator]
        async def heartbeat(self, **_: Any) -> Any:
            return call_result.Heartbeat(current_time=datetime.now(UTC).isoformat())

        @on("StatusNotification")  # type: ignore[untyped-decorator]
        async def status(self, **_: Any) -> Any:
            return call_result.StatusNotification()

        @on("TransactionEvent")  # type: ignore[untyped-decorator]
        async def tx(
            self,
            event_type: str,
            timestamp: str,
            transaction_info: dict[str, Any],
            evse: dict[str, Any] | None = None,
            meter_value: list[dict[str, Any]] | None = None,
            **_: Any,
        ) -> Any:
            link.on_tx(event_type, transaction_info, evse, timestamp, meter_value)
            return call_result.TransactionEvent()

        @on("MeterValues")  # type: ignore[untyped-decorator]
        async def meter(self, evse_id: int, meter_value: list[dict[str, Any]], **_: Any) -> Any:
            link.on_meter(evse_id, meter_value)
            return call_result.MeterValues()

        @on("NotifyEVChargingNeeds")  # type: ignore[untyped-decorator]
        async def needs(self, evse_id: int, charging_needs: dict[str, Any], **_: Any) -> Any:
            link.on_needs(evse_id, charging_needs)
            return call_result.NotifyEVChargingNeeds(status="Accepted")

    return Csms(station_id, ws, response_timeout=5)
