"""Time series a site run needs, chunk by chunk: input availability, load, prices and ambient.

:func:`build_inputs` returns control intervals ``[start, start + n_ctrl)`` so a long run can build
them chunk by chunk; files (weather, profiles) are read once per process and cached, PV is modelled
once over the weather file's rows, and each chunk is a slice of those.

Time: interval ``c`` covers ``[t0 + c·ctrl_s, t0 + (c+1)·ctrl_s)`` in absolute time from the
scenario's start ``t0``; local clock hours (opening hours, TOU bands) come from the site's IANA zone
(DST applied) or, without ``[site]``, from the start's fixed UTC offset.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from packlife._typing import FloatArray
from packlife.errors import PacklifeError
from packlife.models.pv import PvArray, pv_ac_power_w, require_pvlib
from packlife.site.profiles import Profile, ProfileKind, on_grid, read_profile
from packlife.site.scenario import Scenario, SourceSettings
from packlife.site.settings import WEATHER_EXAMPLES, ProfileRef, WeatherSettings
from packlife.site.weather import Weather, distance_km, midpoints, read_weather, sample_series

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteInputs:
    """Inputs for a block of control intervals.

    Attributes
    ----------
    available_w : dict of str to ndarray
        What each input can supply per control interval, on its own (AC/DC) side [W]: its cap
        times its connection window, PV from the weather or measured series.
    efficiency : dict of str to float
        Each input's efficiency to the DC bus [-].
    load_w : ndarray
        Site load besides vehicles per control interval (constant + open hours + measured) [W].
    ambient_c : ndarray
        Ambient temperature per engine step [°C].
    source_cap_w : dict of str to ndarray
        Each input's rating over time (a grid limit profile lowers it) [W].
    price_import_per_kwh, price_export_per_kwh : ndarray
        Energy prices per control interval (tariff or price file) [currency/kWh].
    time_s : ndarray
        Start of each control interval since the scenario start [s].
    """

    available_w: dict[str, FloatArray]
    efficiency: dict[str, float]
    load_w: FloatArray
    ambient_c: FloatArray
    source_cap_w: dict[str, FloatArray] = field(default_factory=dict)
    price_import_per_kwh: FloatArray = field(default_factory=lambda: np.zeros(0))
    price_export_per_kwh: FloatArray = field(default_factory=lambda: np.zeros(0))
    time_s: FloatArray = field(default_factory=lambda: np.zeros(0))


def interval_starts(scenario: Scenario, n: int, step_s: float, start: int = 0) -> pd.DatetimeIndex:
    """Starts of intervals ``[start, start + n)`` of ``step_s``, in the site's zone."""
    t0 = pd.Timestamp(scenario.simulation.start)
    offsets = (start + np.arange(n)) * step_s
    times = pd.DatetimeIndex(t0 + pd.to_timedelta(offsets, unit="s"))
    zone = scenario.site.timezone if scenario.site is not None else None
    return times.tz_convert(zone) if zone is not None else times


def local_hours(scenario: Scenario, n: int, step_s: float, start: int = 0) -> FloatArray:
    """Local clock hour (0–24) at the start of each interval (DST-correct with ``[site]``)."""
    t = interval_starts(scenario, n, step_s, start)
    return np.asarray(t.hour + t.minute / 60.0 + t.second / 3600.0, dtype=np.float64)


def _in_window(hours: FloatArray, window: tuple[float, float] | None) -> FloatArray:
    if window is None:
        return np.ones_like(hours)
    a, b = window
    inside = (hours >= a) & (hours < b) if a <= b else (hours >= a) | (hours < b)
    return inside.astype(float)


def weather_path(settings: WeatherSettings) -> tuple[Path, str]:
    """The weather file and its format (a named example resolves to pvlib's data folder)."""
    if settings.example is not None:
        pvlib = require_pvlib()
        name, fmt = WEATHER_EXAMPLES[settings.example]
        return Path(pvlib.__file__).parent / "data" / name, fmt
    assert settings.file is not None and settings.format is not None
    return Path(settings.file), settings.format


@lru_cache(maxsize=8)
def _weather_cached(
    path: str, mtime: float, fmt: str, label: str | None, typical: bool | None, tz: str | None
) -> Weather:
    return read_weather(Path(path), fmt, label=label, typical_year=typical, timezone=tz)  # type: ignore[arg-type]


