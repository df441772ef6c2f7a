"""Scenario sections for a real site: location, weather, measured profiles and economics.

They are optional: a scenario without them keeps its constant loads, sine ambient and no money.
File paths are relative to the scenario file (resolved by
:func:`packlife.site.scenario.load_scenario`).
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Weather bundled inside pvlib, usable only by naming it (``[weather] example = ...``).
WEATHER_EXAMPLES = {"pvlib_greensboro_tmy3": ("723170TYA.CSV", "tmy3")}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_zone(value: str | None) -> str | None:
    """``value`` if it names an IANA time zone (or is None)."""
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}: expected an IANA name such as Europe/London"
        ) from None
    return value


class SiteLocation(_Strict):
    """Where the site is: position for the sun, and its IANA time zone for local clock times."""

    latitude: float = Field(ge=-90, le=90, description="[deg], north positive")
    longitude: float = Field(ge=-180, le=180, description="[deg], east positive")
    altitude_m: float = Field(0.0, ge=-500, le=9000, description="[m]")
    timezone: str = Field(description="IANA time zone, e.g. Europe/London (DST applied)")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _check_zone(value)


class WeatherSettings(_Strict):
    """Weather from a file (or a named example bundled with pvlib): PV and ambient temperature."""

    file: str | None = Field(None, description="weather file, relative to the scenario file")
    format: Literal["tmy3", "epw", "pvgis", "psm", "csv"] | None = Field(
        None, description="tmy3, epw, pvgis (TMY JSON/CSV), psm (NSRDB PSM3/4 CSV) or csv"
    )
    example: Literal["pvlib_greensboro_tmy3"] | None = Field(
        None, description="a weather file shipped with pvlib (Greensboro NC TMY3), by name"
    )
    label: Literal["start", "centre", "end"] | None = Field(
        None, description="where each timestamp sits in its interval; default per format"
    )
    typical_year: bool | None = Field(
        None, description="use for any year by calendar position; default true for TMY formats"
    )
    timezone: str | None = Field(None, description="IANA zone for zoneless times (csv format)")
    ambient_from_weather: bool = Field(
        True, description="pack ambient temperature from the weather's temp_air"
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _check_zone(value)

    @model_validator(mode="after")
    def _one_source(self) -> WeatherSettings:
        if (self.file is None) == (self.example is None):
            raise ValueError("give either file (with format) or example")
        if self.file is not None and self.format is None:
            raise ValueError("a weather file needs its format")
        return self


class ProfileRef(_Strict):
    """A column of a CSV time series (see :mod:`packlife.site.profiles`)."""

    file: str
    column: str
    unit: str = Field(description="W, kW, MW (power); <currency>/kWh or /MWh (prices)")
    time_column: str = "time"
    timezone: str | None = Field(None, description="IANA zone for zoneless times")
    label: Literal["start", "end"] = "start"
    repeat: bool = Field(False, description="repeat the file's span to cover the run")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _check_zone(value)


class ProfileSettings(_Strict):
    """Measured site profiles, resampled to the control interval."""

    load: ProfileRef | None = Field(
        None, description="site load sharing the connection [power], added to [loads]"
    )
    grid_limit: ProfileRef | None = Field(None, description="import limit over time [power]")
    grid_limit_source: str | None = Field(
        None, description="grid source the limit applies to; default: the first grid source"
    )
    price_import: ProfileRef | None = Field(None, description="import price [<currency>/kWh]")
    price_export: ProfileRef | None = Field(None, description="export price [<currency>/kWh]")


class TouPeriod(_Strict):
    """A time-of-use band in local clock hours [start_hour, end_hour) (wraps past midnight)."""

    start_hour: float = Field(ge=0, lt=24)
    end_hour: float = Field(gt=0, le=24)
    price_per_kwh: float = Field(ge=0, le=100)
    days: Literal["all", "weekdays", "weekends"] = "all"


class TariffSettings(_Strict):
    """Import/export tariff, in the scenario's currency."""

    import_price_per_kwh: float = Field(0.25, ge=0, le=100, description="flat price")
    tou: list[TouPeriod] = Field(
        default_factory=list, description="time-of-use bands overriding the flat price"
    )
    export_price_per_kwh: float = Field(0.0, ge=0, le=100)
    standing_charge_per_day: float = Field(0.0, ge=0)
    demand_charge_per_kw_month: float = Field(
        0.0, ge=0, description="on each month's highest import interval [per kW]"
    )


