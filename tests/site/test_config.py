"""Custom vehicle models, per-output ratings and controller settings from the scenario TOML."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from packlife.control.vehicles import VEHICLE_MODELS
from packlife.errors import DataFileError
from packlife.site.config import controller_config, output_ratings_w
from packlife.site.scenario import BUILTIN_DIR, load_scenario

EXTRA = """
[[vehicles.models]]
id = "test_van_75"
name = "A 75 kWh electric van"
usable_energy_kwh = 75.0
soc = [0.0, 0.6, 0.9, 1.0]
dc_power_kw = [100.0, 80.0, 30.0, 10.0]
sources = ["estimate for a test"]
"""


def _file(tmp_path: Path, old: str, new: str, extra: str = "") -> Path:
    text = (BUILTIN_DIR / "jlr-test-site.toml").read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    text = text.replace("[[vehicles.fleet]]", extra + "\n[[vehicles.fleet]]", 1)
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_custom_vehicle_model_can_be_used_by_the_fleet(tmp_path: Path) -> None:
    path = _file(
        tmp_path, 'vehicle_model = "range_rover_p440e"', 'vehicle_model = "test_van_75"', EXTRA
    )
    sc, _ = load_scenario(str(path))
    assert sc.vehicles is not None and sc.vehicles.fleet[0].vehicle_model == "test_van_75"
    assert VEHICLE_MODELS["test_van_75"].acceptance_power_w(0.75) == pytest.approx(55e3)
    load_scenario(str(path))  # loading the same model twice is fine


def test_redefining_a_builtin_vehicle_model_is_refused(tmp_path: Path) -> None:
    clash = EXTRA.replace('id = "test_van_75"', 'id = "range_rover_p440e"')
    with pytest.raises(DataFileError, match="already exists"):
        load_scenario(str(_file(tmp_path, "outputs = 9", "outputs = 9", clash)))


def test_per_output_ratings_and_their_count(tmp_path: Path) -> None:
    path = _file(tmp_path, "outputs = 9", "outputs = 3\noutput_max_kw = [150.0, 50.0, 22.0]")
    sc, _ = load_scenario(str(path))
    assert output_ratings_w(sc) == [150e3, 50e3, 22e3]
    bad = _file(tmp_path, "outputs = 9", "outputs = 3\noutput_max_kw = [150.0, 50.0]")
    with pytest.raises(DataFileError, match="one rating per output"):
        load_scenario(str(bad))
    default, _ = load_scenario("jlr-test-site")
    assert output_ratings_w(default) == [50e3] * 9


def test_controller_settings_reach_the_controller_config(tmp_path: Path) -> None:
    block = (
        'vehicle_algorithm = "llf"\n[controller.settings]\nexport_limit_kw = 10.0\n'
        "deadband_kw = 0.5\npack_ramp_kw_per_s = 2.0\nmpc_horizon_steps = 48"
    )
    sc, _ = load_scenario(str(_file(tmp_path, 'vehicle_algorithm = "llf"', block)))
    cfg = controller_config(sc)
    assert (cfg.export_limit_w, cfg.deadband_w, cfg.pack_ramp_w_per_s, cfg.mpc_horizon_steps) == (
        10e3,
        500.0,
        2e3,
        48,
    )
    default = controller_config(load_scenario("jlr-test-site")[0])
    assert math.isinf(default.pack_ramp_w_per_s) and default.export_limit_w == 0.0
