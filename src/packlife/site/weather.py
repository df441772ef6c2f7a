"""Weather for a site: readers for the usual files, and sampling on the run's time grid.

Formats (``[weather] format``), read with ``pvlib.iotools`` where it has a reader:

============  =======================================  ==================  ===========
format        files                                    pvlib reader        labels
============  =======================================  ==================  ===========
``tmy3``      NSRDB TMY3 CSV                           ``read_tmy3``       hour end
``epw``       EnergyPlus EPW (IWEC, TMYx, …)           ``read_epw``        hour start
``pvgis``     PVGIS TMY as downloaded (JSON or CSV)    ``read_pvgis_tmy``  hour start
``psm``       NSRDB PSM3 / PSM4 CSV (any interval)     ``read_nsrdb_psm4`` start
``csv``       generic: time, ghi, dni, dhi, temp_air,  (pandas)            start
              wind_speed
============  =======================================  ==================  ===========

Every reader returns a :class:`Weather` whose index is the **start** of each interval in UTC;
``label`` overrides a format's convention. Typical-year files (TMY3, EPW, PVGIS TMY;
``typical_year`` for others) are used for any year by month, day and time of day (29 February
takes 28 February's weather); measured files must cover the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from packlife._typing import FloatArray
from packlife.datafiles import finite_or_none
from packlife.errors import DataFileError
from packlife.models.pv import WEATHER_COLUMNS, require_pvlib
from packlife.site.profiles import parse_times

WeatherFormat = Literal["tmy3", "epw", "pvgis", "psm", "csv"]
Label = Literal["start", "centre", "end"]

#: The interval convention of each format's timestamps, as its pvlib reader returns them.
DEFAULT_LABEL: dict[str, Label] = {
    "tmy3": "end",
    "epw": "start",
    "pvgis": "start",
    "psm": "start",
    "csv": "start",
}
TYPICAL_FORMATS = frozenset({"tmy3", "epw", "pvgis"})
_YEAR_S = 365 * 86400


@dataclass(frozen=True)
class Weather:
    """Weather on interval-start UTC labels.

    Attributes
    ----------
    data : DataFrame
        ``ghi, dni, dhi`` [W/m²], ``temp_air`` [°C], ``wind_speed`` [m/s].
    interval_s : float
        Length of each row's interval [s].
    latitude, longitude, altitude_m : float or None
        The file's own location, where it gives one [deg, deg, m].
    typical_year : bool
        Used for any year by calendar position (TMY) rather than by date.
    source : str
        The file and what it says about itself, for reports.
    """

    data: pd.DataFrame
    interval_s: float
    latitude: float | None
    longitude: float | None
    altitude_m: float | None
    typical_year: bool
    source: str
    _keys: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def sample(self, column: str, start: pd.Timestamp, n: int, step_s: float) -> FloatArray:
        """Mean of ``column`` over each of ``n`` intervals of ``step_s`` from ``start``."""
        series = self.data[column]
        return sample_series(series, self, start, n, step_s)


def sample_series(
    series: pd.Series, weather: Weather, start: pd.Timestamp, n: int, step_s: float
) -> FloatArray:
    """Mean of a series on ``weather``'s rows over ``n`` intervals of ``step_s`` from ``start``.

    Each interval is averaged over sub-samples at the weather's own resolution (at least one).
    """
    sub = max(int(math.ceil(step_s / weather.interval_s - 1e-9)), 1)
    t0 = pd.Timestamp(start).tz_convert("UTC")
    offsets_s = np.arange(n)[:, None] * step_s + (np.arange(sub)[None, :] + 0.5) * step_s / sub
    times = pd.DatetimeIndex(t0 + pd.to_timedelta(offsets_s.ravel(), unit="s")).as_unit("ns")
    rows = _rows_for(weather, times)
    values = series.to_numpy(dtype=float)[rows].reshape(n, sub)
    return np.asarray(values.mean(axis=1), dtype=float)


def _year_key_s(index: pd.DatetimeIndex) -> np.ndarray:
    """Seconds into a 365-day year (29 February folded onto 28 February)."""
    doy = index.day_of_year.to_numpy()
    leap_after_feb = index.is_leap_year & (doy >= 60)
    doy_adj = doy - leap_after_feb.astype(int)
    sod = index.hour.to_numpy() * 3600 + index.minute.to_numpy() * 60 + index.second.to_numpy()
    return np.asarray((doy_adj - 1) * 86400 + sod, dtype=np.int64)


def _rows_for(weather: Weather, times: pd.DatetimeIndex) -> np.ndarray:
    index = pd.DatetimeIndex(weather.data.index).as_unit("ns")
    times = times.as_unit("ns")
    if weather.typical_year:
        if "order" not in weather._keys:
            keys = _year_key_s(index)
            order = np.argsort(keys, kind="stable")
            weather._keys["order"] = order
            weather._keys["sorted"] = keys[order]
        order, sorted_keys = weather._keys["order"], weather._keys["sorted"]
        want = _year_key_s(times)
        span_s = int(sorted_keys[-1] - sorted_keys[0] + weather.interval_s)
        if span_s < _YEAR_S - 86400 and (
            want.min() < sorted_keys[0] or want.max() >= sorted_keys[0] + span_s
        ):
            raise DataFileError(
                Path(weather.source.split(" ")[0]),
                [
                    f"typical-year weather covers only {span_s / 86400:g} days of the calendar "
                    f"and not {times[0]} – {times[-1]}; use a whole-year file or move the run"
                ],
            )
        pos = np.searchsorted(sorted_keys, want, side="right") - 1
        return np.asarray(order[np.mod(pos, order.size)], dtype=np.int64)
    ns = index.asi8
    t = times.asi8
    end = ns[-1] + int(weather.interval_s * 1e9)
    if t.min() < ns[0] or t.max() >= end:
        raise DataFileError(
            Path(weather.source.split(" ")[0]),
            [
                f"measured weather covers {index[0]} – {pd.Timestamp(end, tz='UTC')} (UTC) but the "
                f"run needs {times[0]} – {times[-1]}; use a file that covers the run or set "
                "typical_year = true"
            ],
        )
    return np.asarray(np.searchsorted(ns, t, side="right") - 1, dtype=np.int64)


def _to_starts(
    index: pd.DatetimeIndex, label: Label, typical: bool
) -> tuple[pd.DatetimeIndex, float]:
    """Interval-start UTC labels and the interval; a typical year's months may come from
    different years, so only its steps within a month need to increase."""
    index = pd.DatetimeIndex(index).as_unit("ns")
    diffs = np.diff(index.asi8)
    if typical:
        diffs = diffs[diffs > 0]
    if diffs.size == 0 or (diffs <= 0).any():
        raise ValueError("times must increase and there must be at least two rows")
    interval_s = float(np.median(diffs)) / 1e9
    shift = {"start": 0.0, "centre": 0.5, "end": 1.0}[label] * interval_s
    starts = index - pd.Timedelta(seconds=shift)
    return pd.DatetimeIndex(starts.tz_convert("UTC")), interval_s


def _one_year(data: pd.DataFrame) -> pd.DataFrame:
    """A typical year's rows moved into one non-leap year in the file's own clock (months of a
    TMY come from different years); a 29 February row, if any, is dropped."""
    index = pd.DatetimeIndex(data.index)
    if index.tz is not None:
        offsets = index.tz_localize(None) - index.tz_convert("UTC").tz_localize(None)
        if offsets.nunique() > 1:  # a zone with DST: count calendar positions in UTC
            index = index.tz_convert("UTC")
    zone = index.tz
    wall = index.tz_localize(None) if zone is not None else index
    keep = ~((wall.month == 2) & (wall.day == 29))
    wall = wall[keep]
    moved = pd.DatetimeIndex(
        pd.to_datetime(
            {
                "year": 2019,
                "month": wall.month,
                "day": wall.day,
                "hour": wall.hour,
                "minute": wall.minute,
                "second": wall.second,
            }
        )
    )
    out = data[keep].copy()
    out.index = moved.tz_localize(zone) if zone is not None else moved
    return out


def _check_columns(data: pd.DataFrame, path: Path) -> pd.DataFrame:
    missing = [c for c in WEATHER_COLUMNS if c not in data.columns]
    if missing:
        raise DataFileError(path, [f"weather column(s) missing: {', '.join(missing)}"])
    out: pd.DataFrame = (
        data[list(WEATHER_COLUMNS)].apply(pd.to_numeric, errors="coerce").astype(float)
    )
    bad = out.isna().any(axis=1).to_numpy()
    if bad.any():
        raise DataFileError(
            path,
            [
                f"{int(bad.sum())} row(s) with missing or non-numeric weather, "
                f"first at {out.index[int(np.argmax(bad))]}"
            ],
        )
    return out


def _read_pvlib(path: Path, fmt: str) -> tuple[pd.DataFrame, dict[str, float | None], str]:
    pvlib = require_pvlib()

    if fmt == "tmy3":
        data, meta = pvlib.iotools.read_tmy3(path, map_variables=True)
        loc = {
            "latitude": meta["latitude"],
            "longitude": meta["longitude"],
            "altitude": meta["altitude"],
        }
        return data, loc, f"TMY3 station {meta.get('USAF', '?')} {meta.get('Name', '')}".strip()
    if fmt == "epw":
        data, meta = pvlib.iotools.read_epw(path)
        loc = {
            "latitude": meta["latitude"],
            "longitude": meta["longitude"],
            "altitude": meta["altitude"],
        }
        return (
            data,
            loc,
            f"EPW {meta.get('city', '')}, {meta.get('country', '')} "
            f"(WMO {meta.get('WMO_code', '?')}, {meta.get('data_type', '')})",
        )
    if fmt == "pvgis":
        data, meta = _read_pvgis(path)
        inputs = meta.get("inputs", {})
        where = inputs.get("location", inputs)
        loc = {
            "latitude": where.get("latitude"),
            "longitude": where.get("longitude"),
            "altitude": where.get("elevation"),
        }
        return data, loc, "PVGIS TMY"
    data, meta = pvlib.iotools.read_nsrdb_psm4(path, map_variables=True)
    loc = {
        "latitude": meta["latitude"],
        "longitude": meta["longitude"],
        "altitude": meta["altitude"],
    }
    return data, loc, f"NSRDB {meta.get('Source', '')} location {meta.get('Location ID', '?')}"


def _read_pvgis(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """PVGIS TMY as downloaded (JSON or CSV), optionally gzip-compressed (``.csv.gz``)."""
    import gzip
    import io

    pvlib = require_pvlib()

    if path.suffix != ".gz":
        data, meta = pvlib.iotools.read_pvgis_tmy(path, map_variables=True)
        return data, meta
    inner = Path(path.stem).suffix.lstrip(".").lower()
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    buf: Any = io.StringIO(raw.decode("utf-8")) if inner == "json" else io.BytesIO(raw)
    data, meta = pvlib.iotools.read_pvgis_tmy(buf, pvgis_format=inner, map_variables=True)
    return data, meta


def _read_generic(path: Path, timezone: str | None) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(path, [f"not a readable CSV: {exc}"]) from None
    if "time" not in raw.columns:
        raise DataFileError(path, ["column 'time' is missing"])
    index = parse_times(raw["time"], path, "time", timezone)
    out: pd.DataFrame = raw.drop(columns="time").set_index(index)
    return out


def read_weather(
    path: Path,
    fmt: WeatherFormat,
    *,
    label: Label | None = None,
    typical_year: bool | None = None,
    timezone: str | None = None,
) -> Weather:
    """Read a weather file (see the module docstring for formats and conventions).

    Parameters
    ----------
    path : Path
    fmt : {"tmy3", "epw", "pvgis", "psm", "csv"}
    label : {"start", "centre", "end"}, optional
        Where each timestamp sits in its interval; default: the format's convention.
    typical_year : bool, optional
        Default: True for TMY3, EPW and PVGIS TMY files, False otherwise.
    timezone : str, optional
        IANA zone for zoneless times in a generic CSV.
    """
    if not path.exists():
        raise DataFileError(path, ["weather file not found"])
    loc: dict[str, float | None] = {"latitude": None, "longitude": None, "altitude": None}
    if fmt == "csv":
        data = _read_generic(path, timezone)
        what = "generic weather CSV"
    else:
        try:
            data, loc, what = _read_pvlib(path, fmt)
        except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise DataFileError(path, [f"not a readable {fmt} weather file ({exc})"]) from None
    data = _check_columns(data, path)
    typical = fmt in TYPICAL_FORMATS if typical_year is None else typical_year
    if typical:
        data = _one_year(data)
    try:
        starts, interval_s = _to_starts(
            pd.DatetimeIndex(data.index), label or DEFAULT_LABEL[fmt], typical
        )
    except ValueError as exc:
        raise DataFileError(path, [str(exc)]) from None
    data.index = starts
    return Weather(
        data=data,
        interval_s=interval_s,
        latitude=finite_or_none(loc.get("latitude")),
        longitude=finite_or_none(loc.get("longitude")),
        altitude_m=finite_or_none(loc.get("altitude")),
        typical_year=typical,
        source=f"{path.name} ({what}; {'typical year' if typical else 'measured'}, "
        f"{interval_s / 60:g}-min rows)",
    )


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance [km] (haversine, mean Earth radius 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def midpoints(weather: Weather) -> pd.DataFrame:
    """The weather re-labelled at interval midpoints (the time a sun position belongs to)."""
    out = weather.data.copy()
    out.index = pd.DatetimeIndex(out.index) + pd.Timedelta(seconds=weather.interval_s / 2)
    return out
