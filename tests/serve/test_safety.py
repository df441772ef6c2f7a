"""The independent safety clamp: invariants over random set-points and device health."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from packlife.control.types import Setpoints
from packlife.serve.safety import clamp
from packlife.serve.state import DeviceCache, PackReading
from packlife.serve.view import Health

N_PACKS, N_OUT = 4, 3


def _reading(limit_w: float) -> PackReading:
    return PackReading(0.0, 0.5, 0.8, 25.0, limit_w, limit_w, 1e4, 1e4, 0.0)


@settings(max_examples=500, deadline=None)
@given(
    pack=st.lists(st.floats(-8e4, 8e4), min_size=N_PACKS, max_size=N_PACKS),
    limits=st.lists(st.floats(0, 5e4), min_size=N_PACKS, max_size=N_PACKS),
    ok=st.lists(st.booleans(), min_size=N_PACKS, max_size=N_PACKS),
    out=st.lists(st.floats(0, 5e4), min_size=N_OUT, max_size=N_OUT),
    evse_ok=st.lists(st.booleans(), min_size=N_OUT, max_size=N_OUT),
    src_ok=st.booleans(),
)
def test_clamp_respects_limits_health_and_balance(
    pack: list[float],
    limits: list[float],
    ok: list[bool],
    out: list[float],
    evse_ok: list[bool],
    src_ok: bool,
) -> None:
    bess = float(sum(pack))
    src = float(sum(out)) - bess  # a balanced request (a negative source = export)
    sp = Setpoints(np.array(out), 0.0, {"grid": src}, 0.0, bess, np.array(pack))
    cache = DeviceCache([_reading(x) for x in limits], {"grid": None}, [None] * N_OUT)
    health = Health(tuple(ok), (0,) * N_PACKS, {"grid": src_ok}, tuple(evse_ok))
    got = clamp(sp, cache, health).setpoints
    p = np.asarray(got.pack_power_w)
    lim = np.array(limits)
    assert np.all(np.abs(p) <= lim + 1e-6)
    assert np.all(p[~np.array(ok)] == 0.0)
    assert np.all(np.asarray(got.output_power_w)[~np.array(evse_ok)] == 0.0)
    if not src_ok:
        assert got.source_power_w["grid"] == 0.0
    supply = sum(got.source_power_w.values()) + got.bess_power_w
    demand = float(np.sum(got.output_power_w)) + got.load_served_w
    assert abs(supply - demand) <= 1e-6 * max(1.0, abs(demand), abs(supply))  # balanced
    assert np.all(np.asarray(got.output_power_w) <= np.array(out) + 1e-9)
