"""Switching pack converters off at light load (``concentrate_converters``)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from packlife.control.pack_allocation import allocate_by_weight, concentrate_converters
from packlife.models.power_electronics import DCDC_DEFAULT, converter_loss_w

K0, K1, K2 = DCDC_DEFAULT


def _run(request_w: float, limit_w: list[float], weight: list[float], rated_w: float = 100e3):
    lim = np.array(limit_w, dtype=float)
    n = lim.size
    keep = np.zeros(n, dtype=bool)
    count = concentrate_converters(
        request_w,
        lim,
        np.array(weight, dtype=float),
        np.full(n, rated_w),
        np.full(n, K0),
        np.full(n, K2),
        keep,
    )
    return lim, keep, count


def test_light_load_runs_one_converter_with_the_most_energy() -> None:
    lim, keep, count = _run(20e3, [100e3] * 7, [5, 9, 3, 9.5, 1, 2, 4])
    assert count == 1 and keep.tolist() == [False, False, False, True, False, False, False]
    assert lim[3] == 100e3 and lim.sum() == 100e3


def test_rated_load_keeps_every_converter() -> None:
    _lim, keep, count = _run(650e3, [100e3] * 7, [1, 2, 3, 4, 5, 6, 7])
    assert count == 7 and keep.all()


def test_the_optimum_count_follows_the_loss_model() -> None:
    # n* = R / P_r · sqrt(k2 / k0): compare the chosen count with a brute-force loss minimum
    for request in (30e3, 90e3, 150e3, 250e3):
        _, _, count = _run(request, [100e3] * 7, [7, 6, 5, 4, 3, 2, 1])
        losses = [n * converter_loss_w(request / n, 100e3, K0, K1, K2) for n in range(1, 8)]
        best = int(np.argmin(losses)) + 1
        assert count in (best, best + 1)  # ⌈n*⌉ rounds up


@settings(max_examples=2000, deadline=None)
@given(
    request=st.floats(-800e3, 800e3, allow_nan=False),
    limits=st.lists(st.floats(0.0, 150e3, allow_nan=False), min_size=1, max_size=9),
    seed=st.integers(0, 2**16),
)
def test_the_kept_packs_still_cover_what_all_packs_could(
    request: float, limits: list[float], seed: int
) -> None:
    weight = np.random.default_rng(seed).uniform(0.0, 10.0, len(limits)).tolist()
    lim, keep, count = _run(request, limits, weight)
    original = np.array(limits)
    assert np.all(lim <= original) and np.all(lim[~keep] == 0.0)
    assert count == int(keep.sum())
    # whatever all packs together could deliver, the kept ones deliver too
    deliverable = min(abs(request), float(original.sum()))
    assert float(lim.sum()) >= deliverable * (1 - 1e-12)
    out = np.zeros(len(limits))
    unmet = allocate_by_weight(request, lim, np.array(weight), out)
    assert abs(unmet) <= abs(request) - deliverable + 1e-6 * max(1.0, abs(request))
