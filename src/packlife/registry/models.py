"""SQLAlchemy 2 ORM tables of the battery registry.

The tables hold the *current* state (``batteries``, open ``assignments``) next to the records
that explain it (``test_records``, ``grades``, ``operating_summaries``) and the append-only
``events`` history from which the current state can be rebuilt
(:func:`packlife.registry.state.rebuild_state`). Column names follow ``docs/conventions.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: JSON on SQLite, JSONB on PostgreSQL.
JsonType = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamp on every backend (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of all registry tables."""


class Battery(Base):
    """A pack or module with its current state (kept equal to the replay of its events)."""

    __tablename__ = "batteries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    catalog_id: Mapped[str] = mapped_column(String(64))
    chemistry: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("batteries.id"))
    vin: Mapped[str | None] = mapped_column(String(32))
    vehicle_make: Mapped[str | None] = mapped_column(String(64))
    vehicle_model: Mapped[str | None] = mapped_column(String(64))
    manufactured_on: Mapped[dt.date | None] = mapped_column(Date)
    first_life_end_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    status_changed_on: Mapped[dt.date | None] = mapped_column(Date)
    recycler: Mapped[str | None] = mapped_column(String(128))
    passport_id: Mapped[str] = mapped_column(String(64), unique=True)
    original_passport_id: Mapped[str | None] = mapped_column(String(64))
    soh: Mapped[float | None] = mapped_column(Float)
    resistance_growth: Mapped[float | None] = mapped_column(Float)
    dcir_mohm: Mapped[float | None] = mapped_column(Float)
    self_discharge_pct_per_month: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(16))
    disposition: Mapped[str | None] = mapped_column(String(32))
    energy_throughput_kwh: Mapped[float] = mapped_column(Float, default=0.0)
    capacity_throughput_ah: Mapped[float] = mapped_column(Float, default=0.0)
    equivalent_full_cycles: Mapped[float] = mapped_column(Float, default=0.0)
    harmful_event_count: Mapped[int] = mapped_column(Integer, default=0)
    harmful_event_duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer)

    parent: Mapped[Battery | None] = relationship(remote_side=[id])

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy declarative)


class Unit(Base):
    """A BESS unit with numbered slots for packs."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Assignment(Base):
    """A battery in a unit slot from ``assigned_on`` until ``unassigned_on`` (open: ``None``)."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index(
            "uq_assignment_open_battery", "battery_id", unique=True,
            sqlite_where=text("unassigned_on IS NULL"),
            postgresql_where=text("unassigned_on IS NULL"),
        ),
        Index(
            "uq_assignment_open_slot", "unit_id", "slot", unique=True,
            sqlite_where=text("unassigned_on IS NULL"),
            postgresql_where=text("unassigned_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    battery_id: Mapped[int] = mapped_column(ForeignKey("batteries.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    slot: Mapped[int] = mapped_column(Integer)
    assigned_on: Mapped[dt.date] = mapped_column(Date)
    unassigned_on: Mapped[dt.date | None] = mapped_column(Date)

    battery: Mapped[Battery] = relationship()
    unit: Mapped[Unit] = relationship()


class TestRecord(Base):
    """A test of one battery: the file it came from (with SHA-256) and the results."""

    __tablename__ = "test_records"
    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    battery_id: Mapped[int] = mapped_column(ForeignKey("batteries.id"), index=True)
    file_name: Mapped[str | None] = mapped_column(Text)
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    test_type: Mapped[str] = mapped_column(String(32))
    results: Mapped[dict[str, Any]] = mapped_column(JsonType)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Grade(Base):
    """A grade and disposition with the reasons behind it."""

    __tablename__ = "grades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    battery_id: Mapped[int] = mapped_column(ForeignKey("batteries.id"), index=True)
    test_record_id: Mapped[int | None] = mapped_column(ForeignKey("test_records.id"))
    grade: Mapped[str] = mapped_column(String(16))
    disposition: Mapped[str] = mapped_column(String(32))
    reasons: Mapped[list[str]] = mapped_column(JsonType)
    graded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class OperatingSummary(Base):
    """Energy and capacity throughput, cycles, SoH change and harmful events over a period."""

    __tablename__ = "operating_summaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    battery_id: Mapped[int] = mapped_column(ForeignKey("batteries.id"), index=True)
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    energy_throughput_kwh: Mapped[float] = mapped_column(Float)
    capacity_throughput_ah: Mapped[float | None] = mapped_column(Float)
    equivalent_full_cycles: Mapped[float] = mapped_column(Float)
    soh_start: Mapped[float | None] = mapped_column(Float)
    soh_end: Mapped[float | None] = mapped_column(Float)
    resistance_growth_end: Mapped[float | None] = mapped_column(Float)
    round_trip_efficiency: Mapped[float | None] = mapped_column(Float)
    harmful_events: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Event(Base):
    """One entry of the append-only history (updates and deletes are refused by a trigger)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    battery_id: Mapped[int | None] = mapped_column(ForeignKey("batteries.id"), index=True)
    serial: Mapped[str | None] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)

    battery: Mapped[Battery | None] = relationship()
