"""EU battery passport export on SQLite and PostgreSQL; schema file and docs kept in sync."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from packlife.catalog import get_pack_model
from packlife.errors import PacklifeError
from packlife.registry import service
from packlife.registry.passport import (
    SCHEMA_PATH,
    BatteryPassport,
    build_passport,
    export_passport,
    passport_json_schema,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "passport.md"
D = dt.date


def _repurposed_pack(url: str, pack: str) -> None:
    service.register_battery(url, "RR-1", pack, vin="SALGA2AE0PA000001", soh=0.81,
                             resistance_growth=1.25, manufactured_on=D(2022, 9, 1),
                             vehicle_make="Land Rover", vehicle_model="Range Rover P440e")
    service.record_grade_results(url, [{
        "serial": "RR-1", "file": "", "capacity_ah": 50.0, "soh": 0.8, "soh_uncertainty": 0.02,
        "dcir_mohm": 80.0, "self_discharge_pct_per_month": 2.0, "grade": "A",
        "reasons": ["soh 0.80 ≥ 0.80"]}])
    service.assign(url, "RR-1", "MAX-1", 0, on=D(2025, 3, 1))
    service.record_operating_summary(url, "RR-1", {
        "energy_throughput_kwh": 250.0, "efc": 9.0, "capacity_throughput_ah": 700.0,
        "soh_end": 0.79, "round_trip_efficiency": 0.91, "period_end": "2025-06-30",
        "harmful_events": [{"type": "over_temperature", "duration_s": 300.0},
                           {"type": "over_temperature", "duration_s": 200.0},
                           {"type": "deep_discharge", "duration_s": 50.0}]})


def test_repurposed_pack_links_to_its_original_passport(
    db_url: str, catalog_ids: tuple[str, str]
) -> None:
    pack = catalog_ids[0]
    _repurposed_pack(db_url, pack)
    first_pid = service.battery_history(db_url, "RR-1")[0]["payload"]["passport_id"]
    cur = export_passport(db_url, "RR-1", tier="legitimate_interest")
    BatteryPassport.model_validate(cur)
    assert cur["passport_id"] != first_pid
    assert cur["links"]["original_passport_id"] == first_pid
    assert cur["links"]["original_passport_url"].endswith("/" + first_pid)
    assert cur["identity"]["category"] == "industrial"
    assert cur["status"]["battery_status"] == "repurposed"
    assert cur["identity"]["qr_code_payload"] == cur["identity"]["passport_url"]

    orig = export_passport(db_url, "RR-1", original=True, tier="legitimate_interest")
    BatteryPassport.model_validate(orig)
    assert orig["passport_id"] == first_pid
    assert orig["identity"]["category"] == "ev"
    assert orig["links"]["successor_passport_id"] == cur["passport_id"]
    assert orig["status"]["battery_status"] == "repurposed"
    assert orig["usage"]["energy_throughput_kwh"] == 0.0  # second-life use is not in it
    assert cur["usage"]["energy_throughput_kwh"] == 250.0


def test_state_of_health_and_usage_values(db_url: str, catalog_ids: tuple[str, str]) -> None:
    pack = catalog_ids[0]
    _repurposed_pack(db_url, pack)
    p = export_passport(db_url, "RR-1", tier="legitimate_interest")
    model = get_pack_model(pack)
    soh = p["state_of_health"]
    assert soh["soh"] == 0.79
    assert soh["remaining_capacity_ah"] == pytest.approx(0.79 * model.rated_capacity_ah)
    assert soh["capacity_fade_pct"] == pytest.approx(21.0)
    assert soh["internal_resistance_increase_pct"] == pytest.approx(25.0)
    assert soh["round_trip_efficiency"] == 0.91
    # ordered by the date each value describes: the operation period ended on 2025-06-30,
    # the import and the grading are dated by when they were recorded (today)
    hist = soh["soh_history"]
    assert sorted((h["soh"], h["source"]) for h in hist) == [
        (0.79, "operation"), (0.8, "grading"), (0.81, "import")]
    assert [h["date"] for h in hist] == sorted(h["date"] for h in hist)
    assert hist[0] == {"date": "2025-06-30", "soh": 0.79, "source": "operation"}
    assert soh["self_discharge_history"][0]["self_discharge_pct_per_month"] == 2.0
    usage = p["usage"]
    assert usage["date_put_into_service"] == "2025-03-01"
    assert (usage["capacity_throughput_ah"], usage["equivalent_full_cycles"]) == (700.0, 9.0)
    assert usage["harmful_events"] == [
        {"type": "deep_discharge", "count": 1, "total_duration_s": 50.0},
        {"type": "over_temperature", "count": 2, "total_duration_s": 500.0}]
    assert p["ratings"]["rated_capacity_ah"] == model.rated_capacity_ah
    assert p["ratings"]["original_power_capability_w"] == model.max_discharge_power_kw * 1000
    text = json.dumps(p)
    assert "SALGA2AE0PA000001" not in text and "origin_vehicle" not in text  # not passport data


def test_original_recycled_and_module_passports(
    db_url: str, catalog_ids: tuple[str, str]
) -> None:
    pack, module = catalog_ids
    service.register_battery(db_url, "P", pack)
    service.register_battery(db_url, "P-M1", module, parent_serial="P")
    p = export_passport(db_url, "P", tier="legitimate_interest")
    assert p["status"]["battery_status"] == "original" and p["identity"]["category"] == "ev"
    assert p["links"]["original_passport_id"] is None
    assert export_passport(db_url, "P", original=True)["passport_id"] == p["passport_id"]
    m = export_passport(db_url, "P-M1", tier="legitimate_interest")
    assert m["links"]["parent_passport_id"] == p["passport_id"]
    assert p["links"]["module_passport_ids"] == [m["passport_id"]]
    assert m["identity"]["kind"] == "module"
    today = dt.datetime.now(dt.UTC).date()  # no dates known: not before registration (today)
    service.recycle(db_url, "P", recycler="Example Recycling Ltd", on=today)
    r = export_passport(db_url, "P", tier="legitimate_interest")
    assert (r["status"]["battery_status"], r["status"]["registry_status"]) == ("waste",
                                                                               "recycled")
    assert (r["status"]["recycler"], r["status"]["since"]) == ("Example Recycling Ltd",
                                                               today.isoformat())
    with pytest.raises(PacklifeError, match="unknown battery serial 'Q'"):
        export_passport(db_url, "Q")


def test_base_url_option(sqlite_url: str, catalog_ids: tuple[str, str]) -> None:
    service.register_battery(sqlite_url, "P", catalog_ids[0])
    p = export_passport(sqlite_url, "P", base_url="https://dpp.example.com/b/")
    assert p["identity"]["passport_url"] == f"https://dpp.example.com/b/{p['passport_id']}"


def test_build_needs_a_registered_event(catalog_ids: tuple[str, str]) -> None:
    with pytest.raises(PacklifeError, match="'registered' event"):
        build_passport([], get_pack_model(catalog_ids[0]))


def test_shipped_json_schema_is_current() -> None:
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) == passport_json_schema()


def _field_names(schema: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for definition in [schema, *schema.get("$defs", {}).values()]:
        names.update(definition.get("properties", {}))
    return names


def test_every_passport_field_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_0-9]+)`", text))
    missing = sorted(_field_names(passport_json_schema()) - documented)
    assert missing == []
