"""Weather readers on real downloaded files (extracts of pvlib's test data), labels and sampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from packlife.errors import DataFileError
from packlife.site.weather import read_weather

pytest.importorskip("pvlib")
DATA = Path(__file__).parents[1] / "data" / "weather"


def test_epw_rows_start_at_the_hour_they_cover() -> None:
    w = read_weather(DATA / "NLD_Amsterdam062400_IWEC_3days.epw", "epw")
    assert (w.latitude, w.longitude) == (52.3, 4.77)
    assert w.interval_s == 3600.0 and w.typical_year
    # EPW hour 1 of 1 January (00:00-01:00 local, UTC+1) starts at 23:00 UTC the day before;
    # a typical year's rows are moved into one (non-leap) year, 2019
    assert w.data.index[0] == pd.Timestamp("2018-12-31T23:00Z")
    # the file's first row: 5.1 °C, 6.7 m/s, night
    assert w.data.iloc[0][["temp_air", "wind_speed", "ghi"]].tolist() == [5.1, 6.7, 0.0]
    assert "AMSTERDAM" in w.source


@pytest.mark.parametrize("name", ["nsrdb_psm3_2days.csv", "nsrdb_psm4_2days.csv"])
def test_nsrdb_psm_files_read_with_their_location(name: str) -> None:
    w = read_weather(DATA / name, "psm")
    assert (w.latitude, w.longitude, w.altitude_m) == (40.53, -108.54, 2168.0)
    assert w.interval_s == 1800.0 and not w.typical_year
    assert w.data.index[0] == pd.Timestamp(f"{2017 if 'psm3' in name else 2023}-01-01T07:00Z")
    assert 150.0 < w.data["ghi"].max() < 700.0  # winter noons at 40.5° N


def test_pvgis_tmy_json_and_csv_give_the_same_weather() -> None:
    js = read_weather(DATA / "pvgis_tmy_45N_8E_3days.json", "pvgis")
    cs = read_weather(DATA / "pvgis_tmy_45N_8E.csv.gz", "pvgis")
    assert (js.latitude, js.longitude, cs.latitude, cs.altitude_m) == (45.0, 8.0, 45.0, 250.0)
    assert len(cs.data) == 8760 and cs.typical_year
    pd.testing.assert_frame_equal(js.data, cs.data.iloc[:72], check_freq=False)


def test_tmy3_hour_end_labels_move_to_interval_start() -> None:
    import pvlib

    path = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
    w = read_weather(path, "tmy3")
    raw, _ = pvlib.iotools.read_tmy3(path, map_variables=True)
    assert len(w.data) == len(raw) == 8760
    # first row labelled 01:00 local (UTC-5) covers 00:00-01:00 local = 05:00 UTC
    first = pd.DatetimeIndex(w.data.index)[0]
    assert (first.month, first.day, first.hour) == (1, 1, 5)


def test_typical_year_is_used_for_any_year_by_calendar_position() -> None:
    w = read_weather(DATA / "pvgis_tmy_45N_8E.csv.gz", "pvgis")
    jan2_noon = w.data["temp_air"].iloc[24 + 12]
    for year in (2021, 2024, 2031):
        got = w.sample("temp_air", pd.Timestamp(f"{year}-01-02T12:00Z"), 1, 3600.0)
        assert got[0] == jan2_noon
    # 29 February takes 28 February's weather
    leap = w.sample("temp_air", pd.Timestamp("2024-02-29T10:00Z"), 1, 3600.0)
    feb28 = w.sample("temp_air", pd.Timestamp("2023-02-28T10:00Z"), 1, 3600.0)
    assert leap[0] == feb28[0]


def test_sampling_averages_over_longer_steps_and_holds_within_rows() -> None:
    w = read_weather(DATA / "nsrdb_psm3_2days.csv", "psm")
    t0 = pd.Timestamp("2017-01-01T18:00Z")
    hourly = w.sample("ghi", t0, 3, 3600.0)
    rows = w.data["ghi"].loc[t0 : t0 + pd.Timedelta(minutes=150)].to_numpy()
    np.testing.assert_allclose(hourly, rows.reshape(3, 2).mean(axis=1))
    minutes = w.sample("ghi", t0, 30, 60.0)
    assert np.all(minutes == rows[0])


def test_measured_weather_must_cover_the_run() -> None:
    w = read_weather(DATA / "nsrdb_psm3_2days.csv", "psm")
    with pytest.raises(DataFileError, match="covers"):
        w.sample("ghi", pd.Timestamp("2017-01-05T00:00Z"), 24, 3600.0)


def test_generic_csv_reads_offsets_and_rejects_zoneless_times(tmp_path: Path) -> None:
    w = read_weather(DATA / "generic_amsterdam_3days.csv", "csv")
    epw = read_weather(DATA / "NLD_Amsterdam062400_IWEC_3days.epw", "epw", typical_year=False)
    np.testing.assert_array_equal(w.data.to_numpy(), epw.data.to_numpy())
    assert (w.data.index == epw.data.index).all()
    text = (DATA / "generic_amsterdam_3days.csv").read_text(encoding="utf-8")
    zoneless = tmp_path / "zoneless.csv"
    zoneless.write_text(text.replace("+01:00", ""), encoding="utf-8")
    with pytest.raises(DataFileError, match="no time zone"):
        read_weather(zoneless, "csv")
    w2 = read_weather(zoneless, "csv", timezone="Europe/Amsterdam")
    assert (w2.data.index == w.data.index).all()


def test_missing_columns_and_garbage_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,ghi\n2024-01-01T00:00Z,0\n2024-01-01T01:00Z,0\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"bad\.csv.*missing: dni"):
        read_weather(bad, "csv")
    junk = tmp_path / "junk.epw"
    junk.write_text("not an epw\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"junk\.epw"):
        read_weather(junk, "epw")