def site_weather(scenario: Scenario) -> Weather | None:
    """The scenario's weather (read once per process and file version), or None."""
    w = scenario.weather
    if w is None:
        return None
    path, fmt = weather_path(w)
    mtime = path.stat().st_mtime if path.exists() else 0.0
    return _weather_cached(str(path), mtime, fmt, w.label, w.typical_year, w.timezone)


def site_location(scenario: Scenario, weather: Weather | None) -> tuple[float, float, float, str]:
    """Latitude, longitude, altitude of the site and a note on where they come from."""
    if scenario.site is not None:
        s = scenario.site
        note = f"site {s.latitude:.3f}, {s.longitude:.3f}"
        if weather is not None and weather.latitude is not None and weather.longitude is not None:
            km = distance_km(s.latitude, s.longitude, weather.latitude, weather.longitude)
            note += f"; weather from {km:,.0f} km away"
        return s.latitude, s.longitude, s.altitude_m, note
    if weather is None or weather.latitude is None or weather.longitude is None:
        raise PacklifeError(
            "PV needs the site's position: add [site] latitude/longitude/timezone "
            "(the weather file gives none)"
        )
    return (
        weather.latitude,
        weather.longitude,
        weather.altitude_m or 0.0,
        "no [site]: the weather file's own location is used",
    )


_PV_CACHE: dict[tuple[object, ...], pd.Series] = {}


def _pv_on_weather(scenario: Scenario, src: SourceSettings, weather: Weather) -> pd.Series:
    lat, lon, alt, _ = site_location(scenario, weather)
    array = PvArray(
        peak_power_kwp=float(src.peak_power_kwp or 0.0),
        tilt_deg=src.tilt_deg,
        azimuth_deg=src.azimuth_deg,
        dc_ac_ratio=src.dc_ac_ratio,
        inverter_efficiency=scenario.bess.grid_inverter_efficiency,
        mounting=src.mounting,
    )
    key = (id(weather), array, lat, lon, alt)
    if key not in _PV_CACHE:
        ac = pv_ac_power_w(midpoints(weather), array, lat, lon, alt)
        _PV_CACHE[key] = pd.Series(np.clip(ac.to_numpy(), 0.0, None), index=weather.data.index)
    return _PV_CACHE[key]


@lru_cache(maxsize=32)
def _profile_cached(
    ref_json: str, kind: ProfileKind, zone: str | None, currency: str, mtime: float
) -> Profile:
    ref = ProfileRef.model_validate_json(ref_json)
    return read_profile(
        Path(ref.file),
        ref.column,
        ref.unit,
        kind,
        time_column=ref.time_column,
        timezone=ref.timezone or zone,
        label=ref.label,
        repeat=ref.repeat,
        currency=currency,
    )


def profile_on_grid(
    scenario: Scenario, ref: ProfileRef, kind: ProfileKind, n: int, step_s: float, start: int
) -> FloatArray:
    """A profile file's values on control intervals ``[start, start + n)``."""
    zone = scenario.site.timezone if scenario.site is not None else None
    path = Path(ref.file)
    mtime = path.stat().st_mtime if path.exists() else 0.0
    prof = _profile_cached(ref.model_dump_json(), kind, zone, scenario.economics.currency, mtime)
    t0 = pd.Timestamp(scenario.simulation.start) + pd.Timedelta(seconds=start * step_s)
    return on_grid(prof, t0, n, step_s, kind)


def _t0(scenario: Scenario, start: int, step_s: float) -> pd.Timestamp:
    return pd.Timestamp(scenario.simulation.start) + pd.Timedelta(seconds=start * step_s)


def pv_series_w(
    scenario: Scenario, src: SourceSettings, n: int, step_s: float, start: int = 0
) -> FloatArray:
    """PV AC power per interval: measured series, or pvlib's ModelChain on the site weather [W]."""
    if src.measured_power is not None:
        return profile_on_grid(scenario, src.measured_power, "power", n, step_s, start)
    weather = site_weather(scenario)
    if weather is None:
        raise PacklifeError(f"pv source {src.name!r} needs [weather] or measured_power")
    series = _pv_on_weather(scenario, src, weather)
    return sample_series(series, weather, _t0(scenario, start, step_s), n, step_s)


def _ambient(scenario: Scenario, n_steps: int, step_s: float, first_step: int) -> FloatArray:
    weather = site_weather(scenario)
    if (
        weather is not None
        and scenario.weather is not None
        and scenario.weather.ambient_from_weather
    ):
        return weather.sample("temp_air", _t0(scenario, first_step, step_s), n_steps, step_s)
    hours = local_hours(scenario, n_steps, step_s, first_step)
    amb = scenario.ambient
    return np.asarray(
        amb.mean_temperature_c
        + 0.5 * amb.daily_swing_c * np.sin(2.0 * np.pi * (hours - 9.0) / 24.0),
        dtype=float,
    )


