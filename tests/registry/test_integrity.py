"""Registry integrity (issue #17): the same limits on SQLite and PostgreSQL checked before the
database, coherent dates, measured resistance from grading, unfit packs refused in slots unless
forced (audited), simulations kept apart from measured history, passport tiers and ordering."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from packlife.errors import DataFileError, PacklifeError
from packlife.registry import service
from packlife.registry.csv_import import read_import_csv
from packlife.registry.passport import export_passport

from .conftest import write_csv

D = dt.date
TODAY = dt.datetime.now(dt.UTC).date()


def _pack(url: str, pack: str, serial: str = "P1", **fields: object) -> None:
    service.register_battery(url, serial, pack, soh=0.8, resistance_growth=1.25,
                             manufactured_on=D(2014, 1, 1), first_life_end_on=D(2024, 6, 1),
                             **fields)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("serial", "S" * 65, "at most 64"),
    ("vin", "V" * 33, "at most 32"),
    ("vehicle_make", "M" * 65, "at most 64"),
    ("serial", "A\nB", "control character"),
    ("serial", "A\x00B", "control character"),
    ("vin", "V\tX", "control character"),
])
def test_text_limits_hold_on_both_databases_before_the_database(
    db_url: str, catalog_ids: tuple[str, str], field: str, value: str, message: str
) -> None:
    kwargs = {"vin": None, "vehicle_make": None}
    serial = value if field == "serial" else "OK-1"
    if field != "serial":
        kwargs[field] = value
    with pytest.raises(PacklifeError, match=message) as err:
        service.register_battery(db_url, serial, catalog_ids[0], **kwargs)  # type: ignore[arg-type]
    assert "INSERT" not in str(err.value) and "parameters" not in str(err.value)


def test_unit_recycler_and_reason_limits(db_url: str, catalog_ids: tuple[str, str]) -> None:
    _pack(db_url, catalog_ids[0])
    with pytest.raises(PacklifeError, match=r"unit .* at most 64"):
        service.assign(db_url, "P1", "U" * 65, 0, on=D(2025, 1, 1))
    with pytest.raises(PacklifeError, match=r"recycler .* at most 128"):
        service.recycle(db_url, "P1", recycler="R" * 129, on=D(2025, 1, 1))


@pytest.mark.parametrize(("fields", "message"), [
    ({"manufactured_on": D(2020, 1, 1), "first_life_end_on": D(2019, 1, 1)},
     "first_life_end 2019-01-01 is before the manufacture date 2020-01-01"),
    ({"manufactured_on": TODAY + dt.timedelta(days=30)}, "is in the future"),
    ({"first_life_end_on": D(1970, 1, 1)}, "before 1990-01-01"),
])
def test_incoherent_registration_dates_are_refused(
    sqlite_url: str, catalog_ids: tuple[str, str], fields: dict[str, dt.date], message: str
) -> None:
    with pytest.raises(PacklifeError, match=message):
        service.register_battery(sqlite_url, "X", catalog_ids[0], **fields)  # type: ignore[arg-type]


def test_event_dates_stay_in_order_and_out_of_the_future(
    db_url: str, catalog_ids: tuple[str, str]
) -> None:
    _pack(db_url, catalog_ids[0])
    with pytest.raises(PacklifeError, match="before the end of its first life on 2024-06-01"):
        service.assign(db_url, "P1", "U", 0, on=D(2024, 1, 1))
    with pytest.raises(PacklifeError, match="is in the future"):
        service.assign(db_url, "P1", "U", 0, on=TODAY + dt.timedelta(days=10))
    service.assign(db_url, "P1", "U", 0, on=D(2025, 1, 1))
    with pytest.raises(PacklifeError, match=r"retirement date 2024-12-01 .* is before"):
        service.retire(db_url, "P1", reason="weak", on=D(2024, 12, 1))
    service.retire(db_url, "P1", reason="weak", on=D(2025, 6, 1))
    with pytest.raises(PacklifeError, match=r"recycling date 2025-05-01 .* is before"):
        service.recycle(db_url, "P1", recycler="R Ltd", on=D(2025, 5, 1))
    with pytest.raises(PacklifeError, match="is in the future"):
        service.recycle(db_url, "P1", recycler="R Ltd", on=TODAY + dt.timedelta(days=400))


def test_grading_stores_the_measured_resistance(db_url: str, catalog_ids: tuple[str, str]) -> None:
    _pack(db_url, catalog_ids[0])
    service.record_grade_results(db_url, [{
        "serial": "P1", "soh": 0.78, "dcir_mohm": 90.0, "resistance_growth": 1.6, "grade": "B",
        "reasons": []}])
    info = service.show(db_url, "P1")
    assert (info["soh"], info["resistance_growth"], info["dcir_mohm"]) == (0.78, 1.6, 90.0)
    p = export_passport(db_url, "P1", tier="legitimate_interest")
    assert p["state_of_health"]["internal_resistance_increase_pct"] == pytest.approx(60.0)


def test_an_unfit_pack_needs_force_and_a_reason_which_is_audited(
    db_url: str, catalog_ids: tuple[str, str]
) -> None:
    _pack(db_url, catalog_ids[0])
    service.record_grade_results(db_url, [{"serial": "P1", "soh": 0.5, "grade": "recycle",
                                           "reasons": ["soh 0.50 < 0.60"]}])
    with pytest.raises(PacklifeError, match=r"disposition 'recycle'.*--force --reason"):
        service.assign(db_url, "P1", "U", 0, on=D(2025, 1, 1))
    assert service.show(db_url, "P1")["unit"] is None
    state = service.assign(db_url, "P1", "U", 0, on=D(2025, 1, 1), actor="carol",
                           force_reason="load bank test only, 2 weeks")
    assert state.unit == "U"
    assigned = service.battery_history(db_url, "P1")[-1]
    assert assigned["actor"] == "carol"
    assert assigned["payload"]["forced"] == {"disposition": "recycle",
                                             "reason": "load bank test only, 2 weeks"}


def test_a_simulation_never_becomes_measured_history(
    db_url: str, catalog_ids: tuple[str, str]
) -> None:
    _pack(db_url, catalog_ids[0])
    service.record_operating_summary(db_url, "P1", {
        "energy_throughput_kwh": 500.0, "efc": 12.0, "soh_start": 0.8, "soh_end": 0.7,
        "resistance_growth_end": 2.0, "period_start": "2020-01-01", "period_end": "2020-01-08",
        "harmful_events": [{"type": "deep_discharge", "duration_s": 60.0}], "simulated": True})
    info = service.show(db_url, "P1")
    assert (info["soh"], info["resistance_growth"], info["energy_throughput_kwh"],
            info["harmful_event_count"]) == (0.8, 1.25, 0.0, 0)
    event = service.battery_history(db_url, "P1")[-1]
    assert event["event_type"] == "operating_summary" and event["payload"]["simulated"] is True
    p = export_passport(db_url, "P1", tier="legitimate_interest")
    assert [h["source"] for h in p["state_of_health"]["soh_history"]] == ["import"]
    assert p["usage"]["harmful_events"] == [] and p["usage"]["energy_throughput_kwh"] == 0.0


def test_measured_summaries_in_the_future_are_refused(
    sqlite_url: str, catalog_ids: tuple[str, str]
) -> None:
    _pack(sqlite_url, catalog_ids[0])
    future = (TODAY + dt.timedelta(days=30)).isoformat()
    with pytest.raises(PacklifeError, match=r"period_end .* is in the future"):
        service.record_operating_summary(sqlite_url, "P1", {
            "energy_throughput_kwh": 5.0, "efc": 0.1, "period_end": future})
    with pytest.raises(PacklifeError, match="period_end 2025-01-01 is before period_start"):
        service.record_operating_summary(sqlite_url, "P1", {
            "energy_throughput_kwh": 5.0, "efc": 0.1, "period_start": "2025-02-01",
            "period_end": "2025-01-01"})


def test_passport_history_is_ordered_by_the_time_it_describes(
    sqlite_url: str, catalog_ids: tuple[str, str]
) -> None:
    _pack(sqlite_url, catalog_ids[0])
    for end, soh in (("2025-09-30", 0.77), ("2025-03-31", 0.79), ("2025-06-30", 0.78)):
        service.record_operating_summary(sqlite_url, "P1", {
            "energy_throughput_kwh": 10.0, "efc": 0.3, "soh_end": soh, "period_end": end})
    hist = export_passport(sqlite_url, "P1", tier="legitimate_interest")[
        "state_of_health"]["soh_history"]
    assert [(h["date"], h["soh"]) for h in hist] == [
        ("2024-06-01", 0.8), ("2025-03-31", 0.79), ("2025-06-30", 0.78), ("2025-09-30", 0.77)]


def test_passport_tiers_and_data_that_is_never_exported(
    db_url: str, catalog_ids: tuple[str, str]
) -> None:
    _pack(db_url, catalog_ids[0], vin="SJNFAAZE0U6000007", vehicle_make="Nissan")
    service.record_grade_results(db_url, [{"serial": "P1", "soh": 0.79, "grade": "B",
                                           "reasons": []}])
    service.assign(db_url, "P1", "SECRET-UNIT", 3, on=D(2025, 1, 1))
    tiers = {t: export_passport(db_url, "P1", tier=t)
             for t in ("public", "legitimate_interest", "authority")}
    pub, li, auth = tiers.values()
    assert pub["access_tier"] == "public"
    assert pub["state_of_health"] is pub["usage"] is pub["status"] is pub["test_reports"] is None
    assert pub["withheld"] == ["state_of_health", "usage", "status", "test_reports"]
    assert pub["ratings"]["rated_capacity_ah"] > 0 and pub["identity"]["serial_number"] == "P1"
    assert li["state_of_health"]["soh"] == 0.79 and li["test_reports"] is None
    assert li["withheld"] == ["test_reports"]
    assert auth["withheld"] == [] and auth["test_reports"][0]["results"]["soh"] == 0.79
    for p in tiers.values():
        text = json.dumps(p)
        assert "SJNFAAZE0U6000007" not in text and "SECRET-UNIT" not in text
        assert '"slot"' not in text and '"vin"' not in text


@pytest.mark.parametrize("url", ["javascript:alert(1)//", "file:///etc/passwd", "ftp://x/",
                                 "https://", "https://a b/", "data:text/html,x"])
def test_passport_urls_are_http_or_https_only(
    sqlite_url: str, catalog_ids: tuple[str, str], url: str
) -> None:
    _pack(sqlite_url, catalog_ids[0])
    with pytest.raises(PacklifeError, match="passport base URL"):
        export_passport(sqlite_url, "P1", base_url=url)


def test_an_unknown_tier_is_refused(sqlite_url: str, catalog_ids: tuple[str, str]) -> None:
    _pack(sqlite_url, catalog_ids[0])
    with pytest.raises(PacklifeError, match="access tier 'admin' must be one of public"):
        export_passport(sqlite_url, "P1", tier="admin")


HEADER = "serial,catalog_id,soh"


@pytest.mark.parametrize(("text", "message"), [
    ("serial,catalog_id,soh,soh\nA,{pack},0.8,0.7\n", "column 'soh' appears more than once"),
    ("serial,catalog_id\nA,{pack},extra\n", "row 2: 3 fields, the header has 2 columns"),
    ('serial,catalog_id\n"A\nB",{pack}\n', "control character"),
    ("serial,catalog_id\nA\x00B,{pack}\n", r"row 2 \(serial .*control character"),
    ("serial,catalog_id,soh\nA,{pack},inf\n", "column 'soh': expected a number"),
    ("serial,catalog_id,manufactured,first_life_end\nA,{pack},2020-01-01,2019-01-01\n",
     "before the manufacture date"),
    ("", "file is empty"),
])
def test_bad_import_files_are_refused_naming_the_row(
    tmp_path: Path, catalog_ids: tuple[str, str], text: str, message: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(text.format(pack=catalog_ids[0]), encoding="utf-8")
    with pytest.raises(DataFileError, match=message):
        list(read_import_csv(path))


def test_binary_and_utf16_import_files(tmp_path: Path, catalog_ids: tuple[str, str]) -> None:
    u16 = write_csv(tmp_path / "u16.csv", "serial,catalog_id", [f"A,{catalog_ids[0]}"])
    u16.write_text(u16.read_text(), encoding="utf-16")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(bytes(range(256)))
    for path in (u16, binary):
        with pytest.raises(DataFileError):
            list(read_import_csv(path))


def test_with_no_dates_known_no_event_predates_registration(
    sqlite_url: str, catalog_ids: tuple[str, str]
) -> None:
    service.register_battery(sqlite_url, "N1", catalog_ids[0])
    with pytest.raises(PacklifeError, match="before its registration on"):
        service.retire(sqlite_url, "N1", reason="weak", on=D(2020, 1, 1))
    assert service.retire(sqlite_url, "N1", reason="weak").status == "waste"


def test_actor_names_are_checked_for_every_writer(
    db_url: str, catalog_ids: tuple[str, str], tmp_path: Path
) -> None:
    from packlife.registry.csv_import import import_csv

    path = write_csv(tmp_path / "a.csv", "serial,catalog_id", [f"A,{catalog_ids[0]}"])
    with pytest.raises(PacklifeError, match=r"actor .* at most 128"):
        import_csv(path, db_url, actor="x" * 129)
    with pytest.raises(PacklifeError, match=r"actor .* control character"):
        service.register_battery(db_url, "B", catalog_ids[0], actor="eve\nroot")
