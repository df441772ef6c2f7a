"""Registry service functions: every call is one transaction that appends events.

Other layers call these with a database URL (``None`` = ``$PACKLIFE_DB_URL`` or the default
SQLite file): the grading command stores its results with :func:`record_grade_results`, the
simulator its operating summaries with :func:`record_operating_summary`, and design/simulation
ask :func:`unit_packs` which packs sit in a BESS unit.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import math
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from packlife.datafiles import describe_validation_error, finite_or_none
from packlife.errors import PacklifeError
from packlife.registry.db import transaction
from packlife.registry.models import (
    Assignment,
    Battery,
    Event,
    Grade,
    OperatingSummary,
    TestRecord,
    Unit,
)
from packlife.registry.state import BatteryState, apply_event, state_from_row

#: Disposition for each grade letter when the grader gives none (see docs/registry.md).
GRADE_DISPOSITIONS = {"a": "repurpose", "b": "repurpose", "c": "repurpose_low_duty",
                      "recycle": "recycle", "quarantine": "quarantine"}
CATEGORIES = ("ev", "industrial", "lmt")


def actor_name(actor: str | None = None) -> str:
    """Who is acting: ``actor``, else ``$PACKLIFE_ACTOR``, else the login name (checked text)."""
    name = actor or os.environ.get("PACKLIFE_ACTOR")
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
    return str(check_text("actor", name, required=True))


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def new_passport_id() -> str:
    """A new globally unique battery passport identifier (UUID 4)."""
    return str(uuid.uuid4())


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- input checks
#: Column widths of the tables (models.py); checked here so SQLite and PostgreSQL agree.
MAX_LEN = {"serial": 64, "catalog_id": 64, "vin": 32, "vehicle_make": 64, "vehicle_model": 64,
           "unit": 64, "recycler": 128, "actor": 128, "reason": 1000}
#: Earliest date the registry accepts (no lithium-ion EV pack is older).
EARLIEST_DATE = dt.date(1990, 1, 1)
#: Dispositions a battery may be put into a BESS slot with only when forced with a reason.
UNFIT_DISPOSITIONS = ("recycle", "quarantine")


def check_text(name: str, value: str | None, *, required: bool = False) -> str | None:
    """A text field: stripped, within :data:`MAX_LEN`, no control characters (newline, NUL…).

    Raises
    ------
    PacklifeError
        Naming the field, before anything reaches the database.
    """
    if value is None or not value.strip():
        if required:
            raise PacklifeError(f"{name} must not be empty")
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise PacklifeError(f"{name} {value[:40]!r} contains a control character (newline, tab "
                            "or NUL); use printable text only")
    value = value.strip()
    limit = MAX_LEN[name]
    if len(value) > limit:
        raise PacklifeError(f"{name} {value[:40]!r}… is {len(value)} characters long; at most "
                            f"{limit} are allowed")
    return value


def check_date(name: str, day: dt.date | None, not_before: dt.date | None = None,
               before_name: str = "") -> dt.date | None:
    """A date not in the future (UTC, one day of slack), not before 1990 or ``not_before``."""
    if day is None:
        return None
    latest = utc_now().date() + dt.timedelta(days=1)
    if day > latest:
        raise PacklifeError(f"{name} {day} is in the future")
    if day < EARLIEST_DATE:
        raise PacklifeError(f"{name} {day} is before {EARLIEST_DATE}")
    if not_before is not None and day < not_before:
        raise PacklifeError(f"{name} {day} is before {before_name} {not_before}")
    return day


# --------------------------------------------------------------------------- low-level helpers
def _parse_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def write_state(row: Battery, state: BatteryState) -> None:
    """Copy a :class:`BatteryState` onto its ``batteries`` row (identity fields excepted)."""
    for name in ("category", "status", "recycler", "passport_id", "original_passport_id", "soh",
                 "resistance_growth", "dcir_mohm", "self_discharge_pct_per_month", "grade",
                 "disposition", "energy_throughput_kwh", "capacity_throughput_ah",
                 "equivalent_full_cycles", "harmful_event_count", "harmful_event_duration_s"):
        setattr(row, name, getattr(state, name))
    row.status_changed_on = _parse_date(state.status_changed_on)


def open_assignment(session: Session, battery_id: int) -> Assignment | None:
    """The battery's current slot assignment, if any."""
    return session.scalar(
        select(Assignment).where(Assignment.battery_id == battery_id,
                                 Assignment.unassigned_on.is_(None))
    )


