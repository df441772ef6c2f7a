"""Time series a site run needs: input availability (incl. PV from pvlib), load and ambient."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from packlife._typing import FloatArray
from packlife.site.scenario import Scenario, SourceSettings


@dataclass(frozen=True)
class SiteInputs:
    """Per control interval: what each input can supply [W, on its own (AC/DC) side] and the site
    load [W]; per engine step: ambient temperature [°C]; and each input's efficiency to the bus."""

    available_w: dict[str, FloatArray]
    efficiency: dict[str, float]
    load_w: FloatArray
    ambient_c: FloatArray


def local_hours(scenario: Scenario, n: int, step_s: float, start: int = 0) -> FloatArray:
    """Local clock hour (0–24) at the start of intervals ``start … start + n − 1`` of
    ``step_s``."""
    t0 = scenario.simulation.start
    h0 = t0.hour + t0.minute / 60.0 + t0.second / 3600.0
    k = start + np.arange(n, dtype=np.float64)
    return np.asarray((h0 + k * step_s / 3600.0) % 24.0, dtype=np.float64)


def _in_window(hours: FloatArray, window: tuple[float, float] | None) -> FloatArray:
    if window is None:
        return np.ones_like(hours)
    a, b = window
    inside = (hours >= a) & (hours < b) if a <= b else (hours >= a) | (hours < b)
    return inside.astype(float)


_PV_CACHE: dict[tuple[str, float], FloatArray] = {}


def _pv_year_w(src: SourceSettings, step_s: float) -> FloatArray:
    """A year of PV AC power at ``step_s`` for ``src`` (computed once per source and step)."""
    key = (src.model_dump_json(), step_s)
    if key not in _PV_CACHE:
        from packlife.control.sources import pv_ac_power_w, read_tmy3_weather

        weather, loc = read_tmy3_weather()
        series = pv_ac_power_w(
            weather,
            loc["latitude"],
            loc["longitude"],
            float(src.peak_power_kwp or 0.0),
            src.tilt_deg,
            src.azimuth_deg,
            step_s=step_s,
            altitude_m=loc["altitude"],
        )
        _PV_CACHE.clear()  # one source at a time: a year at 1 s is 250 MB
        _PV_CACHE[key] = np.asarray(series.to_numpy(), dtype=float)
    return _PV_CACHE[key]


def pv_series_w(
    scenario: Scenario, src: SourceSettings, n: int, step_s: float, start: int = 0
) -> FloatArray:
    """PV AC power per interval from pvlib and the TMY3 weather pvlib ships (Greensboro, NC).

    The scenario's start date selects the TMY day of year; the TMY's own location is used (it is the
    weather those irradiances belong to), stated in the report.
    """
    values = _pv_year_w(src, step_s)
    per_day = int(round(86400.0 / step_s))
    t0 = pd.Timestamp(scenario.simulation.start)
    offset = ((t0.day_of_year - 1) * per_day + int(t0.hour * 3600 / step_s)) % values.size
    idx = (offset + start + np.arange(n)) % values.size
    return np.asarray(values[idx], dtype=float)


def build_inputs(scenario: Scenario, n_ctrl: int, ctrl_s: float, start: int = 0) -> SiteInputs:
    """Availability of every input, the site load and the ambient temperature for control
    intervals ``[start, start + n_ctrl)`` (the run asks chunk by chunk: memory stays bounded)."""
    hours = local_hours(scenario, n_ctrl, ctrl_s, start)
    b = scenario.bess
    eff_by_kind = {
        "grid": b.grid_inverter_efficiency,
        "pv": b.grid_inverter_efficiency,
        "generator": b.grid_inverter_efficiency,
        "dc_charger": b.dc_inlet_efficiency,
    }
    available: dict[str, FloatArray] = {}
    for src in scenario.sources:
        if src.kind == "pv":
            series = np.minimum(
                pv_series_w(scenario, src, n_ctrl, ctrl_s, start), src.max_power_kw * 1000.0
            )
        else:
            series = np.full(n_ctrl, src.max_power_kw * 1000.0)
        available[src.name] = series * _in_window(hours, src.available_hours)
    ld = scenario.loads
    load = np.full(n_ctrl, ld.base_kw * 1000.0) + ld.open_hours_kw * 1000.0 * _in_window(
        hours, (ld.open_hour, ld.close_hour)
    )
    step_s = scenario.simulation.step_s
    spc = int(round(ctrl_s / step_s))
    step_hours = local_hours(scenario, n_ctrl * spc, step_s, start * spc)
    amb = scenario.ambient
    ambient = amb.mean_temperature_c + 0.5 * amb.daily_swing_c * np.sin(
        2.0 * np.pi * (step_hours - 9.0) / 24.0
    )
    return SiteInputs(
        available_w=available,
        efficiency={s.name: eff_by_kind[s.kind] for s in scenario.sources},
        load_w=load,
        ambient_c=ambient,
    )
