"""dQ/dV: known peaks of an analytic curve (positions, areas), LAM vs LLI patterns, and a real
C/20 BioLogic discharge through the grader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from packlife.grading.batch import GradeContext, grade_file
from packlife.grading.ica import compare_to_reference, ica_curve

D = Path(__file__).parents[1] / "data" / "cycler_formats"


def staged(
    centers: list[float], amps: list[float], *, width_v: float = 0.015, shift_v: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Charge of a discharge through logistic stages: dQ/dV has a peak of area ``amp`` at
    each centre (+ ``shift_v``). Returns (charge from 0 [Ah], voltage falling [V])."""
    v = np.linspace(4.2, 3.0, 4000)
    q = sum(
        a / (1 + np.exp((v - c - shift_v) / width_v)) for c, a in zip(centers, amps, strict=True)
    )
    q = np.asarray(q)
    return q - q[0], v


def test_known_peak_positions_and_areas() -> None:
    q, v = staged([3.45, 3.70, 3.95], [0.5, 0.8, 0.3])
    c = ica_curve(q, v)
    np.testing.assert_allclose(c.peak_voltage_v, [3.45, 3.70, 3.95], atol=0.005)
    np.testing.assert_allclose(c.peak_area_ah, [0.5, 0.8, 0.3], rtol=0.02)
    assert c.capacity_ah == pytest.approx(1.6, rel=1e-3)
    # the same curve logged in the charge direction gives the same peaks
    c2 = ica_curve(q[-1] - q[::-1], v[::-1])
    np.testing.assert_allclose(c2.peak_voltage_v, c.peak_voltage_v, atol=1e-9)


def test_noise_is_smoothed_not_peaked() -> None:
    q, v = staged([3.6, 3.9], [1.0, 0.6])
    rng = np.random.default_rng(3)
    c = ica_curve(q, v + 0.001 * rng.standard_normal(v.size))  # 1 mV noise
    assert c.peak_voltage_v.size == 2
    np.testing.assert_allclose(c.peak_voltage_v, [3.6, 3.9], atol=0.01)


def test_lam_and_lli_patterns() -> None:
    ref = ica_curve(*staged([3.45, 3.70, 3.95], [0.5, 0.8, 0.3]))
    lam = ica_curve(*staged([3.45, 3.70, 3.95], [0.5, 0.56, 0.3]))  # one stage lost 30 %
    cmp = compare_to_reference(lam, ref)
    assert "LAM" in cmp.evidence and cmp.area_ratio[1] == pytest.approx(0.7, rel=0.03)
    lli = ica_curve(*staged([3.45, 3.70, 3.95], [0.5, 0.8, 0.06], shift_v=0.02))  # end cut
    cmp = compare_to_reference(lli, ref)
    assert cmp.capacity_ratio < 0.9 and cmp.shift_v.max() == pytest.approx(0.02, abs=0.006)
    same = compare_to_reference(ref, ref)
    assert "no clear degradation" in same.evidence


def test_too_few_points_refused() -> None:
    with pytest.raises(ValueError, match="fewer than 20"):
        ica_curve(np.arange(5.0), np.linspace(4, 3, 5))


def test_real_c20_discharge_gets_peaks_in_the_grade() -> None:
    """BioLogic formation file (real pouch cell): its C/20 discharge (3.1 mA) gives dQ/dV
    peaks; the faster C/5 discharge of the same file is not used for it."""
    (res,) = grade_file(D / "galvani_020-formation_CB5.mpr", GradeContext(rated_capacity_ah=0.062))
    ica = res["ica"]
    assert isinstance(ica, dict) and ica["c_rate"] == pytest.approx(0.05, rel=0.01)
    peaks = ica["peaks"]
    assert isinstance(peaks, list) and len(peaks) >= 1
    assert all(2.5 < p["voltage_v"] < 4.2 for p in peaks)
    total = sum(p["area_ah"] for p in peaks)
    assert 0.3 * 0.05085 < total <= 1.01 * 0.05085  # the peaks hold part of the 50.85 mAh
