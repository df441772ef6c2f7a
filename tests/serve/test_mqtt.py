"""MQTT through a real mosquitto: a private broker per test (so it can be stopped), plus the
shared one on 127.0.0.1:1883 for discovery; skipped when mosquitto is not installed."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("aiomqtt", reason="needs the 'serve' extra (aiomqtt)")

from packlife.serve.adapters.mqtt import MqttPublisher
from packlife.serve.virtual.devices import _free_port
from packlife.site.scenario import Scenario

from .conftest import start_site, wait_cycles

MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
)
pytestmark = pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto is not installed")


class Broker:
    """A private mosquitto on a free loopback port that a test can stop and restart."""

    def __init__(self, tmp: Path):
        self.port = _free_port()
        self.conf = tmp / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert MOSQUITTO is not None
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        import socket

        t0 = time.monotonic()
        while time.monotonic() - t0 < 5:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(tmp_path)
    b.start()
    yield b
    b.stop()


async def _collect(port: int, topic: str, into: list[tuple[str, dict | str, bool]]) -> None:
    import aiomqtt

    while True:
        try:
            async with aiomqtt.Client("127.0.0.1", port) as c:
                await c.subscribe(f"{topic}/#", qos=1)
                await c.subscribe("homeassistant/sensor/#", qos=1)
                async for m in c.messages:
                    raw = bytes(m.payload).decode()
                    try:
                        body: dict | str = json.loads(raw)
                    except json.JSONDecodeError:
                        body = raw
                    into.append((str(m.topic), body, m.retain))
        except aiomqtt.MqttError:
            await asyncio.sleep(0.2)


def test_broker_down_control_continues_and_telemetry_is_republished(
    scenario: Scenario, tmp_path: Path, broker: Broker
) -> None:
    topic = f"packlife-test/{uuid.uuid4().hex[:8]}"

    async def main() -> tuple[list, int, int, int, int]:
        site, rt, store = await start_site(scenario, tmp_path)
        pub = MqttPublisher("127.0.0.1", broker.port, topic, 7, 9, keepalive_s=2)
        rt.publisher = pub
        got: list[tuple[str, dict | str, bool]] = []
        obs = asyncio.create_task(_collect(broker.port, topic, got))
        stop = asyncio.Event()
        task = asyncio.create_task(rt.run(stop))
        try:
            await wait_cycles(rt, 5)
            async with asyncio.timeout(20):
                while not pub.connected or pub.buffer:
                    await asyncio.sleep(0.05)
            broker.stop()
            c0 = rt.stats.cycles
            await wait_cycles(rt, 10)  # control goes on without the broker
            buffered = len(pub.buffer)
            during = rt.stats.cycles - c0
            broker.start()
            async with asyncio.timeout(20):
                while pub.buffer or not pub.connected:
                    await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
        finally:
            stop.set()
            await task
            obs.cancel()
            await site.stop()
            store.close()
        return got, buffered, during, pub.dropped, rt.stats.cycles

    got, buffered, during, dropped, cycles = asyncio.run(main())
    assert during >= 10 and buffered >= during
    assert dropped == 0
    tele = [
        b for t, b, _ in got if t.endswith("/telemetry") and isinstance(b, dict) and "cycle" in b
    ]
    seen = [b["cycle"] for b in tele]
    # every cycle published once, in order, though the broker was down for ≥ 10 of them
    assert seen == sorted(set(seen))
    assert seen == list(range(cycles))  # none lost, none duplicated
    stamps = [datetime.fromisoformat(b["measured_at"]) for b in tele]
    assert stamps == sorted(stamps)  # original timestamps kept
    retained = [b for t, b, r in got if t == f"{topic}/pack/0/state"]
    assert retained and retained[-1]["serial"] == "RR-PHEV-0001"
    assert "soc" in retained[-1] and "power_w" in retained[-1]
    assert any(t.startswith("homeassistant/sensor/") for t, _, _ in got)
    assert "online" in [b for t, b, _ in got if t == f"{topic}/availability"]


def test_operator_isolation_expires_unless_refreshed(scenario: Scenario, tmp_path: Path) -> None:
    async def main() -> tuple[int, float, float, float, bool, list[str]]:
        site, rt, store = await start_site(scenario, tmp_path)
        pub = MqttPublisher("127.0.0.1", 9, "packlife-test/x", 7, 9)  # never connects
        rt.publisher = pub
        stop = asyncio.Event()
        task = asyncio.create_task(rt.run(stop))
        try:
            await wait_cycles(rt, 3)
            before = np.array(rt.previous.pack_power_w)
            victim = int(np.argmax(np.abs(before)))
            body = b'{"isolate": true, "ttl_s": 1.0}'
            pub.on_command(f"packlife-test/x/cmd/pack/{victim}/isolate", body)
            pub.on_command("packlife-test/x/cmd/pack/99/isolate", b'{"isolate": true}')
            pub.on_command("packlife-test/x/cmd/pack/1/isolate", b"not json")
            await wait_cycles(rt, 2)
            during = np.array(rt.previous.pack_power_w)
            await asyncio.sleep(1.1)
            await wait_cycles(rt, 3)
            back = bool(rt._pack_ok[victim])
            kinds = [e["kind"] for e in store.read_events("t")]
        finally:
            stop.set()
            await task
            await site.stop()
            store.close()
        return (
            victim,
            float(before[victim]),
            float(during[victim]),
            float(during.sum() - before.sum()),
            back,
            kinds,
        )

    _victim, before, during, total_change, back, kinds = asyncio.run(main())
    assert abs(before) > 500.0
    assert during == 0.0
    assert abs(total_change) < 0.05 * abs(before)  # the others took its power
    assert back  # the command lapsed: the pack is back in the allocation
    assert "operator" in kinds and "rejoin" in kinds
