"""Replay: the simulator's recorded intervals through serve's decision path give its set-points.

``packlife simulate`` (the compiled site loop) records every interval's controller inputs and
decisions. Each interval is turned into what serve would hold in its device cache (pack readings,
input availability on the input's own side, EVSE readings on the vehicle side), frozen by serve's
:func:`~packlife.serve.view.freeze` and decided by :func:`~packlife.control.controller.decide`:
the pack and output set-points must be the simulator's.
"""

from __future__ import annotations

import numpy as np

from packlife.control.controller import decide
from packlife.control.types import Setpoints
from packlife.serve.state import DeviceCache, EvseReading, PackReading, SourceReading
from packlife.serve.view import Health, freeze
from packlife.simulation import site_loop as SL
from packlife.site.arrays import input_efficiencies, source_order
from packlife.site.config import controller_config
from packlife.site.run import run_scenario
from packlife.site.scenario import Scenario
from packlife.site.sessions import synthetic_sessions
from packlife.site.snapshot import converter_parameters


def _cache(row: np.ndarray, sc: Scenario) -> tuple[DeviceCache, Health, Setpoints]:
    n, m, k = len(sc.bess.packs), len(sc.sources), sc.vehicles.outputs if sc.vehicles else 0
    eff, eta = input_efficiencies(sc), sc.bess.output_efficiency

    def pk(q: int, f: int) -> float:
        return float(row[SL.REC_HEAD + SL.N_RP * q + f])

    def out(j: int, f: int) -> float:
        return float(row[SL.REC_HEAD + SL.N_RP * n + SL.N_RS * m + SL.N_RO * j + f])

    packs: list[PackReading | None] = [
        PackReading(0.0, 0.5, 0.8, 25.0, pk(q, SL.RP_MAX_DIS), pk(q, SL.RP_MAX_CHG),
                    pk(q, SL.RP_E_DIS), pk(q, SL.RP_E_CHG), 0.0)
        for q in range(n)
    ]  # fmt: skip
    sources: dict[str, SourceReading | None] = {}
    for pos, j in enumerate(source_order(sc)):
        name = sc.sources[j].name
        cap_bus = float(row[SL.REC_HEAD + SL.N_RP * n + SL.N_RS * pos + SL.RS_CAP])
        sources[name] = SourceReading(0.0, cap_bus / eff[name])  # own side, as a PCS reports
    evses: list[EvseReading | None] = [
        EvseReading(0.0, f"s{j}", 0.5, out(j, SL.RO_NEED) * eta, out(j, SL.RO_ARR),
                    out(j, SL.RO_DEP), out(j, SL.RO_ACC) * eta)  # vehicle side, as OCPP reports
        if out(j, SL.RO_ACTIVE) > 0.5
        else EvseReading(0.0)
        for j in range(k)
    ]  # fmt: skip
    health = Health(
        tuple(pk(q, SL.RP_JOINED) > 0.5 for q in range(n)),
        (0,) * n,
        dict.fromkeys(sources, True),
        (True,) * k,
    )
    prev = Setpoints(
        np.array([out(j, SL.RO_PREV) for j in range(k)]), 0.0, {}, 0.0, 0.0,
        np.array([pk(q, SL.RP_PREV) for q in range(n)]),
    )  # fmt: skip
    return DeviceCache(packs, sources, evses), health, prev


def test_simulator_intervals_replayed_through_serve_give_identical_setpoints(
    scenario: Scenario,
) -> None:
    sc = scenario.model_copy(
        update={"simulation": scenario.simulation.model_copy(update={"days": 1.0})}
    )
    assert sc.vehicles is not None
    sessions = synthetic_sessions(sc.vehicles, 1.0, sc.simulation.seed)
    rec = run_scenario(sc, sessions, record=True).record
    assert rec is not None and rec.shape[0] == 1440
    cfg, conv = controller_config(sc), converter_parameters(sc)
    n, m = len(sc.bess.packs), len(sc.sources)
    busy = 0
    for row in rec:
        cache, health, prev = _cache(row, sc)
        snap = freeze(
            sc, cache, health, float(row[SL.REC_TIME]), sc.simulation.step_s, prev, conv,
            float(row[SL.REC_PRICE]),
        )  # fmt: skip
        sp = decide(snap, cfg)
        want_pack = [row[SL.REC_HEAD + SL.N_RP * q + SL.RP_SETPOINT] for q in range(n)]
        base = SL.REC_HEAD + SL.N_RP * n + SL.N_RS * m
        want_out = [row[base + SL.N_RO * j + SL.RO_POWER] for j in range(len(sp.output_power_w))]
        np.testing.assert_allclose(sp.pack_power_w, want_pack, rtol=0, atol=1e-6)
        np.testing.assert_allclose(sp.output_power_w, want_out, rtol=0, atol=1e-6)
        busy += float(np.sum(sp.output_power_w)) > 0
    assert busy > 100  # vehicles were charging in a good share of the intervals
