"""Discounting: NPV, simple and discounted payback, LCOS, and pack replacements from SoH fade.

Conventions: year 0 is the investment; cash flows of year ``y`` (1 … N) are discounted by
``(1 + r)**y`` (end-of-year); amounts are in one currency.

References
----------
W. Short, D. J. Packey and T. Holt, "A manual for the economic evaluation of energy efficiency and
renewable energy technologies", NREL/TP-462-5173, 1995 (NPV, CRF, payback). LCOS as in
O. Schmidt et al., "Projecting the future levelized cost of electricity storage technologies",
*Joule* 3(1), 81–100, 2019.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from packlife._typing import FloatArray
from packlife.errors import PacklifeError


def discount_factors(rate: float, years: int) -> FloatArray:
    """``1 / (1 + rate)**y`` for y = 1 … ``years``."""
    if rate <= -1.0:
        raise PacklifeError(f"discount rate must be > -1, got {rate}")
    return np.asarray(1.0 / (1.0 + rate) ** np.arange(1, years + 1), dtype=float)


def npv(rate: float, capex: float, cash_flows: Sequence[float] | FloatArray) -> float:
    """Net present value: ``-capex + Σ cash_flows[y-1] / (1 + rate)**y``."""
    flows = np.asarray(cash_flows, dtype=float)
    return float(-capex + np.sum(flows * discount_factors(rate, flows.size)))


def payback_years(
    capex: float, cash_flows: Sequence[float] | FloatArray, rate: float = 0.0
) -> float:
    """Years until the (discounted, if ``rate`` > 0) cumulative cash flow repays ``capex``.

    Within a year the flow is taken as even (linear interpolation). ``inf`` when never repaid
    within the flows given; 0 when there is nothing to repay.
    """
    if capex <= 0:
        return 0.0
    flows = np.asarray(cash_flows, dtype=float)
    if rate:
        flows = flows * discount_factors(rate, flows.size)
    cum = 0.0
    for y, f in enumerate(flows):
        if f > 0 and cum + f >= capex:
            return float(y + (capex - cum) / f)
        cum += float(f)
    return math.inf


def capital_recovery_factor(rate: float, years: int) -> float:
    """Annuity factor turning a present amount into ``years`` equal end-of-year payments."""
    growth = math.expm1(years * math.log1p(rate))  # (1 + r)^n − 1, exact for tiny r
    if growth == 0.0:
        return 1.0 / years
    return rate * (1.0 + growth) / growth


def lcos_per_kwh(
    rate: float,
    capex: float,
    annual_costs: Sequence[float] | FloatArray,
    annual_energy_kwh: Sequence[float] | FloatArray,
) -> float:
    """Levelised cost: (capex + PV of yearly costs) / PV of yearly energy delivered [per kWh]."""
    costs = np.asarray(annual_costs, dtype=float)
    energy = np.asarray(annual_energy_kwh, dtype=float)
    df = discount_factors(rate, energy.size)
    denominator = float(np.sum(energy * df))
    if denominator <= 0:
        return math.inf
    return float((capex + np.sum(costs * df)) / denominator)


def replacement_years(
    soh_start: Sequence[float],
    soh_end: Sequence[float],
    period_years: float,
    threshold_soh: float,
    life_years: int,
) -> list[list[int]]:
    """Project years in which each pack is replaced, from its simulated SoH fade.

    Each pack's fade rate over the simulated period is extrapolated linearly; a pack whose SoH
    reaches ``threshold_soh`` in year ``y`` is replaced at the end of that year by another pack
    at its starting SoH, which fades at the same rate. A pack already at or below the threshold is
    replaced in year 1.
    """
    if period_years <= 0:
        raise PacklifeError(f"period_years must be > 0, got {period_years}")
    out: list[list[int]] = []
    for s0, s1 in zip(soh_start, soh_end, strict=True):
        fade_per_year = max((s0 - s1) / period_years, 0.0)
        years: list[int] = []
        if s0 <= threshold_soh:
            years.append(1)
        elif fade_per_year > 0:
            life = (s0 - threshold_soh) / fade_per_year
            y = life
            while math.ceil(y) <= life_years:
                years.append(max(int(math.ceil(y)), 1))
                y += max(life, 1.0)
        out.append(years)
    return out