def current_state(session: Session, row: Battery) -> BatteryState:
    """State of one stored battery (row + open assignment)."""
    parent = row.parent.serial if row.parent is not None else None
    asg = open_assignment(session, row.id)
    return state_from_row(row, parent, asg.unit.name if asg else None, asg.slot if asg else None)


def append_event(
    session: Session, row: Battery, event_type: str, payload: dict[str, Any], actor: str
) -> BatteryState:
    """Apply an event to a battery row and append it to the history (same transaction)."""
    state = apply_event(current_state(session, row), event_type, payload)
    write_state(row, state)
    session.add(Event(battery_id=row.id, serial=row.serial, event_type=event_type,
                      actor=actor, occurred_at=utc_now(), payload=payload))
    return state


def lock_battery(session: Session, serial: str, context: str = "") -> Battery:
    """The battery row, locked for update until the transaction ends; unknown → clear error."""
    row = session.scalar(select(Battery).where(Battery.serial == serial).with_for_update())
    if row is None:
        where = f"{context}: " if context else ""
        raise PacklifeError(
            f"{where}unknown battery serial {serial!r}; register it first with "
            "`packlife registry import CSV`"
        )
    return row


def check_parent(child_catalog_id: str, parent_serial: str, parent_catalog_id: str) -> None:
    """A child must be a module whose catalog ``parent_pack_id`` is the parent's catalog id."""
    from packlife.catalog import get_pack_model

    model = get_pack_model(child_catalog_id)
    if model.kind != "module":
        raise PacklifeError(f"only modules have a parent pack; {child_catalog_id!r} is a "
                            f"{model.kind}")
    if model.parent_pack_id != parent_catalog_id:
        raise PacklifeError(
            f"parent {parent_serial!r} is a {parent_catalog_id!r}, but module "
            f"{child_catalog_id!r} comes from {model.parent_pack_id!r} packs")


def register(session: Session, payload: dict[str, Any], actor: str) -> Battery:
    """Insert a battery from a complete ``registered`` payload and append that event."""
    state = apply_event(None, "registered", payload)
    parent_id = None
    if state.parent_serial:
        parent = session.scalar(select(Battery).where(Battery.serial == state.parent_serial))
        if parent is None:
            raise PacklifeError(f"parent serial {state.parent_serial!r} is not registered")
        check_parent(state.catalog_id, parent.serial, parent.catalog_id)
        parent_id = parent.id
    row = Battery(
        serial=state.serial, kind=state.kind, catalog_id=state.catalog_id,
        chemistry=state.chemistry, category=state.category, parent_id=parent_id, vin=state.vin,
        vehicle_make=state.vehicle_make, vehicle_model=state.vehicle_model,
        manufactured_on=_parse_date(state.manufactured_on),
        first_life_end_on=_parse_date(state.first_life_end_on), status=state.status,
        passport_id=state.passport_id, created_at=utc_now(),
    )
    write_state(row, state)
    session.add(row)  # inserted with its event at the next flush (batched with other rows)
    session.add(Event(battery=row, serial=row.serial, event_type="registered", actor=actor,
                      occurred_at=utc_now(), payload=payload))
    return row


