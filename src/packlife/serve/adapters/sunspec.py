"""SunSpec Modbus/TCP adapters (pymodbus 3.x): one per pack string, one per input's PCS.

Pack string device (:data:`~packlife.serve.sunspec_map.PACK_MODELS`): read 713 (``WHAvail``), 802
(SoC, SoH, power limits ``WDisChaRteMax``/``WChaRteMax``, ``Evt1`` alarms, ``State``) and 803
(module temperature, string contactor); write the string converter's 704 ``WSet`` every cycle
(with ``WSetRvrt`` = 0 W after ``WSetRvrtTms``, set once on connect), the 802 ``CtrlHb`` heartbeat
every cycle, and 803 ``StrSetCon`` to open (isolate) or close (rejoin) the string.

PCS device (:data:`~packlife.serve.sunspec_map.PCS_MODELS`): read 702 ``WChaRteMax`` (what the
input can supply now), write 704 ``WSet`` (SunSpec sign: export positive, so an input supplying
the bus is a negative ``WSet``) with the same reversion.

Usable charge energy is not a SunSpec point: it is ``WHRtg × SoH × (SoCMax − SoC)`` from 713/802.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from packlife.errors import PacklifeError
from packlife.serve import sunspec_map as sm
from packlife.serve.state import DeviceCache, PackReading, SourceReading, now_s

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Endpoint:
    """Where a Modbus device listens."""

    host: str
    port: int
    unit_id: int = 1

    def __str__(self) -> str:
        return f"{self.host}:{self.port}/{self.unit_id}"


def _client(ep: Endpoint, timeout_s: float) -> Any:
    try:
        from pymodbus.client import AsyncModbusTcpClient
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise PacklifeError(
            "packlife serve needs the 'serve' extra: pip install 'packlife[serve]'"
        ) from exc
    return AsyncModbusTcpClient(
        ep.host, port=ep.port, timeout=timeout_s, retries=0, reconnect_delay=0, name=str(ep)
    )


class SunSpecDevice:
    """A SunSpec device over Modbus/TCP: scan on connect, read and write points by name."""

    def __init__(self, ep: Endpoint, models: tuple[tuple[int, int], ...], timeout_s: float):
        self.ep = ep
        self.models = models
        self.timeout_s = timeout_s
        self.client: Any = None
        self.addr: dict[int, int] = {}
        self.lay = {lay.model_id: lay for lay in sm.layouts(models)}
        self.sf: dict[int, dict[str, int | str | None]] = {}

    async def ensure(self) -> None:
        """Connect and scan the model chain if not connected."""
        if self.client is not None and self.client.connected and self.addr:
            return
        if self.client is None:
            self.client = _client(self.ep, self.timeout_s)
        if not self.client.connected and not await self.client.connect():
            raise ConnectionError(f"no answer from {self.ep}")
        await self._scan()

    async def _scan(self) -> None:
        rr = await self._read(sm.BASE_ADDRESS, 2)
        if tuple(rr) != sm.MARKER:
            raise ValueError(f"{self.ep}: no SunSpec marker at {sm.BASE_ADDRESS}")
        addr = sm.BASE_ADDRESS + 2
        found: dict[int, int] = {}
        for _ in range(32):
            mid, length = await self._read(addr, 2)
            if mid == 0xFFFF:
                break
            found[mid] = addr
            if mid in self.lay and self.lay[mid].length != length:
                raise ValueError(
                    f"{self.ep}: model {mid} has L={length}, expected {self.lay[mid].length}"
                )
            addr += length + 2
        missing = sorted(set(self.lay) - set(found))
        if missing:
            raise ValueError(f"{self.ep}: SunSpec models {missing} missing")
        self.addr = found

    async def _read(self, address: int, count: int) -> list[int]:
        rr = await self.client.read_holding_registers(
            address, count=count, device_id=self.ep.unit_id
        )
        if rr.isError() or len(rr.registers) != count:
            raise ValueError(f"{self.ep}: bad answer reading {count} registers at {address}: {rr}")
        return list(rr.registers)

    async def read_model(self, mid: int) -> dict[str, int | str | None]:
        """Raw values of one model (malformed answers raise ``ValueError``)."""
        lay = self.lay[mid]
        return sm.decode(lay, await self._read(self.addr[mid], lay.n_registers))

    async def write_point(self, mid: int, name: str, raw: int) -> None:
        """Write one raw point value."""
        p = self.lay[mid].points[name]
        regs = sm.encode_point(p, raw)
        wr = await self.client.write_registers(
            self.addr[mid] + p.offset, regs, device_id=self.ep.unit_id
        )
        if wr.isError():
            raise ValueError(f"{self.ep}: write of {mid}.{name} refused: {wr}")

    async def write_wset(self, power_w: float) -> None:
        """Write 704 ``WSet`` [W] using the device's ``WSet_SF``."""
        sf = self.sf.get(704, {}).get("WSet_SF")
        await self.write_point(
            704, "WSet", sm.raw_for(power_w, int(sf) if isinstance(sf, int) else 0)
        )

    async def arm_reversion(self, revert_s: int) -> None:
        """Enable 704 ``WSet`` in watts with reversion to 0 W after ``revert_s``."""
        self.sf[704] = await self.read_model(704)
        for name, raw in (
            ("WSetMod", 1),
            ("WSetRvrt", 0),
            ("WSetRvrtTms", revert_s),
            ("WSetEnaRvrt", 1),
            ("WSetEna", 1),
        ):
            await self.write_point(704, name, raw)

    def close(self) -> None:
        """Drop the connection (it is re-opened on the next call)."""
        if self.client is not None:
            self.client.close()
        self.client = None
        self.addr = {}


