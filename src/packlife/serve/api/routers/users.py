"""Users and the audit log (admin only)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Path, Query, Request, status

from packlife.errors import PacklifeError
from packlife.serve.access import AccessStore
from packlife.serve.api.auth import Admin
from packlife.serve.api.schemas import AuditRow, NewUser, UserIn, UserOut

router = APIRouter(prefix="/api/v1", tags=["users"])


def _access(request: Request) -> AccessStore:
    access: AccessStore = request.app.state.access
    return access


@router.get("/users", response_model=list[UserOut])
def list_users(request: Request, _user: Admin) -> list[UserOut]:
    """Every user and role (never a key)."""
    return [UserOut(**u.__dict__) for u in _access(request).list_users()]


@router.post("/users", response_model=NewUser, status_code=status.HTTP_201_CREATED)
def add_user(request: Request, body: UserIn, user: Admin) -> NewUser:
    """Add a user; the response holds its API key, shown only this once."""
    access = _access(request)
    try:
        key = access.add_user(body.name, body.role)
    except PacklifeError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    request.app.state.keys.invalidate()
    new = access.user(body.name)
    assert new is not None
    access.record(user, "add user", body.name, None, {"role": body.role})
    return NewUser(name=new.name, role=new.role, created_at=new.created_at, api_key=key)


@router.delete("/users/{name}", status_code=status.HTTP_204_NO_CONTENT)
def remove_user(
    request: Request, user: Admin, name: str = Path(max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
) -> None:
    """Remove a user; its key stops working at once here, within a second in other API
    processes."""
    access = _access(request)
    old = access.user(name)
    if old is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {name!r}")
    access.remove_user(name)
    request.app.state.keys.invalidate()
    access.record(user, "remove user", name, {"role": old.role}, None)


@router.get("/audit", response_model=list[AuditRow])
def audit(request: Request, _user: Admin, limit: int = Query(200, ge=1, le=5000)) -> list[AuditRow]:
    """Audited writes, newest first."""
    return [AuditRow(**r) for r in _access(request).read_audit(limit)]
