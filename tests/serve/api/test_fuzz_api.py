"""Schemathesis over the API's own OpenAPI schema, against a real uvicorn server on loopback:
no 500 for any generated request, 2xx bodies match the schema, and no write succeeds without the
operator or admin role (no key → 401, viewer → 403; the audit log holds no viewer write)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from packlife.serve.api.app import ApiSettings, create_app

from .conftest import Keys

WRITES = {"POST", "PUT", "DELETE", "PATCH"}
OPEN = {("GET", "/health"), ("DELETE", "/api/v1/session")}
#: Writes of the caller's own browser session, not of the site: any role.
OWN = {("POST", "/api/v1/session")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(store_url: str, keys: Keys) -> Iterator[tuple[str, Any]]:
    import uvicorn

    app = create_app(ApiSettings(store_url=store_url, poll_interval_s=0.05))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    while time.monotonic() - t0 < 20:
        try:
            if httpx.get(base + "/health").json()["run_id"] == "r1":
                break
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    yield base, app
    srv.should_exit = True
    thread.join(10)


def _check_case(case: Any, base: str, keys: Keys) -> None:
    method, path = case.method.upper(), case.operation.path
    anonymous = case.call(base_url=base)
    if (method, path) not in OPEN:
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
    viewer = case.call(base_url=base, headers=keys.header("viewer"))
    if method in WRITES and (method, path) not in OPEN | OWN:
        assert viewer.status_code == 403, (method, path, viewer.status_code)
    for role in ("operator", "admin"):
        case.call_and_validate(
            base_url=base,
            headers=keys.header(role),
            checks=[not_a_server_error, response_schema_conformance],
        )


def test_no_server_error_and_no_write_without_a_role(
    server: tuple[str, Any], keys: Keys
) -> None:
    """Every operation of the schema, 25 generated requests each, four callers per request.

    (Hypothesis drives schemathesis's strategies directly: its pytest plugin does not load
    under this pytest.)"""
    base, app = server
    loaded = schemathesis.openapi.from_dict(app.openapi())
    operations = [r.ok() for r in loaded.get_all_operations()]
    # the live stream never ends (a request would not return): its auth is in the matrix test
    operations = [op for op in operations if not op.path.endswith("/stream")]
    assert len(operations) >= 20
    for op in operations:

        @given(case=op.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            _check_case(case, base, keys)

        run()


def test_viewers_wrote_nothing(server: tuple[str, Any], keys: Keys) -> None:
    """After fuzzing, every audited write is an operator's or an admin's."""
    base, app = server
    for path in ("/api/v1/packs/0/isolate", "/api/v1/packs/0/rejoin", "/api/v1/alarms/1/ack"):
        assert httpx.post(base + path, json={}, headers=keys.header("viewer")).status_code == 403
    audit = app.state.access.read_audit(10_000)
    assert {row["role"] for row in audit} <= {"operator", "admin"}
