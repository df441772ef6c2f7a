"""Charging sessions: a synthetic test-fleet generator and an importer for real session CSVs."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from packlife._typing import FloatArray
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


#: A time string carries its own offset: ``Z``, ``±HH[:MM]``, ``GMT`` or ``UTC`` at its end.
_AWARE = r"(?:Z|[+-]\d{2}(?::?\d{2})?|GMT|UTC)\s*$"


def _read_frame(path: Path) -> pd.DataFrame:
    """The CSV as strings; any unreadable file (binary, UTF-16, corrupt gzip, a folder) → error."""
    if path.is_dir():
        raise DataFileError(path, ["is a folder, expected a session CSV file"])
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(path, ["file not found"]) from None
    except pd.errors.EmptyDataError:
        raise DataFileError(path, ["file is empty"]) from None
    except (OSError, ValueError, EOFError, zlib.error) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise DataFileError(path, [f"not a readable CSV ({reason})"]) from None
    if raw.empty:
        raise DataFileError(path, ["no session rows"])
    if len(set(raw.columns)) != len(raw.columns) or any(
        str(c).endswith((".1", ".2")) and str(c)[:-2] in raw.columns for c in raw.columns
    ):
        raise DataFileError(path, ["header: a column name appears twice"])
    return raw


def _times(path: Path, raw: pd.DataFrame, col: str) -> pd.Series:
    text = raw[col].astype(str).str.strip()
    naive = ~text.str.contains(_AWARE, regex=True)
    if naive.any():
        row = int(np.argmax(naive.to_numpy())) + 2
        raise DataFileError(path, [
            f"row {row}, column '{col}': expected a timezone-aware ISO 8601 time "
            f"(e.g. 2024-06-03T08:15:00+01:00), got {text.iloc[row - 2][:40]!r}"])
    try:
        return pd.to_datetime(text, utc=True, format="mixed")
    except (ValueError, TypeError, OverflowError):
        for k, value in enumerate(text):
            try:
                pd.Timestamp(value)
            except (ValueError, TypeError, OverflowError):
                raise DataFileError(path, [f"row {k + 2}, column '{col}': not an ISO 8601 "
                                           f"time: {value[:40]!r}"]) from None
        raise DataFileError(path, [f"column '{col}': not ISO 8601 times"]) from None


def _check_in_run(path: Path, arr_s: FloatArray, run_s: float | None) -> None:
    outside = (arr_s < 0.0) | (arr_s >= run_s if run_s is not None else False)
    if outside.any():
        row = int(np.argmax(outside)) + 2
        span = "" if run_s is None else f" (the run lasts {run_s / 86400.0:g} days)"
        raise DataFileError(path, [
            f"row {row}: arrival is outside the run{span}; {int(outside.sum())} of "
            f"{len(arr_s)} sessions are — set simulation.start/days to cover them or remove "
            "those rows"])


def read_sessions_csv(
    path: Path,
    start: datetime,
    default_model: str,
    onboard_charger_kw: float,
    run_days: float | None = None,
) -> list[Session]:
    """Read sessions from a CSV, checking every row.

    Accepted headers: ``arrival,departure,energy_kwh[,vehicle_model]`` (timezone-aware ISO 8601
    times) or the ACN-Data export (``arrival, departure, requested_energy (kWh),
    delivered_energy (kWh), session_id…``; the delivered energy is used). Arrival SoC is derived
    from the energy needed and the vehicle's usable energy (assuming it wants to reach 90 %).

    Raises
    ------
    DataFileError
        Naming the row: a time without offset, an arrival outside the run (``run_days`` after
        ``start``), a departure not after the arrival, an energy that is negative, not a number
        or more than the vehicle model's usable energy (never clamped), an unknown model.
    """
    raw = _read_frame(path)
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
    arrival = _times(path, raw, cols["arrival"])
    departure = _times(path, raw, cols["departure"])
    energy_kwh = pd.to_numeric(energy.str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(energy_kwh) | (energy_kwh < 0)
    if bad.any():
        row = int(np.argmax(bad))
        raise DataFileError(path, [f"row {row + 2}, column 'energy_kwh': expected a number ≥ 0 "
                                   f"[kWh], got {str(energy.iloc[row])[:40]!r}"])
    t0 = pd.Timestamp(start).tz_convert("UTC")
    arr_s = (arrival - t0).dt.total_seconds().to_numpy(dtype=float)
    dep_s = (departure - t0).dt.total_seconds().to_numpy(dtype=float)
    if np.any(dep_s <= arr_s):
        row = int(np.argmax(dep_s <= arr_s)) + 2
        raise DataFileError(path, [f"row {row}: departure must be after arrival"])
    run_s = None if run_days is None else run_days * 86400.0
    _check_in_run(path, np.asarray(arr_s, dtype=np.float64), run_s)
    model_col = cols.get("vehicle_model")
    out = []
    for k in range(len(raw)):
        model = str(raw[model_col].iloc[k]).strip() if model_col else default_model
        if model not in VEHICLE_MODELS:
            raise DataFileError(path, [f"row {k + 2}: unknown vehicle_model {model[:40]!r}"])
        usable = VEHICLE_MODELS[model].usable_energy_kwh
        e = float(energy_kwh[k])
        if e > usable:
            raise DataFileError(path, [
                f"row {k + 2}: energy_kwh {e:g} is more than the usable energy of a {model} "
                f"({usable:g} kWh); is it in Wh, or the wrong vehicle_model?"])
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
