"""Variants: grid decoding, seeded draws independent of order, common random numbers."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from packlife.studies.schema import load_study
from packlife.studies.variants import grid_values, make_variant, n_variants


def test_grid_points_are_every_combination_once(sweep_file: Path) -> None:
    study = load_study(sweep_file)
    seen = [tuple(grid_values(study, g).values()) for g in range(4)]
    assert sorted(seen) == sorted(itertools.product([5, 7], [11.0, 22.0]))
    assert n_variants(study) == 8


def test_variant_applies_its_parameters(sweep_file: Path) -> None:
    study = load_study(sweep_file)
    v = make_variant(study, 7)  # last grid point, sample 1
    assert v.params["bess.pack_count"] == 7
    assert len(v.scenario.bess.packs) == 7
    assert v.scenario.sources[0].max_power_kw == 22.0
    base_soh = [p.soh for p in study.base.bess.packs]
    offsets = v.params["bess.soh_offset"]
    assert [p.soh for p in v.scenario.bess.packs] == [
        s + o for s, o in zip(base_soh, offsets, strict=True)
    ]
    assert all(-0.05 <= o <= 0.0 for o in offsets)


@settings(max_examples=20, deadline=None)
@given(st.permutations(list(range(8))))
def test_a_variant_does_not_depend_on_build_order(order: list[int]) -> None:
    study = _STUDY
    first = {i: make_variant(study, i).key for i in range(8)}
    assert {i: make_variant(study, i).key for i in order} == first
    assert len(set(first.values())) == 8


def test_grid_points_share_the_draws_of_a_sample(sweep_file: Path) -> None:
    study = load_study(sweep_file)
    a, b = make_variant(study, 1), make_variant(study, 3)  # sample 1 at grid points 0 and 1
    assert a.sample == b.sample == 1
    assert a.params["bess.soh_offset"] == b.params["bess.soh_offset"]
    assert a.params["simulation.seed"] == b.params["simulation.seed"]
    c = make_variant(study, 0)  # sample 0
    assert c.params["simulation.seed"] != a.params["simulation.seed"]


def _load() -> object:
    import tempfile

    from .conftest import SWEEP

    folder = Path(tempfile.mkdtemp())
    path = folder / "s.toml"
    path.write_text(SWEEP, encoding="utf-8")
    return load_study(path)


_STUDY = _load()


def test_derived_parameters_and_choice_draws(tmp_path: Path) -> None:
    from .conftest import SWEEP

    text = SWEEP.split("[grid]")[0] + """
[grid]
"vehicles.sessions_per_day_scale" = [0.5, 2.0]
"bess.resistance_growth_factor" = [1.0, 1.5]

[monte_carlo]
"controller.vehicle_algorithm" = { distribution = "choice", values = ["fcfs", "edf", "llf"] }
"ambient.mean_temperature_c" = { distribution = "normal", mean = 14, sd = 3, low = 5, high = 25 }
"""
    path = tmp_path / "d.toml"
    path.write_text(text, encoding="utf-8")
    study = load_study(path)
    base = study.base
    assert base.vehicles is not None
    v = make_variant(study, 3 * 2)  # grid point 3 = (2.0, 1.5), sample 0
    assert v.params["vehicles.sessions_per_day_scale"] == 2.0
    assert v.scenario.vehicles is not None
    assert v.scenario.vehicles.sessions_per_day_max == 2 * base.vehicles.sessions_per_day_max
    assert [p.resistance_growth for p in v.scenario.bess.packs] == [
        1.5 * p.resistance_growth for p in base.bess.packs
    ]
    algos = {make_variant(study, i).scenario.controller.vehicle_algorithm for i in range(8)}
    assert algos <= {"fcfs", "edf", "llf"}
    temps = [make_variant(study, i).scenario.ambient.mean_temperature_c for i in range(8)]
    assert all(5 <= t <= 25 for t in temps)