def registered_payload(
    serial: str,
    catalog_id: str,
    *,
    category: str = "ev",
    parent_serial: str | None = None,
    vin: str | None = None,
    vehicle_make: str | None = None,
    vehicle_model: str | None = None,
    manufactured_on: dt.date | None = None,
    first_life_end_on: dt.date | None = None,
    soh: float | None = None,
    resistance_growth: float | None = None,
) -> dict[str, Any]:
    """Validate identity fields against the catalog and build a ``registered`` payload."""
    from packlife.catalog import get_pack_model

    serial = str(check_text("serial", serial, required=True))
    vin, vehicle_make, vehicle_model = (check_text("vin", vin),
                                        check_text("vehicle_make", vehicle_make),
                                        check_text("vehicle_model", vehicle_model))
    parent_serial = check_text("serial", parent_serial)
    check_date("manufactured", manufactured_on)
    check_date("first_life_end", first_life_end_on, manufactured_on, "the manufacture date")
    model = get_pack_model(str(check_text("catalog_id", catalog_id, required=True)))
    if category not in CATEGORIES:
        raise PacklifeError(f"category {category!r} must be one of {', '.join(CATEGORIES)}")
    if soh is not None and not (math.isfinite(soh) and 0.0 < soh <= 1.2):
        raise PacklifeError(f"soh {soh} must be a fraction in (0, 1.2] (not a percentage)")
    if resistance_growth is not None and not (
            math.isfinite(resistance_growth) and 0.5 <= resistance_growth <= 10.0):
        raise PacklifeError(f"resistance_growth {resistance_growth} must be a factor of new "
                            "in [0.5, 10] (1.0 = new)")
    return {
        "serial": serial, "kind": model.kind, "catalog_id": model.id,
        "chemistry": model.chemistry, "category": category, "parent_serial": parent_serial,
        "vin": vin, "vehicle_make": vehicle_make, "vehicle_model": vehicle_model,
        "manufactured_on": manufactured_on.isoformat() if manufactured_on else None,
        "first_life_end_on": first_life_end_on.isoformat() if first_life_end_on else None,
        "passport_id": new_passport_id(), "soh": soh, "resistance_growth": resistance_growth,
    }


# --------------------------------------------------------------------------- public service API
def register_battery(db_url: str | None, serial: str, catalog_id: str, *,
                     actor: str | None = None, **fields: Any) -> BatteryState:
    """Register one battery (see :func:`registered_payload` for the fields)."""
    payload = registered_payload(serial, catalog_id, **fields)
    with transaction(db_url) as session:
        if session.scalar(select(Battery.id).where(Battery.serial == payload["serial"])):
            raise PacklifeError(f"battery serial {payload['serial']!r} is already registered")
        row = register(session, payload, actor_name(actor))
        return current_state(session, row)


def record_grade_results(db_url: str, results: list[dict[str, object]]) -> None:
    """Store grading results: a test record, a grade with disposition and reasons, an event.

    Parameters
    ----------
    db_url : str
        Registry database URL ("" or None: ``$PACKLIFE_DB_URL`` or the default file).
    results : list of dict
        One dict per battery with ``serial``, ``file``, ``capacity_ah`` [Ah], ``soh`` [-],
        ``soh_uncertainty`` [-], ``dcir_mohm`` [mΩ], ``self_discharge_pct_per_month`` [%/month],
        ``grade``, ``reasons`` (list of str) and optionally ``error`` and ``disposition``.

    Raises
    ------
    PacklifeError
        For an unknown serial or a malformed result; nothing of the call is written then.
    """
    actor = actor_name()
    with transaction(db_url or None) as session:
        for i, res in enumerate(results):
            _record_one_grade(session, i, res, actor)


