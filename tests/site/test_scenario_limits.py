"""Regression tests of issue #17 for the scenario schema: no inf/nan, windows in 0–24 and in
the run, no zero-step runs; each error names the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from packlife.errors import DataFileError
from packlife.site.scenario import BUILTIN_DIR, load_scenario, revalidate

BASE = (BUILTIN_DIR / "jlr-test-site.toml").read_text(encoding="utf-8")


def _scenario(tmp_path: Path, old: str, new: str) -> Path:
    assert old in BASE, old
    path = tmp_path / "s.toml"
    path.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    return path


PACK = 'serial = "RR-PHEV-0001"\n'
SOURCE = 'max_power_kw = 22.0\n'


@pytest.mark.parametrize(("old", "new", "field"), [
    (PACK, PACK + "converter_rated_kw = inf\n", "bess.packs.0.converter_rated_kw"),
    (PACK, PACK + "converter_rated_kw = nan\n", "bess.packs.0.converter_rated_kw"),
    (PACK, PACK + "converter_rated_kw = 1e9\n", "bess.packs.0.converter_rated_kw"),
    ("soh = 0.84", "soh = nan", "bess.packs.0.soh"),
    ("enclosure_mass_kg = 1300.0", "enclosure_mass_kg = inf", "bess.enclosure_mass_kg"),
    (SOURCE, SOURCE + "available_hours = [25, -3]\n", "sources.0.available_hours"),
    (SOURCE, SOURCE + "available_hours = [8, 8]\n", "sources.0.available_hours"),
    (SOURCE, SOURCE + "available_hours = [nan, 3]\n", "sources.0.available_hours"),
    ("max_power_kw = 22.0", "max_power_kw = -inf", "sources.0.max_power_kw"),
    ("days = 7", "days = 0.0001", "simulation"),
    ("days = 7", "days = inf", "simulation.days"),
    ("step_s = 60", "step_s = 60\ncontrol_interval_s = 1e12", "simulation.control_interval_s"),
    ("open_hour = 8.0", "open_hour = 17.8", "vehicles"),
    ('start = "2024-06-03T00:00:00+01:00"', 'start = "1200-06-03T00:00:00+01:00"',
     "simulation.start"),
])
def test_non_finite_and_out_of_range_values_are_refused(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    path = _scenario(tmp_path, old, new)
    with pytest.raises(DataFileError) as err:
        load_scenario(str(path))
    message = str(err.value)
    assert str(path) in message and f"field '{field}" in message, message


def test_a_run_shorter_than_one_step_names_the_reason(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "days = 7", "days = 0.0001")
    with pytest.raises(DataFileError, match="no whole step"):
        load_scenario(str(path))


def test_an_overnight_window_is_still_allowed(tmp_path: Path) -> None:
    sc, _ = load_scenario(str(_scenario(tmp_path, SOURCE, SOURCE + "available_hours = [22, 6]\n")))
    assert sc.sources[0].available_hours == (22.0, 6.0)


def test_command_line_overrides_are_validated_like_the_file() -> None:
    sc, _ = load_scenario("leaf-portable")
    short = sc.model_copy(update={"simulation": sc.simulation.model_copy(update={"days": 1e-5})})
    with pytest.raises(DataFileError, match=r"--days.*simulation"):
        revalidate(short, "--days")


def test_equal_allocation_with_a_zero_minimum_runs(tmp_path: Path) -> None:
    """'equal' allocation with a 0 kW minimum divided by zero; now it shares the budget."""
    from packlife.site.run import run_scenario
    from packlife.site.sessions import synthetic_sessions

    path = _scenario(tmp_path, 'vehicle_algorithm = "llf"',
                     'vehicle_algorithm = "equal"\nmin_output_power_kw = 0.0')
    sc, _ = load_scenario(str(path))
    sc = revalidate(sc.model_copy(update={
        "simulation": sc.simulation.model_copy(update={"days": 0.5})}))
    assert sc.vehicles is not None
    result = run_scenario(sc, synthetic_sessions(sc.vehicles, 0.5, sc.simulation.seed))
    assert result.vehicles_energy_wh > 0.0
