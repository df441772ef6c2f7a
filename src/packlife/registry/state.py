"""The current state of a battery as a pure function of its event history.

:func:`apply_event` is the single place that says how an event changes a battery. The service
layer applies it to the stored row when it appends an event, and :func:`rebuild_state` replays
the whole history; :func:`stored_state` reads the tables independently (battery row, open slot
assignment, latest grade, summed operating summaries) so that a test can check the two agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from packlife.errors import ConsistencyError
from packlife.registry.models import Assignment, Battery, Event, Grade, OperatingSummary, Unit

#: Event types (the ``event_type`` column); their payloads are documented in docs/registry.md.
EVENT_TYPES = (
    "registered", "graded", "repurposed", "assigned", "unassigned", "operating_summary",
    "retired", "recycled", "unit_created",
)
#: Battery life status, in the order a battery moves through them.
STATUSES = ("original", "repurposed", "waste", "recycled")


@dataclass
class BatteryState:
    """Everything the registry knows about one battery now (names as in the tables)."""

    serial: str
    kind: str
    catalog_id: str
    chemistry: str
    category: str
    parent_serial: str | None = None
    vin: str | None = None
    vehicle_make: str | None = None
    vehicle_model: str | None = None
    manufactured_on: str | None = None
    first_life_end_on: str | None = None
    status: str = "original"
    status_changed_on: str | None = None
    recycler: str | None = None
    passport_id: str = ""
    original_passport_id: str | None = None
    soh: float | None = None
    resistance_growth: float | None = None
    dcir_mohm: float | None = None
    self_discharge_pct_per_month: float | None = None
    grade: str | None = None
    disposition: str | None = None
    unit: str | None = None
    slot: int | None = None
    energy_throughput_kwh: float = 0.0
    capacity_throughput_ah: float = 0.0
    equivalent_full_cycles: float = 0.0
    harmful_event_count: int = 0
    harmful_event_duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready: dates are ISO strings)."""
        return dataclasses.asdict(self)


_REGISTER_FIELDS = (
    "serial", "kind", "catalog_id", "chemistry", "category", "parent_serial", "vin",
    "vehicle_make", "vehicle_model", "manufactured_on", "first_life_end_on", "passport_id",
    "soh", "resistance_growth",
)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def apply_event(
    state: BatteryState | None, event_type: str, payload: Mapping[str, Any]
) -> BatteryState:
    """Return the state after one event (``state`` is ``None`` before ``registered``).

    Raises
    ------
    ConsistencyError
        For an event that cannot follow the given state (e.g. anything before ``registered``).
    """
    if event_type == "registered":
        if state is not None:
            raise ConsistencyError(f"battery {payload.get('serial')!r} is registered twice")
        fields: dict[str, Any] = {k: payload.get(k) for k in _REGISTER_FIELDS}
        return BatteryState(**fields)
    if state is None:
        raise ConsistencyError(f"event {event_type!r} before the battery was registered")
    s = dataclasses.replace(state)
    if event_type == "graded":
        if payload.get("error") is None:
            for key in ("soh", "dcir_mohm", "resistance_growth", "self_discharge_pct_per_month"):
                if payload.get(key) is not None:
                    setattr(s, key, float(payload[key]))
        s.grade = payload["grade"]
        s.disposition = payload["disposition"]
    elif event_type == "repurposed":
        s.original_passport_id = payload["original_passport_id"]
        s.passport_id = payload["passport_id"]
        s.category = payload["category"]
        s.status = "repurposed"
        s.status_changed_on = payload["date"]
    elif event_type == "assigned":
        s.unit, s.slot = payload["unit"], int(payload["slot"])
    elif event_type == "unassigned":
        s.unit, s.slot = None, None
    elif event_type == "operating_summary":
        if not payload.get("simulated"):  # a simulation never becomes measured history
            _apply_summary(s, payload)
    elif event_type == "retired":
        s.status, s.status_changed_on = "waste", payload["date"]
        s.unit, s.slot = None, None
    elif event_type == "recycled":
        s.status, s.status_changed_on = "recycled", payload["date"]
        s.recycler = payload["recycler"]
        s.unit, s.slot = None, None
    else:
        raise ConsistencyError(f"unknown battery event type {event_type!r}")
    return s


