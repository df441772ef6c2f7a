"""Charging sessions: a synthetic test-fleet generator and an importer for real session CSVs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from packlife.control.vehicles import VEHICLE_MODELS
from packlife.errors import DataFileError
from packlife.site.scenario import VehicleSettings


@dataclass(frozen=True)
class Session:
    """One vehicle visit.

    Attributes
    ----------
    session_id : str
    arrival_s, departure_s : float
        Times since the scenario start [s].
    energy_needed_wh : float
        Energy the vehicle wants, measured at the vehicle [Wh].
    vehicle_model : str
        Id in :data:`packlife.control.vehicles.VEHICLE_MODELS`.
    soc_arrival : float
        Vehicle SoC when it plugs in [0–1].
    onboard_charger_kw : float
        Its AC charging rate, for the direct-charging comparison [kW].
    """

    session_id: str
    arrival_s: float
    departure_s: float
    energy_needed_wh: float
    vehicle_model: str
    soc_arrival: float
    onboard_charger_kw: float


def synthetic_sessions(settings: VehicleSettings, days: float, seed: int) -> list[Session]:
    """A test fleet coming back from drives needing top-ups, varied day to day.

    Each day draws a number of sessions uniformly in ``[sessions_per_day_min, _max]``; arrivals are
    uniform over the opening hours, dwell times uniform in ``[dwell_min_min, dwell_max_min]``,
    arrival SoC uniform in ``[arrival_soc_min, arrival_soc_max]``, and each vehicle wants to reach
    ``target_soc`` of its usable energy. Vehicle models follow the fleet shares.
    """
    rng = np.random.default_rng(seed)
    models = [f.vehicle_model for f in settings.fleet]
    shares = np.array([f.share for f in settings.fleet], dtype=float)
    shares /= shares.sum()
    obc = {f.vehicle_model: f.onboard_charger_kw for f in settings.fleet}
    out: list[Session] = []
    n_days = int(np.ceil(days))
    for day in range(n_days):
        n = int(rng.integers(settings.sessions_per_day_min, settings.sessions_per_day_max + 1))
        arrivals_h = np.sort(rng.uniform(settings.open_hour, settings.close_hour - 0.5, n))
        for k, arr_h in enumerate(arrivals_h):
            model = models[int(rng.choice(len(models), p=shares))]
            usable_wh = VEHICLE_MODELS[model].usable_energy_kwh * 1000.0
            soc0 = float(rng.uniform(settings.arrival_soc_min, settings.arrival_soc_max))
            dwell_s = float(rng.uniform(settings.dwell_min_min, settings.dwell_max_min)) * 60.0
            arrival_s = (day * 24.0 + float(arr_h)) * 3600.0
            if arrival_s >= days * 86400.0:
                continue
            out.append(
                Session(
                    session_id=f"d{day + 1:03d}-{k + 1:02d}",
                    arrival_s=arrival_s,
                    departure_s=arrival_s + dwell_s,
                    energy_needed_wh=(settings.target_soc - soc0) * usable_wh,
                    vehicle_model=model,
                    soc_arrival=soc0,
                    onboard_charger_kw=obc[model],
                )
            )
    return out


def read_sessions_csv(
    path: Path, start: datetime, default_model: str, onboard_charger_kw: float
) -> list[Session]:
    """Read sessions from a CSV.

    Accepted headers: ``arrival,departure,energy_kwh[,vehicle_model]`` (timezone-aware ISO 8601
    times) or the ACN-Data export (``arrival, departure, requested_energy (kWh),
    delivered_energy (kWh), session_id…``; the delivered energy is used). Arrival SoC is derived
    from the energy needed and the vehicle's usable energy (assuming it wants to reach 90 %).
    """
    try:
        raw = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(path, [f"not a readable CSV: {exc}"]) from None
    cols = {c.strip(): c for c in raw.columns}
    if "energy_kwh" in cols:
        energy = raw[cols["energy_kwh"]]
    elif "delivered_energy (kWh)" in cols:
        energy = raw[cols["delivered_energy (kWh)"]]
    else:
        raise DataFileError(
            path, ["column 'energy_kwh' (or ACN 'delivered_energy (kWh)') is missing"]
        )
    problems = [f"column '{c}' is missing" for c in ("arrival", "departure") if c not in cols]
    if problems:
        raise DataFileError(path, problems)
    try:
        arrival = pd.to_datetime(raw[cols["arrival"]], utc=True)
        departure = pd.to_datetime(raw[cols["departure"]], utc=True)
    except (ValueError, TypeError) as exc:
        raise DataFileError(
            path, [f"columns 'arrival'/'departure': not ISO 8601 times ({exc})"]
        ) from None
    energy_kwh = pd.to_numeric(energy, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(energy_kwh) | (energy_kwh < 0)
    if bad.any():
        raise DataFileError(path, [f"row {int(np.argmax(bad)) + 2}: energy must be a number ≥ 0"])
    t0 = pd.Timestamp(start).tz_convert("UTC")
    arr_s = (arrival - t0).dt.total_seconds().to_numpy()
    dep_s = (departure - t0).dt.total_seconds().to_numpy()
    if np.any(dep_s <= arr_s):
        row = int(np.argmax(dep_s <= arr_s)) + 2
        raise DataFileError(path, [f"row {row}: departure must be after arrival"])
    model_col = cols.get("vehicle_model")
    out = []
    for k in range(len(raw)):
        model = str(raw[model_col].iloc[k]) if model_col else default_model
        if model not in VEHICLE_MODELS:
            raise DataFileError(path, [f"row {k + 2}: unknown vehicle_model {model!r}"])
        usable = VEHICLE_MODELS[model].usable_energy_kwh
        e = float(min(energy_kwh[k], 0.9 * usable))
        out.append(
            Session(
                session_id=str(raw[cols["session_id"]].iloc[k])
                if "session_id" in cols
                else f"s{k + 1}",
                arrival_s=float(arr_s[k]),
                departure_s=float(dep_s[k]),
                energy_needed_wh=e * 1000.0,
                vehicle_model=model,
                soc_arrival=max(0.9 - e / usable, 0.0),
                onboard_charger_kw=onboard_charger_kw,
            )
        )
    return sorted(out, key=lambda s: s.arrival_s)
