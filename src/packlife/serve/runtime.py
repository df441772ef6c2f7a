"""The live control loop of ``packlife serve``.

Every period (monotonic deadline, default 1 s):

1. poll every adapter (each refreshes its cached, age-stamped reading; a failure leaves the old
   reading to age);
2. freeze a :class:`~packlife.control.types.SiteSnapshot` from the cache
   (:func:`packlife.serve.view.freeze`, built with :mod:`packlife.site.snapshot` like the
   simulator's);
3. :func:`packlife.control.controller.decide` — the function ``packlife simulate`` calls;
4. the independent safety clamp (:mod:`packlife.serve.safety`): stale or missing data → that
   device's power 0; a pack in alarm is isolated (string contactor opened), the rest carry on;
5. write set-points (a pack change below ``deadband_w`` is not written; 704 ``WSet`` and the 802
   heartbeat go out every cycle so reversion and heartbeat timers stay armed);
6. store the cycle and publish it; record the cycle's lateness; notify the systemd watchdog.

Nothing is commanded before a device has been read fresh: a pack never read has zero limits.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from packlife._typing import FloatArray
from packlife.control.controller import decide
from packlife.control.types import ControllerConfig, Setpoints, SiteSnapshot
from packlife.serve.access import AccessStore, Override
from packlife.serve.adapters.mqtt import MqttPublisher
from packlife.serve.adapters.ocpp_csms import CsmsAdapter
from packlife.serve.adapters.sunspec import PackAdapter, PcsAdapter
from packlife.serve.safety import clamp
from packlife.serve.state import DeviceCache, now_s
from packlife.serve.store import EvseRow, PackRow, RunInfo, TelemetryStore
from packlife.serve.view import (
    OPERATOR_BIT,
    Health,
    device_health,
    freeze,
    with_operator_isolation,
)
from packlife.site.inputs import import_price_at
from packlife.site.scenario import Scenario

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """Where cycle telemetry goes besides the store (MQTT); must never block the loop."""

    def publish_cycle(self, at: datetime, payload: dict[str, Any]) -> None:
        """Queue one cycle's telemetry."""

    def isolated_packs(self) -> set[int]:
        """Packs an unexpired operator command isolates."""


@dataclass
class LoopSettings:
    """Timing of the loop.

    ``site_clock`` gives the site time of a snapshot [s] (wall seconds since start, or the
    virtual plant's simulated clock); ``time_scale`` converts the wall period to site seconds.
    """

    period_s: float = 1.0
    time_scale: float = 1.0
    stale_cycles: float = 2.0
    deadband_w: float = 0.0
    site_clock: Callable[[], float] | None = None
    record: bool = False


@dataclass
class LoopStats:
    """What the loop measured: lateness of each cycle start [s] and the recorded snapshots."""

    lateness_s: list[float] = field(default_factory=list)
    cycles: int = 0
    recorded: list[tuple[SiteSnapshot, Setpoints]] = field(default_factory=list)


