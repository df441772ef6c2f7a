"""SunSpec register layouts from the official model definitions (the JSON files pysunspec2 ships).

A device's holding registers start at 40000 with the ``"SunS"`` marker, then each model as
``ID, L, points…``, then ``0xFFFF, 0``. :func:`layout` turns a model id (and the repeat count of its
repeating group, e.g. the strings of model 803) into point offsets; :func:`encode` /
:func:`decode` convert between raw point values and registers. Both the client adapter and the
virtual devices use these, so a register map is never written by hand.

Values here are *raw* SunSpec integers; :func:`scaled` applies the point's scale factor
(``value × 10^sf``). A raw value equal to the type's "not implemented" sentinel decodes as ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from packlife.errors import PacklifeError

#: First register of a SunSpec map and its marker ("SunS").
BASE_ADDRESS = 40000
MARKER = (0x5375, 0x6E53)
END_MODEL = (0xFFFF, 0)

_SIZES = {
    "uint16": 1,
    "int16": 1,
    "enum16": 1,
    "bitfield16": 1,
    "sunssf": 1,
    "count": 1,
    "pad": 1,
    "uint32": 2,
    "int32": 2,
    "acc32": 2,
    "enum32": 2,
    "bitfield32": 2,
    "float32": 2,
    "uint64": 4,
    "int64": 4,
    "acc64": 4,
}
_UNIMPL = {
    "uint16": 0xFFFF,
    "int16": 0x8000,
    "enum16": 0xFFFF,
    "bitfield16": 0xFFFF,
    "sunssf": 0x8000,
    "uint32": 0xFFFFFFFF,
    "int32": 0x80000000,
    "enum32": 0xFFFFFFFF,
    "bitfield32": 0xFFFFFFFF,
}
_SIGNED = {"int16": 16, "sunssf": 16, "int32": 32, "int64": 64}


@dataclass(frozen=True)
class PointDef:
    """One point: register offset from the model's ``ID`` register, size, type, scale factor."""

    name: str
    offset: int
    size: int
    type: str
    sf: str | None


@dataclass(frozen=True)
class ModelLayout:
    """Points of one model instance; repeated group points are named ``group.i.point``."""

    model_id: int
    length: int
    points: dict[str, PointDef]

    @property
    def n_registers(self) -> int:
        """Registers including ``ID`` and ``L``."""
        return self.length + 2


def _point_size(p: dict[str, Any]) -> int:
    if p["type"] == "string":
        return int(p["size"])
    return _SIZES[p["type"]]


def _group_points(g: dict[str, Any], prefix: str, start: int, points: dict[str, PointDef]) -> int:
    off = start
    for p in g["points"]:
        size = _point_size(p)
        name = prefix + p["name"]
        sf = p.get("sf")
        if isinstance(sf, str) and prefix:
            sf = sf if sf in points else prefix + sf
        points[name] = PointDef(name, off, size, p["type"], sf if isinstance(sf, str) else None)
        off += size
    return off


@cache
def layout(model_id: int, repeats: int = 1) -> ModelLayout:
    """Layout of SunSpec model ``model_id`` with ``repeats`` instances of its repeating group."""
    try:
        from sunspec2.device import get_model_info
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise PacklifeError(
            "packlife serve needs the 'serve' extra: pip install 'packlife[serve]'"
        ) from exc
    group = get_model_info(model_id)[0]["group"]
    points: dict[str, PointDef] = {}
    off = _group_points(group, "", 0, points)
    for sub in group.get("groups", []):
        n = repeats if sub.get("count") is not None else 1
        for i in range(n):
            prefix = f"{sub['name']}.{i}." if sub.get("count") is not None else f"{sub['name']}."
            off = _group_points(sub, prefix, off, points)
    return ModelLayout(model_id, off - 2, points)


def _to_regs(value: int, size: int) -> list[int]:
    value &= (1 << (16 * size)) - 1
    return [(value >> (16 * (size - 1 - k))) & 0xFFFF for k in range(size)]


def _from_regs(regs: list[int]) -> int:
    value = 0
    for r in regs:
        value = (value << 16) | (r & 0xFFFF)
    return value


