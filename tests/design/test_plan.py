"""The whole design on the example inventory: JSON content, independent checks, HTML page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from packlife.catalog import get_pack_model
from packlife.design.assign import UnitRules
from packlife.design.inventory import read_inventory_csv
from packlife.design.plan import DesignRequest, design
from packlife.design.report import render_design_html
from packlife.errors import InfeasibleError, PacklifeError

EXAMPLE = Path(__file__).parents[1] / "data" / "inventory" / "mixed_fleet.csv"


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    items = read_inventory_csv(EXAMPLE)
    rules = UnitRules(units=3, slots=7, max_mass_kg=3500.0, min_power_kw=400.0,
                      objective="equal", time_limit_s=10)
    return design(items, DesignRequest(rules=rules, years=5))


def test_units_satisfy_slots_mass_power_independently(result: dict[str, Any]) -> None:
    units = result["bess"]["units"]
    assert len(units) == 3
    seen: set[str] = set()
    for u in units:
        assert len(u["serials"]) == 7
        models = [get_pack_model(c) for c in u["catalog_ids"]]
        mass = sum(m.mass_kg for m in models) + 750.0 + 7 * 110.0
        assert mass == pytest.approx(u["mass_kg"], abs=0.1)
        assert mass <= 3500.0
        assert sum(m.max_discharge_power_kw for m in models) >= 400.0
        assert seen.isdisjoint(u["serials"])
        seen.update(u["serials"])


def test_json_holds_the_required_fields(result: dict[str, Any]) -> None:
    json.dumps(result)  # serialisable (no inf/NaN objects)
    for u in result["bess"]["units"]:
        for key in ("serials", "mass_kg", "usable_energy_kwh", "rated_power_kw",
                    "years_to_threshold"):
            assert key in u
        assert u["rated_power_kw"] >= 400.0 - 1e-9  # min power sets the rating here
        assert u["usable_energy_kwh"] > 0
        yrs = [p["years_to_threshold"] for p in u["packs"]]
        finite = [y for y in yrs if y is not None]
        assert u["years_to_threshold"] == (min(finite) if finite else None)
    b = result["bess"]
    assert b["milp"]["objective_value"] >= b["greedy"]["objective_value"] - 1e-6
    assert result["portable"]["count"] == 4  # 9 Gen-1 modules → 4 pairs + 1 left


def test_html_page_is_self_contained(result: dict[str, Any]) -> None:
    page = render_design_html(result)
    assert page.startswith("<!DOCTYPE html>")
    assert "unit-01" in page and "Replacement plan" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_too_many_units_is_infeasible_with_reason() -> None:
    items = read_inventory_csv(EXAMPLE)
    with pytest.raises(InfeasibleError, match="24 packs for 4 units × 7 slots"):
        design(items, DesignRequest(rules=UnitRules(units=4)))
    with pytest.raises(PacklifeError, match="nothing to design"):
        design([it for it in items if it.kind == "pack"], DesignRequest(rules=None))
