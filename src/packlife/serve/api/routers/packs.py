"""Packs: state, and the operator overrides isolate / rejoin / cap power (audited, expiring)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Path, Request, status

from packlife.serve.access import AccessStore, Override, User
from packlife.serve.api.auth import Operator, Viewer
from packlife.serve.api.routers.site import site_state
from packlife.serve.api.schemas import (
    Cleared,
    IsolateRequest,
    LimitRequest,
    OverrideOut,
    PackState,
)

router = APIRouter(prefix="/api/v1", tags=["packs"])
PackIndex = Path(ge=0, le=1000, description="position of the pack in [bess] (0-based)")


def _pack(request: Request, i: int) -> PackState:
    packs = site_state(request).packs
    if i >= len(packs):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no pack {i} (the site has {len(packs)})")
    return packs[i]


def _access(request: Request) -> AccessStore:
    access: AccessStore = request.app.state.access
    return access


def _out(o: Override) -> OverrideOut:
    return OverrideOut(**o.__dict__)


def _changed(request: Request) -> None:
    request.app.state.live.refresh_overrides()


def _active(request: Request, kind: str, i: int) -> dict[str, object] | None:
    for o in _access(request).active_overrides():
        if o.kind == kind and o.pack_index == i:
            return _out(o).model_dump(mode="json")
    return None


@router.get("/packs", response_model=list[PackState])
def list_packs(request: Request, _user: Viewer) -> list[PackState]:
    """Every pack in the newest cycle."""
    return site_state(request).packs


@router.get("/packs/{i}", response_model=PackState)
def get_pack(request: Request, _user: Viewer, i: int = PackIndex) -> PackState:
    """One pack in the newest cycle."""
    return _pack(request, i)


def _put(
    request: Request, user: User, kind: Literal["isolate", "limit"], i: int, ttl_s: float,
    caps: tuple[float | None, float | None] = (None, None),
) -> OverrideOut:
    """Put an override in force (replacing one of its kind), audited with before and after."""
    _pack(request, i)
    before = _active(request, kind, i)
    after = _out(_access(request).set_override(kind, i, ttl_s, user.name, *caps))
    _changed(request)
    _access(request).record(user, kind, f"pack {i}", before, after.model_dump(mode="json"))
    return after


def _end(request: Request, user: User, kind: str, action: str, i: int) -> Cleared:
    """End an override now, audited."""
    _pack(request, i)
    before = _active(request, kind, i)
    cleared = _access(request).clear_override(kind, i)
    _changed(request)
    _access(request).record(user, action, f"pack {i}", before, None)
    return Cleared(cleared=cleared)


@router.post("/packs/{i}/isolate", response_model=OverrideOut)
def isolate(
    request: Request, body: IsolateRequest, user: Operator, i: int = PackIndex
) -> OverrideOut:
    """Take a pack out of the allocation (0 W, contactor opened) for ``ttl_s``; renew by
    sending it again."""
    return _put(request, user, "isolate", i, body.ttl_s)


@router.post("/packs/{i}/rejoin", response_model=Cleared)
def rejoin(request: Request, user: Operator, i: int = PackIndex) -> Cleared:
    """End an isolation now (the pack rejoins when its data are fresh and without alarm)."""
    return _end(request, user, "isolate", "rejoin", i)


@router.put("/packs/{i}/limit", response_model=OverrideOut)
def set_limit(
    request: Request, body: LimitRequest, user: Operator, i: int = PackIndex
) -> OverrideOut:
    """Cap a pack's discharge and charge power [W] for ``ttl_s``."""
    caps = (body.max_discharge_power_w, body.max_charge_power_w)
    return _put(request, user, "limit", i, body.ttl_s, caps)


@router.delete("/packs/{i}/limit", response_model=Cleared)
def clear_limit(request: Request, user: Operator, i: int = PackIndex) -> Cleared:
    """End a power cap now."""
    return _end(request, user, "limit", "clear limit", i)


@router.get("/overrides", response_model=list[OverrideOut])
def list_overrides(request: Request, _user: Viewer) -> list[OverrideOut]:
    """Overrides in force now (expired ones are gone)."""
    return [_out(o) for o in request.app.state.live.active_overrides()]
