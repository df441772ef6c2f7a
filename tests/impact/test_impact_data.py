"""The impact data files: validation messages, unique ids, rating lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from packlife.errors import DataFileError, PacklifeError
from packlife.impact import fuel_curve_for_rating, load_emission_factor_file, load_fuel_curve_file
from packlife.impact.factors import EMISSION_FACTORS_FILE, FUEL_CURVES_FILE

CURVE = """
[[curve]]
id = "{id}"
rated_power_kw = 60.0
f0_lph_per_kw_rated = 0.05
f1_lph_per_kw = 0.25
chart_load_fraction = {x}
chart_fuel_lph = [6.8, 11.0]
sources = [{{ url = "https://example.org/chart", supports = "chart" }}]
"""


def test_builtin_files_are_valid() -> None:
    assert len(load_fuel_curve_file(FUEL_CURVES_FILE).curve) >= 5
    factors = load_emission_factor_file(EMISSION_FACTORS_FILE)
    assert len(factors.diesel) >= 6 and len(factors.grid) >= 3


def test_chart_mismatch_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "curves.toml"
    path.write_text(CURVE.format(id="a", x="[0.5, 0.75, 1.0]"), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"curves\.toml.*curve\.0.*same length"):
        load_fuel_curve_file(path)


def test_duplicate_ids_rejected(tmp_path: Path) -> None:
    path = tmp_path / "curves.toml"
    path.write_text(CURVE.format(id="a", x="[0.5, 1.0]") * 2, encoding="utf-8")
    with pytest.raises(DataFileError, match="duplicate ids a"):
        load_fuel_curve_file(path)


def test_missing_sources_rejected(tmp_path: Path) -> None:
    path = tmp_path / "factors.toml"
    path.write_text('[[diesel]]\nid = "x"\nco2_kg_per_l = 2.0\nscope = "ttw"\n'
                    '[[grid]]\nid = "g"\nintensity_g_per_kwh = 100.0\nsources = []\n',
                    encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_emission_factor_file(path)
    text = str(info.value)
    assert "diesel.0.sources" in text and "grid.0.sources" in text


def test_rating_lookup() -> None:
    assert fuel_curve_for_rating(60.0).id == "chart_60kw"
    assert fuel_curve_for_rating(125.0).id == "chart_125kw"
    c = fuel_curve_for_rating(80.0)  # nearest chart on a log scale: 75 kW
    assert c.rated_power_kw == 80.0
    assert c.f1_lph_per_kw == fuel_curve_for_rating(75.0).f1_lph_per_kw
    assert c.chart_fuel_lph == []
    with pytest.raises(PacklifeError):
        fuel_curve_for_rating(0.0)
