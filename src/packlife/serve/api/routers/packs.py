"""Packs: state, and the operator overrides isolate / rejoin / cap power (audited, expiring)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Path, Request, status

from packlife.serve.access import AccessStore, Override
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


@router.post("/packs/{i}/isolate", response_model=OverrideOut)
def isolate(
    request: Request, body: IsolateRequest, user: Operator, i: int = PackIndex
) -> OverrideOut:
    """Take a pack out of the allocation (0 W, contactor opened) for ``ttl_s``; renew by
    sending it again."""
    _pack(request, i)
    before = _active(request, "isolate", i)
    o = _access(request).set_override("isolate", i, body.ttl_s, user.name)
    _changed(request)
    after = _out(o)
    _access(request).record(user, "isolate", f"pack {i}", before, after.model_dump(mode="json"))
    return after


@router.post("/packs/{i}/rejoin", response_model=Cleared)
def rejoin(request: Request, user: Operator, i: int = PackIndex) -> Cleared:
    """End an isolation now (the pack rejoins when its data are fresh and without alarm)."""
    _pack(request, i)
    before = _active(request, "isolate", i)
    cleared = _access(request).clear_override("isolate", i)
    _changed(request)
    _access(request).record(user, "rejoin", f"pack {i}", before, None)
    return Cleared(cleared=cleared)


@router.put("/packs/{i}/limit", response_model=OverrideOut)
def set_limit(
    request: Request, body: LimitRequest, user: Operator, i: int = PackIndex
) -> OverrideOut:
    """Cap a pack's discharge and charge power [W] for ``ttl_s``."""
    _pack(request, i)
    before = _active(request, "limit", i)
    o = _access(request).set_override(
        "limit", i, body.ttl_s, user.name, body.max_discharge_power_w, body.max_charge_power_w
    )
    _changed(request)
    after = _out(o)
    _access(request).record(user, "limit", f"pack {i}", before, after.model_dump(mode="json"))
    return after


@router.delete("/packs/{i}/limit", response_model=Cleared)
def clear_limit(request: Request, user: Operator, i: int = PackIndex) -> Cleared:
    """End a power cap now."""
    _pack(request, i)
    before = _active(request, "limit", i)
    cleared = _access(request).clear_override("limit", i)
    _changed(request)
    _access(request).record(user, "clear limit", f"pack {i}", before, None)
    return Cleared(cleared=cleared)


@router.get("/overrides", response_model=list[OverrideOut])
def list_overrides(request: Request, _user: Viewer) -> list[OverrideOut]:
    """Overrides in force now (expired ones are gone)."""
    return [_out(o) for o in request.app.state.live.active_overrides()]
