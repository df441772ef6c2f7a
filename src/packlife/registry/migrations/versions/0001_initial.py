"""Initial registry schema: batteries, units, assignments, tests, grades, summaries, events.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from packlife.registry.models import JsonType, UtcDateTime

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

_PG_APPEND_ONLY = """
CREATE FUNCTION packlife_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION packlife_events_append_only();
"""
_SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END",
]


def _open_where() -> dict[str, Any]:
    return {
        "sqlite_where": sa.text("unassigned_on IS NULL"),
        "postgresql_where": sa.text("unassigned_on IS NULL"),
    }


def upgrade() -> None:
    op.create_table(
        "batteries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("serial", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("catalog_id", sa.String(64), nullable=False),
        sa.Column("chemistry", sa.String(16), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("batteries.id")),
        sa.Column("vin", sa.String(32)),
        sa.Column("vehicle_make", sa.String(64)),
        sa.Column("vehicle_model", sa.String(64)),
        sa.Column("manufactured_on", sa.Date),
        sa.Column("first_life_end_on", sa.Date),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_changed_on", sa.Date),
        sa.Column("recycler", sa.String(128)),
        sa.Column("passport_id", sa.String(64), nullable=False, unique=True),
        sa.Column("original_passport_id", sa.String(64)),
        sa.Column("soh", sa.Float),
        sa.Column("resistance_growth", sa.Float),
        sa.Column("dcir_mohm", sa.Float),
        sa.Column("self_discharge_pct_per_month", sa.Float),
        sa.Column("grade", sa.String(16)),
        sa.Column("disposition", sa.String(32)),
        sa.Column("energy_throughput_kwh", sa.Float, nullable=False),
        sa.Column("capacity_throughput_ah", sa.Float, nullable=False),
        sa.Column("equivalent_full_cycles", sa.Float, nullable=False),
        sa.Column("harmful_event_count", sa.Integer, nullable=False),
        sa.Column("harmful_event_duration_s", sa.Float, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("battery_id", sa.Integer, sa.ForeignKey("batteries.id"), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False),
        sa.Column("slot", sa.Integer, nullable=False),
        sa.Column("assigned_on", sa.Date, nullable=False),
        sa.Column("unassigned_on", sa.Date),
    )
    op.create_index("uq_assignment_open_battery", "assignments", ["battery_id"], unique=True,
                    **_open_where())
    op.create_index("uq_assignment_open_slot", "assignments", ["unit_id", "slot"], unique=True,
                    **_open_where())
    op.create_table(
        "test_records",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("battery_id", sa.Integer, sa.ForeignKey("batteries.id"), nullable=False),
        sa.Column("file_name", sa.Text),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column("test_type", sa.String(32), nullable=False),
        sa.Column("results", JsonType, nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_test_records_battery_id", "test_records", ["battery_id"])
    op.create_table(
        "grades",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("battery_id", sa.Integer, sa.ForeignKey("batteries.id"), nullable=False),
        sa.Column("test_record_id", sa.Integer, sa.ForeignKey("test_records.id")),
        sa.Column("grade", sa.String(16), nullable=False),
        sa.Column("disposition", sa.String(32), nullable=False),
        sa.Column("reasons", JsonType, nullable=False),
        sa.Column("graded_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_grades_battery_id", "grades", ["battery_id"])
    op.create_table(
        "operating_summaries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("battery_id", sa.Integer, sa.ForeignKey("batteries.id"), nullable=False),
        sa.Column("period_start", sa.Date),
        sa.Column("period_end", sa.Date),
        sa.Column("energy_throughput_kwh", sa.Float, nullable=False),
        sa.Column("capacity_throughput_ah", sa.Float),
        sa.Column("equivalent_full_cycles", sa.Float, nullable=False),
        sa.Column("soh_start", sa.Float),
        sa.Column("soh_end", sa.Float),
        sa.Column("resistance_growth_end", sa.Float),
        sa.Column("round_trip_efficiency", sa.Float),
        sa.Column("harmful_events", JsonType, nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_operating_summaries_battery_id", "operating_summaries", ["battery_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("battery_id", sa.Integer, sa.ForeignKey("batteries.id")),
        sa.Column("serial", sa.String(64)),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.Column("payload", JsonType, nullable=False),
    )
    op.create_index("ix_events_battery_id", "events", ["battery_id"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
    else:
        for stmt in _SQLITE_APPEND_ONLY:
            op.execute(stmt)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_append_only ON events")
        op.execute("DROP FUNCTION packlife_events_append_only()")
    for table in ("events", "operating_summaries", "grades", "test_records", "assignments",
                  "units", "batteries"):
        op.drop_table(table)
