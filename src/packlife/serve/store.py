"""Telemetry and events of a live site: SQLite (WAL) by default, PostgreSQL by URL (SQLAlchemy).

Tables: ``serve_runs`` (one row per run: site name, time zone, period, pack serials, EVSE count,
inputs — what the web API needs to describe the site without the scenario file),
``serve_cycles`` (one row per control cycle: lateness, BESS and input power),
``serve_pack_telemetry`` (one row per pack per cycle: power, set-point, SoC, SoH, temperature,
alarm bits, keyed to the pack's serial so registry records can be joined),
``serve_evse_telemetry`` (one row per EVSE per cycle: power, session, vehicle SoC and energy still
needed) and ``serve_events`` (alarms, isolations, rejoins, operator actions, start and stop).
Rows are keyed by ``(run_id, cycle[, pack_index])``, so a row written twice is rejected rather
than duplicated. Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from packlife.errors import PacklifeError
from packlife.redact import mask_secrets

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackRow:
    """One pack in one cycle [SI units]."""

    pack_index: int
    serial: str
    power_w: float
    setpoint_w: float
    soc: float
    soh: float
    temperature_c: float
    alarms: int
    isolated: bool = False


@dataclass(frozen=True)
class EvseRow:
    """One EVSE in one cycle [SI units, vehicle side]; ``session_id`` ``None`` = no vehicle."""

    evse_index: int
    power_w: float
    setpoint_w: float
    session_id: str | None
    soc: float | None
    energy_needed_wh: float | None
    departure_s: float | None


@dataclass(frozen=True)
class RunInfo:
    """What a run of ``packlife serve`` controls (``serve_runs``)."""

    run_id: str
    site_name: str
    time_zone: str
    period_s: float
    started_at: datetime
    pack_serials: tuple[str, ...]
    n_evses: int
    sources: tuple[str, ...]


def _sqlalchemy() -> Any:
    try:
        import sqlalchemy as sa
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise PacklifeError(
            "the telemetry store needs the 'db' extra: pip install 'packlife[db]'"
        ) from exc
    return sa


class TelemetryStore:
    """Append-only telemetry of one or more runs of ``packlife serve``.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:///serve.db`` or ``postgresql+psycopg://postgres@127.0.0.1/x``.
    """

    def __init__(self, url: str) -> None:
        sa = _sqlalchemy()
        self.url = url
        try:
            self.engine = sa.create_engine(url)
        except sa.exc.ArgumentError:
            raise PacklifeError(
                f"telemetry store URL {mask_secrets(url)!r} is not a SQLAlchemy URL "
                "(e.g. sqlite:///serve.db or postgresql+psycopg://user@host/db)"
            ) from None
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        md = sa.MetaData()
        ts = sa.DateTime(timezone=True)
        self.runs = sa.Table(
            "serve_runs",
            md,
            sa.Column("run_id", sa.String(64), primary_key=True),
            sa.Column("site_name", sa.String(128), nullable=False),
            sa.Column("time_zone", sa.String(64), nullable=False),
            sa.Column("period_s", sa.Float, nullable=False),
            sa.Column("started_at", ts, nullable=False),
            sa.Column("pack_serials", sa.Text, nullable=False),
            sa.Column("n_evses", sa.Integer, nullable=False),
            sa.Column("sources", sa.Text, nullable=False),
        )
        self.cycles = sa.Table(
            "serve_cycles",
            md,
            sa.Column("run_id", sa.String(64), primary_key=True),
            sa.Column("cycle", sa.Integer, primary_key=True),
            sa.Column("measured_at", ts, nullable=False),
            sa.Column("site_time_s", sa.Float, nullable=False),
            sa.Column("lateness_s", sa.Float, nullable=False),
            sa.Column("bess_power_w", sa.Float, nullable=False),
            sa.Column("outputs_power_w", sa.Float, nullable=False),
            sa.Column("source_power_w", sa.Text, nullable=False),
        )
        self.packs = sa.Table(
            "serve_pack_telemetry",
            md,
            sa.Column("run_id", sa.String(64), primary_key=True),
            sa.Column("cycle", sa.Integer, primary_key=True),
            sa.Column("pack_index", sa.Integer, primary_key=True),
            sa.Column("serial", sa.String(128), nullable=False),
            sa.Column("measured_at", ts, nullable=False),
            sa.Column("power_w", sa.Float),
            sa.Column("setpoint_w", sa.Float, nullable=False),
            sa.Column("soc", sa.Float),
            sa.Column("soh", sa.Float),
            sa.Column("temperature_c", sa.Float),
            sa.Column("alarms", sa.Integer, nullable=False),
            sa.Column("isolated", sa.Boolean, nullable=False, default=False),
        )
        self.evses = sa.Table(
            "serve_evse_telemetry",
            md,
            sa.Column("run_id", sa.String(64), primary_key=True),
            sa.Column("cycle", sa.Integer, primary_key=True),
            sa.Column("evse_index", sa.Integer, primary_key=True),
            sa.Column("measured_at", ts, nullable=False),
            sa.Column("power_w", sa.Float, nullable=False),
            sa.Column("setpoint_w", sa.Float, nullable=False),
            sa.Column("session_id", sa.String(128)),
            sa.Column("soc", sa.Float),
            sa.Column("energy_needed_wh", sa.Float),
            sa.Column("departure_s", sa.Float),
        )
        self.events = sa.Table(
            "serve_events",
            md,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("run_id", sa.String(64), nullable=False),
            sa.Column("at", ts, nullable=False),
            sa.Column("kind", sa.String(32), nullable=False),
            sa.Column("device", sa.String(128), nullable=False),
            sa.Column("message", sa.Text, nullable=False),
        )
        self.metadata = md
        try:
            md.create_all(self.engine)
            self._add_missing_columns(sa)
        except sa.exc.OperationalError as exc:
            reason = mask_secrets(str(exc.orig or exc)).strip().splitlines()[0]
            raise PacklifeError(
                f"cannot open the telemetry store {mask_secrets(url)}: {reason}"
            ) from None

    def _add_missing_columns(self, sa: Any) -> None:
        """Bring a store written by packlife ≤ 0.1 up to date (``isolated`` per pack row)."""
        cols = {c["name"] for c in sa.inspect(self.engine).get_columns("serve_pack_telemetry")}
        if "isolated" not in cols:
            log.warning("telemetry store %s: adding column serve_pack_telemetry.isolated", self.url)
            with self.engine.begin() as conn:
                conn.exec_driver_sql(
                    "ALTER TABLE serve_pack_telemetry ADD COLUMN isolated BOOLEAN NOT NULL "
                    "DEFAULT FALSE"
                )

    def write_run(self, info: RunInfo) -> None:
        """Describe a starting run (``serve_runs``)."""
        row = {
            **info.__dict__,
            "pack_serials": json.dumps(list(info.pack_serials)),
            "sources": json.dumps(list(info.sources)),
        }
        with self.engine.begin() as conn:
            conn.execute(self.runs.insert(), row)

    def read_run(self, run_id: str | None = None) -> RunInfo | None:
        """A run's description; the newest run when ``run_id`` is ``None``."""
        sel = self.runs.select()
        if run_id is None:
            sel = sel.order_by(self.runs.c.started_at.desc()).limit(1)
        else:
            sel = sel.where(self.runs.c.run_id == run_id)
        with self.engine.connect() as conn:
            row = conn.execute(sel).first()
        if row is None:
            return None
        m = dict(row._mapping)
        m["pack_serials"] = tuple(json.loads(m["pack_serials"]))
        m["sources"] = tuple(json.loads(m["sources"]))
        m["started_at"] = as_utc(m["started_at"])
        return RunInfo(**m)

    def write_cycle(
        self,
        run_id: str,
        cycle: int,
        at: datetime,
        site_time_s: float,
        lateness_s: float,
        bess_power_w: float,
        outputs_power_w: float,
        source_power_w: dict[str, float],
        packs: list[PackRow],
        evses: list[EvseRow] | None = None,
    ) -> None:
        """Store one cycle with its pack and EVSE rows in one transaction."""
        with self.engine.begin() as conn:
            conn.execute(
                self.cycles.insert(),
                {
                    "run_id": run_id,
                    "cycle": cycle,
                    "measured_at": at,
                    "site_time_s": site_time_s,
                    "lateness_s": lateness_s,
                    "bess_power_w": bess_power_w,
                    "outputs_power_w": outputs_power_w,
                    "source_power_w": json.dumps(source_power_w),
                },
            )
            if packs:
                conn.execute(
                    self.packs.insert(),
                    [
                        {"run_id": run_id, "cycle": cycle, "measured_at": at, **p.__dict__}
                        for p in packs
                    ],
                )
            if evses:
                conn.execute(
                    self.evses.insert(),
                    [
                        {"run_id": run_id, "cycle": cycle, "measured_at": at, **e.__dict__}
                        for e in evses
                    ],
                )

    def event(self, run_id: str, at: datetime, kind: str, device: str, message: str) -> None:
        """Store an event (alarm, isolation, rejoin, operator action, start, stop)."""
        log.info("%s %s: %s", kind, device, message)
        with self.engine.begin() as conn:
            conn.execute(
                self.events.insert(),
                {"run_id": run_id, "at": at, "kind": kind, "device": device, "message": message},
            )

    def _read(self, table: Any, run_id: str, *order: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(table.select().where(table.c.run_id == run_id).order_by(*order))
            return [dict(r._mapping) for r in rows]

    def read_events(self, run_id: str) -> list[dict[str, Any]]:
        """Events of a run in the order they were stored."""
        return self._read(self.events, run_id, self.events.c.id)

    def read_pack_rows(self, run_id: str) -> list[dict[str, Any]]:
        """Pack telemetry of a run ordered by cycle and pack."""
        return self._read(self.packs, run_id, self.packs.c.cycle, self.packs.c.pack_index)

    def read_cycles(self, run_id: str) -> list[dict[str, Any]]:
        """Cycle rows of a run ordered by cycle."""
        return self._read(self.cycles, run_id, self.cycles.c.cycle)

    def read_evse_rows(self, run_id: str) -> list[dict[str, Any]]:
        """EVSE telemetry of a run ordered by cycle and EVSE."""
        return self._read(self.evses, run_id, self.evses.c.cycle, self.evses.c.evse_index)

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()


def as_utc(at: datetime) -> datetime:
    """``at`` as an aware UTC time (SQLite returns naive datetimes for UTC-stored values)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
