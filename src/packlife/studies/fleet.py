"""Fleet life: many units of the base BESS aged for years on a representative day.

The duty of every unit is the base scenario's **representative day**: the base scenario is run
once as written (its sessions, inputs and controller); its BESS bus power (mean over each output
interval, discharge positive) is split into discharge and charge, each averaged by time of day
over the run; each fleet step carries its mean discharge energy in a first half-step and its
charge energy in a second (:func:`representative_day`). Ambient follows the base scenario's
daily sine. Every unit has the base packs' models; each pack's SoH and resistance growth are
drawn per unit from ``[fleet] pack_soh`` / ``pack_resistance_growth`` (default: as measured in
the base), seeded by ``(seed, unit)``, so a unit is the same whatever worker or chunk runs it.

Units are run in chunks as one engine batch (thermal + ageing at the fleet step). Every
``check_interval_days`` each pack's SoH is compared with ``end_soh``; a pack at or below it is
recorded (unit, pack, years) and, with ``replace = true``, replaced by a new draw from the same
distributions. Years are 365 days.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from packlife import __version__
from packlife._typing import FloatArray
from packlife.errors import ConsistencyError, DataFileError
from packlife.simulation import layout as K
from packlife.simulation.engine import Engine, EngineConfig
from packlife.simulation.system import PackSpec, build_systems
from packlife.site.run import run_scenario
from packlife.studies.schema import Choice, Distribution, FleetSettings, Normal, Study
from packlife.studies.variants import draw, variant_sessions

DAY_S = 86400.0


def representative_day(study: Study, step_s: float) -> tuple[FloatArray, FloatArray]:
    """The base scenario's representative day: BESS bus power [W] and ambient [°C].

    The base run's BESS power (means over its output interval) is split into its discharge and
    charge parts, each averaged by time of day over the whole days of the run. Each fleet step
    of ``step_s`` then becomes two half-steps: the step's mean discharge energy delivered in the
    first half, its charge energy taken in the second. A plain net average would let discharge and
    recharge within an hour cancel and understate the cycling the packs see (6× less throughput
    on the jlr-test-site week); the half-steps keep each hour's gross throughput.

    Returns
    -------
    power_w, ambient_c : ndarray (2 × 86400 / step_s,)
        At steps of ``step_s / 2``.
    """
    base = study.base
    out_s = base.simulation.output_interval_s
    if DAY_S % step_s or step_s % out_s:
        raise DataFileError(
            study.path,
            [
                f"field 'fleet.step_s': must divide a day and be a multiple of the base scenario's "
                f"output interval ({out_s:g} s), got {step_s:g}"
            ],
        )
    result = run_scenario(base, variant_sessions(study, base))
    per_day = int(DAY_S // out_s)
    power = result.flows["bess_power_w"].to_numpy(float)
    whole = (len(power) // per_day) * per_day
    if whole == 0:
        raise ConsistencyError("the base scenario must run at least one whole day for a fleet")
    days = power[:whole].reshape(-1, per_day)
    n = int(DAY_S // step_s)
    dis = np.clip(days, 0.0, None).mean(axis=0).reshape(n, -1).mean(axis=1)
    ch = np.clip(days, None, 0.0).mean(axis=0).reshape(n, -1).mean(axis=1)
    # same energy in half the time: twice the mean power over each half-step
    power_w = np.column_stack([2.0 * dis, 2.0 * ch]).ravel()
    t_h = (np.arange(2 * n) + 0.5) * step_s / 2.0 / 3600.0
    amb = base.ambient
    ambient = amb.mean_temperature_c + amb.daily_swing_c / 2.0 * np.sin(
        2 * np.pi * (t_h - 9.0) / 24.0
    )
    return power_w, ambient


def check_fleet(study: Study) -> FleetSettings:
    """The fleet settings, with each distribution's support checked against SoH / growth limits."""
    fleet = study.spec.fleet
    assert fleet is not None
    for name, dist, lo, hi in (
        ("pack_soh", fleet.pack_soh, 0.2, 1.0),
        ("pack_resistance_growth", fleet.pack_resistance_growth, 0.8, 5.0),
    ):
        if dist is None:
            continue
        a, b = _support(dist)
        if a < lo or b > hi or (name == "pack_soh" and a == lo):
            raise DataFileError(
                study.path,
                [
                    f"field 'fleet.{name}': draws must lie within [{lo}, {hi}] (SoH above 0.2), "
                    f"got support [{a}, {b}]; bound the distribution with low/high"
                ],
            )
    return fleet


