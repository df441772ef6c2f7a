"""How scenario sections become the objects the site loop uses: controller config, output ratings.

The loop (``site/run.py``) calls these instead of reading the scenario fields itself, so every
setting in the TOML reaches the controller.
"""

from __future__ import annotations

import math

from packlife.control.types import ControllerConfig
from packlife.site.scenario import Scenario


def controller_config(scenario: Scenario) -> ControllerConfig:
    """The :class:`ControllerConfig` of a scenario's ``[controller]`` section (SI units)."""
    c = scenario.controller
    x = c.settings
    return ControllerConfig(
        vehicle_algorithm=c.vehicle_algorithm,
        pack_split=c.pack_split,
        min_output_power_w=c.min_output_power_kw * 1000.0,
        pack_ramp_w_per_s=math.inf if x.pack_ramp_kw_per_s is None else x.pack_ramp_kw_per_s * 1e3,
        deadband_w=x.deadband_kw * 1000.0,
        export_limit_w=x.export_limit_kw * 1000.0,
        use_generator_for_vehicles=x.use_generator_for_vehicles,
        mpc_horizon_steps=x.mpc_horizon_steps,
        refill_price_max_per_kwh=(
            math.inf if x.refill_price_max_per_kwh is None else x.refill_price_max_per_kwh
        ),
        refill_reserve_fraction=x.refill_reserve_fraction,
    )


def output_ratings_w(scenario: Scenario) -> list[float]:
    """Each output's charger rating at the vehicle side [W] (``output_max_kw`` or the connector
    rating for all)."""
    v = scenario.vehicles
    if v is None:
        return []
    ratings = v.output_max_kw or [v.connector_max_kw] * v.outputs
    return [r * 1000.0 for r in ratings]
