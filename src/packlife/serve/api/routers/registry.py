"""Registry look-ups of the site's packs (needs a registry database URL)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Path, Request, status

from packlife.errors import PacklifeError
from packlife.serve.api.auth import Viewer

router = APIRouter(prefix="/api/v1", tags=["registry"])


@router.get("/registry/packs/{serial}")
def registry_pack(
    request: Request, _user: Viewer, serial: str = Path(min_length=1, max_length=128)
) -> dict[str, Any]:
    """A pack's registry record: state, grades, test records, slot history."""
    from packlife.registry.service import show

    url = request.app.state.settings.registry_url
    if url is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no registry configured (--registry-db)")
    try:
        return show(url, serial)
    except PacklifeError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