def _support(dist: Distribution) -> tuple[float, float]:
    if isinstance(dist, Choice):
        vals = [float(v) for v in dist.values]
        return min(vals), max(vals)
    if isinstance(dist, Normal):
        return dist.low, dist.high
    return dist.low, dist.high


def unit_packs(study: Study, unit: int, generation: int = 0) -> list[PackSpec]:
    """The packs of ``unit``; ``generation`` > 0 gives the draw for replacement ``generation``."""
    fleet = study.spec.fleet
    assert fleet is not None
    base = study.base.bess
    rng = np.random.default_rng([study.spec.study.seed, unit, generation])
    n = len(base.packs)
    soh = draw(fleet.pack_soh, rng, n) if fleet.pack_soh else [p.soh for p in base.packs]
    rg = (
        draw(fleet.pack_resistance_growth, rng, n)
        if fleet.pack_resistance_growth
        else [p.resistance_growth for p in base.packs]
    )
    soc = base.soc_initial
    return [
        p.model_copy(
            update={
                "soh": float(soh[q]),
                "resistance_growth": float(rg[q]),
                "serial": f"u{unit}-p{q}" + (f"-r{generation}" if generation else ""),
                **({"soc_initial": soc} if soc is not None else {}),
            }
        )
        for q, p in enumerate(base.packs)
    ]


def fleet_tasks(
    study: Study, done: set[str], root: Path
) -> tuple[Callable[..., list[dict[str, Any]]], Iterator[tuple[Any, ...]], int]:
    """The unfinished chunks of a fleet study as task arguments for :func:`run_units`, and the
    number of units skipped because their chunk is finished. Writes ``fleet_duty.parquet``."""
    fleet = check_fleet(study)
    day_w, ambient_c = representative_day(study, fleet.step_s)
    pd.DataFrame(
        {
            "time_of_day_s": np.arange(day_w.size) * fleet.step_s,
            "bess_power_w": day_w,
            "ambient_temperature_c": ambient_c,
        }
    ).to_parquet(root / "fleet_duty.parquet", index=False)
    size = fleet.units_per_task
    chunks = [(f, min(size, fleet.units - f)) for f in range(0, fleet.units, size)]
    todo = [c for c in chunks if chunk_key(study, *c) not in done]
    skipped = fleet.units - sum(n for _, n in todo)
    return run_units, iter([(f, n, day_w, ambient_c) for f, n in todo]), skipped


