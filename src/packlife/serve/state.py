"""What the adapters last read from each device, stamped with the monotonic time it was read.

Adapters write readings into one :class:`DeviceCache`; the runtime reads it once per cycle to freeze
a snapshot, so a value never changes while the controller works on it. A reading older than the
staleness limit counts as missing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PackReading:
    """One pack string as its BMS and converter report it (bus-side limits) [SI units].

    ``alarms`` holds the SunSpec 802 ``Evt1`` alarm bits (0 = none); ``connected`` whether the
    string's contactor is closed.
    """

    stamp_s: float
    soc: float
    soh: float
    temperature_c: float
    max_discharge_power_w: float
    max_charge_power_w: float
    usable_discharge_energy_wh: float
    usable_charge_energy_wh: float
    power_w: float
    alarms: int = 0
    connected: bool = True


@dataclass(frozen=True)
class SourceReading:
    """One input (through its PCS): what it can supply now and what it supplies [W, own side]."""

    stamp_s: float
    available_w: float
    power_w: float = 0.0


@dataclass(frozen=True)
class EvseReading:
    """One EVSE and the vehicle on it, as the charging station reports it (vehicle side)."""

    stamp_s: float
    session_id: str | None = None
    soc: float = 0.0
    energy_needed_wh: float = 0.0
    arrival_s: float = 0.0
    departure_s: float = 0.0
    acceptance_w: float = 0.0
    power_w: float = 0.0


@dataclass
class DeviceCache:
    """Latest reading of every device, by position (packs, EVSEs) or name (sources)."""

    packs: list[PackReading | None]
    sources: dict[str, SourceReading | None]
    evses: list[EvseReading | None]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def empty(cls, n_packs: int, source_names: list[str], n_evses: int) -> DeviceCache:
        """A cache with nothing read yet."""
        return cls([None] * n_packs, dict.fromkeys(source_names), [None] * n_evses)


def now_s() -> float:
    """Monotonic clock used for every stamp [s]."""
    return time.monotonic()


def is_fresh(stamp_s: float | None, now: float, max_age_s: float) -> bool:
    """Whether a reading stamped ``stamp_s`` is young enough to act on."""
    return stamp_s is not None and now - stamp_s <= max_age_s
