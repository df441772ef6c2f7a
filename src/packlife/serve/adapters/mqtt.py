"""MQTT telemetry and operator commands (aiomqtt), JSON in SI units.

Topics under ``<topic>`` (e.g. ``packlife/site1``):

- ``availability``: ``online`` (retained) while connected, ``offline`` as the last will;
- ``telemetry``: one message per cycle or event, with ``measured_at`` (ISO 8601, UTC) — buffered
  while the broker is unreachable and republished in order with the original timestamps;
- ``pack/<i>/state`` and ``evse/<k>/state``: the latest values, retained;
- ``homeassistant/sensor/<id>/config``: Home Assistant discovery of each pack's power, SoC and
  temperature and each EVSE's power (retained, with the availability topic);
- ``cmd/pack/<i>/isolate`` (subscribed): ``{"isolate": true, "ttl_s": 30}`` isolates a pack until
  the command expires; a command not refreshed within ``ttl_s`` lapses (as EVerest's
  ``communication_check`` and OpenEMS's API timeout do).

aiomqtt leaves reconnection to the application: the publisher retries every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from datetime import datetime
from typing import Any

from packlife.serve.state import now_s

log = logging.getLogger(__name__)

#: Largest number of messages kept while the broker is unreachable (oldest dropped, counted).
BUFFER_MAX = 100_000


class MqttPublisher:
    """Buffering publisher + command listener (see the module docstring)."""

    def __init__(
        self,
        host: str,
        port: int,
        topic: str,
        n_packs: int,
        n_evses: int,
        keepalive_s: int = 10,
        site_name: str = "packlife",
    ) -> None:
        self.host, self.port, self.topic = host, port, topic.rstrip("/")
        self.n_packs, self.n_evses = n_packs, n_evses
        self.keepalive_s = keepalive_s
        self.site_name = site_name
        self.buffer: deque[tuple[str, bytes, bool]] = deque()
        self.dropped = 0
        self.published = 0
        self.connected = False
        self.isolate_until: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    # ------------------------------------------------------------ runtime side
    def publish_cycle(self, at: datetime, payload: dict[str, Any]) -> None:
        """Queue a cycle's (or an event's) telemetry and the retained per-device states."""
        stamp = at.isoformat()
        self._queue(f"{self.topic}/telemetry", {"measured_at": stamp, **payload}, False)
        for row in payload.get("packs", []):
            i = row["pack_index"]
            self._queue(f"{self.topic}/pack/{i}/state", {"measured_at": stamp, **row}, True)
        for k, w in enumerate(payload.get("outputs_power_w", [])):
            self._queue(f"{self.topic}/evse/{k}/state", {"measured_at": stamp, "power_w": w}, True)
        self._wake.set()

    def isolated_packs(self) -> set[int]:
        """Packs an unexpired operator command isolates."""
        t = now_s()
        return {i for i, until in self.isolate_until.items() if until > t}

    def _queue(self, topic: str, obj: dict[str, Any], retain: bool) -> None:
        if len(self.buffer) >= BUFFER_MAX:
            self.buffer.popleft()
            self.dropped += 1
        self.buffer.append((topic, json.dumps(_clean(obj), default=str).encode(), retain))

    # ------------------------------------------------------------ broker side
    def start(self) -> None:
        """Start the connect / publish / listen task."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Flush what can be flushed within a second, publish ``offline`` and disconnect."""
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    while self.buffer and self.connected:
                        await asyncio.sleep(0.01)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        import aiomqtt

        will = aiomqtt.Will(f"{self.topic}/availability", b"offline", qos=1, retain=True)
        while True:
            try:
                async with aiomqtt.Client(
                    self.host, self.port, will=will, keepalive=self.keepalive_s, timeout=2.0
                ) as client:
                    self.connected = True
                    await client.publish(f"{self.topic}/availability", b"online", 1, True)
                    await self._discovery(client)
                    await client.subscribe(f"{self.topic}/cmd/#", qos=1)
                    listener = asyncio.create_task(self._listen(client))
                    try:
                        await self._drain(client)
                    finally:
                        listener.cancel()
                        with contextlib.suppress(Exception):
                            await client.publish(
                                f"{self.topic}/availability", b"offline", 1, True, timeout=0.5
                            )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker down: keep buffering, retry
                if self.connected:
                    log.warning("MQTT %s:%d lost: %s", self.host, self.port, exc)
                self.connected = False
                await asyncio.sleep(1.0)

    async def _drain(self, client: Any) -> None:
        while True:
            while self.buffer:
                topic, body, retain = self.buffer[0]
                await client.publish(topic, body, qos=1, retain=retain, timeout=2.0)
                self.buffer.popleft()  # only once the broker has it
                self.published += 1
            self._wake.clear()
            await self._wake.wait()

    async def _listen(self, client: Any) -> None:
        async for msg in client.messages:
            self.on_command(str(msg.topic), bytes(msg.payload))

    def on_command(self, topic: str, payload: bytes) -> None:
        """Apply an operator command; malformed ones are logged and ignored."""
        parts = topic[len(self.topic) + 1 :].split("/")
        try:
            body = json.loads(payload)
            if parts[:2] != ["cmd", "pack"] or parts[3:] != ["isolate"]:
                raise ValueError(f"unknown command topic {topic}")
            i = int(parts[2])
            ttl = float(body.get("ttl_s", 30.0))
            if not 0 <= i < self.n_packs or not 0 < ttl <= 3600:
                raise ValueError("pack index or ttl_s out of range")
            if body.get("isolate") is True:
                self.isolate_until[i] = now_s() + ttl
            else:
                self.isolate_until.pop(i, None)
        except (ValueError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            log.warning("MQTT command %s rejected: %s", topic, exc)

    async def _discovery(self, client: Any) -> None:
        dev = {"identifiers": [self.topic.replace("/", "_")], "name": self.site_name}
        avail = f"{self.topic}/availability"
        sensors = []
        for i in range(self.n_packs):
            base = f"{self.topic}/pack/{i}/state"
            sensors += [
                (f"pack{i}_power", f"pack {i} power", base, "power_w", "W", "power"),
                (f"pack{i}_soc", f"pack {i} SoC", base, "soc", None, None),
                (
                    f"pack{i}_temp",
                    f"pack {i} temperature",
                    base,
                    "temperature_c",
                    "°C",
                    "temperature",
                ),
            ]
        for k in range(self.n_evses):
            base = f"{self.topic}/evse/{k}/state"
            sensors.append((f"evse{k}_power", f"EVSE {k} power", base, "power_w", "W", "power"))
        for oid, name, state, key, unit, cls in sensors:
            uid = f"{dev['identifiers'][0]}_{oid}"
            cfg: dict[str, Any] = {
                "name": name,
                "unique_id": uid,
                "state_topic": state,
                "value_template": "{{ value_json." + key + " }}",
                "availability_topic": avail,
                "device": dev,
            }
            if unit:
                cfg["unit_of_measurement"] = unit
            if cls:
                cfg["device_class"] = cls
            await client.publish(
                f"homeassistant/sensor/{uid}/config", json.dumps(cfg), qos=1, retain=True
            )


def _clean(x: Any) -> Any:
    """JSON-safe copy: NaN/inf → null."""
    if isinstance(x, float):
        return x if x == x and abs(x) != float("inf") else None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x