def encode_point(p: PointDef, value: int | str | None) -> list[int]:
    """Registers of one raw point value (``None`` → the type's "not implemented" sentinel)."""
    if p.type == "string":
        raw = str(value or "").encode("ascii", "replace")[: 2 * p.size].ljust(2 * p.size, b"\0")
        return [int.from_bytes(raw[2 * k : 2 * k + 2], "big") for k in range(p.size)]
    if value is None:
        return _to_regs(_UNIMPL.get(p.type, 0), p.size)
    return _to_regs(int(value), p.size)


def decode_point(p: PointDef, regs: list[int]) -> int | str | None:
    """Raw value of one point from its registers (``None`` when not implemented)."""
    if p.type == "string":
        raw = b"".join(r.to_bytes(2, "big") for r in regs)
        return raw.rstrip(b"\0").decode("ascii", "replace")
    value = _from_regs(regs)
    if p.type in _UNIMPL and value == _UNIMPL[p.type]:
        return None
    bits = _SIGNED.get(p.type)
    if bits is not None and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def encode(lay: ModelLayout, values: dict[str, int | str | None]) -> list[int]:
    """All registers of a model (``ID`` and ``L`` included); points not given are 0."""
    regs = [0] * lay.n_registers
    regs[0], regs[1] = lay.model_id, lay.length
    for name, value in values.items():
        p = lay.points[name]
        regs[p.offset : p.offset + p.size] = encode_point(p, value)
    return regs


def decode(lay: ModelLayout, regs: list[int]) -> dict[str, int | str | None]:
    """Raw point values of a model from its registers (``ID`` and ``L`` included)."""
    if len(regs) != lay.n_registers:
        raise ValueError(f"model {lay.model_id}: expected {lay.n_registers} registers")
    return {
        name: decode_point(p, regs[p.offset : p.offset + p.size])
        for name, p in lay.points.items()
        if p.type != "pad"
    }


def scaled(values: dict[str, int | str | None], lay: ModelLayout, name: str) -> float | None:
    """``value × 10^sf`` of a decoded point (``None`` when it or its scale factor is absent)."""
    raw = values.get(name)
    if raw is None or isinstance(raw, str):
        return None
    sf_name = lay.points[name].sf
    if sf_name is None:
        return float(raw)
    sf = values.get(sf_name)
    if sf is None or isinstance(sf, str):
        return None
    return float(raw) * 10.0 ** int(sf)


def raw_for(value_si: float, sf: int) -> int:
    """Raw register value of ``value_si`` at scale factor ``sf`` (rounded)."""
    return int(round(value_si / 10.0**sf))


def device_image(models: list[tuple[ModelLayout, dict[str, int | str | None]]]) -> list[int]:
    """The whole register image from 40000: marker, each model, end marker."""
    regs: list[int] = list(MARKER)
    for lay, values in models:
        regs += encode(lay, values)
    return regs + list(END_MODEL)


def model_addresses(models: list[ModelLayout]) -> dict[int, int]:
    """Address of each model's ``ID`` register in :func:`device_image` order."""
    addr = BASE_ADDRESS + 2
    out: dict[int, int] = {}
    for lay in models:
        out[lay.model_id] = addr
        addr += lay.n_registers
    return out


#: Models of one pack string device: common, DER storage capacity, battery, Li-ion bank (one
#: string), and the string converter's DER controls (``WSet`` with reversion).
PACK_MODELS = ((1, 1), (713, 1), (802, 1), (803, 1), (704, 1))
#: Models of a PCS (the converter of one input): common, DER capacity, DER controls.
PCS_MODELS = ((1, 1), (702, 1), (704, 1))

#: 802 ``Evt1`` bits that are alarms (warnings are not): an alarm isolates the pack.
ALARM_BITS = (0, 1, 3, 5, 7, 9, 11, 13, 15, 18, 20, 22, 25, 28)
ALARM_MASK = sum(1 << b for b in ALARM_BITS)


def layouts(models: tuple[tuple[int, int], ...]) -> list[ModelLayout]:
    """Layouts of ``(model id, repeats)`` pairs in device order."""
    return [layout(m, n) for m, n in models]
