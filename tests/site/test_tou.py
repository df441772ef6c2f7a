"""Time-of-use aware refill on the UK retailer example (its own weather and tariff)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from packlife.site.run import SiteResult, run_scenario
from packlife.site.scenario import load_scenario
from packlife.site.sessions import synthetic_sessions
from packlife.site.summary import summarise

EXAMPLE = Path(__file__).parents[2] / "examples" / "uk-retailer"


def _run(name: str, days: float = 3.0) -> SiteResult:
    sc, _ = load_scenario(str(EXAMPLE / name))
    sc = sc.model_copy(update={"simulation": sc.simulation.model_copy(update={"days": days})})
    assert sc.vehicles is not None
    return run_scenario(sc, synthetic_sessions(sc.vehicles, days, sc.simulation.seed))


def test_refilling_in_the_cheap_band_lowers_the_bill_with_the_same_service() -> None:
    base, tou = _run("uk-retailer.toml"), _run("uk-retailer-tou.toml")
    s_base, s_tou = summarise(base), summarise(tou)
    # same vehicles served and charged
    assert s_tou["vehicles_fully_charged"] == s_base["vehicles_fully_charged"]
    delivered = s_base["energy_to_vehicles_kwh"]
    assert s_tou["energy_to_vehicles_kwh"] == pytest.approx(delivered, rel=1e-9)
    # grid energy moves out of the dear bands into the 00:00–07:00 band
    def night_share(r: SiteResult) -> float:
        f = r.flows
        hours = (f["time"] - np.timedelta64(900, "s")).dt.tz_convert("Europe/London").dt.hour
        grid = f["source_grid_power_w"].clip(lower=0.0)
        return float(grid[hours < 7].sum() / grid.sum())

    assert night_share(tou) > night_share(base) + 0.05
    assert s_tou["annual_grid_bill"] < 0.95 * s_base["annual_grid_bill"]
    assert s_tou["energy_balance_error_pct_of_throughput"] < 1e-6