def _record_one_grade(session: Session, index: int, res: Mapping[str, object], actor: str) -> None:
    file = res.get("file")
    context = f"grade result {index + 1}" + (f" (file {file})" if file else "")
    serial = res.get("serial")
    if not isinstance(serial, str) or not serial:
        raise PacklifeError(f"{context}: field 'serial' is missing")
    row = lock_battery(session, serial, context)
    path = Path(str(file)) if file else None
    digest = sha256_file(path) if path is not None and path.is_file() else None
    error = res.get("error")
    grade = str(res.get("grade") or ("error" if error else "")).strip()
    if not grade:
        raise PacklifeError(f"{context}: field 'grade' is missing")
    disposition = str(res.get("disposition") or (
        "retest" if error else GRADE_DISPOSITIONS.get(grade.lower(), "retest")))
    raw_reasons = res.get("reasons") or []
    reasons = [str(r) for r in raw_reasons] if isinstance(raw_reasons, list | tuple) else [
        str(raw_reasons)]
    numbers = {k: finite_or_none(res.get(k)) for k in (
        "capacity_ah", "soh", "soh_uncertainty", "dcir_mohm", "resistance_growth",
        "self_discharge_pct_per_month")}
    results = {**numbers, "error": str(error) if error else None}
    rec = TestRecord(battery_id=row.id, file_name=str(file) if file else None,
                     file_sha256=digest, test_type=str(res.get("test_type") or "grading"),
                     results=results, recorded_at=utc_now())
    session.add(rec)
    session.flush()
    session.add(Grade(battery_id=row.id, test_record_id=rec.id, grade=grade,
                      disposition=disposition, reasons=reasons, graded_at=utc_now()))
    payload = {**results, "file": rec.file_name, "file_sha256": digest, "test_record_id": rec.id,
               "grade": grade, "disposition": disposition, "reasons": reasons}
    append_event(session, row, "graded", payload, actor)


class HarmfulEventIn(BaseModel):
    """A harmful event: ``type`` (e.g. over_temperature, deep_discharge) and its duration [s]."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(min_length=1)
    duration_s: float = Field(0.0, ge=0)


class OperatingSummaryIn(BaseModel):
    """Operating summary of one battery over a period, as given by the simulator."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    energy_throughput_kwh: float = Field(ge=0, allow_inf_nan=False)
    equivalent_full_cycles: float = Field(ge=0, alias="efc", allow_inf_nan=False)
    capacity_throughput_ah: float | None = Field(None, ge=0, allow_inf_nan=False)
    soh_start: float | None = Field(None, gt=0, le=1.2)
    soh_end: float | None = Field(None, gt=0, le=1.2)
    resistance_growth_end: float | None = Field(None, ge=0.5, le=10)
    round_trip_efficiency: float | None = Field(None, gt=0, le=1)
    harmful_events: list[HarmfulEventIn] = Field(default_factory=list)
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    simulated: bool = Field(False, description="a simulation, not measured operation")


def record_operating_summary(db_url: str, serial: str, summary: dict[str, Any]) -> None:
    """Add an operating summary to a battery's counters (row locked: no lost updates).

    A summary with ``simulated: true`` is kept as an event marked as a simulation only: it
    changes neither the battery's measured state (SoH, resistance, throughput, cycles) nor the
    ``operating_summaries`` table of measured operation, and its period is not checked against
    the calendar. A measured summary's period must not lie in the future or end before it starts.

    ``summary`` keys: ``energy_throughput_kwh`` [kWh], ``efc`` or ``equivalent_full_cycles``
    [-], optional ``capacity_throughput_ah`` [Ah], ``soh_start``, ``soh_end`` [-],
    ``resistance_growth_end`` [-], ``round_trip_efficiency`` [-], ``period_start``,
    ``period_end`` (ISO dates) and ``harmful_events`` (list of ``{"type", "duration_s", …}``).
    """
    try:
        parsed = OperatingSummaryIn.model_validate(summary)
    except ValidationError as exc:
        raise PacklifeError(f"operating summary for {serial!r}: "
                            + "; ".join(describe_validation_error(exc))) from None
    payload = parsed.model_dump(mode="json", by_alias=False)
    if not parsed.simulated:
        check_date("period_start", parsed.period_start)
        check_date("period_end", parsed.period_end, parsed.period_start, "period_start")
    with transaction(db_url or None) as session:
        row = lock_battery(session, serial, "operating summary")
        if parsed.simulated:
            append_event(session, row, "operating_summary", payload, actor_name())
            return
        session.add(OperatingSummary(
            battery_id=row.id, period_start=parsed.period_start, period_end=parsed.period_end,
            energy_throughput_kwh=parsed.energy_throughput_kwh,
            capacity_throughput_ah=parsed.capacity_throughput_ah,
            equivalent_full_cycles=parsed.equivalent_full_cycles, soh_start=parsed.soh_start,
            soh_end=parsed.soh_end, resistance_growth_end=parsed.resistance_growth_end,
            round_trip_efficiency=parsed.round_trip_efficiency,
            harmful_events=payload["harmful_events"], recorded_at=utc_now(),
        ))
        append_event(session, row, "operating_summary", payload, actor_name())


