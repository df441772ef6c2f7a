"""The web API over a real store: the authorisation matrix of every route, audited expiring
writes, live stream, history and exports."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pandas as pd
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from .conftest import N_CYCLES, N_PACKS, Keys, fill_store

ROLES = (None, "viewer", "operator", "admin")
RANK = {None: -1, "viewer": 0, "operator": 1, "admin": 2}

#: Every route: method, concrete path, JSON body, least role, status for that role and above.
MATRIX: list[tuple[str, str, dict[str, object] | None, str | None, int]] = [
    ("GET", "/health", None, None, 200),
    ("GET", "/openapi.json", None, "viewer", 200),
    ("GET", "/docs", None, "viewer", 200),
    ("GET", "/api/v1/site", None, "viewer", 200),
    ("GET", "/api/v1/me", None, "viewer", 200),
    ("POST", "/api/v1/session", None, "viewer", 200),
    ("DELETE", "/api/v1/session", None, None, 204),
    ("GET", "/api/v1/packs", None, "viewer", 200),
    ("GET", "/api/v1/packs/1", None, "viewer", 200),
    ("POST", "/api/v1/packs/1/isolate", {"ttl_s": 60}, "operator", 200),
    ("POST", "/api/v1/packs/1/rejoin", None, "operator", 200),
    ("PUT", "/api/v1/packs/1/limit",
     {"max_discharge_power_w": 5e3, "max_charge_power_w": 2e3, "ttl_s": 60}, "operator", 200),
    ("DELETE", "/api/v1/packs/1/limit", None, "operator", 200),
    ("GET", "/api/v1/overrides", None, "viewer", 200),
    ("GET", "/api/v1/evses", None, "viewer", 200),
    ("GET", "/api/v1/sessions", None, "viewer", 200),
    ("GET", "/api/v1/events", None, "viewer", 200),
    ("GET", "/api/v1/alarms", None, "viewer", 200),
    ("POST", "/api/v1/alarms/1/ack", None, "operator", 200),
    ("GET", "/api/v1/telemetry/history?hours=1", None, "viewer", 200),
    ("GET", "/api/v1/telemetry/export/packs?format=csv", None, "viewer", 200),
    ("GET", "/api/v1/registry/packs/P0", None, "viewer", 404),  # no registry configured
    ("GET", "/api/v1/users", None, "admin", 200),
    ("POST", "/api/v1/users", {"name": "new", "role": "viewer"}, "admin", 201),
    ("DELETE", "/api/v1/users/new", None, "admin", 204),
    ("GET", "/api/v1/audit", None, "admin", 200),
]
TEMPLATES = {
    "/api/v1/packs/1": "/api/v1/packs/{i}",
    "/api/v1/alarms/1": "/api/v1/alarms/{event_id}",
    "/api/v1/registry/packs/P0": "/api/v1/registry/packs/{serial}",
    "/api/v1/users/new": "/api/v1/users/{name}",
    "/api/v1/telemetry/export/packs": "/api/v1/telemetry/export/{table}",
}


def _template(path: str) -> str:
    path = path.split("?")[0]
    for concrete, template in TEMPLATES.items():
        if path.startswith(concrete):
            return template + path[len(concrete):]
    return path


def test_the_matrix_covers_every_route(client: TestClient) -> None:
    app = client.app
    paths = app.openapi()["paths"]  # type: ignore[attr-defined]
    routes = {(m.upper(), path) for path, ops in paths.items() for m in ops}
    routes |= {  # outside the schema
        (m, r.path) for r in app.routes if isinstance(r, APIRoute)  # type: ignore[attr-defined]
        for m in r.methods if r.path != "/"
    }
    covered = {(m, _template(p)) for m, p, *_ in MATRIX} | {("GET", "/api/v1/telemetry/stream")}
    assert routes == covered


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "least", "ok"), MATRIX,
                         ids=[f"{m} {p}" for m, p, *_ in MATRIX])
def test_authorisation_matrix(client: TestClient, keys: Keys, role: str | None, method: str,
                              path: str, body: dict[str, object] | None, least: str | None,
                              ok: int) -> None:
    if path == "/api/v1/users/new" and role is not None and RANK[role] >= RANK["admin"]:
        client.post("/api/v1/users", json={"name": "new", "role": "viewer"},
                    headers=keys.header("admin"))
    client.cookies.clear()
    res = client.request(method, path, json=body, headers=keys.header(role))
    if RANK[role] >= RANK[least]:
        assert res.status_code == ok, res.text
    elif role is None:
        assert res.status_code == 401 and res.headers["www-authenticate"] == "Bearer"
    else:
        assert res.status_code == 403 and f"needs the {least} role" in res.json()["detail"]


def test_unknown_key_is_401_and_removed_user_locked_out(client: TestClient, keys: Keys) -> None:
    nope = {"Authorization": "Bearer pl_nope"}
    assert client.get("/api/v1/site", headers=nope).status_code == 401
    new = client.post("/api/v1/users", json={"name": "tmp", "role": "viewer"},
                      headers=keys.header("admin")).json()["api_key"]
    hdr = {"Authorization": f"Bearer {new}"}
    assert client.get("/api/v1/me", headers=hdr).json() == {"name": "tmp", "role": "viewer"}
    assert client.delete("/api/v1/users/tmp", headers=keys.header("admin")).status_code == 204
    assert client.get("/api/v1/me", headers=hdr).status_code == 401


def test_site_state_is_the_newest_cycle(client: TestClient, keys: Keys) -> None:
    s = client.get("/api/v1/site", headers=keys.header("viewer")).json()
    assert s["cycle"] == N_CYCLES - 1 and s["site_name"] == "test-site"
    assert s["time_zone"] == "Europe/London" and s["stale"] is False
    assert [p["power_w"] for p in s["packs"]] == [1000.0 * (i + 1) for i in range(N_PACKS)]
    assert s["packs"][0]["soc"] == pytest.approx(0.5 - 0.01 * (N_CYCLES - 1), abs=1e-12)
    assert s["evses"][0]["session_id"] == "s1" and s["evses"][1]["session_id"] is None
    assert s["active_alarms"] == 1
    sessions = client.get("/api/v1/sessions", headers=keys.header("viewer")).json()
    assert [e["evse_index"] for e in sessions] == [0]


def test_writes_are_audited_with_before_and_after(client: TestClient, keys: Keys) -> None:
    op = keys.header("operator")
    body = {"max_discharge_power_w": 5000.0, "max_charge_power_w": 2000.0, "ttl_s": 60}
    assert client.put("/api/v1/packs/2/limit", json=body, headers=op).status_code == 200
    body["max_discharge_power_w"] = 4000.0
    assert client.put("/api/v1/packs/2/limit", json=body, headers=op).status_code == 200
    assert client.post("/api/v1/packs/0/isolate", json={"ttl_s": 30}, headers=op).status_code == 200
    audit = client.get("/api/v1/audit", headers=keys.header("admin")).json()
    assert [(a["actor"], a["action"], a["target"]) for a in audit] == [
        ("operator", "isolate", "pack 0"), ("operator", "limit", "pack 2"),
        ("operator", "limit", "pack 2")]
    renewal = audit[1]
    assert renewal["before"]["max_discharge_power_w"] == 5000.0
    assert renewal["after"]["max_discharge_power_w"] == 4000.0
    client.app.state.live.poll_once()  # type: ignore[attr-defined]
    packs = client.get("/api/v1/packs", headers=op).json()
    assert packs[0]["isolated"] is True and packs[2]["max_discharge_power_w"] == 4000.0


def test_overrides_expire_unless_renewed(client: TestClient, keys: Keys) -> None:
    op = keys.header("operator")
    client.post("/api/v1/packs/1/isolate", json={"ttl_s": 0.4}, headers=op)
    assert [o["pack_index"] for o in client.get("/api/v1/overrides", headers=op).json()] == [1]
    time.sleep(0.45)
    assert client.get("/api/v1/overrides", headers=op).json() == []


@pytest.mark.parametrize("body", [{"ttl_s": 0}, {"ttl_s": 1e9}, {"ttl_s": "x"}, {"bogus": 1}])
def test_bad_write_bodies_are_422(client: TestClient, keys: Keys, body: dict[str, object]) -> None:
    res = client.post("/api/v1/packs/1/isolate", json=body, headers=keys.header("operator"))
    assert res.status_code == 422
    assert client.get("/api/v1/overrides", headers=keys.header("operator")).json() == []


def test_unknown_pack_and_alarm_are_404(client: TestClient, keys: Keys) -> None:
    op = keys.header("operator")
    assert client.post("/api/v1/packs/3/isolate", json={}, headers=op).status_code == 404
    assert client.post("/api/v1/alarms/999/ack", headers=op).status_code == 404


def test_alarm_acknowledgement(client: TestClient, keys: Keys) -> None:
    op = keys.header("operator")
    assert client.post("/api/v1/alarms/1/ack", headers=op).json()["acknowledged"] is True
    assert client.post("/api/v1/alarms/1/ack", headers=op).json()["acknowledged"] is False
    alarms = client.get("/api/v1/alarms", headers=op).json()
    assert alarms[0]["acknowledged_by"] == "operator"
    client.app.state.live.poll_once()  # type: ignore[attr-defined]
    assert client.get("/api/v1/site", headers=op).json()["active_alarms"] == 0


def test_cookie_session_for_the_browser(client: TestClient, keys: Keys) -> None:
    res = client.post("/api/v1/session", headers=keys.header("viewer"))
    cookie = res.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/api/v1/me").json()["role"] == "viewer"  # the cookie alone
    client.delete("/api/v1/session")
    client.cookies.clear()
    assert client.get("/api/v1/me").status_code == 401


def test_stream_sends_the_state(client: TestClient, keys: Keys) -> None:
    with client.stream("GET", "/api/v1/telemetry/stream", headers=keys.header("viewer")) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = []
        for line in r.iter_lines():
            lines.append(line)
            if line.startswith("data:"):
                break
    assert "event: state" in lines
    state = json.loads(lines[-1][5:])
    assert state["cycle"] == N_CYCLES - 1 and len(state["packs"]) == N_PACKS


def test_history_and_exports(client: TestClient, keys: Keys) -> None:
    v = keys.header("viewer")
    h = client.get("/api/v1/telemetry/history?hours=1", headers=v).json()
    assert len(h["measured_at"]) == N_CYCLES and h["bess_power_w"][0] == 6000.0
    assert len(h["pack_soc"]) == N_PACKS and h["pack_soc"][0][-1] == pytest.approx(0.31)
    csv = client.get("/api/v1/telemetry/export/packs?format=csv", headers=v)
    frame = pd.read_csv(io.StringIO(csv.text))
    assert len(frame) == N_CYCLES * N_PACKS and "power_w" in frame.columns
    pq = client.get("/api/v1/telemetry/export/cycles?format=parquet", headers=v)
    assert pq.headers["content-type"] == "application/vnd.apache.parquet"
    cycles = pd.read_parquet(io.BytesIO(pq.content))
    assert len(cycles) == N_CYCLES and str(cycles["measured_at"].dt.tz) == "UTC"
    naive = client.get("/api/v1/telemetry/export/cycles?start=2026-01-01T00:00:00", headers=v)
    assert naive.status_code == 422 and "UTC offset" in naive.text


def test_health_reports_a_stopped_loop_as_stale(tmp_path: object) -> None:


    from packlife.serve.api.app import ApiSettings, create_app

    url = f"sqlite:///{tmp_path}/old.db"
    fill_store(url, fresh=False).close()
    with TestClient(create_app(ApiSettings(store_url=url))) as c:
        c.app.state.live.poll_once()  # type: ignore[attr-defined]
        h = c.get("/health").json()
    assert h["stale"] is True and h["last_cycle_age_s"] > 3500
    assert set(h) == {"status", "run_id", "last_cycle_age_s", "stale"}


def test_registry_look_up_of_a_site_pack(store_url: str, keys: Keys, tmp_path: Path) -> None:
    from packlife.registry.db import init_db
    from packlife.registry.service import register_battery
    from packlife.serve.api.app import ApiSettings, create_app

    registry = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    init_db(registry)
    register_battery(registry, "P0", "range_rover_phev_p440e", actor="test")
    app = create_app(ApiSettings(store_url=store_url, registry_url=registry))
    with TestClient(app) as c:
        got = c.get("/api/v1/registry/packs/P0", headers=keys.header("viewer"))
        missing = c.get("/api/v1/registry/packs/P9", headers=keys.header("viewer"))
    assert got.status_code == 200 and got.json()["serial"] == "P0"
    assert missing.status_code == 404 and "unknown battery serial" in missing.json()["detail"]
