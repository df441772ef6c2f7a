"""Tests of the semi-empirical ageing kernels (packlife.models.ageing)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packlife.chemistry import get_ageing_model, list_ageing_models
from packlife.errors import PacklifeError
from packlife.models.ageing import (
    N_PARAMS,
    P_EA_CAL,
    P_K_CAL,
    P_KNEE_ACC,
    P_KNEE_SOH,
    P_R_CAL,
    P_R_CYC,
    P_Z_CAL,
    P_Z_CYC,
    ageing_parameter_vector,
    ageing_step,
    calendar_rate,
    cycle_rate,
    days_to_soh,
    half_cycle_update,
    project_ageing,
    second_life_state,
    soh_from_state,
)


@pytest.fixture(scope="module")
def p_mj1() -> np.ndarray:
    return ageing_parameter_vector(get_ageing_model("nmc_lgmj1").parameters)


ALL_IDS = [m.id for m in list_ageing_models()]


def test_builtin_models_present() -> None:
    assert {"nmc_lgmj1", "lfp_generic", "nca_generic", "lmo_nca_leaf"} <= set(ALL_IDS)


@pytest.mark.parametrize("model_id", ALL_IDS)
def test_parameter_vector_maps_fields(model_id: str) -> None:
    params = get_ageing_model(model_id).parameters
    p = ageing_parameter_vector(params)
    assert p.shape == (N_PARAMS,)
    assert np.all(np.isfinite(p))
    assert p[P_K_CAL] == params.k_cal_per_day_z
    assert p[P_Z_CYC] == params.z_cyc
    assert p[P_EA_CAL] == params.ea_cal_j_per_mol
    assert p[P_KNEE_SOH] == (params.knee_soh or 0.0)


@pytest.mark.parametrize("model_id", ALL_IDS)
def test_zero_time_and_throughput_change_nothing(model_id: str) -> None:
    p = ageing_parameter_vector(get_ageing_model(model_id).parameters)
    for state in [(0.0, 0.0, 1.0), (0.05, 0.12, 1.3)]:
        assert ageing_step(*state, 0.0, 0.5, 35.0, 0.0, 0.8, 1.0, p) == state


@pytest.mark.parametrize("model_id", ALL_IDS)
def test_builtin_models_age_plausibly_in_one_year(model_id: str) -> None:
    """One year at 25 °C, SoC 0.5, one 0.8-deep cycle a day: between 1 and 35 pp.

    (The LG MJ1 is the weakest: its data show ~10 % calendar loss in 330 days and 80 % SoH after
    260-335 EFC at 25 °C, so ~29 pp here is what the data imply.)
    """
    p = ageing_parameter_vector(get_ageing_model(model_id).parameters)
    state = (0.0, 0.0, 1.0)
    for _ in range(365):
        state = ageing_step(*state, 1.0, 0.5, 25.0, 0.8, 0.8, 0.5, p)
    loss = 1.0 - soh_from_state(state[0], state[1])
    assert 0.01 < loss < 0.35
    assert state[2] >= 1.0


def test_higher_temperature_more_calendar_loss(p_mj1: np.ndarray) -> None:
    losses = [
        ageing_step(0.0, 0.0, 1.0, 365.0, 0.7, t, 0.0, 0.0, 0.0, p_mj1)[0] for t in (15, 25, 45)
    ]
    assert losses[0] < losses[1] < losses[2]


def test_higher_dod_and_low_temperature_more_cycle_loss(p_mj1: np.ndarray) -> None:
    def cyc(temp: float, dod: float) -> float:
        return ageing_step(0.0, 0.0, 1.0, 0.0, 0.5, temp, 200.0, dod, 0.5, p_mj1)[1]

    assert cyc(25.0, 0.3) < cyc(25.0, 0.6) < cyc(25.0, 0.9)
    assert cyc(25.0, 0.8) < cyc(10.0, 0.8) < cyc(0.0, 0.8)


def test_constant_conditions_follow_the_closed_form(p_mj1: np.ndarray) -> None:
    """Stepping reproduces q = A t^z and q = A EFC^z under constant stress (the law itself)."""
    a_cal = calendar_rate(0.7, 45.0, p_mj1)
    a_cyc = cycle_rate(45.0, 0.8, 0.5, p_mj1)
    state = (0.0, 0.0, 1.0)
    for _ in range(200):
        state = ageing_step(*state, 1.0, 0.7, 45.0, 0.5, 0.8, 0.5, p_mj1)
    assert state[0] == pytest.approx(a_cal * 200.0 ** p_mj1[P_Z_CAL], rel=1e-9)
    assert state[1] == pytest.approx(a_cyc * 100.0 ** p_mj1[P_Z_CYC], rel=1e-9)


def test_virtual_time_one_big_step_equals_many_small(p_mj1: np.ndarray) -> None:
    big = ageing_step(0.02, 0.03, 1.05, 100.0, 0.6, 30.0, 100.0, 0.7, 0.5, p_mj1)
    small = (0.02, 0.03, 1.05)
    for _ in range(100):
        small = ageing_step(*small, 1.0, 0.6, 30.0, 1.0, 0.7, 0.5, p_mj1)
    np.testing.assert_allclose(big, small, rtol=1e-10)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    soc=st.floats(0.0, 1.0),
    temp=st.floats(-10.0, 55.0),
    dod=st.floats(0.05, 1.0),
    q_cal=st.floats(0.0, 0.2),
    q_cyc=st.floats(0.0, 0.2),
)
def test_virtual_time_split_invariance(
    p_mj1: np.ndarray, n: int, soc: float, temp: float, dod: float, q_cal: float, q_cyc: float
) -> None:
    one = ageing_step(q_cal, q_cyc, 1.2, 30.0, soc, temp, 15.0, dod, 0.5, p_mj1)
    many = (q_cal, q_cyc, 1.2)
    for _ in range(n):
        many = ageing_step(*many, 30.0 / n, soc, temp, 15.0 / n, dod, 0.5, p_mj1)
    np.testing.assert_allclose(one, many, rtol=1e-8, atol=1e-13)


@settings(max_examples=80, deadline=None)
@given(
    model=st.sampled_from(ALL_IDS),
    steps=st.lists(
        st.tuples(
            st.floats(0.0, 30.0),  # dt_days
            st.floats(0.0, 1.0),  # soc
            st.floats(-20.0, 60.0),  # temperature
            st.floats(0.0, 20.0),  # d_efc
            st.floats(0.0, 1.0),  # dod
            st.floats(0.0, 3.0),  # c_rate
        ),
        min_size=1,
        max_size=30,
    ),
)
def test_monotone_under_random_conditions(
    model: str, steps: list[tuple[float, float, float, float, float, float]]
) -> None:
    p = ageing_parameter_vector(get_ageing_model(model).parameters)
    state = (0.01, 0.02, 1.1)
    for step in steps:
        new = ageing_step(*state, *step, p)
        assert all(math.isfinite(x) for x in new)
        assert new[0] >= state[0] and new[1] >= state[1] and new[2] >= state[2]
        assert soh_from_state(new[0], new[1]) <= soh_from_state(state[0], state[1])
        state = new


def test_knee_multiplies_increments_below_knee_soh(p_mj1: np.ndarray) -> None:
    p_knee = p_mj1.copy()
    p_knee[P_KNEE_SOH] = 0.85
    p_knee[P_KNEE_ACC] = 2.5
    args = (10.0, 0.5, 25.0, 10.0, 0.8, 0.5)
    above = (0.05, 0.05, 1.0)  # SoH 0.90: no knee
    below = (0.08, 0.10, 1.0)  # SoH 0.82: knee active
    assert ageing_step(*above, *args, p_knee) == ageing_step(*above, *args, p_mj1)
    plain = np.subtract(ageing_step(*below, *args, p_mj1), below)
    knee = np.subtract(ageing_step(*below, *args, p_knee), below)
    np.testing.assert_allclose(knee[:2], 2.5 * plain[:2], rtol=1e-12)


def test_resistance_grows_with_each_loss(p_mj1: np.ndarray) -> None:
    q_cal, q_cyc, r = ageing_step(0.0, 0.0, 1.3, 50.0, 0.5, 25.0, 50.0, 0.8, 0.5, p_mj1)
    expected = 1.3 + p_mj1[P_R_CAL] * q_cal + p_mj1[P_R_CYC] * q_cyc
    assert r == pytest.approx(expected)
    assert r > 1.3


def test_second_life_pack_continues_at_the_rate_of_its_age(p_mj1: np.ndarray) -> None:
    """A 0.78-SoH pack keeps fading at the rate of its equivalent age, not the fresh √t rate."""
    entry = second_life_state(0.78, 1.3, p_mj1)
    assert soh_from_state(entry[0], entry[1]) == pytest.approx(0.78)
    assert entry[2] == 1.3
    # storage only: the √t-like calendar law has slowed down a lot at the equivalent age
    store = (7.0, 0.5, 25.0, 0.0, 0.0, 0.0)
    aged = ageing_step(*entry, *store, p_mj1)
    fresh = ageing_step(0.0, 0.0, 1.0, *store, p_mj1)
    assert aged[0] - entry[0] < 0.2 * fresh[0]
    # the calendar increment equals the closed-form slope at the equivalent age
    a = calendar_rate(0.5, 25.0, p_mj1)
    z = p_mj1[P_Z_CAL]
    t_eq = (entry[0] / a) ** (1.0 / z)
    assert aged[0] - entry[0] == pytest.approx(a * ((t_eq + 7.0) ** z - t_eq**z), rel=1e-9)
    # daily cycling: slower than fresh, far from SimSES 1.3.12's restarted clock (a 0.70-SoH
    # pack lost 2.7 pp in 7 days) even for this fast-fading cell
    duty = (7.0, 0.5, 25.0, 7.0, 0.6, 0.5)
    aged = ageing_step(*entry, *duty, p_mj1)
    fresh = ageing_step(0.0, 0.0, 1.0, *duty, p_mj1)
    loss_aged = soh_from_state(*entry[:2]) - soh_from_state(*aged[:2])
    assert loss_aged < 0.5 * (1.0 - soh_from_state(*fresh[:2]))
    assert loss_aged < 0.01
    a = cycle_rate(25.0, 0.6, 0.5, p_mj1)
    z = p_mj1[P_Z_CYC]
    n_eq = (entry[1] / a) ** (1.0 / z)
    assert aged[1] - entry[1] == pytest.approx(a * ((n_eq + 7.0) ** z - n_eq**z), rel=1e-9)


def test_second_life_state_continues_a_real_history(p_mj1: np.ndarray) -> None:
    """Entering with the true split of a simulated first life reproduces that pack's future."""
    first = (0.0, 0.0, 1.0)
    for _ in range(2):
        first = ageing_step(*first, 365.0, 0.6, 20.0, 50.0, 0.7, 0.3, p_mj1)
    soh = soh_from_state(first[0], first[1])
    assert 0.6 < soh < 0.9
    frac = first[0] / (first[0] + first[1])
    entry = second_life_state(soh, first[2], p_mj1, calendar_fraction=frac)
    np.testing.assert_allclose(entry, first, rtol=1e-12)
    args = (30.0, 0.5, 30.0, 25.0, 0.5, 0.5)
    np.testing.assert_allclose(ageing_step(*entry, *args, p_mj1), ageing_step(*first, *args, p_mj1))


