"""EVSEs (outputs) and the charging sessions on them."""

from __future__ import annotations

from fastapi import APIRouter, Request

from packlife.serve.api.auth import Viewer
from packlife.serve.api.routers.site import site_state
from packlife.serve.api.schemas import EvseState

router = APIRouter(prefix="/api/v1", tags=["evses"])


@router.get("/evses", response_model=list[EvseState])
def list_evses(request: Request, _user: Viewer) -> list[EvseState]:
    """Every EVSE in the newest cycle (``session_id`` null: no vehicle)."""
    return site_state(request).evses


@router.get("/sessions", response_model=list[EvseState])
def list_sessions(request: Request, _user: Viewer) -> list[EvseState]:
    """The EVSEs with a vehicle charging or waiting."""
    return [e for e in site_state(request).evses if e.session_id is not None]
