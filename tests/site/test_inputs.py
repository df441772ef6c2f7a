"""Site inputs chunk by chunk, with weather, profiles, prices and DST-correct local hours."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from packlife.site.inputs import build_inputs, local_hours
from packlife.site.scenario import load_scenario

pytest.importorskip("pvlib")
DATA = Path(__file__).parents[1] / "data" / "weather"


def _site_file(tmp_path: Path, extra: str) -> Path:
    text = (Path(__file__).parents[2] / "src/packlife/site/templates/new-scenario.toml").read_text(
        encoding="utf-8"
    )
    path = tmp_path / "site.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


PV = """
[weather]
file = "NLD_Amsterdam062400_IWEC_3days.epw"
format = "epw"

[[sources]]
name = "rooftop_pv"
kind = "pv"
max_power_kw = 30.0
peak_power_kwp = 30.0
"""


def test_chunks_equal_one_block_and_pv_follows_the_weather(tmp_path: Path) -> None:
    shutil.copy(DATA / "NLD_Amsterdam062400_IWEC_3days.epw", tmp_path)
    text = _site_file(tmp_path, PV).read_text(encoding="utf-8")
    path = tmp_path / "site.toml"
    path.write_text(
        text.replace("2024-06-03T00:00:00+01:00", "2024-01-01T00:00:00+00:00"), encoding="utf-8"
    )
    sc, _ = load_scenario(str(path))
    whole = build_inputs(sc, 96, 900.0)
    parts = [build_inputs(sc, 24, 900.0, start=k) for k in (0, 24, 48, 72)]
    for name in ("rooftop_pv", "grid"):
        np.testing.assert_array_equal(
            whole.available_w[name], np.concatenate([p.available_w[name] for p in parts])
        )
    np.testing.assert_array_equal(whole.ambient_c, np.concatenate([p.ambient_c for p in parts]))
    assert whole.ambient_c.size == 96 * 15  # per 60 s engine step
    pv = whole.available_w["rooftop_pv"]
    assert pv[:28].max() == 0.0 and pv.max() > 3000.0  # dark before 07:00, kW at noon
    # ambient is the EPW's temperature (file in UTC+1): 00:00-01:00 UTC is the file's second
    # hour (4.6 °C), 01:00-02:00 UTC its third (4.3 °C)
    assert (whole.ambient_c[0], whole.ambient_c[60]) == (4.6, 4.3)
    # TOU: 0.12 before 07:00 local, weekday peak 0.40 from 16:00 (1 January 2024 is a Monday)
    assert whole.price_import_per_kwh[0] == 0.12 and whole.price_import_per_kwh[16 * 4] == 0.40


def test_local_hours_follow_dst_with_a_site_zone(tmp_path: Path) -> None:
    path = _site_file(tmp_path, "")
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "2024-06-03T00:00:00+01:00", "2024-03-30T12:00:00+00:00"
        ),
        encoding="utf-8",
    )
    sc, _ = load_scenario(str(path))
    hours = local_hours(sc, 48, 3600.0)
    # 30 March 12:00 GMT ... 31 March 01:00 GMT is 02:00 BST: the clock skips 01:00
    assert (hours[12], hours[13], hours[36]) == (0.0, 2.0, 1.0)


def test_measured_load_and_grid_limit_profiles(tmp_path: Path) -> None:
    (tmp_path / "load.csv").write_text(
        "time,load_kw,limit_kw\n2024-06-03T00:00:00+01:00,5,20\n2024-06-03T12:00:00+01:00,15,10\n",
        encoding="utf-8",
    )
    extra = """
[profiles]
load = { file = "load.csv", column = "load_kw", unit = "kW", repeat = true }
grid_limit = { file = "load.csv", column = "limit_kw", unit = "kW", repeat = true }
"""
    sc, _ = load_scenario(str(_site_file(tmp_path, extra)))
    inp = build_inputs(sc, 48, 1800.0)
    np.testing.assert_allclose(inp.load_w, np.repeat([5e3, 15e3], 24))
    np.testing.assert_allclose(inp.source_cap_w["grid"], np.repeat([20e3, 10e3], 24))
    np.testing.assert_allclose(inp.available_w["grid"], inp.source_cap_w["grid"])


def test_a_measured_pv_series_replaces_the_pv_model(tmp_path: Path) -> None:
    rows = "".join(
        f"2024-06-03T{h:02d}:00:00+01:00,{max(0.0, 20.0 - abs(h - 13) * 3.0)}\n" for h in range(24)
    )
    (tmp_path / "pv.csv").write_text("time,pv_kw\n" + rows, encoding="utf-8")
    extra = """
[[sources]]
name = "rooftop_pv"
kind = "pv"
max_power_kw = 15.0
peak_power_kwp = 30.0
measured_power = { file = "pv.csv", column = "pv_kw", unit = "kW", repeat = true }
"""
    sc, _ = load_scenario(str(_site_file(tmp_path, extra)))
    pv = build_inputs(sc, 48, 3600.0).available_w["rooftop_pv"]
    # hour 13 local measured 20 kW, capped at the 15 kW inverter rating; night is zero
    assert pv[13] == 15e3 and pv[12] == 15e3 and pv[7] == 2e3 and pv[0] == 0.0
    np.testing.assert_array_equal(pv[:24], pv[24:])


def test_tou_bands_follow_local_time_across_both_dst_changes(tmp_path: Path) -> None:
    from packlife.site.inputs import prices_per_kwh

    path = _site_file(tmp_path, "")
    text = path.read_text(encoding="utf-8")
    for start, cheap_hours in (("2024-10-27T00:00:00+01:00", 8), ("2024-03-31T00:00:00+00:00", 6)):
        path.write_text(text.replace("2024-06-03T00:00:00+01:00", start), encoding="utf-8")
        sc, _ = load_scenario(str(path))
        # 23 or 25 UTC hours make the local day; the 00:00-07:00 band has 8 hours on the day the
        # clocks go back and 6 on the day they go forward
        n = 25 if cheap_hours == 8 else 23
        p_in, _ = prices_per_kwh(sc, n, 3600.0)
        assert int(np.sum(p_in == 0.12)) == cheap_hours
