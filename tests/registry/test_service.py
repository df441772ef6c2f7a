"""Service functions on SQLite and PostgreSQL: lifecycle, grading, summaries, slots, errors."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from packlife.errors import PacklifeError
from packlife.registry import service
from packlife.registry.db import transaction
from packlife.registry.models import Event, Grade, OperatingSummary, TestRecord
from packlife.registry.state import history, rebuild_state, stored_state

D = dt.date


def _grade(serial: str, file: Path | str, soh: float = 0.74, grade: str = "B",
           **extra: object) -> dict[str, object]:
    return {"serial": serial, "file": str(file), "capacity_ah": soh * 65.0, "soh": soh,
            "soh_uncertainty": 0.01, "dcir_mohm": 90.0, "self_discharge_pct_per_month": 1.2,
            "grade": grade, "reasons": [f"soh {soh:.2f}"], **extra}


def _assert_rebuild_matches(db_url: str) -> None:
    with transaction(db_url) as session:
        assert rebuild_state(history(session)) == stored_state(session)


def test_full_life_of_a_pack(db_url: str, catalog_ids: tuple[str, str], tmp_path: Path) -> None:
    pack_id, module_id = catalog_ids
    service.register_battery(db_url, "LEAF-1", pack_id, vin="SJNFAAZE0U6000001", soh=0.78,
                             manufactured_on=D(2013, 4, 2), first_life_end_on=D(2024, 6, 1))
    service.register_battery(db_url, "LEAF-1-M01", module_id, parent_serial="LEAF-1")
    test_file = tmp_path / "leaf1.csv"
    test_file.write_bytes(b"time_s,current_a,voltage_v\n0,0,3.9\n")
    service.record_grade_results(db_url, [_grade("LEAF-1", test_file)])
    state = service.assign(db_url, "LEAF-1", "U1", 3, on=D(2025, 1, 15))
    assert (state.status, state.unit, state.slot, state.category) == (
        "repurposed", "U1", 3, "industrial")
    service.record_operating_summary(db_url, "LEAF-1", {
        "energy_throughput_kwh": 400.0, "efc": 20.0, "soh_start": 0.74, "soh_end": 0.73,
        "capacity_throughput_ah": 1100.0,
        "harmful_events": [{"type": "over_temperature", "duration_s": 900.0},
                           {"type": "deep_discharge", "duration_s": 60.0}]})
    service.record_operating_summary(db_url, "LEAF-1", {
        "energy_throughput_kwh": 100.0, "equivalent_full_cycles": 5.0, "soh_end": 0.725})
    assert service.unit_packs(db_url, "U1") == [{
        "serial": "LEAF-1", "catalog_id": pack_id, "soh": 0.725, "resistance_growth": None,
        "slot": 3}]
    state = service.retire(db_url, "LEAF-1", reason="capacity below 60 %", on=D(2026, 2, 1))
    assert (state.status, state.unit) == ("waste", None)
    assert service.unit_packs(db_url, "U1") == []
    state = service.recycle(db_url, "LEAF-1", recycler="Example Recycling Ltd", on=D(2026, 3, 1))
    assert (state.status, state.recycler, state.status_changed_on) == (
        "recycled", "Example Recycling Ltd", "2026-03-01")

    info = service.show(db_url, "LEAF-1")
    assert info["energy_throughput_kwh"] == 500.0
    assert info["equivalent_full_cycles"] == 25.0
    assert info["capacity_throughput_ah"] == 1100.0
    assert (info["harmful_event_count"], info["harmful_event_duration_s"]) == (2, 960.0)
    assert info["children"] == ["LEAF-1-M01"]
    assert info["assignments"] == [{"unit": "U1", "slot": 3, "assigned_on": "2025-01-15",
                                    "unassigned_on": "2026-02-01"}]
    rec = info["test_records"][0]
    assert rec["file_sha256"] == hashlib.sha256(test_file.read_bytes()).hexdigest()
    assert info["grades"][0]["disposition"] == "repurpose"
    types = [e["event_type"] for e in service.battery_history(db_url, "LEAF-1")]
    assert types == ["registered", "graded", "repurposed", "assigned", "operating_summary",
                     "operating_summary", "unassigned", "retired", "recycled"]
    assert all(e["occurred_at"].endswith("+00:00") for e in service.battery_history(db_url,
                                                                                  "LEAF-1"))
    _assert_rebuild_matches(db_url)


def test_unknown_serial_in_grade_results_writes_nothing(
    db_url: str, catalog_ids: tuple[str, str], tmp_path: Path
) -> None:
    service.register_battery(db_url, "P1", catalog_ids[0])
    results = [_grade("P1", tmp_path / "missing.csv"), _grade("NOPE", tmp_path / "x.csv")]
    with pytest.raises(PacklifeError, match=r"grade result 2 .*unknown battery serial 'NOPE'"):
        service.record_grade_results(db_url, results)
    with transaction(db_url) as session:
        for table in (TestRecord, Grade):
            assert session.scalar(select(func.count()).select_from(table)) == 0
        assert session.scalar(select(func.count()).select_from(Event)) == 1  # registered only


def test_grade_with_error_keeps_measurements_and_asks_for_retest(
    db_url: str, catalog_ids: tuple[str, str], tmp_path: Path
) -> None:
    service.register_battery(db_url, "P1", catalog_ids[0], soh=0.8)
    bad = _grade("P1", tmp_path / "absent.csv", grade="", soh=float("nan"),
                 error="no discharge step found")
    service.record_grade_results(db_url, [bad])
    info = service.show(db_url, "P1")
    assert (info["grade"], info["disposition"], info["soh"]) == ("error", "retest", 0.8)
    rec = info["test_records"][0]
    assert rec["file_sha256"] is None  # the file does not exist
    assert rec["results"]["soh"] is None and rec["results"]["error"] == "no discharge step found"
    _assert_rebuild_matches(db_url)


def test_grade_letters_map_to_dispositions(db_url: str, catalog_ids: tuple[str, str]) -> None:
    grades = ["A", "B", "C", "recycle", "quarantine", "Z"]
    for i, grade in enumerate(grades):
        service.register_battery(db_url, f"P{i}", catalog_ids[0])
        service.record_grade_results(db_url, [_grade(f"P{i}", "", grade=grade)])
    service.register_battery(db_url, "PX", catalog_ids[0])
    service.record_grade_results(db_url, [_grade("PX", "", grade="C", disposition="recycle")])
    got = [service.show(db_url, f"P{i}")["disposition"] for i in range(len(grades))]
    assert got == ["repurpose", "repurpose", "repurpose_low_duty", "recycle", "quarantine",
                   "retest"]
    assert service.show(db_url, "PX")["disposition"] == "recycle"  # the grader's own choice


def test_slot_rules(db_url: str, catalog_ids: tuple[str, str]) -> None:
    for s in ("A", "B"):
        service.register_battery(db_url, s, catalog_ids[0], first_life_end_on=D(2024, 6, 1))
    service.assign(db_url, "A", "U1", 0, on=D(2025, 1, 1))
    with pytest.raises(PacklifeError, match="slot 0 is taken by 'A'"):
        service.assign(db_url, "B", "U1", 0)
    with pytest.raises(PacklifeError, match="already in unit 'U1' slot 0"):
        service.assign(db_url, "A", "U1", 1)
    with pytest.raises(PacklifeError, match="is before its last"):
        service.unassign(db_url, "A", on=D(2024, 12, 31))
    service.unassign(db_url, "A", on=D(2025, 6, 1))
    state = service.assign(db_url, "B", "U1", 0, on=D(2025, 6, 2))
    assert state.passport_id != state.original_passport_id
    # re-assigning a repurposed pack does not repurpose it again
    first = service.assign(db_url, "A", "U2", 0, on=D(2025, 7, 1))
    types = [e["event_type"] for e in service.battery_history(db_url, "A")]
    assert types.count("repurposed") == 1 and first.unit == "U2"
    with pytest.raises(PacklifeError, match="unknown BESS unit 'U9'"):
        service.unit_packs(db_url, "U9")
    service.recycle(db_url, "B", recycler="R", on=D(2026, 1, 1))
    with pytest.raises(PacklifeError, match="status 'recycled'; it cannot be assigned"):
        service.assign(db_url, "B", "U1", 5)
    _assert_rebuild_matches(db_url)


def test_registration_errors(db_url: str, catalog_ids: tuple[str, str]) -> None:
    service.register_battery(db_url, "P1", catalog_ids[0])
    with pytest.raises(PacklifeError, match="already registered"):
        service.register_battery(db_url, "P1", catalog_ids[0])
    with pytest.raises(PacklifeError, match="unknown catalog id 'nissan_leaf_24'"):
        service.register_battery(db_url, "P2", "nissan_leaf_24")
    with pytest.raises(PacklifeError, match="not a percentage"):
        service.register_battery(db_url, "P3", catalog_ids[0], soh=78.0)
    with pytest.raises(PacklifeError, match="parent serial 'NONE' is not registered"):
        service.register_battery(db_url, "M1", catalog_ids[1], parent_serial="NONE")
    with pytest.raises(PacklifeError, match="only modules have a parent pack"):
        service.register_battery(db_url, "P4", catalog_ids[0], parent_serial="P1")


def test_operating_summary_is_validated(db_url: str, catalog_ids: tuple[str, str]) -> None:
    service.register_battery(db_url, "P1", catalog_ids[0])
    with pytest.raises(PacklifeError, match="energy_throughput_kwh"):
        service.record_operating_summary(db_url, "P1", {"efc": 1.0})
    with pytest.raises(PacklifeError, match="'energy_thruput_kwh': unknown field"):
        service.record_operating_summary(db_url, "P1", {"energy_thruput_kwh": 1.0, "efc": 1.0})
    with pytest.raises(PacklifeError, match="unknown battery serial 'P9'"):
        service.record_operating_summary(db_url, "P9", {"energy_throughput_kwh": 1, "efc": 1})
    with transaction(db_url) as session:
        assert session.scalar(select(func.count()).select_from(OperatingSummary)) == 0
