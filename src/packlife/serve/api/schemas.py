"""Request and response bodies of the web API (SI units in every name, discharge positive)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(_Body):
    """Liveness: the API answers and how old the newest control cycle is."""

    status: Literal["ok"] = "ok"
    run_id: str | None = Field(description="newest run in the store")
    last_cycle_age_s: float | None = Field(description="age of the newest cycle [s]")
    stale: bool = Field(description="no cycle within 3 control periods")


class PackState(_Body):
    """One pack in the newest cycle."""

    pack_index: int
    serial: str
    power_w: float | None = Field(description="measured at the bus, discharge positive [W]")
    setpoint_w: float = Field(description="commanded [W]")
    soc: float | None = Field(description="state of charge [0-1]")
    soh: float | None = Field(description="state-of-health estimate of the BMS [0-1]")
    temperature_c: float | None = Field(description="[°C]")
    alarms: int = Field(description="SunSpec 802 Evt1 alarm bits (0 = none)")
    isolated: bool = Field(description="isolated by an operator override")
    max_discharge_power_w: float | None = Field(description="operator cap in force [W]")
    max_charge_power_w: float | None = Field(description="operator cap in force [W]")


class EvseState(_Body):
    """One EVSE (output) and the vehicle on it in the newest cycle (vehicle side)."""

    evse_index: int
    power_w: float = Field(description="measured [W]")
    setpoint_w: float = Field(description="commanded [W]")
    session_id: str | None
    soc: float | None = Field(description="vehicle state of charge [0-1]")
    energy_needed_wh: float | None = Field(description="energy still wanted [Wh]")
    departure_s: float | None = Field(description="planned departure, site seconds [s]")


class SiteState(_Body):
    """The site in the newest control cycle."""

    run_id: str
    site_name: str
    time_zone: str = Field(description="IANA zone or UTC offset of the site's clock")
    period_s: float = Field(description="control period [s]")
    started_at: datetime
    cycle: int | None
    measured_at: datetime | None
    site_time_s: float | None = Field(description="site clock of the cycle (run start = 0) [s]")
    age_s: float | None = Field(description="age of this cycle when served [s]")
    stale: bool = Field(description="no cycle within 3 control periods")
    lateness_s: float | None = Field(description="how late the cycle started [s]")
    bess_power_w: float | None = Field(description="BESS at the bus, discharge positive [W]")
    outputs_power_w: float | None = Field(description="to the vehicles [W]")
    source_power_w: dict[str, float] = Field(description="per input, into the bus [W]")
    packs: list[PackState]
    evses: list[EvseState]
    active_alarms: int = Field(description="alarm events not acknowledged")


class Event(_Body):
    """An event of the store (alarm, isolation, rejoin, operator action, start, stop)."""

    id: int
    run_id: str
    at: datetime
    kind: str
    device: str
    message: str
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None


class IsolateRequest(_Body):
    """Isolate a pack until the override expires (renew by sending it again)."""

    ttl_s: float = Field(300.0, gt=0.0, le=86400.0, description="expires after [s]")


class LimitRequest(_Body):
    """Cap a pack's discharge and charge power until the override expires."""

    max_discharge_power_w: float = Field(ge=0.0, le=1e7, description="[W], bus side")
    max_charge_power_w: float = Field(ge=0.0, le=1e7, description="[W], bus side")
    ttl_s: float = Field(300.0, gt=0.0, le=86400.0, description="expires after [s]")


class OverrideOut(_Body):
    """An override in force."""

    id: int
    kind: Literal["isolate", "limit"]
    pack_index: int
    max_discharge_power_w: float | None
    max_charge_power_w: float | None
    created_by: str
    created_at: datetime
    expires_at: datetime


class Cleared(_Body):
    """Result of ending an override."""

    cleared: bool


class Acknowledged(_Body):
    """Result of acknowledging an alarm."""

    event_id: int
    acknowledged: bool = Field(description="false if it was acknowledged before")


class UserOut(_Body):
    """A user (never its key)."""

    name: str
    role: Literal["viewer", "operator", "admin"]
    created_at: datetime


class UserIn(_Body):
    """A user to add."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    role: Literal["viewer", "operator", "admin"]


class NewUser(UserOut):
    """A user just added, with its API key (shown only this once)."""

    api_key: str


class AuditRow(_Body):
    """One audited write."""

    id: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    before: object
    after: object


class Me(_Body):
    """The caller."""

    name: str
    role: Literal["viewer", "operator", "admin"]


class HistoryPoint(_Body):
    """Site power flows of a period, one entry per (thinned) cycle; times in UTC."""

    measured_at: list[datetime]
    bess_power_w: list[float]
    outputs_power_w: list[float]
    pack_soc: list[list[float | None]] = Field(description="per pack, per point [0-1]")