def test_second_life_state_rejects_bad_input(p_mj1: np.ndarray) -> None:
    with pytest.raises(PacklifeError, match="soh"):
        second_life_state(1.2, 1.0, p_mj1)
    with pytest.raises(PacklifeError, match="resistance_growth"):
        second_life_state(0.8, 0.0, p_mj1)
    with pytest.raises(PacklifeError, match="calendar_fraction"):
        second_life_state(0.8, 1.2, p_mj1, calendar_fraction=1.5)


def _run_detector(socs: np.ndarray, min_swing: float = 0.02) -> list[float]:
    start, ext, direction = float(socs[0]), float(socs[0]), 0
    done = []
    for s in socs[1:]:
        d, start, ext, direction = half_cycle_update(float(s), start, ext, direction, min_swing)
        if d > 0.0:
            done.append(d)
    return done


def test_half_cycle_detector_finds_swings_and_ignores_ripple() -> None:
    t = np.linspace(0.0, 5.0, 2001)
    soc = 0.6 + 0.3 * np.sin(2 * np.pi * t)  # 5 full cycles between 0.3 and 0.9
    soc += 0.005 * np.sin(2 * np.pi * 97 * t)  # ripple below the 0.02 hysteresis
    done = _run_detector(soc)
    # up 0.6→0.9, then nine 0.6-deep swings; the final rise from the last trough is still open
    assert len(done) == 10
    assert done[0] == pytest.approx(0.3, abs=0.015)
    np.testing.assert_allclose(done[1:], 0.6, atol=0.015)