def unit_packs(db_url: str, unit_name: str) -> list[dict[str, Any]]:
    """Packs currently assigned to a BESS unit, by slot.

    Returns
    -------
    list of dict
        ``serial``, ``catalog_id``, ``soh`` [-], ``resistance_growth`` [-], ``slot``.
    """
    with transaction(db_url or None) as session:
        unit = session.scalar(select(Unit).where(Unit.name == unit_name))
        if unit is None:
            known = ", ".join(session.scalars(select(Unit.name).order_by(Unit.name))) or "none"
            raise PacklifeError(f"unknown BESS unit {unit_name!r} (known units: {known})")
        rows = session.execute(
            select(Battery, Assignment.slot).join(Assignment, Assignment.battery_id == Battery.id)
            .where(Assignment.unit_id == unit.id, Assignment.unassigned_on.is_(None))
            .order_by(Assignment.slot)
        ).all()
        return [{"serial": b.serial, "catalog_id": b.catalog_id, "soh": b.soh,
                 "resistance_growth": b.resistance_growth, "slot": slot} for b, slot in rows]


def _dated(session: Session, row: Battery, on: dt.date | None, what: str) -> str:
    """The event date (default today), checked: not in the future; not before the battery was
    made or its first life ended, or, when neither date is known, before its registration; not
    before its last dated event (history stays in order)."""
    day = on or utc_now().date()
    known = row.manufactured_on is not None or row.first_life_end_on is not None
    floors = [(row.manufactured_on, "its manufacture on"),
              (row.first_life_end_on, "the end of its first life on"),
              (None if known else row.created_at.date(), "its registration on"),
              (row.status_changed_on, "its last status change on")]
    last = session.scalar(select(Assignment.unassigned_on).where(
        Assignment.battery_id == row.id, Assignment.unassigned_on.is_not(None))
        .order_by(Assignment.unassigned_on.desc()).limit(1))
    opened = session.scalar(select(Assignment.assigned_on).where(
        Assignment.battery_id == row.id).order_by(Assignment.assigned_on.desc()).limit(1))
    floors += [(last, "its last unassignment on"), (opened, "its last assignment on")]
    for floor, name in floors:
        if floor is not None and day < floor:
            raise PacklifeError(f"{what} date {day} of battery {row.serial!r} is before "
                                f"{name} {floor}")
    check_date(f"{what} date", day)
    return day.isoformat()


