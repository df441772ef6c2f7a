"""Generate the catalog TOML files. Usage: python scripts/generate_catalog.py src/packlife/catalog/data"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(sys.argv[1])

BG = ("maker's published figure from background knowledge; not confirmed in the project's stored "
      "sources")
LAYOUT_FROM_ENERGY = "chosen so that series x parallel x cell Ah x cell V matches the gross energy"

# ---------------------------------------------------------------- shared sources
S = {
    "rr_auto": ("https://automotobuzz.com/car-reviews/electric-range-rover-coming-in-2024-may-have-hydrogen-fuel-cell/",
                "P440e/P510e battery 38.2 kWh gross, 31.8 kWh usable"),
    "rr_edmunds": ("https://www.edmunds.com/car-news/prepare-to-be-wowed-2023-land-rover-range-rover-phev.html",
                   "2023 Range Rover PHEV: 38.2 kWh gross / 31.8 kWh usable battery"),
    "rr_gcg": ("https://www.greencarguide.co.uk/green-car-guides/land-rover-range-rover-2-0-p400e-phev-404hp-vogue/",
               "PHEV charging: 7 kW AC on-board charger, 50 kW DC (CCS), 0-80 % in under 1 h; 105 kW electric motor"),
    "allye_edie": ("https://www.edie.net/jlr-unveils-portable-energy-storage-system-made-with-used-ev-batteries/?amp=true",
                   "second-life Range Rover PHEV packs in the Allye MAX 'typically have a 70-80 % capacity'"),
    "allye_tn": ("https://telematicsnews.info/2024/04/18/jlr-launches-battery-energy-storage-system/",
                 "Allye MAX: 7 second-life Range Rover/Range Rover Sport PHEV packs, 270 kWh at full capacity"),
    "leaf_mob": ("https://mobility.lk/2021/07/29/leaf-24-kwh-battery/",
                 "Leaf 24 kWh: 48 modules x 4 cells (2s2p) = 96s2p, 192 AESC laminated cells, 360 V nominal"),
    "leaf_qnovo": ("https://qnovo.com/blogs/inside-the-battery-of-a-nissan-leaf",
                   "Leaf 24 kWh cell and module construction (AESC LMO-based pouch cells, 2s2p modules)"),
    "leaf_push15": ("https://pushevs.com/2015/09/28/new-30-kwh-nissan-leaf-battery/",
                    "Leaf 24 kWh vs 30 kWh packs: 48 four-cell modules vs 24 eight-cell modules, 294 kg vs 315 kg"),
    "leaf_wiki": ("https://nissanleaf.carhackingwiki.com/index.php/Lithium_Battery_Controller_(LBC)",
                  "Leaf pack generations (24/30/40/62 kWh): layouts 96s2p / 96s3p, masses, 403.2 V maximum, LBC data on EV-CAN"),
    "ornl": ("https://doi.org/10.5281/zenodo.2580327",
             "ORNL 2013 Leaf AESC cell rated 33.1 Ah, tested 3.0-4.2 V (Wiggins, Allu, Wang 2019)"),
    "gao": ("https://discovery.researcher.life/article/evaluation-of-the-second-life-potential-of-the-first-generation-nissan-leaf-battery-packs-in-energy-storage-systems/ceb89bde3d7a3d189aad80020863928b",
            "Gao et al., eTransportation 20 (2024) 100313: >100 retired Gen-1 Leaf packs mostly at 60-67 % capacity"),
    "leaf_push18": ("https://pushevs.com/2018/01/29/2018-nissan-leaf-battery-real-specs/",
                    "Leaf 40 kWh: AESC 56.3 Ah / 3.65 V NMC cells, 24 modules x 8 cells (96s2p), 39.5 kWh rated"),
    "leaf_62": ("https://www.elektroauto-news.net/news/ist-das-der-beste-nissan-batteriepack-aller-zeiten",
                "Leaf e+ 62 kWh: 288 cells (96s3p), passive cooling, 410 kg"),
    "jvc": ("https://car.watch.impress.co.jp/docs/news/1527987.html",
            "Nissan/JVCKenwood 'Portable Battery from LEAF': two first-generation Leaf modules, 633 Wh, 14.4 kg"),
    "ip_revs": ("https://electricrevs.com/2018/03/09/jaguar-and-chevy-have-lg-in-common/",
                "I-PACE battery: LG Chem NMC pouch cells"),
    "ip_think": ("https://www.electricthink.com/jaguars-pace-will-redefine-vehicles-architecture/",
                 "I-PACE: 90 kWh pack of 432 pouch cells in 36 modules"),
    "ip_auto": ("https://www.autotimesnews.com/jaguar-i-pace-electric-car-production-stopped/",
                "I-PACE 90 kWh battery, production years"),
    "ip_warranty": ("https://www.evdriven.com/edition/weekly-cleaning-clean-2022-03-12/",
                    "I-PACE battery warranty 8 years / 100,000 miles to 70 % capacity"),
    "ip_wykes": ("https://telematicsnews.info/2023/08/23/jlr-announces-ev-battery-recycling-partnership-with-wykes-engineering/",
                 "Wykes/JLR BESS: 30 second-life I-PACE packs, 2.5 MWh"),
    "zoe40": ("https://www.batterydesign.net/2016-renault-zoe-ze-40/",
              "Zoe ZE40: LG Chem E63 cells (63-65 Ah), 12 modules x 16 cells (8s2p) = 96s2p, 345.6 V nominal (240-403 V), 44.1-45.3 kWh gross / 41 kWh usable, 305 kg, active air cooling"),
    "zoe50": ("https://dmove.it/news/batteria-della-renault-zoe-ze50-analisi-nel-dettaglio-spunta-anche-una-sorpresa-per-la-versione-ze40",
              "Zoe ZE50: LG E78 NCM712 cells, 78 Ah, 96s2p, 54.7 kWh gross / 52 kWh usable"),
    "zoe50_r": ("https://www.renaultgroup.com/en/news-on-air/news/z-e-50-the-secrets-of-the-new-zoes-battery/",
                "Renault: Z.E. 50 battery construction (same module count and pack envelope as Z.E. 40)"),
    "zoe_bd": ("https://www.batterydesign.net/renault-zoe/",
               "Zoe 22 kWh (2012): LG Chem 36 Ah cells, 96s2p, 25.9 kWh gross / 22 kWh usable, 280 kg; Zoe ZE50 78 Ah 3.65 V cells, 326 kg"),
    "estor": ("https://www.ipswichstar.co.uk/news/business/ipswich-the-hold-project-to-house-sustainable-energy-store-2887004",
              "Connected Energy E-STOR: 24 second-life Renault Kangoo Z.E. packs give 360 kWh (~15 kWh per pack)"),
    "renault_ce": ("https://connected-energy.co.uk/news/renault-and-connected-energy/",
                   "Renault: first life 10-15 years, >= 75 % capacity left at the end of first life"),
    "i3_bd": ("https://www.batterydesign.net/bmw-i3/",
              "BMW i3 packs: 8 modules x 12 cells, 96s1p Samsung SDI prismatic cells; 60/94/120 Ah generations with 21.6-22.6 / 33.2 / 42.2 kWh gross and 18.8 / 27.2 / 37.9 kWh usable; 256 kg (94 Ah) and 278 kg (120 Ah)"),
    "i3_motorme": ("https://www.motorme.my/bmw-adds-more-electron-punch-to-i3/?lang=ms",
                   "i3 60 Ah vs 94 Ah pack: same 8-module layout, capacity 60 -> 94 Ah"),
    "i3_94cell": ("https://pushevs.com/2018/04/05/samsung-sdi-94-ah-battery-cell-full-specifications/",
                  "Samsung SDI 94 Ah cell (NCM111): 94 Ah, prismatic; 80 % after 4,600 full cycles at 25 °C"),
    "i3_120": ("https://www.greencarcongress.com/2018/09/20180928-bmw.html",
               "i3 120 Ah (2018): 42.2 kWh gross, NCM622 Samsung SDI cells, same pack envelope"),
    "simses94": ("https://github.com/martincornejo/simses-lite/blob/62d2003b8df6ba4d803846cefac09376f36bfe39/simses/model/cell/samsung94Ah_nmc.py",
                 "Samsung 94 Ah cell model: 3.68 V nominal, 2.7-4.15 V window"),
    "twaice": ("https://www.twaice.com/battery-encyclopedia/end-of-life",
               "automotive end of life at 80 % SoH (or resistance at 200 %); second-life end of life ~50 % SoH"),
    "ul_soh": ("https://ul.com/news/ul-certification-helps-promote-repurposing-electric-vehicle-ev-batteries",
               "typical automotive retirement at 70-80 % state of health"),
}


def src(*keys: str) -> list[dict[str, str]]:
    return [{"url": S[k][0], "supports": S[k][1]} for k in keys]


def est(**fields: str) -> list[dict[str, str]]:
    return [{"field": k, "reason": v} for k, v in fields.items()]


ENTRIES: list[dict[str, object]] = []


def add(**kw: object) -> None:
    ENTRIES.append(kw)


# ---------------------------------------------------------------- packs
add(
    id="range_rover_phev_p440e", make="Land Rover",
    model="Range Rover / Range Rover Sport PHEV P440e / P510e (38.2 kWh)", years="2022–",
    chemistry="nmc", parameter_set="nmc_generic", cell_format="pouch",
    cell_capacity_ah=49.0, cell_nominal_voltage_v=3.63, series_cells=108, parallel_cells=2,
    modules=18, cells_per_module=12, nominal_voltage_v=392.0, min_voltage_v=302.4,
    max_voltage_v=453.6, rated_capacity_ah=98.0, gross_energy_kwh=38.2, usable_energy_kwh=31.8,
    max_discharge_power_kw=105.0, max_charge_power_kw=50.0, mass_kg=280.0, cooling="liquid",
    typical_retirement_soh=0.75,
    notes=("Pack of the Allye MAX second-life BESS (7 packs = 270 kWh new gross). Only gross/usable "
           "energy and charge/motor power are published; the layout is a physics-based estimate."),
    sources=src("rr_auto", "rr_edmunds", "rr_gcg", "allye_edie", "allye_tn"),
    estimated_fields=est(
        chemistry="not published; NMC is the usual chemistry of 2020s European PHEV packs",
        cell_format="not published; pouch assumed (common for JLR's PHEV/BEV suppliers)",
        cell_capacity_ah=f"not published; 49 Ah pouch cell {LAYOUT_FROM_ENERGY} (108s2p)",
        cell_nominal_voltage_v="typical NMC/graphite nominal voltage (3.6-3.7 V)",
        series_cells="not published; 108s gives a ~390 V nominal pack, consistent with the ~350-400 V class of the platform",
        parallel_cells=f"not published; {LAYOUT_FROM_ENERGY}",
        modules="not published; 18 modules of 12 cells (6s2p) assumed",
        cells_per_module="not published; see modules",
        nominal_voltage_v="series_cells x 3.63 V",
        min_voltage_v="series_cells x 2.8 V (typical NMC discharge cut-off)",
        max_voltage_v="series_cells x 4.2 V (typical NMC charge limit)",
        rated_capacity_ah="parallel_cells x cell_capacity_ah",
        max_discharge_power_kw="the pack must feed the 105 kW electric motor; used as the discharge rating",
        mass_kg="not published; ~0.14 kWh/kg gross, typical of PHEV packs of this size",
        cooling="not published; liquid cooling assumed for a 50 kW DC-charged pack",
        typical_retirement_soh="midpoint of the 70-80 % capacity reported for Allye's second-life packs",
    ),
)
add(
    id="nissan_leaf_24kwh", make="Nissan", model="Leaf 24 kWh (ZE0 / AZE0)", years="2011–2017",
    chemistry="lmo_nca", parameter_set="aesc_lmo_nca_leaf2013", cell_format="pouch",
    cell_capacity_ah=33.1, cell_nominal_voltage_v=3.75, series_cells=96, parallel_cells=2,
    modules=48, cells_per_module=4, nominal_voltage_v=360.0, min_voltage_v=288.0,
    max_voltage_v=403.2, rated_capacity_ah=66.2, gross_energy_kwh=24.0, usable_energy_kwh=21.0,
    max_discharge_power_kw=80.0, max_charge_power_kw=50.0, mass_kg=294.0, cooling="passive",
    typical_retirement_soh=0.65,
    notes=("First-generation AESC pack (LMO-based blend). Retired packs measured mostly at "
           "60-67 % capacity (Gao et al. 2024). ZE0 and later packs differ in connectors/CAN."),
    sources=src("leaf_mob", "leaf_qnovo", "leaf_push15", "leaf_wiki", "ornl", "gao"),
    estimated_fields=est(
        usable_energy_kwh="only '~21-22 kWh usable' circulates without a primary source",
        min_voltage_v="series_cells x 3.0 V, the lower limit of the ORNL cell tests",
        max_discharge_power_kw=f"80 kW traction motor; {BG}",
        max_charge_power_kw=f"50 kW CHAdeMO DC; {BG}",
    ),
)
add(
    id="nissan_leaf_30kwh", make="Nissan", model="Leaf 30 kWh (AZE0)", years="2016–2017",
    chemistry="nmc", parameter_set="nmc_generic", cell_format="pouch",
    cell_capacity_ah=43.0, cell_nominal_voltage_v=3.65, series_cells=96, parallel_cells=2,
    modules=24, cells_per_module=8, nominal_voltage_v=350.4, min_voltage_v=264.0,
    max_voltage_v=403.2, rated_capacity_ah=86.0, gross_energy_kwh=30.0, usable_energy_kwh=27.0,
    max_discharge_power_kw=80.0, max_charge_power_kw=50.0, mass_kg=315.0, cooling="passive",
    typical_retirement_soh=0.75,
    notes="Cell supplier is disputed (wiki: LG Chem 43 Ah; other sources: AESC).",
    sources=src("leaf_push15", "leaf_wiki", "ul_soh"),
    estimated_fields=est(
        cell_capacity_ah="43 Ah from the wiki (supplier disputed); consistent with 30 kWh at 96s2p",
        cell_nominal_voltage_v="typical NMC-blend nominal voltage; 3.65 V matches 30 kWh with 43 Ah cells",
        nominal_voltage_v="series_cells x cell_nominal_voltage_v",
        min_voltage_v="series_cells x 2.75 V (typical NMC cut-off)",
        usable_energy_kwh="~90 % of gross, as for the other Leaf packs",
        max_discharge_power_kw=f"80 kW traction motor; {BG}",
        max_charge_power_kw=f"50 kW CHAdeMO DC; {BG}",
        cooling="passive like every Leaf pack (no liquid loop); stated in sources for the 62 kWh pack only",
        typical_retirement_soh="generic automotive retirement (70-80 %)",
    ),
)
add(
    id="nissan_leaf_40kwh", make="Nissan", model="Leaf 40 kWh (ZE1)", years="2018–",
    chemistry="nmc", parameter_set="nmc_generic", cell_format="pouch",
    cell_capacity_ah=56.3, cell_nominal_voltage_v=3.65, series_cells=96, parallel_cells=2,
    modules=24, cells_per_module=8, nominal_voltage_v=350.4, min_voltage_v=264.0,
    max_voltage_v=403.2, rated_capacity_ah=112.6, gross_energy_kwh=40.0, usable_energy_kwh=39.0,
    max_discharge_power_kw=110.0, max_charge_power_kw=50.0, mass_kg=303.0, cooling="passive",
    typical_retirement_soh=0.75,
    notes="Rated 39.5 kWh by cell arithmetic, sold as 40 kWh. Modules are 4s2p (8 cells).",
    sources=src("leaf_push18", "leaf_wiki", "ul_soh"),
    estimated_fields=est(
        min_voltage_v="series_cells x 2.75 V (typical NMC cut-off)",
        max_discharge_power_kw=f"110 kW traction motor; {BG}",
        max_charge_power_kw=f"50 kW CHAdeMO DC; {BG}",
        cooling="passive like every Leaf pack; stated in sources for the 62 kWh pack only",
        typical_retirement_soh="generic automotive retirement (70-80 %)",
    ),
)
add(
    id="nissan_leaf_62kwh", make="Nissan", model="Leaf e+ 62 kWh (ZE1)", years="2019–",
    chemistry="nmc", parameter_set="nmc_generic", cell_format="pouch",
    cell_capacity_ah=59.0, cell_nominal_voltage_v=3.65, series_cells=96, parallel_cells=3,
    modules=24, cells_per_module=12, nominal_voltage_v=350.4, min_voltage_v=264.0,
    max_voltage_v=403.2, rated_capacity_ah=177.0, gross_energy_kwh=62.0, usable_energy_kwh=59.0,
    max_discharge_power_kw=160.0, max_charge_power_kw=100.0, mass_kg=410.0, cooling="passive",
    typical_retirement_soh=0.75,
    sources=src("leaf_62", "leaf_wiki", "ul_soh"),
    estimated_fields=est(
        cell_capacity_ah=("the wiki's 56.3 Ah (40 kWh cell) gives only 59.2 kWh at 96s3p; 59 Ah = "
                          "62 kWh / (288 x 3.65 V) is used so the layout matches the rated energy"),
        modules="module count not confirmed; 24 modules of 12 cells assumed",
        cells_per_module="see modules",
        min_voltage_v="series_cells x 2.75 V (typical NMC cut-off)",
        usable_energy_kwh="'~59 kWh usable' without a primary source",
        max_discharge_power_kw=f"160 kW traction motor; {BG}",
        max_charge_power_kw=f"100 kW CHAdeMO peak; {BG}",
        typical_retirement_soh="generic automotive retirement (70-80 %)",
    ),
)
add(
    id="jaguar_ipace_90kwh", make="Jaguar", model="I-PACE EV400 (90 kWh)", years="2018–2024",
    chemistry="nmc", parameter_set="nmc_generic", cell_format="pouch",
    cell_capacity_ah=58.0, cell_nominal_voltage_v=3.6, series_cells=108, parallel_cells=4,
    modules=36, cells_per_module=12, nominal_voltage_v=388.8, min_voltage_v=302.4,
    max_voltage_v=453.6, rated_capacity_ah=232.0, gross_energy_kwh=90.0, usable_energy_kwh=84.7,
    max_discharge_power_kw=294.0, max_charge_power_kw=100.0, mass_kg=603.0, cooling="liquid",
    typical_retirement_soh=0.7,
    notes="Second-life use: Wykes/JLR 2.5 MWh from 30 packs; Pramac off-grid units.",
    sources=src("ip_revs", "ip_think", "ip_auto", "ip_warranty", "ip_wykes"),
    estimated_fields=est(
        cell_capacity_ah=f"not published; {LAYOUT_FROM_ENERGY} with 432 cells",
        cell_nominal_voltage_v="typical NMC pouch nominal voltage",
        series_cells="432 cells in 36 modules of 12; 108s4p is the commonly quoted, unverified layout",
        parallel_cells="see series_cells",
        nominal_voltage_v="series_cells x 3.6 V (~390 V, unverified)",
        min_voltage_v="series_cells x 2.8 V",
        max_voltage_v="series_cells x 4.2 V",
        usable_energy_kwh="'~84.7 kWh usable' is unverified",
        max_discharge_power_kw=f"two 147 kW motors (294 kW); {BG}",
        max_charge_power_kw=f"100 kW DC CCS; {BG}",
        mass_kg="~600 kg is background knowledge only",
        cooling=f"liquid-cooled pack; {BG}",
        typical_retirement_soh="the 70 % warranty floor",
    ),
)
add(
    id="renault_zoe_22kwh", make="Renault", model="Zoe 22 kWh (Q210 / R240)", years="2012–2016",
    chemistry="nmc", parameter_set="nmc_generic", cell_format="pouch",
    cell_capacity_ah=36.0, cell_nominal_voltage_v=3.75, series_cells=96, parallel_cells=2,
    modules=12, cells_per_module=16, nominal_voltage_v=360.0, min_voltage_v=240.0,
    max_voltage_v=403.2, rated_capacity_ah=72.0, gross_energy_kwh=25.9, usable_energy_kwh=22.0,
    max_discharge_power_kw=65.0, max_charge_power_kw=43.0, mass_kg=280.0, cooling="air",
    typical_retirement_soh=0.75,
    sources=src("zoe_bd", "renault_ce"),
    estimated_fields=est(
        cell_nominal_voltage_v="25.9 kWh / (192 x 36 Ah)",
        modules="same 12 x 16 module layout as the later ZE40 pack assumed",
        cells_per_module="see modules",
        nominal_voltage_v="series_cells x cell_nominal_voltage_v",
        min_voltage_v="same 240 V lower limit as the ZE40 pack",
        max_voltage_v="series_cells x 4.2 V",
        max_discharge_power_kw=f"65 kW traction motor; {BG}",
        max_charge_power_kw=f"43 kW AC (Cameleon charger, Q210); {BG}",
        cooling="active air cooling as documented for the ZE40 pack",
        chemistry="LG Chem cell of the early 2010s, modelled as NMC",
    ),
)
add(
    id="renault_zoe_ze40", make="Renault", model="Zoe Z.E. 40 (R90 / Q90 / R110)",
    years="2016–2019", chemistry="nmc", parameter_set="nmc_generic", cell_format="pouch",
    cell_capacity_ah=63.0, cell_nominal_voltage_v=3.6, series_cells=96, parallel_cells=2,
    modules=12, cells_per_module=16, nominal_voltage_v=345.6, min_voltage_v=240.0,
    max_voltage_v=403.2, rated_capacity_ah=126.0, gross_energy_kwh=44.1, usable_energy_kwh=41.0,
    max_discharge_power_kw=80.0, max_charge_power_kw=43.0, mass_kg=305.0, cooling="air",
    typical_retirement_soh=0.75,
    sources=src("zoe40", "renault_ce"),
    estimated_fields=est(
        max_discharge_power_kw=f"80 kW R110 traction motor; {BG}",
        max_charge_power_kw=f"43 kW AC (Q90, Cameleon charger); {BG}",
        chemistry="LG Chem E63 cells, NMC-type cathode",
        typical_retirement_soh="Renault: >= 75 % capacity at end of first life",
    ),
)
add(
    id="renault_zoe_ze50", make="Renault", model="Zoe Z.E. 50 (R110 / R135)", years="2019–",
    chemistry="nmc", parameter_set="nmc_generic", cell_format="pouch",
    cell_capacity_ah=78.0, cell_nominal_voltage_v=3.65, series_cells=96, parallel_cells=2,
    modules=12, cells_per_module=16, nominal_voltage_v=350.4, min_voltage_v=240.0,
    max_voltage_v=403.2, rated_capacity_ah=156.0, gross_energy_kwh=54.7, usable_energy_kwh=52.0,
    max_discharge_power_kw=100.0, max_charge_power_kw=50.0, mass_kg=326.0, cooling="air",
    typical_retirement_soh=0.75,
    sources=src("zoe50", "zoe50_r", "zoe_bd", "renault_ce"),
    estimated_fields=est(
        modules="same 12 x 16 (8s2p) module layout as the ZE40 pack (same pack envelope)",
        cells_per_module="see modules",
        min_voltage_v="same 240 V lower limit as the ZE40 pack",
        max_voltage_v="series_cells x 4.2 V",
        max_discharge_power_kw=f"100 kW R135 traction motor; {BG}",
        max_charge_power_kw=f"50 kW DC CCS; {BG}",
        cooling="active air cooling as documented for the ZE40 pack",
        typical_retirement_soh="Renault: >= 75 % capacity at end of first life",
    ),
)
add(
    id="renault_kangoo_ze_22kwh", make="Renault", model="Kangoo Z.E. 22 kWh", years="2011–2017",
    chemistry="nmc", parameter_set="nmc_generic", cell_format="pouch",
    cell_capacity_ah=31.0, cell_nominal_voltage_v=3.7, series_cells=96, parallel_cells=2,
    modules=12, cells_per_module=16, nominal_voltage_v=355.2, min_voltage_v=240.0,
    max_voltage_v=403.2, rated_capacity_ah=62.0, gross_energy_kwh=22.0, usable_energy_kwh=20.0,
    max_discharge_power_kw=44.0, max_charge_power_kw=3.6, mass_kg=260.0, cooling="air",
    typical_retirement_soh=0.7,
    notes=("Source pack of Connected Energy's E-STOR (24 packs = 360 kWh, i.e. ~15 kWh or ~68 % "
           "of nameplate per second-life pack). Layout and cells are not published."),
    sources=src("estor", "renault_ce"),
    estimated_fields=est(
        chemistry="cell supplier unverified (LG Chem reported); modelled as NMC",
        cell_format="not published; pouch assumed",
        cell_capacity_ah=f"not published; {LAYOUT_FROM_ENERGY} at 96s2p",
        cell_nominal_voltage_v="typical 3.7 V",
        series_cells="not published; 96s like the contemporary Zoe and Fluence packs",
        parallel_cells="not published; 2p assumed",
        modules="not published; 12 x 16 assumed",
        cells_per_module="see modules",
        nominal_voltage_v="series_cells x 3.7 V",
        min_voltage_v="series_cells x 2.5 V",
        max_voltage_v="series_cells x 4.2 V",
        gross_energy_kwh="22 kWh nameplate is unverified",
        usable_energy_kwh="~90 % of nameplate assumed",
        max_discharge_power_kw=f"44 kW traction motor; {BG}",
        max_charge_power_kw=f"3.6 kW on-board AC charger; {BG}",
        mass_kg=f"~260 kg; {BG}",
        cooling="forced air assumed, as on the Zoe",
        typical_retirement_soh="E-STOR's ~15 kWh per 22 kWh pack gives ~0.68-0.7",
    ),
)
for ah, kwh_g, kwh_u, mass, years, cell_v, extra_src, est_extra in (
    (60, 21.6, 18.8, 230.0, "2013–2016", 3.75, ("i3_motorme",), {
        "cell_nominal_voltage_v": "21.6 kWh / (96 x 60 Ah)",
        "mass_kg": "~230 kg is unverified",
    }),
    (94, 33.2, 27.2, 256.0, "2016–2018", 3.68, ("i3_94cell", "simses94", "i3_motorme"), {}),
    (120, 42.2, 37.9, 278.0, "2018–2022", 3.66, ("i3_120",), {
        "cell_nominal_voltage_v": "42.2 kWh / (96 x 120 Ah)",
    }),
):
    add(
        id=f"bmw_i3_{ah}ah", make="BMW", model=f"i3 {ah} Ah ({kwh_g:.0f} kWh)", years=years,
        chemistry="nmc", parameter_set="nmc_generic", cell_format="prismatic",
        cell_capacity_ah=float(ah), cell_nominal_voltage_v=cell_v, series_cells=96,
        parallel_cells=1, modules=8, cells_per_module=12,
        nominal_voltage_v=round(96 * cell_v, 1), min_voltage_v=259.2, max_voltage_v=398.4,
        rated_capacity_ah=float(ah), gross_energy_kwh=kwh_g, usable_energy_kwh=kwh_u,
        max_discharge_power_kw=125.0, max_charge_power_kw=50.0, mass_kg=mass, cooling="liquid",
        typical_retirement_soh=0.75,
        notes=("Samsung SDI prismatic cells, 8 modules of 12 in series. BMW Leipzig storage farm "
               "used up to 700 i3 packs."),
        sources=src("i3_bd", *extra_src, "ul_soh"),
        estimated_fields=est(
            **est_extra,
            nominal_voltage_v="series_cells x cell_nominal_voltage_v",
            min_voltage_v="series_cells x 2.7 V (Samsung 94 Ah cell limit in SimSES)",
            max_voltage_v="series_cells x 4.15 V (Samsung 94 Ah cell limit in SimSES)",
            max_discharge_power_kw=f"125 kW traction motor; {BG}",
            max_charge_power_kw=f"50 kW DC CCS; {BG}",
            cooling="refrigerant (direct evaporator) cooling, closest schema value 'liquid'",
            typical_retirement_soh="generic automotive retirement (70-80 %)",
        ),
    )

# ---------------------------------------------------------------- modules
add(
    id="nissan_leaf_gen1_module", kind="module", make="Nissan",
    model="Leaf Gen-1 module (4 cells, 2s2p)", years="2011–2017", chemistry="lmo_nca",
    parameter_set="aesc_lmo_nca_leaf2013", cell_format="pouch", cell_capacity_ah=33.1,
    cell_nominal_voltage_v=3.75, series_cells=2, parallel_cells=2, modules=1, cells_per_module=4,
    nominal_voltage_v=7.5, min_voltage_v=6.0, max_voltage_v=8.4, rated_capacity_ah=66.2,
    gross_energy_kwh=0.5, usable_energy_kwh=0.44, max_discharge_power_kw=1.67,
    max_charge_power_kw=1.04, mass_kg=3.8, cooling="passive", typical_retirement_soh=0.65,
    parent_pack_id="nissan_leaf_24kwh",
    notes=("Module of the 24 kWh pack (48 per pack), 303 x 223 x 55 mm. The JVCKenwood/Nissan "
           "portable unit (633 Wh, 14.4 kg) uses two of them: 633 Wh is ~64 % of 2 x 0.5 kWh."),
    sources=src("leaf_mob", "leaf_push15", "leaf_wiki", "ornl", "jvc", "gao"),
    estimated_fields=est(
        usable_energy_kwh="pack usable fraction (21/24) applied to the module",
        min_voltage_v="2 x 3.0 V, the ORNL cell test limit",
        max_voltage_v="2 x 4.2 V, the ORNL cell test upper limit",
        max_discharge_power_kw="pack discharge rating (80 kW) / 48 modules",
        max_charge_power_kw="pack DC charge rating (50 kW) / 48 modules",
    ),
)
add(
    id="nissan_leaf_40kwh_module", kind="module", make="Nissan",
    model="Leaf 40 kWh module (8 cells, 4s2p)", years="2018–", chemistry="nmc",
    parameter_set="nmc_generic", cell_format="pouch", cell_capacity_ah=56.3,
    cell_nominal_voltage_v=3.65, series_cells=4, parallel_cells=2, modules=1, cells_per_module=8,
    nominal_voltage_v=14.6, min_voltage_v=11.0, max_voltage_v=16.8, rated_capacity_ah=112.6,
    gross_energy_kwh=1.64, usable_energy_kwh=1.6, max_discharge_power_kw=4.58,
    max_charge_power_kw=2.08, mass_kg=8.7, cooling="passive", typical_retirement_soh=0.75,
    parent_pack_id="nissan_leaf_40kwh",
    notes="Module of the 40 kWh pack (24 per pack); 4s2p follows from 96s2p in 24 eight-cell modules.",
    sources=src("leaf_push18", "leaf_wiki"),
    estimated_fields=est(
        usable_energy_kwh="pack usable fraction (39/40) applied to the module",
        min_voltage_v="4 x 2.75 V (typical NMC cut-off)",
        max_voltage_v="4 x 4.2 V (typical NMC charge limit)",
        max_discharge_power_kw="pack discharge rating (110 kW) / 24 modules",
        max_charge_power_kw="pack DC charge rating (50 kW) / 24 modules",
        mass_kg="8 cells of ~0.9 kg plus ~1.5 kg housing; pack mass / 24 (12.6 kg) is an upper bound",
    ),
)


# ---------------------------------------------------------------- writing
ORDER = ["id", "kind", "make", "model", "years", "chemistry", "parameter_set", "cell_format",
         "cell_capacity_ah", "cell_nominal_voltage_v", "series_cells", "parallel_cells", "modules",
         "cells_per_module", "nominal_voltage_v", "min_voltage_v", "max_voltage_v",
         "rated_capacity_ah", "gross_energy_kwh", "usable_energy_kwh", "max_discharge_power_kw",
         "max_charge_power_kw", "mass_kg", "cooling", "typical_retirement_soh",
         "calendar_life_years", "min_temperature_c", "max_temperature_c", "parent_pack_id", "notes"]


def fmt(v: object) -> str:
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, float):
        return repr(v)
    return str(v)


for e in ENTRIES:
    e.setdefault("kind", "pack")
    lines = [f"# Catalog entry {e['id']}: every value is sourced below or listed in estimated_fields.\n"]
    for k in ORDER:
        if k in e:
            lines.append(f"{k} = {fmt(e[k])}\n")
    for s in e["sources"]:  # type: ignore[union-attr]
        lines.append(f"\n[[sources]]\nurl = {fmt(s['url'])}\nsupports = {fmt(s['supports'])}\n")
    for s in e["estimated_fields"]:  # type: ignore[union-attr]
        lines.append(f"\n[[estimated_fields]]\nfield = {fmt(s['field'])}\nreason = {fmt(s['reason'])}\n")
    (OUT / f"{e['id']}.toml").write_text("".join(lines), encoding="utf-8")
print(len(ENTRIES), "entries")
