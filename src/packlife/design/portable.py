"""Portable products from graded modules (the Nissan/JVCKenwood "Portable Battery from LEAF").

A product holds ``modules_per_unit`` modules of one catalog model in series, matched so that their
capacities and resistances are close (the weakest module limits a series string). Matching reuses
:mod:`packlife.grading.matching`: the exact minimum-cost pairing for pairs (up to its size limit),
otherwise sort-and-chunk.

Energy of a product (series string): ``n × min(soh) × module energy``; reported on the gross
(nameplate) basis, which is how the reference product is quoted — JVCKenwood IPB-01G: 633 Wh from
two Gen-1 Leaf modules of 0.5 kWh (≈ 64 % of new) — and on the OEM usable basis.

Mass: modules plus :data:`PORTABLE_ENCLOSURE_KG` for housing, inverter, BMS and sockets, taken
from the reference product: 14.4 kg total − 2 × 3.8 kg modules = 6.8 kg.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from packlife.design.inventory import InventoryItem
from packlife.errors import InfeasibleError
from packlife.grading.matching import (
    MAX_OPTIMAL_MODULES,
    Modules,
    group_cost,
    match_pairs_optimal,
    match_sort_chunk,
)

PORTABLE_ENCLOSURE_KG = 6.8
PORTABLE_MAX_MASS_KG = 15.0
MODULES_PER_PRODUCT = 2


@dataclass(frozen=True)
class PortableUnit:
    """One portable product."""

    catalog_id: str
    serials: list[str]
    soh: list[float]
    resistance_growth: list[float]
    energy_wh: float
    usable_energy_wh: float
    mass_kg: float
    match_cost: float


@dataclass(frozen=True)
class PortableDesign:
    """Products built from an inventory and the modules left over (with the reason)."""

    units: list[PortableUnit]
    leftover: list[str]
    notes: list[str]


def design_portable(
    modules: Sequence[InventoryItem],
    modules_per_unit: int = MODULES_PER_PRODUCT,
    max_mass_kg: float = PORTABLE_MAX_MASS_KG,
    enclosure_mass_kg: float = PORTABLE_ENCLOSURE_KG,
) -> PortableDesign:
    """Group graded modules into portable products (see module docstring).

    Raises
    ------
    InfeasibleError
        No module model fits the mass limit, or fewer modules than one product needs.
    """
    if modules_per_unit < 1:
        raise InfeasibleError("modules per portable unit must be at least 1")
    by_model: dict[str, list[InventoryItem]] = {}
    for it in modules:
        by_model.setdefault(it.catalog_id, []).append(it)
    units: list[PortableUnit] = []
    leftover: list[str] = []
    notes: list[str] = []
    for cid, items in sorted(by_model.items()):
        mass = modules_per_unit * items[0].mass_kg + enclosure_mass_kg
        if mass > max_mass_kg:
            notes.append(
                f"{cid}: {modules_per_unit} × {items[0].mass_kg:g} kg + {enclosure_mass_kg:g} kg "
                f"enclosure = {mass:.1f} kg > {max_mass_kg:g} kg; its {len(items)} modules unused")
            leftover.extend(it.serial for it in items)
            continue
        if len(items) < modules_per_unit:
            notes.append(f"{cid}: {len(items)} module(s), fewer than {modules_per_unit} per unit")
            leftover.extend(it.serial for it in items)
            continue
        built = _build_model_units(items, modules_per_unit, mass)
        used = {s for u in built for s in u.serials}
        leftover.extend(it.serial for it in items if it.serial not in used)
        units.extend(built)
    if not units:
        detail = "; ".join(notes) if notes else "no modules in the inventory"
        raise InfeasibleError(f"no portable unit can be built: {detail}")
    units.sort(key=lambda u: -u.energy_wh)
    return PortableDesign(units, leftover, notes)


def _build_model_units(items: Sequence[InventoryItem], size: int, mass_kg: float
                       ) -> list[PortableUnit]:
    model = items[0].model
    mods = Modules(
        serial=[it.serial for it in items],
        capacity_ah=np.array([it.soh * model.rated_capacity_ah for it in items]),
        dcir_mohm=np.array([it.resistance_growth for it in items]),  # relative: factor of new
    )
    if size == 2 and len(items) <= MAX_OPTIMAL_MODULES:
        groups = match_pairs_optimal(mods)
    else:
        groups = match_sort_chunk(mods, size)
    out = []
    for idx in groups:
        soh = [items[k].soh for k in idx]
        energy_wh = size * min(soh) * model.gross_energy_kwh * 1000.0
        out.append(PortableUnit(
            catalog_id=model.id,
            serials=[items[k].serial for k in idx],
            soh=soh,
            resistance_growth=[items[k].resistance_growth for k in idx],
            energy_wh=energy_wh,
            usable_energy_wh=energy_wh * model.usable_fraction,
            mass_kg=mass_kg,
            match_cost=group_cost(mods, list(idx)),
        ))
    return out
