"""Measured site profiles from CSV: load, grid import limit, prices, measured PV power.

A profile file has a time column and one value column. Times are ISO 8601; each row's value holds
from its time until the next row's (**interval-start labels**, or ``label = "end"`` for files that
stamp the end of each interval). Times without a zone are refused unless the profile (or the
site) names an IANA zone; then they are local clock times in that zone, DST included: a local time
that does not exist (spring forward) is an error, and the repeated hour in autumn is resolved from
the order of the rows.

Values are converted to SI with the profile's ``unit`` (W / kW / MW for power; ``<CUR>/kWh`` or
``<CUR>/MWh`` for prices, where ``<CUR>`` must be the scenario's currency) and put on the run's
grid: powers and prices as time-weighted means over each interval, limits as the smallest value
in it (the binding one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from packlife._typing import FloatArray
from packlife.errors import DataFileError

ProfileKind = Literal["power", "limit", "price"]

POWER_UNITS = {"W": 1.0, "kW": 1e3, "MW": 1e6}
ENERGY_PRICE_UNITS = {"/kWh": 1.0, "/MWh": 1e-3}


@dataclass(frozen=True)
class Profile:
    """A step profile: value ``values[i]`` holds on ``[starts_ns[i], starts_ns[i+1])``.

    Attributes
    ----------
    starts_ns : ndarray of int64
        Interval starts, UTC nanoseconds since the epoch, increasing.
    values : ndarray
        SI values (W, or currency per kWh).
    end_ns : int
        End of the last interval (UTC ns).
    repeat : bool
        Whether the profile repeats with its own period outside its span.
    source : str
        File and column, for reports and errors.
    """

    starts_ns: np.ndarray
    values: FloatArray
    end_ns: int
    repeat: bool
    source: str


def parse_times(raw: pd.Series, path: Path, column: str, timezone: str | None) -> pd.DatetimeIndex:
    """Parse ISO 8601 times into a UTC index; zoneless times need ``timezone`` (IANA name).

    Raises
    ------
    DataFileError
        Unparseable times, zoneless times without a zone, local times that do not exist in the zone
        (spring-forward gap) or repeated times that cannot be ordered (autumn fold).
    """
    text = raw.astype(str).str.strip()
    has_zone = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    if bool(has_zone.all()):
        try:
            return pd.DatetimeIndex(pd.to_datetime(text, utc=True, format="ISO8601")).as_unit("ns")
        except (ValueError, TypeError) as exc:
            raise DataFileError(path, [f"column {column!r}: not ISO 8601 times ({exc})"]) from None
    if bool(has_zone.any()):
        row = int(np.argmin(has_zone.to_numpy())) + 2
        raise DataFileError(
            path, [f"row {row}: time {text.iloc[row - 2]!r} has no zone offset while other rows do"]
        )
    if timezone is None:
        raise DataFileError(
            path,
            [
                f"column {column!r}: times have no time zone (e.g. {text.iloc[0]!r}); write them "
                "with an offset (2024-06-03T08:00:00+01:00) or set `timezone` for this file or in "
                "[site] (an IANA name such as Europe/London)"
            ],
        )
    try:
        naive = pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601"))
    except (ValueError, TypeError) as exc:
        raise DataFileError(path, [f"column {column!r}: not ISO 8601 times ({exc})"]) from None
    try:
        local = naive.tz_localize(timezone, ambiguous="infer", nonexistent="raise")
    except Exception as exc:  # pytz/zoneinfo raise several types for gaps and folds
        raise DataFileError(
            path,
            [
                f"column {column!r}: local times do not fit zone {timezone} across a DST change "
                f"({exc}); write the times with their UTC offset"
            ],
        ) from None
    return pd.DatetimeIndex(local.tz_convert("UTC")).as_unit("ns")


def _scale(unit: str, kind: ProfileKind, currency: str | None, path: Path) -> float:
    if kind in ("power", "limit"):
        if unit not in POWER_UNITS:
            raise DataFileError(path, [f"unit {unit!r}: expected one of {', '.join(POWER_UNITS)}"])
        return POWER_UNITS[unit]
    for suffix, factor in ENERGY_PRICE_UNITS.items():
        if unit.endswith(suffix):
            cur = unit[: -len(suffix)]
            if currency is not None and cur != currency:
                raise DataFileError(
                    path,
                    [
                        f"unit {unit!r} is in {cur}, the scenario's currency is {currency}: "
                        "money is never mixed; convert the file"
                    ],
                )
            return factor
    raise DataFileError(path, [f"unit {unit!r}: expected <currency>/kWh or <currency>/MWh"])


def read_profile(
    path: Path,
    column: str,
    unit: str,
    kind: ProfileKind,
    *,
    time_column: str = "time",
    timezone: str | None = None,
    label: Literal["start", "end"] = "start",
    repeat: bool = False,
    currency: str | None = None,
) -> Profile:
    """Read one profile column from a CSV (see the module docstring for the rules)."""
    try:
        raw = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(path, [f"not a readable CSV: {exc}"]) from None
    missing = [c for c in (time_column, column) if c not in raw.columns]
    if missing:
        raise DataFileError(
            path,
            [
                f"column {c!r} is missing (columns: {', '.join(map(str, raw.columns))})"
                for c in missing
            ],
        )
    if len(raw) < 2:
        raise DataFileError(path, ["a profile needs at least two rows"])
    times = parse_times(raw[time_column], path, time_column, timezone)
    values = pd.to_numeric(raw[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.argmax(bad)) + 2
        raise DataFileError(path, [f"row {row}: {column!r} is not a number"])
    if kind in ("power", "limit") and (values < 0).any():
        row = int(np.argmax(values < 0)) + 2
        raise DataFileError(path, [f"row {row}: {column!r} must be ≥ 0"])
    ns = times.asi8
    steps = np.diff(ns)
    if (steps <= 0).any():
        row = int(np.argmax(steps <= 0)) + 3
        raise DataFileError(path, [f"row {row}: times must increase"])
    last_step = int(np.median(steps))
    if label == "end":
        starts = np.concatenate([[ns[0] - int(steps[0])], ns[:-1]])
        end_ns = int(ns[-1])
    else:
        starts = ns
        end_ns = int(ns[-1]) + last_step
    return Profile(
        starts_ns=np.asarray(starts, dtype=np.int64),
        values=values * _scale(unit, kind, currency, path),
        end_ns=end_ns,
        repeat=repeat,
        source=f"{path}:{column}",
    )


def _cumulative(profile: Profile, t_ns: np.ndarray) -> FloatArray:
    """∫ value dt from the profile's first start to ``t_ns`` [value·s] (t inside its span)."""
    starts = profile.starts_ns
    bounds = np.concatenate([starts, [profile.end_ns]])
    widths_s = np.diff(bounds) / 1e9
    cum = np.concatenate([[0.0], np.cumsum(profile.values * widths_s)])
    k = np.clip(np.searchsorted(starts, t_ns, side="right") - 1, 0, starts.size - 1)
    return np.asarray(cum[k] + profile.values[k] * (t_ns - starts[k]) / 1e9, dtype=float)


