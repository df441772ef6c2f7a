"""EU battery passport export (Regulation (EU) 2023/1542, Art. 77, Annexes VI, VII and XIII).

The passport is built by replaying a battery's events (:func:`build_passport` is a pure
function of the events and the catalog entry); :func:`export_passport` reads them from the
registry. A repurposed battery has a new passport id linked to its original passport, which is
exported with ``original=True`` as it stood when the battery was repurposed. The JSON Schema of
the export ships as ``passport.schema.json`` next to this module and is generated from the
pydantic model :class:`BatteryPassport` (see docs/passport.md for the annex item of each field).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from packlife import __version__
from packlife.catalog import PackModel, get_pack_model
from packlife.errors import PacklifeError
from packlife.registry.db import transaction
from packlife.registry.models import Battery, Event, TestRecord
from packlife.registry.state import BatteryState, apply_event

SCHEMA_ID = "packlife-battery-passport/1"
SCHEMA_PATH = Path(__file__).parent / "passport.schema.json"
#: Placeholder resolver for passport links (``.invalid`` is a reserved, never-resolving domain);
#: set ``PACKLIFE_PASSPORT_BASE_URL`` or ``--base-url`` to the operator's real resolver.
DEFAULT_BASE_URL = "https://passport.packlife.invalid/"
#: Fields of the regulation's lists that packlife data cannot fill (see docs/passport.md).
NOT_AVAILABLE = (
    "identity.place_of_manufacture", "material_composition", "hazardous_substances",
    "critical_raw_materials", "carbon_footprint", "recycled_content", "renewable_content",
    "due_diligence_report", "extinguishing_agent", "dismantling_information",
    "safety_instructions", "expected_lifetime_cycles", "commercial_warranty_period",
    "state_of_health.state_of_certified_energy", "state_of_health.remaining_power_capability_w",
    "state_of_health.power_fade_pct", "initial_round_trip_efficiency",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: Access tiers of Annex XIII, from the widest audience to the narrowest; each tier sees what
#: the tiers before it see: 1 public; 2 and 4 persons with a legitimate interest (and the
#: Commission); 3 notified bodies, market surveillance authorities and the Commission.
TIERS = ("public", "legitimate_interest", "authority")
Tier = Literal["public", "legitimate_interest", "authority"]
#: The tier each section needs (sections not listed are public: Annex XIII 1, Annex VI Part A).
SECTION_TIER: dict[str, Tier] = {
    "state_of_health": "legitimate_interest",  # Annex XIII 4(a), 4(b); Art. 14
    "usage": "legitimate_interest",  # Annex XIII 4(d): cycles, negative (harmful) events
    "status": "legitimate_interest",  # Annex XIII 4(c): original/repurposed/…/waste
    "test_reports": "authority",  # Annex XIII 3: results of test reports
}
#: URL schemes a passport link may use.
URL_SCHEMES = ("https", "http")


def tier_allows(tier: str, section: str) -> bool:
    """Whether ``tier`` may see ``section`` (see :data:`SECTION_TIER`)."""
    need = SECTION_TIER.get(section, "public")
    return TIERS.index(tier) >= TIERS.index(need)


def check_tier(tier: str) -> Tier:
    """``tier`` if it is one of :data:`TIERS`, else a :class:`PacklifeError` listing them."""
    if tier not in TIERS:
        raise PacklifeError(f"access tier {tier!r} must be one of {', '.join(TIERS)}")
    return tier  # type: ignore[return-value]


def check_base_url(url: str) -> str:
    """A passport resolver URL: ``https://`` or ``http://`` with a host, printable, no spaces."""
    from urllib.parse import urlsplit

    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise PacklifeError(f"passport base URL {url[:60]!r} contains spaces or control "
                            "characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in URL_SCHEMES or not parts.netloc:
        raise PacklifeError(f"passport base URL {url[:60]!r} must be an http(s) URL with a host, "
                            "e.g. https://passport.example.com/")
    return url


class Identity(_Model):
    """Battery identification (Art. 77(3), Art. 13, Annex VI Part A)."""

    unique_identifier: str = Field(description="passport id, UUID 4 (Art. 77(3))")
    passport_url: str = Field(description="link the QR code resolves to (Art. 13(6), 77(3))")
    qr_code_payload: str = Field(description="text to encode in the battery's QR code")
    serial_number: str
    battery_model: str = Field(description="packlife catalog id of the model")
    model_name: str
    kind: Literal["pack", "module"]
    category: Literal["ev", "industrial", "lmt"]
    manufacturer: str = Field(description="maker of the original pack (catalog make)")
    manufacture_date: str | None = Field(description="ISO date (Annex VI Part A)")
    place_of_manufacture: str | None = None
    mass_kg: float = Field(description="[kg] mass of a new pack (catalog)")
    chemistry: str


class Ratings(_Model):
    """Rated values of the model when new (Annex XIII 1(g)–(i), (l))."""

    rated_capacity_ah: float
    rated_energy_kwh: float
    usable_energy_kwh: float
    nominal_voltage_v: float
    min_voltage_v: float
    max_voltage_v: float
    original_power_capability_w: float
    max_charge_power_w: float
    min_temperature_c: float
    max_temperature_c: float


class SohPoint(_Model):
    """One state-of-health observation."""

    date: str
    soh: float
    source: Literal["import", "grading", "operation"]


class SelfDischargePoint(_Model):
    """One self-discharge measurement [%/month]."""

    date: str
    self_discharge_pct_per_month: float


class StateOfHealth(_Model):
    """State of health (Annex VII Part A; Annex IV Part A / Annex XIII 4(a)-(b))."""

    as_of: str | None
    soh: float | None = Field(description="[-] remaining capacity / rated capacity")
    remaining_capacity_ah: float | None
    capacity_fade_pct: float | None
    state_of_certified_energy: float | None = None
    dcir_mohm: float | None
    resistance_growth: float | None = Field(description="[-] resistance / new resistance")
    internal_resistance_increase_pct: float | None
    remaining_power_capability_w: float | None = None
    power_fade_pct: float | None = None
    round_trip_efficiency: float | None = Field(description="[-] latest operating summary")
    self_discharge_pct_per_month: float | None
    self_discharge_history: list[SelfDischargePoint]
    soh_history: list[SohPoint]


class HarmfulEventTotal(_Model):
    """Harmful events of one type (Annex VII Part B)."""

    type: str
    count: int
    total_duration_s: float


class Usage(_Model):
    """Usage and expected-lifetime data (Annex VII Part B, Annex XIII 4(d))."""

    first_life_end_date: str | None
    date_put_into_service: str | None
    energy_throughput_kwh: float
    capacity_throughput_ah: float
    equivalent_full_cycles: float
    harmful_events: list[HarmfulEventTotal]


class Status(_Model):
    """Battery status (Annex XIII 4(c)) and where it is now."""

    battery_status: Literal["original", "repurposed", "re-used", "remanufactured", "waste"]
    registry_status: Literal["original", "repurposed", "waste", "recycled"]
    since: str | None
    recycler: str | None
    grade: str | None
    disposition: str | None


class Links(_Model):
    """Links between passports (Art. 77(7): a repurposed battery links to its original)."""

    original_passport_id: str | None
    original_passport_url: str | None
    successor_passport_id: str | None
    successor_passport_url: str | None
    parent_passport_id: str | None
    module_passport_ids: list[str]


class TestReport(_Model):
    """A test of this battery kept in the registry (Annex XIII 3: authorities only)."""

    __test__ = False  # not a pytest test class
    file: str | None
    file_sha256: str | None
    test_type: str
    recorded_at: str
    results: dict[str, Any]


class BatteryPassport(_Model):
    """A battery passport as exported by ``packlife registry passport SERIAL --json``.

    Sections an access tier may not see are ``null`` and named in ``withheld``. Data that is no
    passport data (the donor vehicle's VIN, make and model; the BESS unit and slot) is never
    exported.
    """

    schema_id: Literal["packlife-battery-passport/1"] = "packlife-battery-passport/1"
    regulation: Literal["(EU) 2023/1542"] = "(EU) 2023/1542"
    access_tier: Tier
    passport_id: str
    generated_at: str
    generated_by: str
    identity: Identity
    ratings: Ratings
    state_of_health: StateOfHealth | None
    usage: Usage | None
    status: Status | None
    test_reports: list[TestReport] | None
    links: Links
    withheld: list[str] = Field(description="sections this access tier may not see")
    not_available: list[str]


def passport_json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`BatteryPassport` (as shipped in ``passport.schema.json``)."""
    schema = BatteryPassport.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    return schema


def write_json_schema(path: Path = SCHEMA_PATH) -> None:
    """(Re)write the shipped JSON Schema file."""
    path.write_text(json.dumps(passport_json_schema(), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")


# --------------------------------------------------------------------------- building
class EventView(_Model):
    """What the passport needs of one stored event."""

    event_type: str
    occurred_at: dt.datetime
    payload: dict[str, Any]


def _url(base: str, passport_id: str | None) -> str | None:
    return None if passport_id is None else base.rstrip("/") + "/" + passport_id


def _history(events: Sequence[EventView]) -> tuple[list[SohPoint], list[SelfDischargePoint],
                                                    dict[str, list[float]], float | None,
                                                    str | None]:
    soh_points: list[SohPoint] = []
    sd_points: list[SelfDischargePoint] = []
    harmful: dict[str, list[float]] = {}
    rte: float | None = None
    in_service: str | None = None
    for ev in events:
        p, day = ev.payload, ev.occurred_at.date().isoformat()
        if ev.event_type == "registered" and p.get("soh") is not None:
            soh_points.append(SohPoint(date=p.get("first_life_end_on") or day, soh=p["soh"],
                                       source="import"))
        elif ev.event_type == "graded" and not p.get("error"):
            if p.get("soh") is not None:
                soh_points.append(SohPoint(date=day, soh=p["soh"], source="grading"))
            if p.get("self_discharge_pct_per_month") is not None:
                sd_points.append(SelfDischargePoint(
                    date=day, self_discharge_pct_per_month=p["self_discharge_pct_per_month"]))
        elif ev.event_type == "operating_summary" and not p.get("simulated"):
            if p.get("soh_end") is not None:
                soh_points.append(SohPoint(date=p.get("period_end") or day, soh=p["soh_end"],
                                           source="operation"))
            for h in p.get("harmful_events") or []:
                harmful.setdefault(h["type"], []).append(float(h.get("duration_s", 0.0)))
            if p.get("round_trip_efficiency") is not None:
                rte = float(p["round_trip_efficiency"])
        elif ev.event_type == "assigned" and in_service is None:
            in_service = p["date"]
    soh_points.sort(key=lambda q: q.date)  # ordered by the time they describe (stable)
    sd_points.sort(key=lambda q: q.date)
    return soh_points, sd_points, harmful, rte, in_service


def build_passport(
    events: Sequence[EventView],
    model: PackModel,
    *,
    base_url: str = DEFAULT_BASE_URL,
    parent_passport_id: str | None = None,
    module_passport_ids: Sequence[str] = (),
    successor_passport_id: str | None = None,
    generated_at: dt.datetime | None = None,
    tier: Tier = "public",
    test_reports: Sequence[TestReport] = (),
) -> BatteryPassport:
    """Build a passport from a battery's events (oldest first) and its catalog entry.

    ``successor_passport_id`` marks an original passport superseded by repurposing; ``tier``
    (:data:`TIERS`) selects the sections exported (:data:`SECTION_TIER`).
    """
    check_tier(tier)
    check_base_url(base_url)
    state: BatteryState | None = None
    for ev in events:
        state = apply_event(state, ev.event_type, ev.payload)
    if state is None:
        raise PacklifeError("a passport needs at least the battery's 'registered' event")
    soh_points, sd_points, harmful, rte, in_service = _history(events)
    s = state
    status = "repurposed" if successor_passport_id else s.status
    as_of = max((p.date for p in soh_points), default=None)
    url = _url(base_url, s.passport_id)
    assert url is not None
    return BatteryPassport(
        passport_id=s.passport_id,
        generated_at=(generated_at or dt.datetime.now(dt.UTC)).isoformat(),
        generated_by=f"packlife {__version__}",
        identity=Identity(
            unique_identifier=s.passport_id, passport_url=url, qr_code_payload=url,
            serial_number=s.serial, battery_model=model.id,
            model_name=f"{model.make} {model.model}", kind=model.kind,
            category=s.category,  # type: ignore[arg-type]
            manufacturer=model.make, manufacture_date=s.manufactured_on,
            mass_kg=model.mass_kg, chemistry=s.chemistry,
        ),
        ratings=Ratings(
            rated_capacity_ah=model.rated_capacity_ah, rated_energy_kwh=model.gross_energy_kwh,
            usable_energy_kwh=model.usable_energy_kwh, nominal_voltage_v=model.nominal_voltage_v,
            min_voltage_v=model.min_voltage_v, max_voltage_v=model.max_voltage_v,
            original_power_capability_w=model.max_discharge_power_kw * 1000.0,
            max_charge_power_w=model.max_charge_power_kw * 1000.0,
            min_temperature_c=model.min_temperature_c, max_temperature_c=model.max_temperature_c,
        ),
        access_tier=tier,
        withheld=[k for k in SECTION_TIER if not tier_allows(tier, k)],
        test_reports=list(test_reports) if tier_allows(tier, "test_reports") else None,
        state_of_health=None if not tier_allows(tier, "state_of_health") else StateOfHealth(
            as_of=as_of, soh=s.soh,
            remaining_capacity_ah=None if s.soh is None else s.soh * model.rated_capacity_ah,
            capacity_fade_pct=None if s.soh is None else round((1.0 - s.soh) * 100.0, 6),
            dcir_mohm=s.dcir_mohm, resistance_growth=s.resistance_growth,
            internal_resistance_increase_pct=(None if s.resistance_growth is None
                                              else round((s.resistance_growth - 1.0) * 100, 6)),
            round_trip_efficiency=rte, self_discharge_pct_per_month=s.self_discharge_pct_per_month,
            self_discharge_history=sd_points, soh_history=soh_points,
        ),
        usage=None if not tier_allows(tier, "usage") else Usage(
            first_life_end_date=s.first_life_end_on, date_put_into_service=in_service,
            energy_throughput_kwh=s.energy_throughput_kwh,
            capacity_throughput_ah=s.capacity_throughput_ah,
            equivalent_full_cycles=s.equivalent_full_cycles,
            harmful_events=[HarmfulEventTotal(type=k, count=len(v), total_duration_s=sum(v))
                            for k, v in sorted(harmful.items())],
        ),
        status=None if not tier_allows(tier, "status") else Status(
            battery_status="waste" if status == "recycled" else status,  # type: ignore[arg-type]
            registry_status=status,  # type: ignore[arg-type]
            since=s.status_changed_on, recycler=s.recycler, grade=s.grade,
            disposition=s.disposition,
        ),
        links=Links(
            original_passport_id=s.original_passport_id,
            original_passport_url=_url(base_url, s.original_passport_id),
            successor_passport_id=successor_passport_id,
            successor_passport_url=_url(base_url, successor_passport_id),
            parent_passport_id=parent_passport_id,
            module_passport_ids=list(module_passport_ids),
        ),
        not_available=list(NOT_AVAILABLE),
    )


def export_passport(
    db_url: str | None, serial: str, *, original: bool = False, base_url: str | None = None,
    tier: str = "public",
) -> dict[str, Any]:
    """The passport of ``serial`` as a JSON-ready dict, with what access ``tier`` may see.

    With ``original=True`` a repurposed battery's original passport is exported as it stood
    when the battery was repurposed, with a link to its successor; for a battery that was never
    repurposed the original passport is the current one.
    """
    base = check_base_url(
        base_url or os.environ.get("PACKLIFE_PASSPORT_BASE_URL") or DEFAULT_BASE_URL)
    level = check_tier(tier)
    with transaction(db_url) as session:
        row = session.scalar(select(Battery).where(Battery.serial == serial))
        if row is None:
            raise PacklifeError(f"unknown battery serial {serial!r}")
        events = [EventView(event_type=e.event_type, occurred_at=e.occurred_at, payload=e.payload)
                  for e in session.scalars(select(Event).where(Event.battery_id == row.id)
                                           .order_by(Event.id))]
        parent_pid = row.parent.passport_id if row.parent is not None else None
        children = list(session.scalars(select(Battery.passport_id)
                                        .where(Battery.parent_id == row.id)
                                        .order_by(Battery.serial)))
        reports = [TestReport(file=t.file_name, file_sha256=t.file_sha256,
                              test_type=t.test_type, recorded_at=t.recorded_at.isoformat(),
                              results=t.results)
                   for t in session.scalars(select(TestRecord)
                                            .where(TestRecord.battery_id == row.id)
                                            .order_by(TestRecord.recorded_at, TestRecord.id))]
    successor = None
    if original:
        cut = next((i for i, e in enumerate(events) if e.event_type == "repurposed"), None)
        if cut is not None:
            successor = events[cut].payload["passport_id"]
            cut_time = events[cut].occurred_at
            events = events[:cut]
            reports = [r for r in reports if r.recorded_at <= cut_time.isoformat()]
    passport = build_passport(events, get_pack_model(row.catalog_id), base_url=base,
                              parent_passport_id=parent_pid, module_passport_ids=children,
                              successor_passport_id=successor, tier=level,
                              test_reports=reports)
    return passport.model_dump(mode="json")
