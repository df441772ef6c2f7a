"""Virtual SunSpec devices: real pymodbus Modbus/TCP servers on 127.0.0.1 over a register image.

Each device holds its register image; the plant sets measured points with :meth:`set_points` and
reads what the controller commanded with :meth:`effective_wset_w`. The pymodbus ``action`` hook sees
every request: reads are served from the image, writes are validated (only read-write points, 704
``WSet`` within the device rating, enum values within range) and rejected with Modbus exception 3
(illegal data value) or 2 (illegal address) otherwise, and logged.

Behaviour of a real device that the runtime must cope with:

- **704 reversion**: ``WSet`` falls back to ``WSetRvrt`` when it was not rewritten for
  ``WSetRvrtTms`` (with ``WSetEnaRvrt`` enabled).
- **802 heartbeat**: when ``CtrlHb`` has not changed for ``hb_timeout_s`` the pack goes safe:
  contactor open, 0 W, ``State`` = DISCONNECTED, until the heartbeat moves again.
- **803 ``StrSetCon``**: 2 opens the string contactor (0 W), 1 closes it.

Times are on the device clock (the virtual site's clock: simulated seconds).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from packlife.serve import sunspec_map as sm

log = logging.getLogger(__name__)

_ILLEGAL_ADDRESS = 2
_ILLEGAL_VALUE = 3


class VirtualSunSpecDevice:
    """One SunSpec device image behind a pymodbus TCP server."""

    def __init__(
        self,
        name: str,
        models: tuple[tuple[int, int], ...],
        values: dict[int, dict[str, int | str | None]],
        rating_w: float,
        clock: Callable[[], float],
        hb_timeout_s: float | None = None,
    ) -> None:
        self.name = name
        self.lays = sm.layouts(models)
        self.addr = sm.model_addresses(self.lays)
        self.regs = sm.device_image([(lay, values.get(lay.model_id, {})) for lay in self.lays])
        self.rating_w = rating_w
        self.clock = clock
        self.hb_timeout_s = hb_timeout_s
        self.rejected = 0
        self.port = 0
        self._server: Any = None
        self._task: asyncio.Task[None] | None = None
        t = clock()
        self._wset_at = t
        self._hb_at = t
        self._hb_last: int | None = None

    # ------------------------------------------------------------ register image
    def _point(self, mid: int, name: str) -> tuple[int, sm.PointDef]:
        lay = next(lay for lay in self.lays if lay.model_id == mid)
        p = lay.points[name]
        return self.addr[mid] + p.offset - sm.BASE_ADDRESS, p

    def get(self, mid: int, name: str) -> int | str | None:
        """Raw value of a point."""
        off, p = self._point(mid, name)
        return sm.decode_point(p, self.regs[off : off + p.size])

    def set_points(self, mid: int, values: dict[str, int | str | None]) -> None:
        """Set raw point values (the plant's measurements)."""
        for name, value in values.items():
            off, p = self._point(mid, name)
            self.regs[off : off + p.size] = sm.encode_point(p, value)

    def _int(self, mid: int, name: str) -> int:
        v = self.get(mid, name)
        return v if isinstance(v, int) else 0

    # ------------------------------------------------------------ behaviour
    def heartbeat_ok(self) -> bool:
        """False once ``CtrlHb`` stalled for longer than ``hb_timeout_s``."""
        if self.hb_timeout_s is None:
            return True
        return self.clock() - self._hb_at <= self.hb_timeout_s

    def effective_wset_w(self) -> float:
        """Power the converter runs at now [W, SunSpec sign], after reversion and safety."""
        if self._int(704, "WSetEna") != 1:
            return 0.0
        sf = self._int(704, "WSet_SF")
        name = "WSet"
        tms = self._int(704, "WSetRvrtTms")
        if self._int(704, "WSetEnaRvrt") == 1 and tms > 0 and self.clock() - self._wset_at > tms:
            name = "WSetRvrt"
        w = self._int(704, name) * 10.0**sf
        if not self.heartbeat_ok():
            return 0.0
        return w

    # ------------------------------------------------------------ pymodbus hook
    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        current_registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> Any:
        from pymodbus.constants import ExcCodes

        off = address - start_address
        if not set_values:
            current_registers[off : off + count] = self.regs[off : off + count]
            return None
        values = [int(v) for v in set_values]
        code = self._check_write(off, values)
        if code:
            self.rejected += 1
            log.warning("%s: rejected write at %d of %s", self.name, address, list(set_values))
            return ExcCodes.ILLEGAL_VALUE if code == _ILLEGAL_VALUE else ExcCodes.ILLEGAL_ADDRESS
        self.regs[off : off + len(values)] = values
        self._after_write(off, len(values))
        return None

    def _written_points(self, off: int, n: int) -> list[tuple[int, sm.PointDef]] | None:
        """Points fully covered by a write of ``n`` registers at ``off``; None if it splits one
        or touches a read-only point."""
        out = []
        covered = 0
        for lay in self.lays:
            base = self.addr[lay.model_id] - sm.BASE_ADDRESS
            for p in lay.points.values():
                a = base + p.offset
                if a + p.size <= off or a >= off + n:
                    continue
                if a < off or a + p.size > off + n or p.name in ("ID", "L"):
                    return None
                out.append((lay.model_id, p))
                covered += p.size
        return out if covered == n else None

    def _check_write(self, off: int, values: list[int]) -> int:
        pts = self._written_points(off, len(values))
        if pts is None:
            return _ILLEGAL_ADDRESS
        ro_ok = {
            "CtrlHb",
            "AlmRst",
            "SetOp",
            "SetInvState",
            "DA",
            "string.0.StrSetCon",
            "string.0.StrSetEna",
        }
        for mid, p in pts:
            a = self.addr[mid] - sm.BASE_ADDRESS + p.offset - off
            raw = sm.decode_point(p, values[a : a + p.size])
            if mid != 704 and p.name not in ro_ok:
                return _ILLEGAL_ADDRESS
            if p.name in ("WSet", "WSetRvrt") and isinstance(raw, int):
                if abs(raw * 10.0 ** self._int(704, "WSet_SF")) > self.rating_w * 1.0001:
                    return _ILLEGAL_VALUE
            if p.name.endswith("StrSetCon") and raw not in (1, 2):
                return _ILLEGAL_VALUE
            if (
                p.type == "enum16"
                and p.name.endswith(("Ena", "EnaRvrt", "Mod"))
                and raw not in (0, 1)
            ):
                return _ILLEGAL_VALUE
        return 0

    def _after_write(self, off: int, n: int) -> None:
        pts = self._written_points(off, n) or []
        now = self.clock()
        for _mid, p in pts:
            if p.name == "WSet":
                self._wset_at = now
            elif p.name == "CtrlHb":
                hb = self._int(802, "CtrlHb")
                if hb != self._hb_last:
                    self._hb_last = hb
                    self._hb_at = now

    # ------------------------------------------------------------ server
    async def start(self, port: int = 0) -> int:
        """Listen on 127.0.0.1 (``port`` 0 = a free one, reused after :meth:`link_down`)."""
        from pymodbus.server import ModbusTcpServer
        from pymodbus.simulator import DataType, SimData, SimDevice

        if port == 0 and self.port:
            port = self.port
        if port == 0:
            port = _free_port()
        dev = SimDevice(
            id=1,
            simdata=[SimData(sm.BASE_ADDRESS, values=list(self.regs), datatype=DataType.REGISTERS)],
            action=self._action,
        )
        self._server = ModbusTcpServer(dev, address=("127.0.0.1", port))
        self._task = asyncio.create_task(self._server.serve_forever())
        for _ in range(100):
            if self._server.transport is not None:
                break
            await asyncio.sleep(0.01)
        self.port = port
        return port

    async def link_down(self) -> None:
        """Stop listening and drop every connection (fault injection / shutdown)."""
        if self._server is not None:
            await self._server.shutdown()
        if self._task is not None:
            self._task.cancel()
        self._server = None
        self._task = None


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
