"""The live state the API serves: the store's newest cycle, polled, held in memory, broadcast.

The API never talks to the control loop directly: the loop writes every cycle to the store and
the API reads it back (as OpenEMS's backend reads its edges). A crashed or loaded API cannot
delay a control cycle, and the API can run on another machine against PostgreSQL. One poller per
process reads the newest cycle every half control period; read endpoints answer from memory and
the server-sent-event stream pushes each new cycle to every subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from packlife.serve.access import AccessStore, Override
from packlife.serve.api.schemas import EvseState, PackState, SiteState
from packlife.serve.history import LatestCycle, events_since, latest_cycle
from packlife.serve.store import RunInfo, TelemetryStore

log = logging.getLogger(__name__)

#: A cycle older than this many control periods is stale.
STALE_PERIODS = 3.0


class LiveView:
    """Newest site state of the store, refreshed by :meth:`run` (one asyncio task)."""

    def __init__(self, store: TelemetryStore, access: AccessStore) -> None:
        self.store = store
        self.access = access
        self.run: RunInfo | None = None
        self.state: SiteState | None = None
        self.alarms_open = 0
        self.overrides: list[Override] = []
        self.version = 0
        self._changed = asyncio.Condition()
        self._last_cycle: tuple[str, int] | None = None
        self._last_event = 0

    def poll_once(self) -> bool:
        """Read the store; ``True`` when a new cycle or event arrived."""
        run = self.store.read_run()
        if run is None:
            return False
        self.run = run
        latest = latest_cycle(self.store, run.run_id)
        new_events = events_since(self.store, self._last_event)
        if new_events:
            self._last_event = new_events[-1]["id"]
        acks = self.access.acknowledged()
        self.alarms_open = self._open_alarms(run.run_id, acks)
        key = (run.run_id, latest.cycle["cycle"]) if latest.cycle else None
        fresh = key != self._last_cycle or bool(new_events)
        self._last_cycle = key
        self.overrides = self.access.active_overrides()
        self.state = build_state(run, latest, self.overrides, self.alarms_open)
        return fresh

    def active_overrides(self) -> list[Override]:
        """Overrides in force now, from the last poll (:meth:`refresh_overrides` after a write)."""
        now = datetime.now(UTC)
        return [o for o in self.overrides if o.expires_at > now]

    def refresh_overrides(self) -> None:
        """Re-read the overrides after this process changed them."""
        self.overrides = self.access.active_overrides()

    def _open_alarms(self, run_id: str, acks: dict[int, tuple[str, datetime]]) -> int:
        import sqlalchemy as sa

        e = self.store.events
        with self.store.engine.connect() as conn:
            ids = conn.execute(
                sa.select(e.c.id).where(sa.and_(e.c.run_id == run_id, e.c.kind == "alarm"))
            ).scalars()
            return sum(1 for i in ids if i not in acks)

    def current(self) -> SiteState | None:
        """The state with its age as of now."""
        s = self.state
        if s is None or s.measured_at is None:
            return s
        age = (datetime.now(UTC) - s.measured_at).total_seconds()
        return s.model_copy(update={"age_s": age, "stale": age > STALE_PERIODS * s.period_s})

    async def run_forever(self, interval_s: float | None = None) -> None:
        """Poll until cancelled; wake subscribers on every change and every interval."""
        while True:
            try:
                changed = await asyncio.to_thread(self.poll_once)
            except Exception as exc:  # the store is briefly unavailable: keep serving the last
                log.warning("live view: store unreadable: %s", exc)
                changed = False
            if changed:
                self.version += 1
            async with self._changed:
                self._changed.notify_all()
            period = self.run.period_s if self.run else 1.0
            await asyncio.sleep(interval_s or min(max(period / 2, 0.02), 1.0))

    async def wait(self, version: int, timeout_s: float) -> int:
        """Wait until the state is newer than ``version`` (or ``timeout_s``); the new version."""
        with contextlib.suppress(TimeoutError):
            async with self._changed:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.version > version), timeout_s
                )
        return self.version


def build_state(
    run: RunInfo, latest: LatestCycle, overrides: list[Override], alarms_open: int
) -> SiteState:
    """The API's :class:`SiteState` of the newest stored cycle."""
    cyc = latest.cycle
    caps = {o.pack_index: o for o in overrides if o.kind == "limit"}
    isolated = {o.pack_index for o in overrides if o.kind == "isolate"}
    packs = [
        PackState(
            pack_index=r["pack_index"],
            serial=r["serial"],
            power_w=_num(r["power_w"]),
            setpoint_w=r["setpoint_w"],
            soc=_num(r["soc"]),
            soh=_num(r["soh"]),
            temperature_c=_num(r["temperature_c"]),
            alarms=r["alarms"],
            isolated=bool(r["isolated"]) or r["pack_index"] in isolated,
            max_discharge_power_w=_cap(caps, r["pack_index"], "max_discharge_power_w"),
            max_charge_power_w=_cap(caps, r["pack_index"], "max_charge_power_w"),
        )
        for r in latest.packs
    ]
    evses = [
        EvseState(**{k: r[k] for k in EvseState.model_fields})
        for r in latest.evses
    ]
    return SiteState(
        run_id=run.run_id,
        site_name=run.site_name,
        time_zone=run.time_zone,
        period_s=run.period_s,
        started_at=run.started_at,
        cycle=cyc["cycle"] if cyc else None,
        measured_at=cyc["measured_at"] if cyc else None,
        site_time_s=cyc["site_time_s"] if cyc else None,
        age_s=None,
        stale=cyc is None,
        lateness_s=cyc["lateness_s"] if cyc else None,
        bess_power_w=cyc["bess_power_w"] if cyc else None,
        outputs_power_w=cyc["outputs_power_w"] if cyc else None,
        source_power_w=cyc["source_power_w"] if cyc else {},
        packs=packs,
        evses=evses,
        active_alarms=alarms_open,
    )


def _num(x: float | None) -> float | None:
    return None if x is None or x != x else float(x)


def _cap(caps: dict[int, Override], i: int, field: str) -> float | None:
    o = caps.get(i)
    return None if o is None else getattr(o, field)
