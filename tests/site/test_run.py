"""Running the built-in scenarios: energy balance, limits and what vehicles receive."""

from __future__ import annotations

import numpy as np
import pytest

from packlife.site.run import run_scenario
from packlife.site.sessions import synthetic_sessions
from packlife.site.summary import summarise

from .conftest import short_run, shortened


@pytest.mark.parametrize(
    "name", ["jlr-test-site", "retailer-buffer", "offgrid-event", "leaf-portable"]
)
def test_every_builtin_scenario_runs_and_its_energy_balance_closes(name: str) -> None:
    result = short_run(name, 1.0)
    s = summarise(result)
    assert s["energy_balance_error_pct_of_throughput"] <= 0.01
    # the balance terms are independently booked: recompute them from the parts
    inputs = sum(s["energy_from_sources_kwh"].values())
    outputs = s["energy_to_vehicles_kwh"] + s["energy_to_loads_kwh"] + s["losses_kwh"]
    assert inputs == pytest.approx(outputs + s["stored_energy_change_kwh"], abs=1e-3)
    assert s["losses_kwh"] > 0
    assert all(
        0.0 < a <= b + 1e-12 for a, b in zip(s["pack_soh_end"], s["pack_soh_start"], strict=True)
    )


def test_inputs_and_outputs_stay_within_their_limits() -> None:
    result = short_run("jlr-test-site", 1.0)
    sc = result.scenario
    flows = result.flows
    cap_w = sc.sources[0].max_power_kw * 1000.0
    assert flows["source_site_supply_power_w"].max() <= cap_w * (1 + 1e-9)
    assert flows["source_site_supply_power_w"].min() >= 0.0
    assert sc.vehicles is not None
    conn_w = sc.vehicles.connector_max_kw * 1000.0
    # no output ever above its connector: per session, energy ≤ connector × plugged time
    for o in result.outcomes:
        if o.served:
            plugged_h = (o.leave_s - o.plug_in_s) / 3600.0
            assert o.energy_delivered_wh <= conn_w * plugged_h + 1e-6
            assert o.energy_delivered_wh <= o.session.energy_needed_wh + 1e-6
    assert flows["vehicles_power_w"].max() <= sc.vehicles.outputs * conn_w


def test_buffered_charging_is_faster_than_direct_from_the_weak_supply() -> None:
    s = summarise(short_run("jlr-test-site", 1.0))
    assert s["vehicles_fully_charged"] > 0
    assert s["mean_charge_time_min"] < s["mean_direct_charge_time_min"]
    assert s["direct_charge_power_kw"] == 22.0


def test_a_faulted_pack_carries_no_energy_and_the_rest_carry_on() -> None:
    sc = shortened("jlr-test-site", 1.0)
    packs = list(sc.bess.packs)
    packs[2] = packs[2].model_copy(update={"faulted": True})
    sc = sc.model_copy(update={"bess": sc.bess.model_copy(update={"packs": packs})})
    assert sc.vehicles is not None
    result = run_scenario(sc, synthetic_sessions(sc.vehicles, 1.0, sc.simulation.seed))
    discharged = result.engine.pack_discharged_wh[0]
    charged = result.engine.pack_charged_wh[0]
    assert discharged[2] == 0.0 and charged[2] == 0.0
    assert np.all(np.delete(discharged, 2) > 0)
    assert result.vehicles_energy_wh > 0


def test_offgrid_generator_only_runs_when_needed() -> None:
    result = short_run("offgrid-event", 1.0)
    s = summarise(result)
    assert s["energy_from_sources_kwh"]["pv"] > 0
    assert s["diesel_litres_bess_case"] < s["diesel_litres_baseline"]
    assert s["unserved_load_kwh"] == pytest.approx(0.0, abs=1e-6)


def test_portable_unit_serves_emergency_loads_within_its_energy() -> None:
    result = short_run("leaf-portable", 1.0)
    s = summarise(result)
    # two Gen-1 modules at ~0.64 SoH: the ~633 Wh of the JVCKenwood unit
    assert 0.6 <= s["nameplate_energy_kwh"] * np.mean(s["pack_soh_start"]) <= 0.67
    ld = result.scenario.loads
    wanted_kwh = ld.base_kw * 24 + ld.open_hours_kw * (ld.close_hour - ld.open_hour)
    assert s["energy_to_loads_kwh"] == pytest.approx(wanted_kwh, rel=0.02)
    assert s["unserved_load_kwh"] == pytest.approx(0.0, abs=1e-6)
    assert s["energy_to_loads_kwh"] < s["usable_energy_kwh"]
