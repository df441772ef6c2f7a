"""Live telemetry (server-sent events), the chart's history, and CSV / Parquet exports."""

from __future__ import annotations

import math
from collections.abc import AsyncIterable
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.sse import EventSourceResponse, ServerSentEvent

from packlife.serve.api.auth import Viewer
from packlife.serve.api.live import LiveView
from packlife.serve.api.schemas import HistoryPoint
from packlife.serve.history import period_frame, to_bytes

router = APIRouter(prefix="/api/v1/telemetry", tags=["telemetry"])
#: Most points a chart request returns (rows are thinned evenly above this).
MAX_POINTS = 2000


@router.get("/stream", response_class=EventSourceResponse)
async def stream(request: Request, _user: Viewer) -> AsyncIterable[ServerSentEvent]:
    """Every new control cycle as a ``state`` event (the :class:`SiteState` JSON); at least one
    event every 5 s (a repeat of the last state when nothing changed, so a client can tell a
    stopped loop, ``stale`` true, from a broken stream)."""
    view: LiveView = request.app.state.live
    version = -1
    while not await request.is_disconnected():
        version = await view.wait(version, 5.0)
        state = view.current()
        if state is not None:
            yield ServerSentEvent(data=state.model_dump(mode="json"), event="state", retry=2000)


@router.get("/history", response_model=HistoryPoint)
def history(
    request: Request,
    _user: Viewer,
    hours: float = Query(6.0, gt=0.0, le=24.0 * 31, description="the last this many hours"),
) -> HistoryPoint:
    """Site power flows and pack SoC of the newest run's last ``hours`` (≤ 2,000 points)."""
    run = request.app.state.live.run
    if run is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no run in the store yet")
    store = request.app.state.store
    start = datetime.now(UTC) - timedelta(hours=hours)
    cycles = period_frame(store, "cycles", run.run_id, start, None)
    if len(cycles) > MAX_POINTS:
        cycles = cycles.iloc[np.linspace(0, len(cycles) - 1, MAX_POINTS).round().astype(int)]
    packs = period_frame(store, "packs", run.run_id, start, None)
    soc = packs.pivot_table(index="cycle", columns="pack_index", values="soc", dropna=False)
    soc = soc.reindex(index=cycles["cycle"], columns=range(len(run.pack_serials)))
    return HistoryPoint(
        measured_at=list(cycles["measured_at"]),
        bess_power_w=[float(x) for x in cycles["bess_power_w"]],
        outputs_power_w=[float(x) for x in cycles["outputs_power_w"]],
        pack_soc=[[_num(x) for x in soc[c]] for c in soc.columns],
    )


@router.get("/export/{table}")
def export(
    request: Request,
    _user: Viewer,
    table: Literal["cycles", "packs", "evses", "events"],
    format: Literal["csv", "parquet"] = Query("csv"),
    start: datetime | None = Query(None, description="ISO 8601 with a UTC offset"),
    end: datetime | None = Query(None, description="ISO 8601 with a UTC offset"),
    run_id: str | None = Query(None, max_length=64, description="default: every run"),
) -> Response:
    """One table of a period as CSV or Parquet (times UTC, units in the column names)."""
    for name, t in (("start", start), ("end", end)):
        if t is not None and t.tzinfo is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name} needs a UTC offset, e.g. +00:00"
            )
    frame = period_frame(request.app.state.store, table, run_id, start, end)
    media = "text/csv" if format == "csv" else "application/vnd.apache.parquet"
    name = f"{table}.{format}"
    return Response(
        to_bytes(frame, format),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)