def assign(db_url: str | None, serial: str, unit_name: str, slot: int, *,
           on: dt.date | None = None, actor: str | None = None,
           force_reason: str | None = None) -> BatteryState:
    """Put a battery into a unit slot from date ``on`` (today by default).

    An ``original`` battery is repurposed first: it gets a new passport id linked to its
    original passport and the category ``industrial`` (a stationary BESS battery). A battery
    whose latest disposition is ``recycle`` or ``quarantine`` is refused unless
    ``force_reason`` says why; the reason is kept in the ``assigned`` event (audit).
    """
    if slot < 0 or slot > 10_000:
        raise PacklifeError(f"slot {slot} must lie within 0–10000")
    unit_name = str(check_text("unit", unit_name, required=True))
    force_reason = check_text("reason", force_reason)
    who = actor_name(actor)
    with transaction(db_url) as session:
        row = lock_battery(session, serial)
        if row.status in ("waste", "recycled"):
            raise PacklifeError(
                f"battery {serial!r} has status {row.status!r}; it cannot be assigned")
        if row.disposition in UNFIT_DISPOSITIONS and force_reason is None:
            raise PacklifeError(
                f"battery {serial!r} was graded {row.grade!r} with disposition "
                f"{row.disposition!r}; it is not fit for a BESS slot. To assign it anyway, "
                "force it with a reason (--force --reason TEXT); the reason is recorded")
        day = _dated(session, row, on, "assignment")
        current = open_assignment(session, row.id)
        if current is not None:
            raise PacklifeError(f"battery {serial!r} is already in unit {current.unit.name!r} slot "
                                f"{current.slot}; unassign it first")
        unit = session.scalar(select(Unit).where(Unit.name == unit_name).with_for_update())
        if unit is None:
            unit = Unit(name=unit_name, created_at=utc_now())
            session.add(unit)
            session.flush()
            session.add(Event(battery_id=None, serial=None, event_type="unit_created", actor=who,
                              occurred_at=utc_now(), payload={"unit": unit_name}))
        taken = session.scalar(select(Battery.serial).join(Assignment).where(
            Assignment.unit_id == unit.id, Assignment.slot == slot,
            Assignment.unassigned_on.is_(None)))
        if taken is not None:
            raise PacklifeError(f"unit {unit_name!r} slot {slot} is taken by {taken!r}")
        if row.status == "original":
            append_event(session, row, "repurposed", {
                "passport_id": new_passport_id(), "original_passport_id": row.passport_id,
                "category": "industrial", "date": day}, who)
        session.add(Assignment(battery_id=row.id, unit_id=unit.id, slot=slot,
                               assigned_on=dt.date.fromisoformat(day)))
        session.flush()
        payload: dict[str, Any] = {"unit": unit_name, "slot": slot, "date": day}
        if row.disposition in UNFIT_DISPOSITIONS:
            payload["forced"] = {"disposition": row.disposition, "reason": force_reason}
        return append_event(session, row, "assigned", payload, who)


def _close_assignment(session: Session, row: Battery, day: str, who: str) -> None:
    current = open_assignment(session, row.id)
    if current is None:
        return
    if dt.date.fromisoformat(day) < current.assigned_on:
        raise PacklifeError(f"date {day} is before the assignment date {current.assigned_on}")
    current.unassigned_on = dt.date.fromisoformat(day)
    session.flush()
    append_event(session, row, "unassigned", {"unit": current.unit.name, "slot": current.slot,
                                              "date": day}, who)


def unassign(db_url: str | None, serial: str, *, on: dt.date | None = None,
             actor: str | None = None) -> BatteryState:
    """Take a battery out of its unit slot on date ``on``."""
    who = actor_name(actor)
    with transaction(db_url) as session:
        row = lock_battery(session, serial)
        if open_assignment(session, row.id) is None:
            raise PacklifeError(f"battery {serial!r} is not assigned to any unit")
        day = _dated(session, row, on, "unassignment")
        _close_assignment(session, row, day, who)
        return current_state(session, row)


def retire(db_url: str | None, serial: str, *, reason: str, on: dt.date | None = None,
           actor: str | None = None) -> BatteryState:
    """End a battery's service life: unassign it and set the status ``waste``."""
    who = actor_name(actor)
    reason = str(check_text("reason", reason, required=True))
    with transaction(db_url) as session:
        row = lock_battery(session, serial)
        if row.status in ("waste", "recycled"):
            raise PacklifeError(f"battery {serial!r} already has status {row.status!r}")
        day = _dated(session, row, on, "retirement")
        _close_assignment(session, row, day, who)
        return append_event(session, row, "retired", {"date": day, "reason": reason}, who)


