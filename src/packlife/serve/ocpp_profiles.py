"""OCPP 2.0.1 charging profiles: building them and the K01 rules a real station enforces.

Rules checked (libocpp ``ocpp_201_smart_charging_in_depth.md``, OCPP 2.0.1 part 2 K01):

- the first ``startPeriod`` of a schedule is 0 and periods increase;
- ``ChargingStationMaxProfile`` goes on EVSE 0 and is not Relative;
- an Absolute profile has ``startSchedule`` (K01.FR.40);
- a ``TxProfile`` has EVSE > 0, a ``transactionId`` and that transaction is active on that EVSE;
- limits are ≥ 0.

The CSMS checks every profile before sending it (:func:`k01_problems` must be empty) and the
virtual station rejects any that is not.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict
from datetime import datetime
from typing import Any


def profile(
    profile_id: int,
    purpose: str,
    kind: str,
    limit_w: float,
    start: datetime | None = None,
    duration_s: int | None = None,
    transaction_id: str | None = None,
) -> Any:
    """A one-period W profile as a python-ocpp ``ChargingProfileType``."""
    from ocpp.v201 import datatypes as dt
    from ocpp.v201.enums import ChargingRateUnitEnumType

    sched = dt.ChargingScheduleType(
        id=profile_id,
        charging_rate_unit=ChargingRateUnitEnumType.watts,
        start_schedule=start.isoformat() if start is not None else None,
        duration=duration_s,
        charging_schedule_period=[
            dt.ChargingSchedulePeriodType(start_period=0, limit=round(max(limit_w, 0.0), 1))
        ],
    )
    return dt.ChargingProfileType(
        id=profile_id,
        stack_level=0,
        charging_profile_purpose=purpose,
        charging_profile_kind=kind,
        charging_schedule=[sched],
        transaction_id=transaction_id,
    )


def as_dict(p: Any) -> dict[str, Any]:
    """A profile dataclass or the dict a station receives, as a snake_case dict."""
    return p if isinstance(p, dict) else asdict(p)


def k01_problems(evse_id: int, p: Any, active_tx: dict[int, str]) -> list[str]:
    """Why a station would reject ``p`` on ``evse_id`` (empty = acceptable).

    ``active_tx`` maps EVSE id → its active transaction id.
    """
    d = as_dict(p)
    out: list[str] = []
    purpose = str(d.get("charging_profile_purpose"))
    kind = str(d.get("charging_profile_kind"))
    for s in d.get("charging_schedule") or []:
        periods = s.get("charging_schedule_period") or []
        starts = [per.get("start_period") for per in periods]
        if not starts or starts[0] != 0:
            out.append("first startPeriod must be 0")
        if any(b <= a for a, b in itertools.pairwise(starts)):
            out.append("startPeriod must increase")
        if any(per.get("limit", -1) < 0 for per in periods):
            out.append("limits must be ≥ 0")
        if kind == "Absolute" and not s.get("start_schedule"):
            out.append("Absolute profile needs startSchedule (K01.FR.40)")
    if purpose == "ChargingStationMaxProfile":
        if evse_id != 0:
            out.append("ChargingStationMaxProfile goes on EVSE 0")
        if kind == "Relative":
            out.append("ChargingStationMaxProfile cannot be Relative")
    if purpose == "TxProfile":
        tx = d.get("transaction_id")
        if evse_id <= 0:
            out.append("TxProfile needs EVSE > 0")
        if not tx:
            out.append("TxProfile needs a transactionId")
        elif active_tx.get(evse_id) != tx:
            out.append(f"no active transaction {tx} on EVSE {evse_id}")
    return out
