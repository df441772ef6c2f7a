"""OCPP 2.0.1: CSMS ↔ virtual stations over real websockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

pytest.importorskip("ocpp", reason="needs the 'serve' extra (ocpp)")

from packlife.serve.ocpp_profiles import k01_problems, profile
from packlife.site.scenario import Scenario

from .conftest import PERIOD_S, early_sessions, start_site, wait_cycles

DEFAULT_W = 0.0  # the CSMS default: no power without the EMS


def test_k01_rules() -> None:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    ok = profile(1, "ChargingStationMaxProfile", "Absolute", 3e5, start=now)
    assert k01_problems(0, ok, {}) == []
    assert "Absolute profile needs startSchedule (K01.FR.40)" in k01_problems(
        0, profile(1, "ChargingStationMaxProfile", "Absolute", 3e5), {}
    )
    assert "ChargingStationMaxProfile goes on EVSE 0" in k01_problems(3, ok, {})
    assert "ChargingStationMaxProfile cannot be Relative" in k01_problems(
        0, profile(1, "ChargingStationMaxProfile", "Relative", 3e5), {}
    )
    tx = profile(101, "TxProfile", "Relative", 5e4, duration_s=3, transaction_id="t1")
    assert k01_problems(1, tx, {1: "t1"}) == []
    assert "TxProfile needs EVSE > 0" in k01_problems(0, tx, {1: "t1"})
    assert k01_problems(2, tx, {1: "t1"}) == ["no active transaction t1 on EVSE 2"]
    assert "TxProfile needs a transactionId" in k01_problems(
        1, profile(101, "TxProfile", "Relative", 5e4), {1: "t1"}
    )


def test_ocpp_link_drop_falls_back_to_default_and_reconciles(
    scenario: Scenario, tmp_path: Path
) -> None:
    async def main() -> dict[str, object]:
        site, rt, store = await start_site(scenario, tmp_path, sessions=early_sessions(2))
        st = site.stations[0]
        stop = asyncio.Event()
        task = asyncio.create_task(rt.run(stop))
        out: dict[str, object] = {}
        try:
            async with asyncio.timeout(15):
                while st.limit_w(1)[1] != "TxProfile" or st.limit_w(1)[0] <= DEFAULT_W:
                    await asyncio.sleep(PERIOD_S / 2)
            out["before"] = st.limit_w(1)
            assert rt.csms is not None
            duration = rt.csms.tx_duration_s
            await st.disconnect()
            t_drop = site.plant.now_s()
            async with asyncio.timeout(15):
                while st.limit_w(1)[1] != "TxDefaultProfile":
                    await asyncio.sleep(PERIOD_S / 10)
            out["fallback_after_s"] = site.plant.now_s() - t_drop
            out["duration_s"] = duration
            out["fallback"] = st.limit_w(1)
            await wait_cycles(rt, 3)
            out["runtime_w"] = float(rt.previous.output_power_w[0])
            await st.connect(f"ws://127.0.0.1:{rt.csms.port}")
            async with asyncio.timeout(15):  # re-learned, then a fresh allocation above default
                while st.limit_w(1)[1] != "TxProfile" or st.limit_w(1)[0] <= DEFAULT_W:
                    await asyncio.sleep(PERIOD_S / 2)
            out["after"] = st.limit_w(1)
            out["relearned"] = rt.csms.links[st.station_id].evses[1].transaction_id
            out["rejected"] = list(st.rejected)
        finally:
            stop.set()
            await task
            await site.stop()
            store.close()
        return out

    r = asyncio.run(main())
    assert r["before"][0] > DEFAULT_W  # type: ignore[index]
    assert r["fallback"] == (DEFAULT_W, "TxDefaultProfile")
    # within the TxProfile duration (+ one station tick of the time-scaled clock)
    assert r["fallback_after_s"] <= r["duration_s"] + PERIOD_S * 1200  # type: ignore[operator]
    assert r["runtime_w"] == 0.0  # the runtime gives a stale station nothing
    assert r["after"][0] > DEFAULT_W  # type: ignore[index]
    assert r["relearned"] == "VDC1-s0"
    assert all("no active transaction" in p for p in r["rejected"])  # type: ignore[attr-defined]


def test_vehicles_are_charged_through_the_profiles(scenario: Scenario, tmp_path: Path) -> None:
    async def main() -> tuple[float, float]:
        site, rt, store = await start_site(scenario, tmp_path, sessions=early_sessions(3))
        try:
            await rt.run(asyncio.Event(), max_cycles=20)
        finally:
            await site.stop()
            store.close()
        return site.queue.energy_wh, site.plant.delivered_wh

    vehicles_wh, bess_wh = asyncio.run(main())
    assert vehicles_wh > 20_000.0  # three vehicles at up to 50 kW for ~20 min simulated
    assert bess_wh > 0.5 * vehicles_wh  # most of it came out of the packs, not the 22 kW supply


def test_invalid_ocpp_frames_are_rejected_and_the_loop_keeps_running(
    scenario: Scenario, tmp_path: Path
) -> None:
    async def main() -> tuple[list[object], int]:
        import websockets

        site, rt, store = await start_site(scenario, tmp_path, sessions=early_sessions(1))
        stop = asyncio.Event()
        task = asyncio.create_task(rt.run(stop))
        answers: list[object] = []
        try:
            await wait_cycles(rt, 2)
            await site.stations[0].disconnect()
            assert rt.csms is not None
            url = f"ws://127.0.0.1:{rt.csms.port}/VDC1"
            async with websockets.connect(url, subprotocols=["ocpp2.0.1"]) as ws:  # type: ignore[list-item]
                await ws.send("this is not json {")
                await ws.send(json.dumps([2, "m1", "BootNotification", {"reason": 42}]))
                await ws.send(json.dumps([2, "m2", "NoSuchAction", {}]))
                async with asyncio.timeout(5):
                    while len(answers) < 2:
                        msg = json.loads(await ws.recv())
                        if msg[0] != 2:  # not one of the CSMS's own calls
                            answers.append(msg)
            cycles = rt.stats.cycles
            await wait_cycles(rt, 3)
        finally:
            stop.set()
            await task
            await site.stop()
            store.close()
        return answers, rt.stats.cycles - cycles

    answers, more = asyncio.run(main())
    assert [a[0] for a in answers] == [4, 4]  # CallError for both bad calls
    assert {a[1] for a in answers} == {"m1", "m2"}
    assert more >= 3