def recycle(db_url: str | None, serial: str, *, recycler: str, on: dt.date | None = None,
            actor: str | None = None) -> BatteryState:
    """Hand a battery to a recycler: status ``recycled`` with recycler and date."""
    who = actor_name(actor)
    if not recycler.strip():
        raise PacklifeError("recycler must name the recycling company")
    recycler = str(check_text("recycler", recycler, required=True))
    with transaction(db_url) as session:
        row = lock_battery(session, serial)
        if row.status == "recycled":
            raise PacklifeError(
                f"battery {serial!r} was already recycled on {row.status_changed_on}")
        day = _dated(session, row, on, "recycling")
        _close_assignment(session, row, day, who)
        return append_event(session, row, "recycled", {"date": day, "recycler": recycler}, who)


def show(db_url: str | None, serial: str) -> dict[str, Any]:
    """Current state of a battery with its modules, grades, tests and slot history."""
    with transaction(db_url) as session:
        row = session.scalar(select(Battery).where(Battery.serial == serial))
        if row is None:
            raise PacklifeError(f"unknown battery serial {serial!r}")
        out = current_state(session, row).as_dict()
        out["children"] = list(session.scalars(
            select(Battery.serial).where(Battery.parent_id == row.id).order_by(Battery.serial)))
        out["grades"] = [
            {"grade": g.grade, "disposition": g.disposition, "reasons": g.reasons,
             "graded_at": g.graded_at.isoformat()}
            for g in session.scalars(select(Grade).where(Grade.battery_id == row.id)
                                     .order_by(Grade.id))]
        out["test_records"] = [
            {"file": t.file_name, "file_sha256": t.file_sha256, "test_type": t.test_type,
             "results": t.results, "recorded_at": t.recorded_at.isoformat()}
            for t in session.scalars(select(TestRecord).where(TestRecord.battery_id == row.id)
                                     .order_by(TestRecord.id))]
        out["assignments"] = [
            {"unit": a.unit.name, "slot": a.slot, "assigned_on": a.assigned_on.isoformat(),
             "unassigned_on": a.unassigned_on.isoformat() if a.unassigned_on else None}
            for a in session.scalars(select(Assignment).where(Assignment.battery_id == row.id)
                                     .order_by(Assignment.id))]
        return out


def battery_history(db_url: str | None, serial: str) -> list[dict[str, Any]]:
    """A battery's events, oldest first: ``id``, ``occurred_at`` (UTC), ``actor``, type, payload."""
    with transaction(db_url) as session:
        if session.scalar(select(Battery.id).where(Battery.serial == serial)) is None:
            raise PacklifeError(f"unknown battery serial {serial!r}")
        return [
            {"id": e.id, "occurred_at": e.occurred_at.isoformat(), "actor": e.actor,
             "event_type": e.event_type, "payload": e.payload}
            for e in session.scalars(select(Event).where(Event.serial == serial).order_by(Event.id))
        ]


def inventory(db_url: str | None) -> list[dict[str, Any]]:
    """Batteries free for design (read-only): not in a unit slot, not waste/recycled, graded.

    A module whose parent pack is also listed is left out (the pack is still whole).

    Returns
    -------
    list of dict
        ``serial``, ``catalog_id``, ``kind``, ``soh`` [-], ``resistance_growth`` [-] (``None``
        if never measured), ``grade``, ``status``; sorted by serial.
    """
    with transaction(db_url) as session:
        in_slot = select(Assignment.battery_id).where(Assignment.unassigned_on.is_(None))
        rows = list(session.scalars(
            select(Battery).where(Battery.status.not_in(("waste", "recycled")),
                                  Battery.soh.is_not(None), Battery.id.not_in(in_slot))
            .order_by(Battery.serial)))
        free_ids = {b.id for b in rows}
        return [{"serial": b.serial, "catalog_id": b.catalog_id, "kind": b.kind, "soh": b.soh,
                 "resistance_growth": b.resistance_growth, "grade": b.grade, "status": b.status}
                for b in rows if b.parent_id is None or b.parent_id not in free_ids]