def test_half_cycle_detector_counts_nested_small_cycles() -> None:
    soc = np.array([0.2, 0.9, 0.7, 0.8, 0.3])
    assert _run_detector(soc) == pytest.approx([0.7, 0.2, 0.1])


def test_project_ageing_calendar_only_matches_closed_form(p_mj1: np.ndarray) -> None:
    t = np.arange(0.0, 400 * 86400.0 + 1, 3600.0)
    soc = np.full_like(t, 0.9)
    temp = np.full_like(t, 45.0)
    res = project_ageing(t, soc, temp, p_mj1, interval_s=86400.0)
    a = calendar_rate(0.9, 45.0, p_mj1)
    np.testing.assert_allclose(res["q_cal"], a * res["time_days"] ** p_mj1[P_Z_CAL], rtol=1e-9)
    assert np.all(res["q_cyc"] == 0.0)
    assert res["efc"][-1] == 0.0


def test_project_ageing_daily_cycle_counts_throughput(p_mj1: np.ndarray) -> None:
    days = 60
    t = np.arange(0.0, days * 86400.0 + 1, 600.0)
    soc = 0.6 - 0.3 * np.cos(2 * np.pi * t / 86400.0)  # 0.3 → 0.9 → 0.3 daily
    temp = np.full_like(t, 25.0)
    res = project_ageing(t, soc, temp, p_mj1)
    assert res["efc"][-1] == pytest.approx(0.6 * days, rel=1e-3)  # 1.2 SoC moved per day / 2
    assert np.all(np.diff(res["soh"]) <= 0.0)
    assert np.all(np.diff(res["r_growth"]) >= 0.0)
    assert res["q_cyc"][-1] > 0.0


