"""Units and the packlife nomenclature.

All quantities are SI (or SI-derived with an explicit prefix) and carry their unit in their name:
``power_w``, ``energy_wh``/``energy_kwh``, ``current_a``, ``voltage_v``, ``temperature_c``,
``mass_kg``, ``capacity_ah``, ``time_s``. ``soc`` and ``soh`` are 0–1 fractions. Battery
discharge is positive (current and power). See ``docs/conventions.md``.
"""

from __future__ import annotations

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY
KELVIN_OFFSET = 273.15
WH_PER_KWH = 1000.0
W_PER_KW = 1000.0


def kwh_to_wh(energy_kwh: float) -> float:
    """Convert kWh to Wh."""
    return energy_kwh * WH_PER_KWH


def wh_to_kwh(energy_wh: float) -> float:
    """Convert Wh to kWh."""
    return energy_wh / WH_PER_KWH


def celsius_to_kelvin(temperature_c: float) -> float:
    """Convert °C to K."""
    return temperature_c + KELVIN_OFFSET


def joules_to_wh(energy_j: float) -> float:
    """Convert J to Wh."""
    return energy_j / SECONDS_PER_HOUR