class PackAdapter:
    """One pack string: keeps ``cache.packs[index]`` fresh and writes its set-point."""

    def __init__(self, index: int, ep: Endpoint, revert_s: int, timeout_s: float):
        self.index = index
        self.name = f"pack[{index}] {ep}"
        self.dev = SunSpecDevice(ep, sm.PACK_MODELS, timeout_s)
        self.revert_s = revert_s
        self.hb = 0
        self.armed = False
        self.string_open: bool | None = None

    async def poll(self, cache: DeviceCache) -> None:
        """Read the pack; on any failure leave the old (ageing) reading and record the error."""
        try:
            await self.dev.ensure()
            if not self.armed:
                await self.dev.arm_reversion(self.revert_s)
                self.armed = True
            cache.packs[self.index] = await self._reading()
            cache.errors.pop(self.name, None)
        except Exception as exc:
            self._fail(cache, exc)

    async def _reading(self) -> PackReading:
        v713 = await self.dev.read_model(713)
        v802 = await self.dev.read_model(802)
        v803 = await self.dev.read_model(803)
        lay713, lay802, lay803 = (self.dev.lay[m] for m in (713, 802, 803))

        def num(values: dict[str, int | str | None], lay: sm.ModelLayout, name: str) -> float:
            x = sm.scaled(values, lay, name)
            if x is None:
                raise ValueError(f"{self.name}: point {lay.model_id}.{name} not implemented")
            return x

        soc = num(v802, lay802, "SoC") / 100.0
        soh = num(v802, lay802, "SoH") / 100.0
        soc_max = num(v802, lay802, "SoCMax") / 100.0
        evt = v802.get("Evt1")
        alarms = int(evt) & sm.ALARM_MASK if isinstance(evt, int) else 0
        return PackReading(
            stamp_s=now_s(),
            soc=soc,
            soh=soh,
            temperature_c=num(v803, lay803, "ModTmpMax"),
            max_discharge_power_w=num(v802, lay802, "WDisChaRteMax"),
            max_charge_power_w=num(v802, lay802, "WChaRteMax"),
            usable_discharge_energy_wh=num(v713, lay713, "WHAvail"),
            usable_charge_energy_wh=max(num(v713, lay713, "WHRtg") * soh * (soc_max - soc), 0.0),
            power_w=num(v802, lay802, "W"),
            alarms=alarms,
            connected=v802.get("State") == 3,
        )

    async def write(self, power_w: float, isolate: bool) -> None:
        """Write ``WSet``, the heartbeat and, when it changes, the string contactor command."""
        if self.dev.client is None or not self.dev.addr:
            return
        self.hb = (self.hb + 1) & 0xFFFF
        await self.dev.write_wset(0.0 if isolate else power_w)
        await self.dev.write_point(802, "CtrlHb", self.hb)
        if self.string_open is not isolate:
            await self.dev.write_point(803, "string.0.StrSetCon", 2 if isolate else 1)
            self.string_open = isolate

    async def safe(self) -> None:
        """Command 0 W (best effort, on shutdown)."""
        try:
            await self.dev.write_wset(0.0)
        except Exception as exc:
            log.warning("%s: could not write 0 W on stop: %s", self.name, exc)

    def _fail(self, cache: DeviceCache, exc: BaseException) -> None:
        msg = str(exc) or type(exc).__name__
        if cache.errors.get(self.name) != msg:
            log.warning("%s: %s", self.name, msg)
        cache.errors[self.name] = msg
        self.dev.close()
        self.armed = False
        self.string_open = None


class PcsAdapter:
    """The PCS of one input: keeps ``cache.sources[name]`` fresh and writes its set-point."""

    def __init__(
        self, source: str, efficiency: float, ep: Endpoint, revert_s: int, timeout_s: float
    ):
        self.source = source
        self.efficiency = efficiency
        self.name = f"pcs {source} {ep}"
        self.dev = SunSpecDevice(ep, sm.PCS_MODELS, timeout_s)
        self.revert_s = revert_s
        self.armed = False

    async def poll(self, cache: DeviceCache) -> None:
        """Read what the input can supply now."""
        try:
            await self.dev.ensure()
            if not self.armed:
                await self.dev.arm_reversion(self.revert_s)
                self.armed = True
            v702 = await self.dev.read_model(702)
            avail = sm.scaled(v702, self.dev.lay[702], "WChaRteMax")
            if avail is None:
                raise ValueError(f"{self.name}: 702.WChaRteMax not implemented")
            cache.sources[self.source] = SourceReading(stamp_s=now_s(), available_w=avail)
            cache.errors.pop(self.name, None)
        except Exception as exc:
            cache.errors[self.name] = str(exc) or type(exc).__name__
            self.dev.close()
            self.armed = False

    async def write(self, bus_power_w: float) -> None:
        """Ask the input for ``bus_power_w`` at the bus (its own side: ÷ efficiency)."""
        if self.dev.client is None or not self.dev.addr:
            return
        own = bus_power_w / self.efficiency if bus_power_w >= 0 else bus_power_w * self.efficiency
        await self.dev.write_wset(-own)

    async def safe(self) -> None:
        """Command 0 W (best effort, on shutdown)."""
        try:
            await self.dev.write_wset(0.0)
        except Exception as exc:
            log.warning("%s: could not write 0 W on stop: %s", self.name, exc)