def _apply_summary(s: BatteryState, payload: Mapping[str, Any]) -> None:
    s.energy_throughput_kwh = s.energy_throughput_kwh + float(payload["energy_throughput_kwh"])
    cap = payload.get("capacity_throughput_ah")
    if cap is not None:
        s.capacity_throughput_ah = s.capacity_throughput_ah + float(cap)
    s.equivalent_full_cycles = s.equivalent_full_cycles + float(payload["equivalent_full_cycles"])
    events = payload.get("harmful_events") or []
    s.harmful_event_count = s.harmful_event_count + len(events)
    for ev in events:
        s.harmful_event_duration_s = s.harmful_event_duration_s + float(ev.get("duration_s", 0.0))
    if payload.get("soh_end") is not None:
        s.soh = float(payload["soh_end"])
    if payload.get("resistance_growth_end") is not None:
        s.resistance_growth = float(payload["resistance_growth_end"])


EventTuple = tuple[str | None, str, Mapping[str, Any]]


def rebuild_state(events: Iterable[EventTuple]) -> dict[str, BatteryState]:
    """Replay ``(serial, event_type, payload)`` tuples in order; return the state per serial.

    Events without a serial (``unit_created``) do not change any battery.
    """
    states: dict[str, BatteryState] = {}
    for serial, event_type, payload in events:
        if serial is None:
            continue
        new = apply_event(states.get(serial), event_type, payload)
        states[serial] = new
    return states


def history(session: Session, serial: str | None = None) -> list[EventTuple]:
    """All events (or one battery's), oldest first, as ``(serial, event_type, payload)``."""
    stmt = select(Event.serial, Event.event_type, Event.payload).order_by(Event.id)
    if serial is not None:
        stmt = stmt.where(Event.serial == serial)
    return [(r[0], r[1], r[2]) for r in session.execute(stmt)]


def state_from_row(row: Battery, parent_serial: str | None, unit: str | None,
                   slot: int | None) -> BatteryState:
    """The :class:`BatteryState` held by a ``batteries`` row (plus its open assignment)."""
    return BatteryState(
        serial=row.serial, kind=row.kind, catalog_id=row.catalog_id, chemistry=row.chemistry,
        category=row.category, parent_serial=parent_serial, vin=row.vin,
        vehicle_make=row.vehicle_make, vehicle_model=row.vehicle_model,
        manufactured_on=row.manufactured_on.isoformat() if row.manufactured_on else None,
        first_life_end_on=row.first_life_end_on.isoformat() if row.first_life_end_on else None,
        status=row.status,
        status_changed_on=row.status_changed_on.isoformat() if row.status_changed_on else None,
        recycler=row.recycler, passport_id=row.passport_id,
        original_passport_id=row.original_passport_id, soh=row.soh,
        resistance_growth=row.resistance_growth, dcir_mohm=row.dcir_mohm,
        self_discharge_pct_per_month=row.self_discharge_pct_per_month, grade=row.grade,
        disposition=row.disposition, unit=unit, slot=slot,
        energy_throughput_kwh=row.energy_throughput_kwh,
        capacity_throughput_ah=row.capacity_throughput_ah,
        equivalent_full_cycles=row.equivalent_full_cycles,
        harmful_event_count=row.harmful_event_count,
        harmful_event_duration_s=row.harmful_event_duration_s,
    )


def stored_state(session: Session) -> dict[str, BatteryState]:
    """The current state as stored in the tables, per serial.

    Cross-checks the derived tables while reading: the latest grade row must match the
    battery's grade and the operating summaries must sum to its energy throughput.
    """
    serial_of = dict(session.execute(select(Battery.id, Battery.serial)).all())
    open_slots = {
        b: (u, s) for b, u, s in session.execute(
            select(Assignment.battery_id, Unit.name, Assignment.slot)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(Assignment.unassigned_on.is_(None))
        )
    }
    latest_grade = dict(session.execute(
        select(Grade.battery_id, Grade.grade).order_by(Grade.id)).all())
    summed = dict(session.execute(
        select(OperatingSummary.battery_id, func.count(OperatingSummary.id))
        .group_by(OperatingSummary.battery_id)
    ).all())
    out: dict[str, BatteryState] = {}
    for row in session.scalars(select(Battery).order_by(Battery.id)):
        unit, slot = open_slots.get(row.id, (None, None))
        parent = serial_of.get(row.parent_id) if row.parent_id is not None else None
        if latest_grade.get(row.id) != row.grade:
            raise ConsistencyError(f"{row.serial}: grade column disagrees with the grades table")
        if summed.get(row.id, 0) == 0 and row.energy_throughput_kwh != 0.0:
            raise ConsistencyError(f"{row.serial}: throughput without operating summaries")
        out[row.serial] = state_from_row(row, parent, unit, slot)
    return out
