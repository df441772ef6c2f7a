"""The site: health (no key), the newest state, the caller, and the browser's key cookie."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, Response, status

from packlife.serve.api.auth import COOKIE, Viewer
from packlife.serve.api.live import STALE_PERIODS, LiveView
from packlife.serve.api.schemas import Health, Me, SiteState

router = APIRouter(tags=["site"])


def live(request: Request) -> LiveView:
    """The app's live view."""
    view: LiveView = request.app.state.live
    return view


def site_state(request: Request) -> SiteState:
    """The newest state, or 503 while no run is in the store."""
    state = live(request).current()
    if state is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no run in the store yet")
    return state


@router.get("/health", response_model=Health)
def health(request: Request) -> Health:
    """Liveness; answers without a key and tells nothing but the newest cycle's age."""
    state = live(request).state
    if state is None or state.measured_at is None:
        return Health(run_id=state.run_id if state else None, last_cycle_age_s=None, stale=True)
    age = (datetime.now(UTC) - state.measured_at).total_seconds()
    return Health(
        run_id=state.run_id, last_cycle_age_s=age, stale=age > STALE_PERIODS * state.period_s
    )


@router.get("/api/v1/site", response_model=SiteState)
def get_site(request: Request, _user: Viewer) -> SiteState:
    """Power flows, packs, EVSEs and open alarms of the newest control cycle."""
    return site_state(request)


@router.get("/api/v1/me", response_model=Me)
def me(user: Viewer) -> Me:
    """Who the key belongs to and its role."""
    return Me(name=user.name, role=user.role)


@router.post("/api/v1/session", response_model=Me)
def open_session(request: Request, response: Response, user: Viewer) -> Me:
    """Put the presented key in an HttpOnly, SameSite=Strict cookie (for the dashboard)."""
    auth = request.headers.get("authorization", "")
    key = auth.split(" ", 1)[1] if " " in auth else request.cookies.get(COOKIE, "")
    response.set_cookie(
        COOKIE, key, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return Me(name=user.name, role=user.role)


@router.delete("/api/v1/session", status_code=status.HTTP_204_NO_CONTENT)
def close_session(response: Response) -> None:
    """Forget the key cookie (no key needed)."""
    response.delete_cookie(COOKIE)
