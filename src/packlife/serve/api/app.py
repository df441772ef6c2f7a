"""``create_app(settings)``: the web API and dashboard over a live site's store.

Routers (one per resource): site, packs (with overrides), EVSEs and sessions, events and alarms,
telemetry (live stream, history, exports), registry look-ups, users and audit. OpenAPI docs at
``/docs`` and the schema at ``/openapi.json`` (both need a key); the dashboard at ``/``: a page
and its scripts without site data, which asks for a key. Without a key only ``/health`` answers
with data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from packlife import __version__
from packlife.serve.access import AccessStore
from packlife.serve.api.auth import KeyCache, Viewer
from packlife.serve.api.live import LiveView
from packlife.serve.api.routers import events, evses, packs, registry, site, telemetry, users
from packlife.serve.store import TelemetryStore

log = logging.getLogger(__name__)
STATIC = files("packlife.serve.api") / "static"


class ApiSettings(BaseModel):
    """Where the API reads and what it serves."""

    model_config = ConfigDict(extra="forbid")

    store_url: str = Field(description="the telemetry store of `packlife serve` (SQLAlchemy URL)")
    registry_url: str | None = Field(None, description="registry database for pack look-ups")
    poll_interval_s: float | None = Field(
        None, gt=0.0, le=10.0, description="store poll interval (default: half the period)"
    )
    parent_pid: int | None = Field(None, description="exit when this process is gone")


def create_app(settings: ApiSettings) -> FastAPI:
    """The FastAPI application (see the module docstring)."""
    store = TelemetryStore(settings.store_url)
    access = AccessStore(store)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(app.state.live.run_forever(settings.poll_interval_s))]
        if settings.parent_pid is not None:
            tasks.append(asyncio.create_task(_exit_with_parent(settings.parent_pid)))
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            store.close()

    app = FastAPI(
        title="packlife serve",
        version=__version__,
        summary="Live second-life BESS: packs, EVSEs, alarms, overrides, telemetry (SI units).",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.access = access
    app.state.keys = KeyCache(access)
    app.state.live = LiveView(store, access)
    for module in (site, packs, evses, events, telemetry, registry, users):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard() -> HTMLResponse:
        """The dashboard shell (no site data: it asks for a key, then reads the API)."""
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(_user: Viewer) -> dict[str, Any]:
        """The OpenAPI schema (behind a key, like everything but /health)."""
        return app.openapi()

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs(_user: Viewer) -> HTMLResponse:
        """Swagger UI over /openapi.json (its scripts come from a CDN)."""
        return get_swagger_ui_html(openapi_url="/openapi.json", title="packlife serve API")

    return app


async def _exit_with_parent(pid: int) -> None:
    """Stop the server when ``packlife serve`` (its parent) is gone, even after a SIGKILL."""
    while True:
        await asyncio.sleep(1.0)
        if os.getppid() != pid:
            log.warning("packlife serve (pid %d) is gone: stopping the API", pid)
            os._exit(0)


def run_server(settings: ApiSettings, host: str, port: int, **uvicorn_kw: Any) -> None:
    """Serve ``create_app(settings)`` with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(
        create_app(settings), host=host, port=port, log_level="warning", **uvicorn_kw
    )
