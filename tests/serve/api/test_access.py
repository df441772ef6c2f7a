"""Users (hashed keys), expiring overrides, audit and alarm acks on a real SQLite file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from packlife.errors import PacklifeError
from packlife.serve.access import AccessStore, hash_key
from packlife.serve.store import TelemetryStore


@pytest.fixture
def access(tmp_path: Path) -> AccessStore:
    return AccessStore(TelemetryStore(f"sqlite:///{tmp_path / 's.db'}"))


def test_keys_are_stored_only_as_hashes(access: AccessStore, tmp_path: Path) -> None:
    key = access.add_user("ops-1", "operator")
    assert key.startswith("pl_") and len(key) > 40
    users = access.users_by_key_hash()
    assert users[hash_key(key)].name == "ops-1" and users[hash_key(key)].role == "operator"
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    assert key.encode() not in raw and hash_key(key).encode() in raw


def test_user_names_roles_and_duplicates_are_checked(access: AccessStore) -> None:
    access.add_user("a", "viewer")
    with pytest.raises(PacklifeError, match="exists"):
        access.add_user("a", "admin")
    with pytest.raises(PacklifeError, match="role must be one of"):
        access.add_user("b", "root")
    with pytest.raises(PacklifeError, match="user name"):
        access.add_user("x y", "viewer")
    access.remove_user("a")
    assert access.list_users() == []
    with pytest.raises(PacklifeError, match="no user"):
        access.remove_user("a")


def test_overrides_expire_and_replace_their_kind(access: AccessStore) -> None:
    access.set_override("isolate", 1, 0.3, "op")
    access.set_override("limit", 1, 60.0, "op", 5000.0, 2000.0)
    access.set_override("limit", 1, 60.0, "op", 3000.0, 1000.0)  # renewal replaces
    active = access.active_overrides()
    assert [(o.kind, o.pack_index) for o in active] == [("isolate", 1), ("limit", 1)]
    assert active[1].max_discharge_power_w == 3000.0 and active[1].max_charge_power_w == 1000.0
    time.sleep(0.35)
    assert [o.kind for o in access.active_overrides()] == ["limit"]  # lapsed by itself
    assert access.clear_override("limit", 1) is True
    assert access.clear_override("limit", 1) is False
    assert access.active_overrides() == []


@pytest.mark.parametrize("ttl_s", [0.0, -1.0, 86_401.0])
def test_override_lifetime_is_bounded(access: AccessStore, ttl_s: float) -> None:
    with pytest.raises(PacklifeError, match="ttl_s"):
        access.set_override("isolate", 0, ttl_s, "op")


def test_audit_and_acknowledgements(access: AccessStore) -> None:
    access.add_user("adm", "admin")
    user = access.user("adm")
    assert user is not None
    access.record(user, "isolate", "pack 2", None, {"ttl_s": 60})
    row = access.read_audit()[0]
    assert (row["actor"], row["role"], row["action"], row["target"]) == (
        "adm", "admin", "isolate", "pack 2")
    assert row["before"] is None and row["after"] == {"ttl_s": 60}
    assert row["at"].tzinfo is not None
    assert access.acknowledge(7, "adm") is True
    assert access.acknowledge(7, "adm") is False
    assert access.acknowledged()[7][0] == "adm"
