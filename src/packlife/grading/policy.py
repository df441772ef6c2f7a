"""Disposition policy (TOML, pydantic-validated) and the decision: A/B/C, recycle or quarantine.

Every decision lists its reasons as strings naming the measured value and the threshold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from packlife.datafiles import load_model

DEFAULT_POLICY_PATH = Path(__file__).parent / "policy_default.toml"


class GradeThresholds(BaseModel):
    """Limits a unit must meet for one reuse grade."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    min_soh: float = Field(gt=0, le=1)
    max_resistance_growth: float = Field(ge=1)
    max_imbalance_mv: float = Field(gt=0)
    max_self_discharge_pct_per_month: float = Field(gt=0)
    disposition: str = Field("repurpose", pattern=r"^[a-z_]+$", description="what to do with it")


class SafetyRules(BaseModel):
    """Conditions that quarantine a unit regardless of its performance."""

    model_config = ConfigDict(extra="forbid")
    min_cell_voltage_v: float = Field(gt=0, lt=4.5)
    quarantine_fault_codes: list[str] = Field(default_factory=list)
    quarantine_on_thermal_event: bool = True
    quarantine_on_damage: bool = True
    quarantine_beyond_calendar_limit: bool = True
    require_traceability: bool = True


class GradingPolicy(BaseModel):
    """A disposition policy file (see ``policy_default.toml``)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    description: str = ""
    soh_sigma_margin: float = Field(0.0, ge=0, le=3)
    grades: list[GradeThresholds] = Field(min_length=1)
    safety: SafetyRules

    @model_validator(mode="after")
    def _ordered(self) -> GradingPolicy:
        sohs = [g.min_soh for g in self.grades]
        if sohs != sorted(sohs, reverse=True):
            raise ValueError("grades must be listed best first (min_soh decreasing)")
        return self


def disposition_of(grade: str | None, policy: GradingPolicy) -> str:
    """What happens to a unit of ``grade``: the grade's ``disposition``, ``recycle``,
    ``quarantine``, or ``retest`` (ungraded or unreadable)."""
    for g in policy.grades:
        if g.name == grade:
            return g.disposition
    return {"recycle": "recycle", "quarantine": "quarantine"}.get(grade or "", "retest")


def load_policy(path: Path | None = None) -> GradingPolicy:
    """Load a policy file (default: the packaged ``policy_default.toml``)."""
    return load_model(DEFAULT_POLICY_PATH if path is None else Path(path), GradingPolicy)


@dataclass
class Measurements:
    """What is known about one unit; ``None`` = not measured."""

    soh: float | None = None
    soh_uncertainty: float = 0.0
    resistance_growth: float | None = None
    imbalance_mv: float | None = None
    self_discharge_pct_per_month: float | None = None
    min_cell_voltage_v: float | None = None
    fault_codes: list[str] = field(default_factory=list)
    thermal_event_history: bool | None = None
    damage_noted: str = ""
    manufacture_date: dt.date | None = None
    cycle_count: int | None = None
    calendar_limit_years: float | None = None


def safety_reasons(m: Measurements, rules: SafetyRules, today: dt.date) -> list[str]:
    """Reasons to quarantine (empty if none)."""
    out = []
    if m.min_cell_voltage_v is not None and m.min_cell_voltage_v < rules.min_cell_voltage_v:
        out.append(
            f"cell voltage {m.min_cell_voltage_v:.3f} V below the minimum "
            f"{rules.min_cell_voltage_v:.3f} V (deep discharge)"
        )
    for code in m.fault_codes:
        hit = [p for p in rules.quarantine_fault_codes if p.lower() in code.lower()]
        if hit:
            out.append(f"BMS fault code {code!r} matches quarantine list entry {hit[0]!r}")
    if rules.quarantine_on_thermal_event and m.thermal_event_history:
        out.append("thermal event in the unit's history")
    if rules.quarantine_on_damage and m.damage_noted.strip():
        out.append(f"damage noted at inspection: {m.damage_noted.strip()}")
    if m.manufacture_date is not None and m.calendar_limit_years is not None:
        age = (today - m.manufacture_date).days / 365.25
        if rules.quarantine_beyond_calendar_limit and age > m.calendar_limit_years:
            out.append(
                f"calendar age {age:.1f} years beyond the maker's limit "
                f"{m.calendar_limit_years:.1f} years"
            )
    if rules.require_traceability:
        missing = [
            name
            for name, value in (
                ("manufacture_date", m.manufacture_date),
                ("cycle_count", m.cycle_count),
            )
            if value is None
        ]
        if missing:
            out.append(
                "missing lifetime traceability data required by IEC 63338: "
                + ", ".join(missing)
                + " (supply a BMS snapshot / --history file)"
            )
    return out


def _checks(m: Measurements, g: GradeThresholds, soh_used: float) -> list[tuple[bool, str]]:
    """(passed, reason) for each measured criterion against grade ``g``."""
    out = [
        (
            soh_used >= g.min_soh,
            f"soh {soh_used:.3f} {'≥' if soh_used >= g.min_soh else '<'} {g.min_soh:.2f} "
            f"(grade {g.name} minimum)",
        )
    ]
    pairs = (
        ("resistance growth", m.resistance_growth, g.max_resistance_growth, "{:.2f}"),
        ("cell imbalance", m.imbalance_mv, g.max_imbalance_mv, "{:.0f} mV"),
        (
            "self-discharge",
            m.self_discharge_pct_per_month,
            g.max_self_discharge_pct_per_month,
            "{:.2f} %/month",
        ),
    )
    for label, value, limit, fmt in pairs:
        if value is not None:
            ok = value <= limit
            out.append(
                (
                    ok,
                    f"{label} {fmt.format(value)} {'≤' if ok else '>'} {fmt.format(limit)} "
                    f"(grade {g.name} maximum)",
                )
            )
    return out


def decide(
    m: Measurements, policy: GradingPolicy, today: dt.date | None = None
) -> tuple[str, list[str]]:
    """Disposition of one unit: ``(grade, reasons)``.

    ``grade`` is ``quarantine`` (any safety reason), the best grade whose limits are all met,
    ``recycle`` (none met), or ``ungraded`` (no SoH measured and no safety reason).
    """
    today = dt.date.today() if today is None else today
    reasons = safety_reasons(m, policy.safety, today)
    if reasons:
        return "quarantine", reasons
    if m.soh is None:
        return "ungraded", ["no capacity measurement (no full discharge, no usable short test)"]
    soh_used = m.soh - policy.soh_sigma_margin * m.soh_uncertainty
    notes = [
        f"{label} not assessed ({why})"
        for label, value, why in (
            ("resistance growth", m.resistance_growth, "no pulse or no new-cell reference"),
            ("cell imbalance", m.imbalance_mv, "no BMS cell voltages"),
            ("self-discharge", m.self_discharge_pct_per_month, "no rest of ≥ 24 h"),
        )
        if value is None
    ]
    failed: list[str] = []
    for g in policy.grades:
        checks = _checks(m, g, soh_used)
        if all(ok for ok, _ in checks):
            return g.name, failed + [text for _, text in checks] + notes
        failed = [text for ok, text in checks if not ok]
    return "recycle", failed + notes