class Runtime:
    """One site under control (see the module docstring)."""

    def __init__(
        self,
        scenario: Scenario,
        controller: ControllerConfig,
        packs: list[PackAdapter],
        pcs: list[PcsAdapter],
        n_evses: int,
        settings: LoopSettings,
        store: TelemetryStore | None = None,
        publisher: Publisher | None = None,
        run_id: str = "serve",
        serials: list[str] | None = None,
        csms: CsmsAdapter | None = None,
        converters: tuple[FloatArray, FloatArray, FloatArray] | None = None,
    ) -> None:
        self.scenario = scenario
        self.controller = controller
        self.packs = packs
        self.pcs = pcs
        self.csms = csms
        self.converters = converters
        self.settings = settings
        self.store = store
        self.publisher = publisher
        self.run_id = run_id
        self.serials = serials or [f"pack-{i}" for i in range(len(packs))]
        self.cache = DeviceCache.empty(len(packs), [s.name for s in scenario.sources], n_evses)
        self.stats = LoopStats()
        self.previous: Setpoints | None = None
        self.written_w = np.zeros(len(packs))
        self._pack_ok: list[bool | None] = [None] * len(packs)
        self._t0 = now_s()
        self.started = False
        self.access = AccessStore(store) if store is not None else None
        self.overrides: list[Override] = []
        self._override_ids: set[int] = set()

    async def start(self) -> None:
        """Open the listening side (the CSMS); device links open on the first poll."""
        if self.started:
            return
        if self.csms is not None:
            await self.csms.start()
        if isinstance(self.publisher, MqttPublisher):
            self.publisher.start()
        self.started = True

    # ------------------------------------------------------------ loop
    async def run(self, stop: asyncio.Event, max_cycles: int | None = None) -> LoopStats:
        """Run cycles until ``stop`` is set (or ``max_cycles``); then command safe values."""
        period = self.settings.period_s
        await self.start()
        self._describe_run()
        self._event("start", "site", f"run {self.run_id}: {len(self.packs)} packs")
        _sd_notify("READY=1")
        deadline = now_s()
        try:
            while not stop.is_set() and (max_cycles is None or self.stats.cycles < max_cycles):
                late = now_s() - deadline
                self.stats.lateness_s.append(max(late, 0.0))
                await self.cycle(late)
                _sd_notify("WATCHDOG=1")
                deadline += period
                if now_s() > deadline + period:  # overran by a whole period: skip, do not burst
                    deadline = now_s()
                try:
                    await asyncio.wait_for(stop.wait(), timeout=max(deadline - now_s(), 0.0))
                except TimeoutError:
                    pass
        finally:
            await self.shutdown()
        return self.stats

    async def cycle(self, lateness_s: float = 0.0) -> Setpoints:
        """One control cycle; returns the set-points written."""
        await self._poll()
        self._read_overrides()
        now = now_s()
        max_age = self.settings.stale_cycles * self.settings.period_s
        health = self._health(now, max_age)
        site_time = self._site_time()
        snap = freeze(
            self.scenario,
            self.cache,
            health,
            site_time,
            self.settings.period_s * self.settings.time_scale,
            self.previous,
            self.converters,
            import_price_at(self.scenario, site_time),
            caps_w=self._caps(),
        )
        raw = decide(snap, self.controller)
        if self.settings.record:
            self.stats.recorded.append((snap, raw))
        health = self._health(now_s(), max_age)
        result = clamp(raw, self.cache, health)
        for note in result.notes:
            log.warning("safety clamp: %s", note)
        sp = self._deadband(result.setpoints, health)
        self._track_packs(health)
        await self._write(sp, health)
        self.previous = sp
        self._persist(sp, snap.time_s, lateness_s)
        self.stats.cycles += 1
        return sp

    def _health(self, now: float, max_age: float) -> Health:
        health = device_health(self.cache, now, max_age)
        return with_operator_isolation(health, self.isolated_packs())

    def isolated_packs(self) -> set[int]:
        """Packs isolated by an unexpired operator command (MQTT or the web API)."""
        packs = {o.pack_index for o in self.overrides if o.kind == "isolate"}
        if self.publisher is not None:
            packs |= self.publisher.isolated_packs()
        return {i for i in packs if 0 <= i < len(self.packs)}

    def _caps(self) -> dict[int, tuple[float | None, float | None]]:
        return {
            o.pack_index: (o.max_discharge_power_w, o.max_charge_power_w)
            for o in self.overrides
            if o.kind == "limit" and 0 <= o.pack_index < len(self.packs)
        }

    def _read_overrides(self) -> None:
        """The web API's overrides in force now (expired ones drop out by themselves)."""
        if self.access is None:
            return
        try:
            self.overrides = self.access.active_overrides()
        except Exception as exc:  # the store is down: keep acting, overrides lapse safely
            log.warning("overrides unreadable (%s): none applied", exc)
            self.overrides = []
        ids = {o.id for o in self.overrides}
        for o in self.overrides:
            if o.id in self._override_ids or o.kind != "limit":
                continue
            if 0 <= o.pack_index < len(self.packs):
                self._event(
                    "operator",
                    f"pack[{o.pack_index}] {self.serials[o.pack_index]}",
                    f"power capped by {o.created_by}: discharge ≤ {o.max_discharge_power_w} W, "
                    f"charge ≤ {o.max_charge_power_w} W until {o.expires_at:%H:%M:%S} UTC",
                )
        self._override_ids = ids

    def _describe_run(self) -> None:
        if self.store is None:
            return
        sc = self.scenario
        zone = sc.site.timezone if sc.site is not None else _offset(sc)
        self.store.write_run(
            RunInfo(
                run_id=self.run_id,
                site_name=sc.name,
                time_zone=zone,
                period_s=self.settings.period_s,
                started_at=datetime.now(UTC),
                pack_serials=tuple(self.serials),
                n_evses=len(self.cache.evses),
                sources=tuple(s.name for s in sc.sources),
            )
        )

    def _site_time(self) -> float:
        clock = self.settings.site_clock
        if clock is not None:
            return float(clock())
        return (now_s() - self._t0) * self.settings.time_scale

    async def _poll(self) -> None:
        jobs = [a.poll(self.cache) for a in self.packs]
        jobs += [b.poll(self.cache) for b in self.pcs]
        if self.csms is not None:
            jobs.append(self.csms.poll(self.cache))
        await asyncio.gather(*jobs)

    def _deadband(self, sp: Setpoints, health: Health) -> Setpoints:
        db = self.settings.deadband_w
        if db <= 0:
            return sp
        p = np.array(sp.pack_power_w, dtype=float)
        keep = (np.abs(p - self.written_w) < db) & np.array(health.packs) & (p != 0.0)
        if not keep.any():
            return sp
        from dataclasses import replace

        p[keep] = self.written_w[keep]
        return replace(sp, pack_power_w=p)

    async def _write(self, sp: Setpoints, health: Health) -> None:
        jobs = []
        for i, a in enumerate(self.packs):
            isolate = health.pack_alarms[i] != 0
            jobs.append(self._guard(a.name, a.write(float(sp.pack_power_w[i]), isolate)))
        for b in self.pcs:
            jobs.append(self._guard(b.name, b.write(sp.source_power_w.get(b.source, 0.0))))
        if self.csms is not None:
            out = [float(x) for x in sp.output_power_w]
            jobs.append(self._guard(self.csms.name, self.csms.write(out)))
        await asyncio.gather(*jobs)
        self.written_w = np.array(sp.pack_power_w, dtype=float)

    async def _guard(self, name: str, job: Any) -> None:
        try:
            await asyncio.wait_for(job, timeout=self.settings.period_s)
        except Exception as exc:
            self.cache.errors[name] = f"write failed: {str(exc) or type(exc).__name__}"
            log.warning("%s: write failed: %s", name, str(exc) or type(exc).__name__)

    def _track_packs(self, health: Health) -> None:
        """Store an event when a pack is lost, alarms or rejoins."""
        for i, ok in enumerate(health.packs):
            was = self._pack_ok[i]
            if was is ok:
                continue
            self._pack_ok[i] = ok
            dev = f"pack[{i}] {self.serials[i]}"
            if ok and was is not None:
                self._event("rejoin", dev, "fresh data without alarm: back in the allocation")
            elif not ok and health.pack_alarms[i] == OPERATOR_BIT:
                by = next(
                    (o.created_by for o in self.overrides if o.pack_index == i), "MQTT command"
                )
                self._event("operator", dev, f"isolated by an operator ({by})")
            elif not ok and health.pack_alarms[i]:
                self._event(
                    "alarm", dev, f"802 Evt1 alarm bits {health.pack_alarms[i]:#x}: isolated"
                )
            elif not ok and was is not None:
                err = next(
                    (v for k, v in self.cache.errors.items() if k.startswith(f"pack[{i}]")), ""
                )
                self._event(
                    "alarm", dev, f"data stale (link lost{': ' + err if err else ''}): limit 0 W"
                )

    def _event(self, kind: str, device: str, message: str) -> None:
        at = datetime.now(UTC)
        if self.store is not None:
            self.store.event(self.run_id, at, kind, device, message)
        else:
            log.info("%s %s: %s", kind, device, message)
        if self.publisher is not None:
            self.publisher.publish_cycle(at, {"event": kind, "device": device, "message": message})

    def _persist(self, sp: Setpoints, site_time_s: float, lateness_s: float) -> None:
        at = datetime.now(UTC)
        isolated = self.isolated_packs()
        rows = []
        for i, r in enumerate(self.cache.packs):
            rows.append(
                PackRow(
                    pack_index=i,
                    serial=self.serials[i],
                    power_w=r.power_w if r else float("nan"),
                    setpoint_w=float(sp.pack_power_w[i]),
                    soc=r.soc if r else float("nan"),
                    soh=r.soh if r else float("nan"),
                    temperature_c=r.temperature_c if r else float("nan"),
                    alarms=r.alarms if r else 0,
                    isolated=i in isolated,
                )
            )
        evses = [
            EvseRow(
                evse_index=k,
                power_w=e.power_w if e else 0.0,
                setpoint_w=float(sp.output_power_w[k]),
                session_id=e.session_id if e else None,
                soc=e.soc if e and e.session_id else None,
                energy_needed_wh=e.energy_needed_wh if e and e.session_id else None,
                departure_s=e.departure_s if e and e.session_id else None,
            )
            for k, e in enumerate(self.cache.evses)
        ]
        if self.store is not None:
            self.store.write_cycle(
                self.run_id,
                self.stats.cycles,
                at,
                site_time_s,
                lateness_s,
                sp.bess_power_w,
                float(np.sum(sp.output_power_w)),
                sp.source_power_w,
                rows,
                evses,
            )
        if self.publisher is not None:
            self.publisher.publish_cycle(
                at,
                {
                    "cycle": self.stats.cycles,
                    "bess_power_w": sp.bess_power_w,
                    "packs": [r.__dict__ for r in rows],
                    "outputs_power_w": [float(x) for x in sp.output_power_w],
                },
            )

    async def shutdown(self) -> None:
        """Command 0 W to every device (best effort); the devices revert by themselves anyway."""
        jobs = [a.safe() for a in self.packs] + [b.safe() for b in self.pcs]
        await asyncio.gather(
            *(asyncio.wait_for(j, timeout=2.0) for j in jobs), return_exceptions=True
        )
        for dev in [a.dev for a in self.packs] + [b.dev for b in self.pcs]:
            dev.close()
        if self.csms is not None:
            await self.csms.stop()  # stations fall back to their TxDefault when TxProfiles expire
        self._event("stop", "site", "set-points returned to 0 W")
        if isinstance(self.publisher, MqttPublisher):
            await self.publisher.stop()


def _offset(scenario: Scenario) -> str:
    """The start's UTC offset as ``+HH:MM`` (the site's zone when no IANA name is given)."""
    off = scenario.simulation.start.utcoffset()
    minutes = int(off.total_seconds() // 60) if off is not None else 0
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _sd_notify(state: str) -> None:
    """Tell systemd (``NOTIFY_SOCKET``) our state; a no-op outside systemd."""
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(state.encode(), addr)
    except OSError as exc:
        log.debug("sd_notify failed: %s", exc)