def _grid_limit_source(scenario: Scenario) -> str | None:
    prof = scenario.profiles
    if prof.grid_limit is None:
        return None
    grids = [s.name for s in scenario.sources if s.kind == "grid"]
    return prof.grid_limit_source or grids[0]


def build_inputs(scenario: Scenario, n_ctrl: int, ctrl_s: float, start: int = 0) -> SiteInputs:
    """Inputs for control intervals ``[start, start + n_ctrl)`` of ``ctrl_s``.

    Ambient temperature is per engine step for the matching steps
    ``[start·k, (start + n_ctrl)·k)`` with ``k = ctrl_s / step_s``.
    """
    hours = local_hours(scenario, n_ctrl, ctrl_s, start)
    b = scenario.bess
    eff_by_kind = {
        "grid": b.grid_inverter_efficiency,
        "pv": b.grid_inverter_efficiency,
        "generator": b.grid_inverter_efficiency,
        "dc_charger": b.dc_inlet_efficiency,
    }
    limited = _grid_limit_source(scenario)
    available: dict[str, FloatArray] = {}
    caps: dict[str, FloatArray] = {}
    for src in scenario.sources:
        cap = np.full(n_ctrl, src.max_power_kw * 1000.0)
        if src.name == limited and scenario.profiles.grid_limit is not None:
            limit = profile_on_grid(
                scenario, scenario.profiles.grid_limit, "limit", n_ctrl, ctrl_s, start
            )
            cap = np.minimum(cap, limit)
        caps[src.name] = cap
        series = (
            np.minimum(pv_series_w(scenario, src, n_ctrl, ctrl_s, start), cap)
            if (src.kind == "pv")
            else cap
        )
        available[src.name] = series * _in_window(hours, src.available_hours)
    ld = scenario.loads
    load = np.full(n_ctrl, ld.base_kw * 1000.0) + ld.open_hours_kw * 1000.0 * _in_window(
        hours, (ld.open_hour, ld.close_hour)
    )
    if scenario.profiles.load is not None:
        load = load + profile_on_grid(
            scenario, scenario.profiles.load, "power", n_ctrl, ctrl_s, start
        )
    step_s = scenario.simulation.step_s
    k = int(round(ctrl_s / step_s))
    price_in, price_out = prices_per_kwh(scenario, n_ctrl, ctrl_s, start)
    return SiteInputs(
        available_w=available,
        efficiency={s.name: eff_by_kind[s.kind] for s in scenario.sources},
        load_w=load,
        ambient_c=_ambient(scenario, n_ctrl * k, step_s, start * k),
        source_cap_w=caps,
        price_import_per_kwh=price_in,
        price_export_per_kwh=price_out,
        time_s=np.asarray((start + np.arange(n_ctrl)) * ctrl_s, dtype=np.float64),
    )


def import_price_at(scenario: Scenario, time_s: float) -> float:
    """Import price at ``time_s`` seconds after the scenario start [currency/kWh] (tariff band
    or price file, to the second): what a live site's controller sees for time-of-use refill."""
    price, _ = prices_per_kwh(scenario, 1, 1.0, start=int(time_s))
    return float(price[0])


def prices_per_kwh(
    scenario: Scenario, n: int, step_s: float, start: int = 0
) -> tuple[FloatArray, FloatArray]:
    """Import and export prices per interval [currency/kWh]: price files, else the tariff."""
    from packlife.economics.tariffs import tou_prices

    prof = scenario.profiles
    tariff = scenario.economics.tariff
    times = interval_starts(scenario, n, step_s, start)
    if prof.price_import is not None:
        p_in = profile_on_grid(scenario, prof.price_import, "price", n, step_s, start)
    else:
        p_in = tou_prices(
            np.asarray(times.hour + times.minute / 60.0, dtype=float),
            np.asarray(times.day_of_week, dtype=np.int64),
            tariff.import_price_per_kwh,
            [(p.start_hour, p.end_hour, p.price_per_kwh, p.days) for p in tariff.tou],
        )
    if prof.price_export is not None:
        p_out = profile_on_grid(scenario, prof.price_export, "price", n, step_s, start)
    else:
        p_out = np.full(n, tariff.export_price_per_kwh)
    return p_in, p_out