def test_project_ageing_rejects_bad_series(p_mj1: np.ndarray) -> None:
    with pytest.raises(PacklifeError, match="equal length"):
        project_ageing(np.arange(3.0), np.zeros(2), np.zeros(3), p_mj1)
    with pytest.raises(PacklifeError, match="decrease"):
        project_ageing(np.array([0.0, 2.0, 1.0]), np.zeros(3), np.zeros(3), p_mj1)


def test_days_to_soh_matches_closed_form(p_mj1: np.ndarray) -> None:
    t = np.arange(0.0, 365 * 86400.0 + 1, 86400.0)
    soc = np.full_like(t, 0.5)
    temp = np.full_like(t, 25.0)
    a = calendar_rate(0.5, 25.0, p_mj1)
    expected = (0.10 / a) ** (1.0 / p_mj1[P_Z_CAL])  # q_cal = 0.10 → SoH 0.90
    got = days_to_soh(t, soc, temp, p_mj1, 0.90, interval_s=86400.0)
    assert got == pytest.approx(expected, rel=2e-3)
    assert days_to_soh(t, soc, temp, p_mj1, 0.95, q_cal=0.1) == 0.0
    assert math.isinf(days_to_soh(t, soc, temp, p_mj1, 0.01, max_days=400.0))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=60), st.floats(0.005, 0.1))
def test_half_cycle_depths_are_bounded_by_the_path(socs: list[float], min_swing: float) -> None:
    arr = np.asarray(socs)
    done = _run_detector(arr, min_swing)
    assert all(min_swing - 1e-12 <= d <= 1.0 for d in done)
    assert sum(done) <= np.abs(np.diff(arr)).sum() + 1e-9
