"""Scenario files: every built-in validates; malformed files fail naming the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from packlife.errors import DataFileError, PacklifeError
from packlife.site.scenario import BUILTIN_DIR, builtin_scenarios, load_scenario

REQUIRED = {"jlr-test-site", "retailer-buffer", "offgrid-event", "leaf-portable"}


def test_the_four_builtin_scenarios_exist_and_validate() -> None:
    assert REQUIRED <= set(builtin_scenarios())
    for name in builtin_scenarios():
        sc, path = load_scenario(name)
        assert sc.name == name == path.stem
        assert sc.sources_of_numbers, f"{name} must say where its numbers come from"


def test_jlr_default_matches_the_published_system() -> None:
    sc, _ = load_scenario("jlr-test-site")
    assert len(sc.bess.packs) == 7
    assert {p.catalog_id for p in sc.bess.packs} == {"range_rover_phev_p440e"}
    soh = [p.soh for p in sc.bess.packs]
    assert 0.70 <= min(soh) and max(soh) <= 0.85 and max(soh) - min(soh) >= 0.1
    assert all(p.resistance_growth > 1.0 for p in sc.bess.packs)
    assert sc.vehicles is not None and sc.vehicles.outputs == 9


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = (BUILTIN_DIR / "jlr-test-site.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("step_s = 60", 'step_s = "sixty"', "simulation.step_s"),
        ("step_s = 60", "step_s = 0", "simulation.step_s"),
        (
            'start = "2024-06-03T00:00:00+01:00"',
            'start = "2024-06-03T00:00:00"',
            "simulation.start",
        ),
        ("soh = 0.84", "soh = 1.7", "bess.packs.0.soh"),
        ('catalog_id = "range_rover_phev_p440e"', 'catalog_id = "range_rover_phev"', "bess.packs"),
        ('vehicle_model = "range_rover_p440e"', 'vehicle_model = "rangerover"', "vehicle_model"),
        ("max_power_kw = 22.0", "max_power_kw = -22.0", "sources.0.max_power_kw"),
        ("outputs = 9", "outputs = 9\nwheels = 4", "vehicles.wheels"),
    ],
)
def test_malformed_scenario_names_file_and_field(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(DataFileError) as info:
        load_scenario(str(path))
    message = str(info.value)
    assert str(path) in message
    assert field in message


def test_not_toml_and_unknown_names(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[simulation\ndays = 1\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="not valid TOML"):
        load_scenario(str(bad))
    with pytest.raises(PacklifeError, match="did you mean jlr-test-site"):
        load_scenario("jlr-test-sit")
    with pytest.raises(DataFileError, match="file not found"):
        load_scenario(str(tmp_path / "absent.toml"))