def chunk_key(study: Study, first: int, count: int) -> str:
    """Resume key of a chunk of units (its settings, base scenario and unit range)."""
    blob = json.dumps(
        {
            "study": study.spec.model_dump(mode="json", exclude={"report"}),
            "base": study.base.model_dump(mode="json"),
            "units": [first, count],
            "packlife": __version__,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def run_units(
    study: Study, first: int, count: int, day_w: FloatArray, day_ambient_c: FloatArray
) -> list[dict[str, Any]]:
    """Age units ``first … first+count-1`` for the fleet's years; one row per unit."""
    fleet = check_fleet(study)
    end_soh = study.spec.study.end_soh
    units = list(range(first, first + count))
    system = build_systems(
        [unit_packs(study, u) for u in units], ambient_c=float(np.mean(day_ambient_c))
    )
    check_days = int(round(fleet.check_interval_days))
    total_days = int(round(fleet.years * 365))
    cfg = EngineConfig(
        dt_s=fleet.step_s / 2.0,  # discharge and charge half-steps (see representative_day)
        output_interval_s=check_days * DAY_S,
        ageing=True,
        ageing_interval_s=fleet.step_s,
    )
    engine = Engine(system, cfg, max_duration_s=total_days * DAY_S)
    soh_start = (engine.S[:, :, K.S_CAP_AH] / engine.P[:, :, K.P_CAP_NEW_AH]).copy()
    events: list[list[tuple[int, float]]] = [[] for _ in units]
    generation = np.zeros(len(units), dtype=int)
    done = 0
    while done < total_days:
        n = min(check_days, total_days - done)
        engine.run_repeated(day_w, n, day_ambient_c)
        done += n
        soh = engine.S[:, :, K.S_CAP_AH] / engine.P[:, :, K.P_CAP_NEW_AH]
        for b, q in zip(*np.nonzero(soh <= end_soh), strict=True):
            events[b].append((int(q), done / 365.0))
            if fleet.replace:
                generation[b] += 1
                _replace(engine, study, units[b], int(b), int(q), int(generation[b]))
    soh_end = engine.S[:, :, K.S_CAP_AH] / engine.P[:, :, K.P_CAP_NEW_AH]
    return [
        {
            "variant_index": u,
            "variant_key": chunk_key(study, first, count),
            "unit": u,
            "pack_soh_start": [float(x) for x in soh_start[b]],
            "pack_soh_end": [float(x) for x in soh_end[b]],
            "replacement_pack": [q for q, _ in events[b]],
            "replacement_years": [t for _, t in events[b]],
            "replacements": len(events[b]),
            "years_to_first_replacement": events[b][0][1] if events[b] else float("nan"),
        }
        for b, u in enumerate(units)
    ]


def _replace(engine: Engine, study: Study, unit: int, b: int, q: int, generation: int) -> None:
    """Put a newly drawn pack into slot ``q`` of system ``b`` (state only; same model)."""
    spec = unit_packs(study, unit, generation)[q]
    fresh = build_systems([[spec]], ambient_c=float(engine.S[b, q, K.S_TEMP]))
    engine.S[b, q] = fresh.S[0, 0]


def yearly_schedule(units: pd.DataFrame, years: float) -> pd.DataFrame:
    """Packs reaching the end threshold per year and units needing their first replacement."""
    n_years = int(np.ceil(years))
    parts = [np.asarray(y, float) for y in units["replacement_years"]]
    ev = np.concatenate(parts) if parts else np.zeros(0)
    first = units["years_to_first_replacement"].to_numpy(float)
    rows = []
    for y in range(1, n_years + 1):
        in_year = (ev > y - 1) & (ev <= y)
        first_in = (first > y - 1) & (first <= y)
        rows.append(
            {
                "year": y,
                "packs_reaching_end": int(in_year.sum()),
                "packs_reaching_end_cumulative": int((ev <= y).sum()),
                "units_first_replacement": int(first_in.sum()),
            }
        )
    return pd.DataFrame(rows)


def fleet_report_sections(root: Path, meta: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Report sections of a fleet study: replacement schedule and years to first replacement."""
    from packlife.studies.report import _pyplot, _table
    from packlife.studies.store import read_results

    units = read_results(root)
    fleet = meta["study"]["fleet"]
    sched = yearly_schedule(units, float(fleet["years"]))
    first = units["years_to_first_replacement"].dropna().to_numpy(float)
    n_packs = len(units["pack_soh_start"].iloc[0])
    plt = _pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.4))
    a1.bar(sched["year"], sched["packs_reaching_end"], color="C0")
    a1.set_xlabel("year")
    a1.set_ylabel(f"packs reaching SoH ≤ {meta['study']['study']['end_soh']}")
    if first.size:
        a2.hist(first, bins=20, color="C1", alpha=0.8)
        for q, ls in zip(np.percentile(first, (10, 50, 90)), (":", "-", ":"), strict=True):
            a2.axvline(q, color="k", ls=ls, lw=1)
    a2.set_xlabel("years to a unit's first pack replacement (lines: P10, P50, P90)")
    fig.tight_layout()
    pct = (
        "P10 / P50 / P90 of years to a unit's first replacement: "
        + " / ".join(f"{q:.2f}" for q in np.percentile(first, (10, 50, 90)))
        if first.size
        else "no unit reached the threshold within the horizon"
    )
    body = (
        f"<p>{len(units)} units × {n_packs} packs, {fleet['years']} years at "
        f"{fleet['step_s']:.0f} s; {len(first)} units needed a replacement. {pct}.</p>"
        + _table(sched.set_index("year"), "{:.0f}", "year")
    )
    return [("Fleet replacement schedule", body, fig)]
