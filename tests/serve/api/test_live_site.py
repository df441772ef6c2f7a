"""The API against a running site: an operator's override reaches the devices through the same
control loop, and the API shows it. Virtual site on loopback, real SQLite store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from packlife.serve.access import AccessStore
from packlife.serve.api.app import ApiSettings, create_app
from packlife.site.scenario import Scenario

from ..conftest import start_site, wait_cycles


def test_operator_override_through_the_api_reaches_the_packs(
    scenario: Scenario, tmp_path: Path
) -> None:
    async def main() -> dict[str, object]:
        site, rt, store = await start_site(scenario, tmp_path)
        key = AccessStore(store).add_user("op", "operator")
        hdr = {"Authorization": f"Bearer {key}"}
        stop = asyncio.Event()
        task = asyncio.create_task(rt.run(stop))
        app = create_app(ApiSettings(store_url=store.url, poll_interval_s=0.02))
        out: dict[str, object] = {}
        try:
            with TestClient(app) as client:
                await wait_cycles(rt, 3)
                before = np.array(rt.previous.pack_power_w)
                victim = int(np.argmax(np.abs(before)))
                out["before"] = before
                cap = {"max_discharge_power_w": 3000.0, "max_charge_power_w": 3000.0, "ttl_s": 60}
                assert client.put(f"/api/v1/packs/{victim}/limit", json=cap, headers=hdr).is_success
                await wait_cycles(rt, 4)
                out["capped"] = np.array(rt.previous.pack_power_w)
                app.state.live.poll_once()
                out["api_capped"] = client.get(f"/api/v1/packs/{victim}", headers=hdr).json()
                url = f"/api/v1/packs/{victim}/isolate"
                assert client.post(url, json={"ttl_s": 60}, headers=hdr).status_code == 200
                await wait_cycles(rt, 4)
                out["during"] = np.array(rt.previous.pack_power_w)
                out["plant"] = site.plant.pack_command_w(victim)
                app.state.live.poll_once()
                out["api_pack"] = client.get(f"/api/v1/packs/{victim}", headers=hdr).json()
                assert client.post(f"/api/v1/packs/{victim}/rejoin", headers=hdr).json()["cleared"]
                assert client.delete(f"/api/v1/packs/{victim}/limit", headers=hdr).json()["cleared"]
                await wait_cycles(rt, 4)
                out["after"] = np.array(rt.previous.pack_power_w)
                out["joined"] = rt._pack_ok[victim] and victim not in rt.isolated_packs()
                out["victim"] = victim
        finally:
            stop.set()
            await task
            await site.stop()
            out["events"] = [(e["kind"], e["message"]) for e in store.read_events("t")]
            store.close()
        return out

    o = asyncio.run(main())
    v = int(o["victim"])  # type: ignore[call-overload]
    before, capped, during, after = o["before"], o["capped"], o["during"], o["after"]
    assert isinstance(before, np.ndarray) and isinstance(during, np.ndarray)
    assert isinstance(after, np.ndarray) and isinstance(capped, np.ndarray)
    assert abs(before[v]) > 500.0
    assert abs(capped[v]) <= 3000.0 + 1e-9  # the operator's cap holds
    assert abs(capped.sum() - before.sum()) < 0.05 * abs(before[v])  # others took the rest
    assert during[v] == 0.0 and o["plant"] == 0.0  # isolated: commanded and applied 0 W
    api_pack = o["api_pack"]
    assert isinstance(api_pack, dict) and api_pack["isolated"] is True
    assert api_pack["setpoint_w"] == 0.0
    assert o["api_capped"]["max_discharge_power_w"] == 3000.0  # type: ignore[index]
    assert o["joined"] is True  # rejoined: back in the allocation
    events = o["events"]
    assert isinstance(events, list)
    assert ("operator", "isolated by an operator (op)") in events
    assert any(k == "rejoin" for k, _ in events)
    assert any(k == "operator" and "power capped by op" in m for k, m in events)
