"""Known answers for NPV, payback, LCOS and tariffs, computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from packlife.economics.finance import (
    capital_recovery_factor,
    lcos_per_kwh,
    npv,
    payback_years,
    replacement_years,
)
from packlife.economics.tariffs import bill, tou_prices


def test_npv_and_payback_of_a_small_case_by_hand() -> None:
    # capex 1000, savings 300 a year for 5 years, 10 % discount rate:
    # PV = 300 × (1 − 1.1^−5) / 0.1 = 300 × 3.790787 = 1137.236 → NPV = 137.236
    assert npv(0.10, 1000.0, [300.0] * 5) == pytest.approx(137.2360, abs=1e-4)
    # simple payback: 1000 / 300 = 3.333 years
    assert payback_years(1000.0, [300.0] * 5) == pytest.approx(10 / 3)
    # discounted: cumulative PV 272.73, 520.66, 746.05, 950.96 after 4 years; year 5 adds 186.28
    # → 4 + (1000 − 950.960) / 186.276 = 4.2633
    assert payback_years(1000.0, [300.0] * 5, rate=0.10) == pytest.approx(4.2633, abs=1e-4)
    assert math.isinf(payback_years(1000.0, [100.0] * 5))


def test_lcos_and_capital_recovery_by_hand() -> None:
    # CRF(8 %, 10 y) = 0.08·1.08^10 / (1.08^10 − 1) = 0.149029
    assert capital_recovery_factor(0.08, 10) == pytest.approx(0.149029, abs=1e-6)
    # capex 10,000 + 500/yr over 10 y at 8 %, 20,000 kWh/yr:
    # (10,000 + 500·6.710081) / (20,000·6.710081) = 13,355.04 / 134,201.6 = 0.099515
    assert lcos_per_kwh(0.08, 10_000.0, [500.0] * 10, [20_000.0] * 10) == pytest.approx(
        0.099515, abs=1e-6
    )


@given(rate=st.floats(0.0, 0.3), years=st.integers(1, 30), amount=st.floats(1.0, 1e6))
def test_a_level_annuity_of_the_crf_has_zero_npv(rate: float, years: int, amount: float) -> None:
    payment = amount * capital_recovery_factor(rate, years)
    assert npv(rate, amount, [payment] * years) == pytest.approx(0.0, abs=1e-6 * amount)


def test_replacements_follow_the_extrapolated_fade() -> None:
    # fade 0.02/yr from 0.70 → threshold 0.60 reached after 5 years; again after 10
    assert replacement_years([0.70], [0.69], 0.5, 0.60, 12) == [[5, 10]]
    assert replacement_years([0.58], [0.579], 1.0, 0.60, 10) == [[1]]
    assert replacement_years([0.9], [0.9], 1.0, 0.6, 10) == [[]]


def test_tou_bands_wrap_midnight_and_respect_weekdays() -> None:
    hours = np.array([1.0, 8.0, 17.5, 23.5, 17.5])
    dow = np.array([0, 0, 0, 0, 6])
    bands = [(23.0, 7.0, 0.10, "all"), (16.0, 19.0, 0.40, "weekdays")]
    np.testing.assert_allclose(tou_prices(hours, dow, 0.25, bands), [0.10, 0.25, 0.40, 0.10, 0.25])


def test_bill_by_hand() -> None:
    # 4 hours: import 10 kW, 20 kW, export 5 kW, 0; prices 0.2 in, 0.05 out
    p = np.array([10e3, 20e3, -5e3, 0.0])
    b = bill(
        p,
        3600.0,
        np.full(4, 0.2),
        np.full(4, 0.05),
        np.ones(4, dtype=int),
        standing_charge_per_day=1.2,
        demand_charge_per_kw_month=3.0,
    )
    assert (b.import_kwh, b.export_kwh, b.peak_import_kw) == (30.0, 5.0, 20.0)
    assert b.energy_import == pytest.approx(6.0)
    assert b.energy_export_credit == pytest.approx(0.25)
    assert b.standing == pytest.approx(0.2)  # 4 h = 1/6 day × 1.2
    assert b.demand == pytest.approx(60.0)
    assert b.total == pytest.approx(6.0 + 0.2 + 60.0 - 0.25)