def _wrap(profile: Profile, t_ns: np.ndarray, what: str) -> np.ndarray:
    first, end = int(profile.starts_ns[0]), profile.end_ns
    if profile.repeat:
        return np.asarray(first + np.mod(t_ns - first, end - first), dtype=np.int64)
    if t_ns.min() < first or t_ns.max() > end:
        span = f"{pd.Timestamp(first, tz='UTC')} – {pd.Timestamp(end, tz='UTC')}"
        need = (
            f"{pd.Timestamp(int(t_ns.min()), tz='UTC')} – {pd.Timestamp(int(t_ns.max()), tz='UTC')}"
        )
        raise DataFileError(
            Path(profile.source.split(":")[0]),
            [
                f"{what}: covers {span} (UTC) but the run needs {need}; "
                "extend it or set repeat = true"
            ],
        )
    return t_ns


def on_grid(
    profile: Profile, start: pd.Timestamp, n: int, step_s: float, kind: ProfileKind
) -> FloatArray:
    """The profile on ``n`` intervals of ``step_s`` from ``start``: time-weighted means (power,
    price) or minima (limit) over each interval."""
    t0 = int(pd.Timestamp(start).tz_convert("UTC").value)
    edges = t0 + np.round(np.arange(n + 1) * step_s * 1e9).astype(np.int64)
    if kind == "limit":
        return _minimum_on(profile, edges)
    lo = _wrap(profile, edges[:-1], profile.source)
    hi_raw = edges[1:]
    # an interval that wraps past the end of a repeating profile: integrate in two parts
    hi = _wrap(profile, hi_raw - 1, profile.source) + 1
    integral = _cumulative(profile, hi) - _cumulative(profile, lo)
    wrapped = hi < lo
    if wrapped.any():
        total = float(_cumulative(profile, np.array([profile.end_ns]))[0])
        integral = np.where(wrapped, integral + total, integral)
    return np.asarray(integral / step_s, dtype=float)


def _minimum_on(profile: Profile, edges: np.ndarray) -> FloatArray:
    lo = _wrap(profile, edges[:-1], profile.source)
    hi = _wrap(profile, edges[1:] - 1, profile.source)
    k_lo = np.searchsorted(profile.starts_ns, lo, side="right") - 1
    k_hi = np.searchsorted(profile.starts_ns, hi, side="right") - 1
    out = np.empty(lo.size)
    vals = profile.values
    for i in range(lo.size):
        a, b = int(k_lo[i]), int(k_hi[i])
        out[i] = vals[a : b + 1].min() if b >= a else min(vals[a:].min(), vals[: b + 1].min())
    return out
