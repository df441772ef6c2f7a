"""Reading a live site's store back: the newest cycle, a period's telemetry, exports.

Used by the web API (live state, charts, CSV/Parquet download) and by ``packlife serve report``.
Every time is timezone-aware UTC; every frame column carries its unit in its name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from packlife.errors import PacklifeError
from packlife.serve.store import TelemetryStore, as_utc

#: Tables that can be exported, by the name used in files and the API.
TABLES = ("cycles", "packs", "evses", "events")
Format = Literal["csv", "parquet"]


@dataclass(frozen=True)
class LatestCycle:
    """The newest cycle of a run with its pack and EVSE rows (empty lists before the first)."""

    cycle: dict[str, Any] | None
    packs: list[dict[str, Any]]
    evses: list[dict[str, Any]]


def latest_cycle(store: TelemetryStore, run_id: str) -> LatestCycle:
    """The newest stored cycle of ``run_id``."""
    import sqlalchemy as sa

    c = store.cycles
    with store.engine.connect() as conn:
        row = conn.execute(
            c.select().where(c.c.run_id == run_id).order_by(c.c.cycle.desc()).limit(1)
        ).first()
        if row is None:
            return LatestCycle(None, [], [])
        cyc = dict(row._mapping)
        n = cyc["cycle"]
        packs = conn.execute(
            store.packs.select()
            .where(sa.and_(store.packs.c.run_id == run_id, store.packs.c.cycle == n))
            .order_by(store.packs.c.pack_index)
        )
        evses = conn.execute(
            store.evses.select()
            .where(sa.and_(store.evses.c.run_id == run_id, store.evses.c.cycle == n))
            .order_by(store.evses.c.evse_index)
        )
        pack_rows = [dict(r._mapping) for r in packs]
        evse_rows = [dict(r._mapping) for r in evses]
    cyc["measured_at"] = as_utc(cyc["measured_at"])
    cyc["source_power_w"] = json.loads(cyc["source_power_w"])
    return LatestCycle(cyc, pack_rows, evse_rows)


def events_since(
    store: TelemetryStore, after_id: int = 0, limit: int = 500
) -> list[dict[str, Any]]:
    """Events with ``id > after_id``, oldest first (all runs)."""
    e = store.events
    with store.engine.connect() as conn:
        rows = conn.execute(e.select().where(e.c.id > after_id).order_by(e.c.id).limit(limit))
        out = [dict(r._mapping) for r in rows]
    for r in out:
        r["at"] = as_utc(r["at"])
    return out


def period_frame(
    store: TelemetryStore,
    table: str,
    run_id: str | None,
    start: datetime | None,
    end: datetime | None,
) -> pd.DataFrame:
    """One table's rows of a run (all runs: ``None``) in ``[start, end)`` UTC, oldest first."""
    if table not in TABLES:
        raise PacklifeError(f"table must be one of {', '.join(TABLES)}, got {table!r}")
    t = {"cycles": store.cycles, "packs": store.packs, "evses": store.evses}.get(
        table, store.events
    )
    at = t.c.at if table == "events" else t.c.measured_at
    q = t.select()
    if run_id is not None:
        q = q.where(t.c.run_id == run_id)
    if start is not None:
        q = q.where(at >= start)
    if end is not None:
        q = q.where(at < end)
    order = [t.c.id] if table == "events" else [t.c.run_id, t.c.cycle]
    q = q.order_by(*order, *([t.c.pack_index] if table == "packs" else []))
    with store.engine.connect() as conn:
        frame = pd.DataFrame([dict(r._mapping) for r in conn.execute(q)])
    if frame.empty:
        return pd.DataFrame(columns=[c.name for c in t.columns])
    col = "at" if table == "events" else "measured_at"
    frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def to_bytes(frame: pd.DataFrame, fmt: Format) -> bytes:
    """A frame as CSV (UTF-8) or Parquet bytes."""
    if fmt == "csv":
        return frame.to_csv(index=False).encode()
    import io

    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()
