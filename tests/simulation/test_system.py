"""Building engine arrays from catalog packs (:mod:`packlife.simulation.system`)."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from packlife.catalog import get_pack_model
from packlife.errors import ConsistencyError, PacklifeError
from packlife.simulation import layout as K
from packlife.simulation.system import PackSpec, build_systems, soc_window

from .conftest import LMO_PACK, NMC_PACK, NMC_PACKS


def test_pack_parameters_follow_the_catalog() -> None:
    specs = [
        PackSpec(catalog_id=i, soh=0.8, resistance_growth=1.3, soc_initial=0.4) for i in NMC_PACKS
    ]
    system = build_systems([specs], ambient_c=12.0)
    assert system.P.shape == (1, len(NMC_PACKS), K.N_P)
    for q, pack_id in enumerate(NMC_PACKS):
        model = get_pack_model(pack_id)
        p, s = system.P[0, q], system.S[0, q]
        assert p[K.P_SERIES] == model.series_cells
        assert p[K.P_CAP_NEW_AH] == model.rated_capacity_ah
        assert (p[K.P_V_MIN], p[K.P_V_MAX]) == (model.min_voltage_v, model.max_voltage_v)
        assert s[K.S_CAP_AH] == pytest.approx(0.8 * model.rated_capacity_ah)
        assert s[K.S_SOC] == 0.4
        assert s[K.S_TEMP] == 12.0  # the ambient, since the spec states no temperature
        assert s[K.S_RG] == pytest.approx(1.3, rel=1e-9)
        assert p[K.P_JOINED] == 1.0
        assert p[K.P_CONV_RATED_W] == pytest.approx(model.max_discharge_power_kw * 1e3)


def test_soc_window_reproduces_usable_energy_fraction() -> None:
    for pack_id in (NMC_PACK, LMO_PACK):
        model = get_pack_model(pack_id)
        lo, hi = soc_window(model)
        assert hi - lo == pytest.approx(model.usable_fraction)
        assert lo == pytest.approx(1.0 - hi)


def test_mixed_chemistries_get_their_own_tables() -> None:
    system = build_systems([[PackSpec(catalog_id=NMC_PACK), PackSpec(catalog_id=LMO_PACK)]])
    assert sorted(system.tables.set_ids) == sorted(["nmc_generic", "aesc_lmo_nca_leaf2013"])
    sets = system.P[0, :, K.P_SET].astype(int)
    assert [system.tables.set_ids[k] for k in sets] == ["nmc_generic", "aesc_lmo_nca_leaf2013"]


def test_faulted_pack_is_not_joined() -> None:
    system = build_systems(
        [[PackSpec(catalog_id=NMC_PACK), PackSpec(catalog_id=NMC_PACK, faulted=True)]]
    )
    np.testing.assert_array_equal(system.P[0, :, K.P_JOINED], [1.0, 0.0])


def test_converter_rating_override() -> None:
    system = build_systems([[PackSpec(catalog_id=NMC_PACK, converter_rated_kw=40.0)]])
    assert system.P[0, 0, K.P_CONV_RATED_W] == 40e3


def test_bad_batches_are_rejected() -> None:
    with pytest.raises(ConsistencyError):
        build_systems([])
    with pytest.raises(ConsistencyError):
        build_systems([[PackSpec(catalog_id=NMC_PACK)], [PackSpec(catalog_id=NMC_PACK)] * 2])
    with pytest.raises(PacklifeError, match="unknown catalog id"):
        build_systems([[PackSpec(catalog_id="no_such_pack")]])


@pytest.mark.parametrize(
    "field, value", [("soh", 1.2), ("soh", 0.1), ("resistance_growth", 0.5), ("soc_initial", 1.5)]
)
def test_pack_spec_validation(field: str, value: float) -> None:
    with pytest.raises(ValidationError):
        PackSpec(catalog_id=NMC_PACK, **{field: value})  # type: ignore[arg-type]
