"""Tests of the HPPC / cycler-log helpers on small hand-made logs."""

from __future__ import annotations

import numpy as np
import pytest

from packlife.models.hppc import (
    discharged_ah,
    find_pulses,
    forward_hold_current,
    full_charge_end_indices,
    initial_soc,
    onset_resistance_ohm,
    rest_end_indices,
    simulate_logged,
    simulate_logged_from_each_full_charge,
    step_runs,
)


def test_discharged_ah_uses_the_interval_ending_at_each_sample() -> None:
    # 36 A logged at t=100 s covers (0, 100] s → 1 Ah; the first sample counts nothing
    t = np.array([0.0, 100.0, 200.0])
    i = np.array([36.0, 36.0, 0.0])
    np.testing.assert_allclose(discharged_ah(t, i), [0.0, 1.0, 1.0])


def test_forward_hold_shifts_by_one_sample() -> None:
    np.testing.assert_array_equal(forward_hold_current(np.array([0.0, 5.0, 0.0])), [5.0, 0.0, 0.0])


def test_step_runs() -> None:
    starts, ends = step_runs(np.array([1.0, 1.0, 2.0, 3.0, 3.0, 3.0]))
    np.testing.assert_array_equal(starts, [0, 2, 3])
    np.testing.assert_array_equal(ends, [1, 2, 5])


def _pulse_log() -> tuple[np.ndarray, ...]:
    # rest, 30 A pulse 2 s (logged every 0.5 s), rest; pure 2 mΩ cell at 3.7 V
    t = np.array([0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0])
    i = np.array([0.0, 0.0, 30.0, 30.0, 30.0, 30.0, 0.0, 0.0])
    step = np.array([1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0])
    v = 3.7 - 0.002 * i
    return t, i, v, step


def test_find_pulses_and_onset_resistance() -> None:
    t, i, v, step = _pulse_log()
    pulses = find_pulses(t, i, step, 15.0, 10.0)
    assert len(pulses) == 1
    p = pulses[0]
    assert (p.before, p.start, p.end, p.current_a) == (1, 2, 5, 30.0)
    assert onset_resistance_ohm(v, i, p) == pytest.approx(0.002)
    assert find_pulses(t, i, step, 15.0, 1.0) == []  # longer than allowed


def test_simulate_logged_reproduces_a_pure_resistor_log_exactly() -> None:
    # with forward hold alone the ohmic drop would appear one sample early; simulate_logged
    # must line it up with the logged current
    t, i, v, _ = _pulse_log()
    one, s = np.array([25.0]), np.array([0.0, 1.0])

    def flat(x: float) -> np.ndarray:
        return np.full((1, 2), x)

    v_sim, soc = simulate_logged(
        t, i, np.full(t.shape, 25.0), 0.5, 1e6,
        (one, s, flat(3.7)),
        (one, s, flat(0.002), flat(1e-12), flat(1.0), flat(0.0), flat(1.0)),
    )  # fmt: skip
    np.testing.assert_allclose(v_sim, v, atol=1e-9)
    # 30 A over (1, 3] s = 60 As are removed by t = 3 s
    assert (0.5 - soc[5]) * 3600.0 * 1e6 == pytest.approx(60.0)


def test_rest_and_full_charge_detection_and_initial_soc() -> None:
    # 1 h rest, 2 h charge at -5 A (10 Ah), 1 h rest; capacity 20 Ah
    t = np.arange(0.0, 4 * 3600.0 + 1, 60.0)
    i = np.where((t > 3600.0) & (t <= 3 * 3600.0), -5.0, 0.0)
    step = np.where(t <= 3600.0, 1.0, np.where(t <= 3 * 3600.0, 2.0, 3.0))
    np.testing.assert_array_equal(rest_end_indices(t, i, step, 1800.0), [60, t.size - 1])
    ends = full_charge_end_indices(t, i, step)
    np.testing.assert_array_equal(ends, [180])
    assert initial_soc(t, i, step, 20.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="full"):
        initial_soc(t, np.zeros_like(t), np.ones_like(t), 20.0)


def test_simulation_restarts_at_soc_one_after_each_full_charge() -> None:
    # OCV = 3 V + soc (1 Ah cell), pure 10 mΩ resistance; 2 h blocks: discharge 0.25 A,
    # charge -0.5 A, discharge 0.25 A, charge -0.5 A, then rest
    t = np.arange(0.0, 9 * 3600.0, 60.0)
    block = (t // 7200.0).astype(int)
    i = np.select([block == 0, block == 1, block == 2, block == 3], [0.25, -0.5, 0.25, -0.5], 0.0)
    step = block.astype(float)
    one, s = np.array([25.0]), np.array([0.0, 1.0])

    def flat(x: float) -> np.ndarray:
        return np.full((1, 2), x)

    v = simulate_logged_from_each_full_charge(
        t, i, np.full(t.shape, 25.0), step, 1.0,
        (one, s, np.array([[3.0, 4.0]])),
        (one, s, flat(0.01), flat(1e-12), flat(1.0), flat(0.0), flat(1.0)),
    )  # fmt: skip
    ends = full_charge_end_indices(t, i, step)
    np.testing.assert_array_equal(ends, [np.flatnonzero(block == b)[-1] for b in (1, 3)])
    assert np.all(np.isnan(v[: ends[0]]))
    # at each full-charge end the cell is at soc 1: 4 V plus the ohmic rise of the -0.5 A charge
    for k in ends:
        assert v[k] == pytest.approx(4.0 + 0.01 * 0.5, abs=1e-9)
    # 30 min into the 0.25 A discharge after the first full charge: soc = 1 - 0.125
    k = ends[0] + 30
    assert v[k] == pytest.approx(3.875 - 0.01 * 0.25, abs=1e-9)
