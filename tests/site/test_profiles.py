"""Measured profiles: zones and DST, zoneless files refused, units, resampling to the step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from packlife.errors import DataFileError
from packlife.site.profiles import on_grid, read_profile


def _csv(tmp_path: Path, rows: list[tuple[str, float]], name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_text("time,value\n" + "".join(f"{t},{v}\n" for t, v in rows), encoding="utf-8")
    return path


def test_zoneless_times_are_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = _csv(tmp_path, [("2024-06-03 08:00", 1.0), ("2024-06-03 09:00", 2.0)])
    with pytest.raises(DataFileError, match=r"p\.csv.*no time zone.*IANA"):
        read_profile(path, "value", "kW", "power")


def test_local_times_through_spring_forward_and_autumn_fold(tmp_path: Path) -> None:
    # Europe/London: 2024-03-31 01:00 GMT -> 02:00 BST; 2024-10-27 02:00 BST -> 01:00 GMT
    spring = [
        ("2024-03-31 00:00", 1.0),
        ("2024-03-31 00:30", 2.0),
        ("2024-03-31 02:00", 3.0),
        ("2024-03-31 02:30", 4.0),
    ]
    prof = read_profile(_csv(tmp_path, spring), "value", "kW", "power", timezone="Europe/London")
    utc = pd.DatetimeIndex(pd.to_datetime(prof.starts_ns, utc=True))
    # local 00:30 GMT is 00:30 UTC; local 02:00 BST is 01:00 UTC: only 30 minutes later
    assert list(utc.strftime("%H:%M")) == ["00:00", "00:30", "01:00", "01:30"]
    autumn = [
        ("2024-10-27 00:30", 1.0),
        ("2024-10-27 01:00", 2.0),
        ("2024-10-27 01:30", 3.0),
        ("2024-10-27 01:00", 4.0),
        ("2024-10-27 01:30", 5.0),
        ("2024-10-27 02:00", 6.0),
    ]
    prof = read_profile(_csv(tmp_path, autumn), "value", "kW", "power", timezone="Europe/London")
    steps_min = np.diff(prof.starts_ns) / 6e10
    assert steps_min.tolist() == [30.0] * 5  # the repeated hour is two distinct UTC hours


def test_a_local_time_inside_the_spring_gap_is_an_error(tmp_path: Path) -> None:
    gap = [("2024-03-31 00:30", 1.0), ("2024-03-31 01:30", 2.0), ("2024-03-31 02:30", 3.0)]
    with pytest.raises(DataFileError, match="DST"):
        read_profile(_csv(tmp_path, gap), "value", "kW", "power", timezone="Europe/London")


def test_offsets_across_dst_read_without_a_zone(tmp_path: Path) -> None:
    rows = [
        ("2024-10-27T00:00:00+01:00", 1.0),
        ("2024-10-27T01:00:00+01:00", 2.0),
        ("2024-10-27T01:00:00+00:00", 3.0),
        ("2024-10-27T02:00:00+00:00", 4.0),
    ]
    prof = read_profile(_csv(tmp_path, rows), "value", "W", "power")
    assert (np.diff(prof.starts_ns) == 3600 * 10**9).all()


def test_resampling_keeps_energy_and_limits_take_the_minimum(tmp_path: Path) -> None:
    rows = [(f"2024-06-03T{h:02d}:00:00+00:00", v) for h, v in enumerate([10.0, 20.0, 30.0, 40.0])]
    path = _csv(tmp_path, rows)
    prof = read_profile(path, "value", "kW", "power")
    t0 = pd.Timestamp("2024-06-03T00:00Z")
    two_hourly = on_grid(prof, t0, 2, 7200.0, "power")
    np.testing.assert_allclose(two_hourly, [15e3, 35e3])
    quarter = on_grid(prof, t0 + pd.Timedelta(minutes=30), 4, 900.0, "power")
    np.testing.assert_allclose(quarter, [10e3, 10e3, 20e3, 20e3])
    limit = read_profile(path, "value", "kW", "limit")
    np.testing.assert_allclose(
        on_grid(limit, t0 + pd.Timedelta(minutes=30), 2, 3600.0, "limit"), [10e3, 20e3]
    )


def test_profiles_must_cover_the_run_unless_repeated(tmp_path: Path) -> None:
    rows = [("2024-06-03T00:00Z", 1.0), ("2024-06-03T12:00Z", 3.0)]  # one day, two halves
    path = _csv(tmp_path, rows)
    t0 = pd.Timestamp("2024-06-03T00:00Z")
    with pytest.raises(DataFileError, match="repeat"):
        on_grid(read_profile(path, "value", "kW", "power"), t0, 48, 3600.0, "power")
    rep = read_profile(path, "value", "kW", "power", repeat=True)
    out = on_grid(rep, t0, 48, 3600.0, "power")
    np.testing.assert_allclose(out, np.tile(np.repeat([1e3, 3e3], 12), 2))
    # an interval straddling the wrap averages both ends
    np.testing.assert_allclose(on_grid(rep, t0 + pd.Timedelta(hours=23), 1, 7200.0, "power"), 2e3)


def test_price_units_and_currency_are_checked(tmp_path: Path) -> None:
    path = _csv(tmp_path, [("2024-06-03T00:00Z", 100.0), ("2024-06-03T01:00Z", 50.0)])
    prof = read_profile(path, "value", "GBP/MWh", "price", currency="GBP")
    np.testing.assert_allclose(prof.values, [0.1, 0.05])
    with pytest.raises(DataFileError, match="never mixed"):
        read_profile(path, "value", "EUR/MWh", "price", currency="GBP")
    with pytest.raises(DataFileError, match="unit 'kWh'"):
        read_profile(path, "value", "kWh", "power")
