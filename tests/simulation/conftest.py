"""Shared fixtures for the engine tests: real catalog packs plus one LFP variant built in a fixture.

The catalog has no LFP pack yet, so ``lfp_pack_id`` registers a copy of the Range Rover PHEV pack
with the generic LFP parameter set (and LFP voltages) for the duration of the test session only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest

from packlife import catalog
from packlife._typing import FloatArray
from packlife.simulation.engine import Engine, EngineConfig
from packlife.simulation.system import PackSpec, PackSystem, build_systems

NMC_PACK = "range_rover_phev_p440e"
LMO_PACK = "nissan_leaf_24kwh"
NMC_PACKS = ("range_rover_phev_p440e", "nissan_leaf_40kwh", "bmw_i3_94ah")
LFP_TEST_PACK = "test_lfp_pack_108s"


@pytest.fixture(scope="session")
def lfp_pack_id() -> Iterator[str]:
    """Id of an LFP pack (108s, 98 Ah) registered in the catalog only while the tests run."""
    packs = catalog._builtin()
    base = packs[NMC_PACK]
    model = base.model_copy(
        update={
            "id": LFP_TEST_PACK,
            "chemistry": "lfp",
            "parameter_set": "lfp_generic",
            "cell_nominal_voltage_v": 3.2,
            "nominal_voltage_v": 108 * 3.2,
            "min_voltage_v": 108 * 2.5,
            "max_voltage_v": 108 * 3.65,
        }
    )
    packs[LFP_TEST_PACK] = model
    yield LFP_TEST_PACK
    packs.pop(LFP_TEST_PACK, None)


def pack(catalog_id: str, **kw: object) -> dict[str, object]:
    """Keyword arguments of one :class:`PackSpec`."""
    return {"catalog_id": catalog_id, **kw}


def make_system(specs: list[list[dict[str, object]]], ambient_c: float = 25.0) -> PackSystem:
    """Build systems from lists of PackSpec keyword dicts."""
    built = [[PackSpec.model_validate(kw) for kw in sys] for sys in specs]
    return build_systems(built, ambient_c=ambient_c)


@pytest.fixture
def engine_factory() -> Callable[..., Engine]:
    """``engine_factory(specs, dt_s=…, …)`` → an :class:`Engine` over systems built from kwargs."""

    def factory(
        specs: list[list[dict[str, object]]],
        dt_s: float = 60.0,
        output_interval_s: float | None = None,
        ageing: bool = False,
        ageing_interval_s: float | None = None,
        ambient_c: float = 25.0,
        max_duration_s: float = 86400.0,
    ) -> Engine:
        system = make_system(specs, ambient_c)
        config = EngineConfig(
            dt_s=dt_s,
            output_interval_s=output_interval_s or dt_s,
            ageing=ageing,
            ageing_interval_s=ageing_interval_s or max(dt_s, 3600.0 // dt_s * dt_s),
        )
        return Engine(system, config, max_duration_s=max_duration_s)

    return factory


def piecewise_profile(levels_w: FloatArray, n_steps: int) -> FloatArray:
    """Repeat each level for an equal share of ``n_steps`` steps (last level fills the rest)."""
    reps = max(n_steps // len(levels_w), 1)
    prof = np.repeat(levels_w, reps)[:n_steps]
    if prof.size < n_steps:
        prof = np.concatenate([prof, np.full(n_steps - prof.size, levels_w[-1])])
    return prof
