"""Events and alarms of the store; operators acknowledge alarms (audited)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, status

from packlife.serve.access import AccessStore
from packlife.serve.api.auth import Operator, Viewer
from packlife.serve.api.schemas import Acknowledged, Event
from packlife.serve.history import events_since
from packlife.serve.store import TelemetryStore

router = APIRouter(prefix="/api/v1", tags=["events"])


def _stores(request: Request) -> tuple[TelemetryStore, AccessStore]:
    return request.app.state.store, request.app.state.access


def _events(rows: list[dict[str, Any]], access: AccessStore) -> list[Event]:
    acks = access.acknowledged()
    return [
        Event(
            **r,
            acknowledged_by=acks[r["id"]][0] if r["id"] in acks else None,
            acknowledged_at=acks[r["id"]][1] if r["id"] in acks else None,
        )
        for r in rows
    ]


@router.get("/events", response_model=list[Event])
def list_events(
    request: Request,
    _user: Viewer,
    after_id: int = Query(0, ge=0, le=2**62, description="only events with a larger id"),
    limit: int = Query(200, ge=1, le=5000),
    kind: str | None = Query(None, max_length=32, description="alarm, operator, rejoin, …"),
) -> list[Event]:
    """Events of every run, oldest first."""
    store, access = _stores(request)
    rows = events_since(store, after_id, limit if kind is None else 100_000)
    if kind is not None:
        rows = [r for r in rows if r["kind"] == kind][:limit]
    return _events(rows, access)


@router.get("/alarms", response_model=list[Event])
def list_alarms(request: Request, _user: Viewer) -> list[Event]:
    """Alarm events of the newest run, newest first, with who acknowledged them."""
    store, access = _stores(request)
    run = request.app.state.live.run
    rows = [
        r
        for r in events_since(store, 0, 100_000)
        if r["kind"] == "alarm" and (run is None or r["run_id"] == run.run_id)
    ]
    return _events(rows[::-1][:500], access)


@router.post("/alarms/{event_id}/ack", response_model=Acknowledged)
def acknowledge(
    request: Request, user: Operator, event_id: int = Path(ge=1, le=2**62)
) -> Acknowledged:
    """Acknowledge an alarm event."""
    store, access = _stores(request)
    rows = events_since(store, event_id - 1, 1)
    if not rows or rows[0]["id"] != event_id or rows[0]["kind"] != "alarm":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alarm event {event_id}")
    done = access.acknowledge(event_id, user.name)
    if done:
        access.record(user, "acknowledge", f"event {event_id}", None, {"by": user.name})
    return Acknowledged(event_id=event_id, acknowledged=done)
