"""Time-of-use aware refill on the UK retailer example (its own weather and tariff)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
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


def test_import_price_at_follows_the_local_tariff_bands() -> None:
    """What a live site's controller sees: the band of the local (BST) clock, to the second."""
    from packlife.site.inputs import import_price_at

    sc, _ = load_scenario(str(EXAMPLE / "uk-retailer-tou.toml"))
    t0 = pd.Timestamp(sc.simulation.start).tz_convert("Europe/London")

    def at(local: str) -> float:
        when = pd.Timestamp(local, tz="Europe/London")
        return import_price_at(sc, (when - t0).total_seconds())

    day = t0.normalize()
    while day.day_of_week >= 5:  # a weekday: the 16–19 h band applies
        day += pd.Timedelta(days=1)
    d = day.strftime("%Y-%m-%d")
    assert at(f"{d} 03:00") == 0.16
    assert at(f"{d} 06:59:59") == 0.16
    assert at(f"{d} 07:00") == 0.28
    assert at(f"{d} 17:30") == 0.36
