"""Vehicle models and output allocation algorithms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packlife.control.types import OutputState
from packlife.control.vehicles import (
    NISSAN_LEAF_40,
    RANGE_ROVER_P440E,
    VEHICLE_MODELS,
    allocate_outputs,
    output_arrays,
)
from packlife.errors import PacklifeError

KW = 1000.0


def test_acceptance_curves() -> None:
    assert RANGE_ROVER_P440E.usable_energy_kwh == 31.8
    assert RANGE_ROVER_P440E.acceptance_power_w(0.3) == pytest.approx(50 * KW)
    assert RANGE_ROVER_P440E.acceptance_power_w(0.85) == pytest.approx(27.5 * KW)  # 35 → 20
    assert NISSAN_LEAF_40.acceptance_power_w(1.2) == pytest.approx(3 * KW)  # clamped
    for m in VEHICLE_MODELS.values():
        p = [m.acceptance_power_w(s) for s in np.linspace(0, 1, 21)]
        assert all(np.diff(p) <= 1e-9), f"{m.id} acceptance must not rise with SoC"
        assert m.sources


def _out(dep_h: float, need_kwh: float, arr_h: float = 0.0, rate_kw: float = 50.0) -> OutputState:
    return OutputState(50 * KW, "s", 0.3, need_kwh * KW, arr_h * 3600, dep_h * 3600, rate_kw * KW)


def _alloc(
    algo: str, outs: tuple[OutputState, ...], budget_kw: float, prev: list[float] | None = None
) -> np.ndarray:
    arrays = output_arrays(outs, 60.0, 0.0)
    previous = np.zeros(len(outs)) if prev is None else np.array(prev) * KW
    return allocate_outputs(algo, arrays, 0.0, 60.0, budget_kw * KW, 3 * KW, previous) / KW  # type: ignore[arg-type]


def test_orders_of_fcfs_edf_llf() -> None:
    outs = (
        _out(dep_h=3.0, need_kwh=10.0, arr_h=0.0),  # arrived first, leaves last, little need
        _out(dep_h=1.0, need_kwh=10.0, arr_h=0.5),  # leaves first
        _out(dep_h=2.0, need_kwh=90.0, arr_h=0.2),  # least laxity: 2 h − 1.8 h = 0.2 h
    )
    np.testing.assert_allclose(_alloc("fcfs", outs, 40), [40, 0, 0])
    np.testing.assert_allclose(_alloc("edf", outs, 40), [0, 40, 0])
    np.testing.assert_allclose(_alloc("llf", outs, 40), [0, 0, 40])
    np.testing.assert_allclose(_alloc("equal", outs, 45), [15, 15, 15])
    np.testing.assert_allclose(_alloc("uncontrolled", outs, 75), [25, 25, 25])
    np.testing.assert_allclose(_alloc("uncontrolled", outs, np.inf), [50, 50, 50])


def test_min_power_and_hysteresis() -> None:
    outs = (_out(dep_h=3.0, need_kwh=20.0), _out(dep_h=1.0, need_kwh=20.0))
    # 2 kW is below the 3 kW minimum: nobody runs
    np.testing.assert_allclose(_alloc("edf", outs, 2), [0, 0])
    # EDF prefers output 2, but output 1 was running: it keeps its 3 kW slot
    np.testing.assert_allclose(_alloc("edf", outs, 40, prev=[20, 0]), [3, 37])
    np.testing.assert_allclose(_alloc("edf", outs, 40, prev=[0, 0]), [0, 40])
    # equal share with 5 kW: only one fits at ≥ 3 kW, the running one keeps it
    np.testing.assert_allclose(_alloc("equal", outs, 5, prev=[10, 0]), [5, 0])


def test_idle_and_departed_outputs_get_nothing() -> None:
    idle = OutputState(50 * KW)
    gone = _out(dep_h=0.0, need_kwh=20.0)
    done = _out(dep_h=2.0, need_kwh=0.0)
    for algo in ("fcfs", "equal", "edf", "llf", "uncontrolled", "mpc"):
        np.testing.assert_allclose(_alloc(algo, (idle, gone, done), 100), [0, 0, 0])


def test_unknown_algorithm() -> None:
    with pytest.raises(PacklifeError, match="unknown vehicle algorithm"):
        _alloc("round_robin", (_out(1.0, 1.0),), 10)


@settings(max_examples=2_000, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 9),
    algo=st.sampled_from(["fcfs", "equal", "edf", "llf"]),
    budget=st.floats(0.0, 600e3),
)
def test_heuristics_use_the_budget(seed: int, n: int, algo: str, budget: float) -> None:
    rng = np.random.default_rng(seed)
    outs = tuple(
        OutputState(
            float(rng.choice([50e3, 150e3])),
            "s",
            0.5,
            float(rng.uniform(0, 40e3)),
            float(rng.uniform(0, 3600)),
            float(rng.uniform(100, 9000)),
            float(rng.uniform(0, 150e3)),
        )
        for _ in range(n)
    )
    arrays = output_arrays(outs, 60.0, 0.0)
    prev = np.where(rng.random(n) < 0.5, 10e3, 0.0)
    out = allocate_outputs(algo, arrays, 0.0, 60.0, budget, 3e3, prev)  # type: ignore[arg-type]
    upper = np.where(arrays.active, arrays.upper_w, 0.0)
    assert out.sum() <= budget + 1e-6
    assert np.all(out <= upper + 1e-6)
    assert np.all((out == 0.0) | (out >= 3e3 - 1e-6))
    wanted = upper[upper >= 3e3].sum()
    # all of the budget is used except less than one minimum power
    assert out.sum() >= min(budget, wanted) - 3e3 - 1e-6


def test_output_state_carries_the_curve() -> None:
    o = NISSAN_LEAF_40.output_state(50 * KW, "x", 0.6, 10 * KW, 0.0, 3600.0)
    assert o.acceptance_max_power_w == pytest.approx(NISSAN_LEAF_40.acceptance_power_w(0.6))
    assert o.vehicle_energy_wh == pytest.approx(39.0 * KW)
    assert o.acceptance_curve is not None and o.acceptance_curve[1][0] == pytest.approx(46 * KW)
