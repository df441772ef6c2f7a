"""Who may do what on a live site, what they changed, and the changes that are still in force.

Four tables in the telemetry store's database:

- ``serve_users``: one row per user — name, role (viewer / operator / admin) and the SHA-256 of
  the user's API key. Keys are 256-bit random tokens made here (``secrets.token_urlsafe``), so a
  fast hash is enough (as for GitHub or Stripe tokens; a slow password hash guards *low-entropy*
  secrets); the key itself is shown once, when the user is added, and never stored.
- ``serve_overrides``: operator set-point overrides — isolate a pack, or cap its discharge and
  charge power. Every override has an expiry; a lapsed one no longer applies (no stuck values,
  as OpenEMS's API write timeout). Renewing it is writing it again.
- ``serve_audit``: every write through the API — who, with which role, what, when, the value
  before and after (JSON).
- ``serve_alarm_acks``: which alarm event was acknowledged, by whom and when.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from packlife.errors import PacklifeError
from packlife.serve.store import TelemetryStore, as_utc

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")
#: What each role may do, in increasing order of rights.
RANK = {"viewer": 0, "operator": 1, "admin": 2}
#: Longest an override may last before it must be renewed [s].
MAX_TTL_S = 24 * 3600.0


@dataclass(frozen=True)
class User:
    """A user of the API."""

    name: str
    role: Role
    created_at: datetime


@dataclass(frozen=True)
class Override:
    """An operator override of one pack, in force until ``expires_at`` (UTC).

    ``kind`` ``isolate``: the pack is taken out of the allocation (0 W, contactor opened);
    ``limit``: its discharge / charge power is capped at the given values [W, bus side].
    """

    id: int
    kind: Literal["isolate", "limit"]
    pack_index: int
    max_discharge_power_w: float | None
    max_charge_power_w: float | None
    created_by: str
    created_at: datetime
    expires_at: datetime


def hash_key(key: str) -> str:
    """SHA-256 hex digest of an API key."""
    return hashlib.sha256(key.encode()).hexdigest()


class AccessStore:
    """Users, overrides, audit and alarm acknowledgements (see the module docstring)."""

    def __init__(self, store: TelemetryStore) -> None:
        import sqlalchemy as sa

        self.engine = store.engine
        md = sa.MetaData()
        ts = sa.DateTime(timezone=True)
        self.users = sa.Table(
            "serve_users",
            md,
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("key_sha256", sa.String(64), nullable=False, unique=True),
            sa.Column("created_at", ts, nullable=False),
        )
        self.overrides = sa.Table(
            "serve_overrides",
            md,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("kind", sa.String(16), nullable=False),
            sa.Column("pack_index", sa.Integer, nullable=False),
            sa.Column("max_discharge_power_w", sa.Float),
            sa.Column("max_charge_power_w", sa.Float),
            sa.Column("created_by", sa.String(64), nullable=False),
            sa.Column("created_at", ts, nullable=False),
            sa.Column("expires_at", ts, nullable=False),
        )
        self.audit = sa.Table(
            "serve_audit",
            md,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("at", ts, nullable=False),
            sa.Column("actor", sa.String(64), nullable=False),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("action", sa.String(64), nullable=False),
            sa.Column("target", sa.String(128), nullable=False),
            sa.Column("before", sa.Text, nullable=False),
            sa.Column("after", sa.Text, nullable=False),
        )
        self.acks = sa.Table(
            "serve_alarm_acks",
            md,
            sa.Column("event_id", sa.Integer, primary_key=True),
            sa.Column("by", sa.String(64), nullable=False),
            sa.Column("at", ts, nullable=False),
        )
        md.create_all(self.engine)

    # ------------------------------------------------------------ users
    def add_user(self, name: str, role: str) -> str:
        """Add a user; returns the new API key (shown once, stored only as its hash)."""
        if role not in ROLES:
            raise PacklifeError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
            raise PacklifeError(
                "user name must be 1-64 letters, digits, '-' or '_', got " + repr(name[:70])
            )
        if self.user(name) is not None:
            raise PacklifeError(f"user {name!r} exists (remove it first to issue a new key)")
        key = "pl_" + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                self.users.insert(),
                {"name": name, "role": role, "key_sha256": hash_key(key), "created_at": _now()},
            )
        return key

    def remove_user(self, name: str) -> None:
        """Remove a user (its key stops working at once)."""
        with self.engine.begin() as conn:
            n = conn.execute(self.users.delete().where(self.users.c.name == name)).rowcount
        if not n:
            raise PacklifeError(f"no user {name!r}")

    def user(self, name: str) -> User | None:
        """A user by name."""
        with self.engine.connect() as conn:
            row = conn.execute(self.users.select().where(self.users.c.name == name)).first()
        return _user(row._mapping) if row is not None else None

    def list_users(self) -> list[User]:
        """All users, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(self.users.select().order_by(self.users.c.name))
            return [_user(r._mapping) for r in rows]

    def users_by_key_hash(self) -> dict[str, User]:
        """Every user keyed by the SHA-256 of its API key (for an authenticating cache)."""
        with self.engine.connect() as conn:
            rows = conn.execute(self.users.select())
            return {r.key_sha256: _user(r._mapping) for r in rows}

    # ------------------------------------------------------------ overrides
    def set_override(
        self,
        kind: Literal["isolate", "limit"],
        pack_index: int,
        ttl_s: float,
        by: str,
        max_discharge_power_w: float | None = None,
        max_charge_power_w: float | None = None,
    ) -> Override:
        """Put an override in force for ``ttl_s`` seconds (0 < ttl ≤ 24 h), replacing one of the
        same kind on the same pack."""
        if not 0 < ttl_s <= MAX_TTL_S:
            raise PacklifeError(f"ttl_s must lie in (0, {MAX_TTL_S:.0f}] s, got {ttl_s}")
        now = _now()
        new = Override(
            0, kind, pack_index, max_discharge_power_w, max_charge_power_w, by, now,
            now + timedelta(seconds=ttl_s),
        )
        row = {k: v for k, v in new.__dict__.items() if k != "id"}
        with self.engine.begin() as conn:
            conn.execute(self._same(kind, pack_index, self.overrides.delete()))
            new_id = conn.execute(self.overrides.insert(), row).inserted_primary_key[0]
        return replace(new, id=int(new_id))

    def clear_override(self, kind: str, pack_index: int) -> bool:
        """End an override now; ``False`` if none was in force."""
        with self.engine.begin() as conn:
            q = self._same(kind, pack_index, self.overrides.delete())
            n = conn.execute(q.where(self.overrides.c.expires_at > _now())).rowcount
        return bool(n)

    def active_overrides(self, at: datetime | None = None) -> list[Override]:
        """Overrides in force at ``at`` (now by default), by pack and kind."""
        at = at or _now()
        with self.engine.connect() as conn:
            rows = conn.execute(
                self.overrides.select()
                .where(self.overrides.c.expires_at > at)
                .order_by(self.overrides.c.pack_index, self.overrides.c.kind)
            )
            return [_override(r._mapping) for r in rows]

    def _same(self, kind: str, pack_index: int, q: Any) -> Any:
        c = self.overrides.c
        return q.where(c.kind == kind).where(c.pack_index == pack_index)

    # ------------------------------------------------------------ audit, acks
    def record(
        self, actor: User, action: str, target: str, before: Any, after: Any
    ) -> None:
        """Audit one write (``before`` / ``after`` JSON-serialisable)."""
        with self.engine.begin() as conn:
            conn.execute(
                self.audit.insert(),
                {
                    "at": _now(),
                    "actor": actor.name,
                    "role": actor.role,
                    "action": action,
                    "target": target,
                    "before": json.dumps(before, default=str),
                    "after": json.dumps(after, default=str),
                },
            )

    def read_audit(self, limit: int = 200) -> list[dict[str, Any]]:
        """The newest audit rows first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                self.audit.select().order_by(self.audit.c.id.desc()).limit(limit)
            )
            out = []
            for r in rows:
                m = dict(r._mapping)
                m["at"] = as_utc(m["at"])
                m["before"], m["after"] = json.loads(m["before"]), json.loads(m["after"])
                out.append(m)
            return out

    def acknowledge(self, event_id: int, by: str) -> bool:
        """Acknowledge an alarm event; ``False`` if it was acknowledged before."""
        import sqlalchemy as sa

        with self.engine.begin() as conn:
            if conn.execute(
                sa.select(self.acks.c.event_id).where(self.acks.c.event_id == event_id)
            ).first():
                return False
            conn.execute(self.acks.insert(), {"event_id": event_id, "by": by, "at": _now()})
        return True

    def acknowledged(self) -> dict[int, tuple[str, datetime]]:
        """Acknowledged alarm events: id → (by, at)."""
        with self.engine.connect() as conn:
            return {r.event_id: (r.by, as_utc(r.at)) for r in conn.execute(self.acks.select())}


def _now() -> datetime:
    return datetime.now(UTC)


def _user(m: Any) -> User:
    return User(name=m["name"], role=m["role"], created_at=as_utc(m["created_at"]))


def _override(m: Any) -> Override:
    return Override(
        id=m["id"],
        kind=m["kind"],
        pack_index=m["pack_index"],
        max_discharge_power_w=m["max_discharge_power_w"],
        max_charge_power_w=m["max_charge_power_w"],
        created_by=m["created_by"],
        created_at=as_utc(m["created_at"]),
        expires_at=as_utc(m["expires_at"]),
    )