class EconomicsSettings(_Strict):
    """Costs and money: one named currency for every amount here and in price files."""

    currency: str = Field("GBP", pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
    tariff: TariffSettings = TariffSettings()
    diesel_price_per_l: float = Field(1.20, ge=0, description="delivered diesel [per L]")
    genset_rental_per_day: float = Field(60.0, ge=0, description="generator hire [per day]")
    bess_capex: float = Field(60000.0, ge=0, description="installed BESS cost")
    bess_opex_per_year: float = Field(1500.0, ge=0, description="maintenance, insurance")
    discount_rate: float = Field(0.07, ge=0, le=0.5, description="real, per year")
    project_life_years: int = Field(10, ge=1, le=40)
    pack_replacement_soh: float = Field(
        0.6, gt=0, lt=1, description="a pack is replaced when its forecast SoH reaches this"
    )
    pack_replacement_cost_per_kwh: float = Field(
        40.0, ge=0, description="another second-life pack, per kWh nameplate"
    )
    grid_upgrade_capex: float | None = Field(
        None, ge=0, description="cost of a connection that serves the demand without the BESS"
    )
    compare_diesel: bool = Field(True, description="include the diesel-generator comparison")
    sources_of_numbers: list[str] = Field(default_factory=list)


class CustomVehicleModel(_Strict):
    """A vehicle model defined in the scenario (usable energy and DC acceptance curve)."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    usable_energy_kwh: float = Field(gt=0, le=300)
    soc: list[float] = Field(min_length=2, description="acceptance-curve breakpoints (0-1)")
    dc_power_kw: list[float] = Field(min_length=2, description="DC power accepted at each [kW]")
    sources: list[str] = Field(default_factory=list, description="where the numbers come from")

    @model_validator(mode="after")
    def _curve(self) -> CustomVehicleModel:
        if len(self.soc) != len(self.dc_power_kw):
            raise ValueError("soc and dc_power_kw need the same number of points")
        if any(b <= a for a, b in zip(self.soc, self.soc[1:], strict=False)):
            raise ValueError("soc breakpoints must increase")
        if self.soc[0] < 0 or self.soc[-1] > 1:
            raise ValueError("soc breakpoints must lie within 0-1")
        if any(p < 0 or p > 1000 for p in self.dc_power_kw):
            raise ValueError("dc_power_kw must lie within 0-1000")
        return self


class ControllerExtras(_Strict):
    """Controller settings that exist in code, settable from the scenario (see
    :class:`packlife.control.types.ControllerConfig`)."""

    export_limit_kw: float = Field(0.0, ge=0, le=5000, description="0 = no export")
    deadband_kw: float = Field(0.0, ge=0, le=1000)
    pack_ramp_kw_per_s: float | None = Field(None, gt=0, description="None = no ramp limit")
    use_generator_for_vehicles: bool = True
    mpc_horizon_steps: int = Field(24, ge=1, le=2000)
    refill_price_max_per_kwh: float | None = Field(
        None,
        ge=0,
        le=1000,
        description="time-of-use aware charging: grid refills the packs only at import prices "
        "up to this [currency/kWh]; None = always (PV that would be curtailed always refills)",
    )
    refill_reserve_fraction: float = Field(
        0.0,
        ge=0,
        le=1,
        description="refill whatever the price while the packs hold less than this fraction "
        "of their usable energy window",
    )
