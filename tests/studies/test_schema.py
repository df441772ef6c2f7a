"""Study files: malformed files fail with the file, the field and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from packlife.errors import DataFileError
from packlife.studies.schema import load_study

from .conftest import SWEEP


def _study(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(DataFileError) as info:
        load_study(_study(tmp_path, text))
    return str(info.value)


def test_the_small_sweep_loads(sweep_file: Path) -> None:
    study = load_study(sweep_file)
    assert study.base.simulation.days == 1
    assert study.spec.study.samples == 2


def test_unknown_parameter_names_the_grid_field(tmp_path: Path) -> None:
    msg = _error(tmp_path, SWEEP.replace('"bess.pack_count"', '"bess.pack_cuont"'))
    assert "grid.'bess.pack_cuont'" in msg and "pack_cuont" in msg


def test_unknown_source_name_lists_the_known_ones(tmp_path: Path) -> None:
    msg = _error(tmp_path, SWEEP.replace("sources.site_supply", "sources.mains"))
    assert "no entry named 'mains'" in msg and "site_supply" in msg


def test_out_of_range_grid_value_names_level_and_scenario_field(tmp_path: Path) -> None:
    text = SWEEP.replace("[11.0, 22.0]", "[11.0, -5.0]")
    msg = _error(tmp_path, text)
    assert "grid.'sources.site_supply.max_power_kw'[1]" in msg
    assert "sources.0.max_power_kw" in msg


def test_wrong_type_names_the_study_field(tmp_path: Path) -> None:
    msg = _error(tmp_path, SWEEP.replace("samples = 2", 'samples = "many"'))
    assert "field 'study.samples'" in msg


def test_bad_distribution_names_its_field(tmp_path: Path) -> None:
    msg = _error(tmp_path, SWEEP.replace("low = -0.05, high = 0.0", "low = 0.0, high = -0.05"))
    assert "monte_carlo.bess.soh_offset" in msg and "high must be above low" in msg


def test_soh_offset_that_leaves_the_valid_range_is_refused_not_clipped(tmp_path: Path) -> None:
    msg = _error(tmp_path, SWEEP.replace("low = -0.05, high = 0.0", "low = 0.0, high = 0.5"))
    assert "refused, not clipped" in msg


def test_unknown_base_scenario_names_study_base(tmp_path: Path) -> None:
    msg = _error(tmp_path, SWEEP.replace('base = "jlr-test-site"', 'base = "jlr-tset-site"'))
    assert "study.base" in msg and "jlr-test-site" in msg


def test_fleet_with_a_grid_is_refused(tmp_path: Path) -> None:
    text = SWEEP + "\n[fleet]\nunits = 3\n"
    assert "leave [grid] and [monte_carlo] out" in _error(tmp_path, text)
