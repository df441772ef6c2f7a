"""Portable products from graded modules (reference: JVCKenwood/Nissan IPB-01G)."""

from __future__ import annotations

import pytest

from packlife.design.inventory import items_from_records
from packlife.design.portable import design_portable
from packlife.errors import InfeasibleError


def _modules(sohs: list[float], cid: str = "nissan_leaf_gen1_module"):  # type: ignore[no-untyped-def]
    return items_from_records([
        {"serial": f"M{k}", "catalog_id": cid, "soh": s, "resistance_growth": 1.5}
        for k, s in enumerate(sohs)])


def test_reference_product_two_gen1_modules() -> None:
    # IPB-01G: two Gen-1 Leaf modules (0.5 kWh each new) at ~63 % make 633 Wh and weigh 14.4 kg
    d = design_portable(_modules([0.633, 0.633]))
    assert len(d.units) == 1
    assert d.units[0].energy_wh == pytest.approx(633.0, rel=1e-6)
    assert d.units[0].mass_kg == pytest.approx(14.4)


def test_matching_pairs_similar_modules_and_counts_leftovers() -> None:
    d = design_portable(_modules([0.60, 0.70, 0.61, 0.71, 0.65]))
    assert len(d.units) == 2 and len(d.leftover) == 1
    for u in d.units:
        assert abs(u.soh[0] - u.soh[1]) <= 0.011  # 0.60+0.61 and 0.70+0.71
        assert u.mass_kg <= 15.0
        # series string: the weaker module limits the energy
        assert u.energy_wh == pytest.approx(2 * min(u.soh) * 500.0)


def test_too_heavy_module_model_is_reported() -> None:
    # a 40 kWh Leaf module weighs 8.7 kg: 2 × 8.7 + 6.8 kg > 15 kg
    with pytest.raises(InfeasibleError, match=r"nissan_leaf_40kwh_module.*> 15"):
        design_portable(_modules([0.8, 0.8], cid="nissan_leaf_40kwh_module"))
    d = design_portable(_modules([0.8, 0.8], cid="nissan_leaf_40kwh_module"),
                        max_mass_kg=25.0)
    assert len(d.units) == 1
