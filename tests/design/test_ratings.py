"""Engine-derived resistance derate and the life proxy."""

from __future__ import annotations

import numpy as np
import pytest

from packlife.design.inventory import items_from_records
from packlife.design.ratings import (
    energy_until_limited_wh,
    life_proxy_years,
    resistance_derates,
)


def _items(rows: list[tuple[str, float, float]]):  # type: ignore[no-untyped-def]
    return items_from_records([
        {"serial": f"S{k}", "catalog_id": cid, "soh": soh, "resistance_growth": rg}
        for k, (cid, soh, rg) in enumerate(rows)])


def test_energy_until_limited_counts_through_the_first_limited_step() -> None:
    delivered = np.array([[100.0, 100.0, 50.0, 100.0], [100.0, 100.0, 100.0, 100.0]])
    request = np.array([100.0, 100.0])
    # 60 s steps: first row 100+100+50 W·min, second all four steps
    out = energy_until_limited_wh(delivered, request, 60.0)
    assert out == pytest.approx([250.0 / 60.0, 400.0 / 60.0])


def test_derate_is_one_when_new_and_falls_with_resistance_growth() -> None:
    items = _items([("bmw_i3_94ah", 0.8, 1.0), ("bmw_i3_94ah", 0.8, 1.5),
                    ("bmw_i3_94ah", 0.8, 3.0), ("nissan_leaf_24kwh", 0.7, 2.5)])
    d = resistance_derates(items)
    assert d[0] == pytest.approx(1.0)
    assert 1.0 >= d[1] >= d[2]
    assert d[2] < 1.0  # tripled resistance costs energy at 0.5 C
    assert 0.8 < d[3] <= 1.0


def test_life_proxy_grows_with_soh_and_is_zero_below_threshold() -> None:
    items = _items([("range_rover_phev_p440e", 0.65, 1.5), ("range_rover_phev_p440e", 0.75, 1.5),
                    ("range_rover_phev_p440e", 0.85, 1.5), ("range_rover_phev_p440e", 0.55, 1.5)])
    years = life_proxy_years(items, threshold_soh=0.6)
    assert 0.0 < years[0] < years[1] < years[2]
    assert years[3] == 0.0
