"""The study report: one self-contained HTML page (matplotlib SVG charts) plus PNG figures.

Sections: what was run; the sensitivity of each outcome to each parameter (swing of the level
means and the Spearman rank correlation) with one chart per outcome; distributions with P10 /
P50 / P90 of each outcome when the study draws Monte Carlo samples; the Pareto front of the two
outcomes named in ``[report] pareto``. Fleet studies get the replacement schedule instead.
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from packlife.errors import PacklifeError
from packlife.studies.analysis import (
    PARAM_PREFIX,
    check_outcomes,
    level_means,
    numeric_param,
    pareto_mask,
    percentiles,
    sensitivity,
)
from packlife.studies.store import read_results

CSS = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
    "text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
    "figure{margin:1em 0}.note{color:#555;font-size:90%}"
)


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PacklifeError(
            "the study report needs matplotlib: pip install 'packlife[fleet]'"
        ) from None
    return plt


def write_report(out_dir: Path | str, png: bool = True) -> Path:
    """Write ``report.html`` (and ``figures/*.png`` when ``png``) for the study in ``out_dir``."""
    root = Path(out_dir)
    meta_path = root / "study.json"
    if not meta_path.exists():
        raise PacklifeError(f"{root}: not a study output folder (no study.json)")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("kind") == "fleet":
        from packlife.studies.fleet import fleet_report_sections

        sections = fleet_report_sections(root, meta)
    else:
        sections = _sweep_sections(read_results(root), meta)
    figs_dir = root / "figures"
    parts = [f"<h1>Study {html.escape(meta['study']['study']['name'])}</h1>", _header(meta)]
    for title, body, fig in sections:
        parts.append(f"<h2>{html.escape(title)}</h2>{body}")
        if fig is not None:
            parts.append(f"<figure>{_svg(fig)}</figure>")
            if png:
                figs_dir.mkdir(exist_ok=True)
                fig.savefig(figs_dir / f"{_slug(title)}.png", dpi=110, bbox_inches="tight")
            _pyplot().close(fig)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>packlife study</title>"
        f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>"
    )
    path = root / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


Section = tuple[str, str, Any]


def _sweep_sections(frame: pd.DataFrame, meta: dict[str, Any]) -> list[Section]:
    rep = meta["study"]["report"]
    outcomes = check_outcomes(frame, list(rep["outcomes"]))
    sections: list[Section] = []
    grid = list(meta["study"]["grid"])
    declared = grid + list(meta["study"]["monte_carlo"])
    sens = sensitivity(frame, outcomes, declared)
    if not sens.empty:
        table = sens.pivot(index="parameter", columns="outcome", values="swing")[outcomes]
        rho = sens.pivot(index="parameter", columns="outcome", values="spearman")[outcomes]
        body = (
            "<p class='note'>Swing: range of the outcome's mean over the parameter's levels "
            "(Monte Carlo parameters: over quintiles of the draw), in the outcome's unit. "
            "ρ: Spearman rank correlation over all variants.</p>"
            + _table(table, "{:.4g}", "swing")
            + _table(rho, "{:+.2f}", "ρ")
        )
        sections.append(("Sensitivity", body, _sensitivity_figure(frame, outcomes, grid, declared)))
    if int(meta["study"]["study"]["samples"]) > 1 or meta["study"]["monte_carlo"]:
        pct = percentiles(frame, outcomes)
        sections.append(
            (
                "Distributions",
                _table(pct, "{:.4g}", "outcome"),
                _distribution_figure(frame, outcomes, pct),
            )
        )
    pareto = rep.get("pareto")
    if pareto:
        check_outcomes(frame, [pareto["x"], pareto["y"]])
        sections.append(_pareto_section(frame, pareto, grid))
    results_tbl = frame[["variant_index", *_param_cols(frame), *outcomes]].head(200)
    sections.append(
        (
            "Variants (first 200)",
            _table(results_tbl.set_index("variant_index"), "{:.4g}", "variant"),
            None,
        )
    )
    return sections


def _pareto_section(frame: pd.DataFrame, p: dict[str, str], grid: list[str]) -> Section:
    """The Pareto front over grid points (outcomes averaged over their Monte Carlo samples)."""
    cols = [PARAM_PREFIX + g for g in grid if PARAM_PREFIX + g in frame.columns]
    points = frame.groupby("grid_index").agg(
        {**dict.fromkeys(cols, "first"), p["x"]: "mean", p["y"]: "mean"}
    )
    x, y = points[p["x"]].to_numpy(float), points[p["y"]].to_numpy(float)
    mask = pareto_mask(x, y, p["x_sense"], p["y_sense"])
    front = points.loc[mask].sort_values(p["x"])
    body = (
        f"<p>{int(mask.sum())} of {len(points)} grid points are not dominated "
        f"({p['x']} {p['x_sense']}, {p['y']} {p['y_sense']}; each grid point's outcomes are "
        "means over its Monte Carlo samples).</p>" + _table(front, "{:.4g}", "grid point")
    )
    return ("Pareto front", body, _pareto_figure(x, y, mask, p))


def _param_cols(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.startswith(PARAM_PREFIX)]


def _sensitivity_figure(
    frame: pd.DataFrame, outcomes: list[str], grid: list[str], declared: list[str]
) -> Any:
    plt = _pyplot()
    params = [
        PARAM_PREFIX + p
        for p in declared
        if PARAM_PREFIX + p in frame.columns and frame[PARAM_PREFIX + p].map(str).nunique() > 1
    ]
    fig, axes = plt.subplots(
        len(outcomes), len(params), figsize=(3.2 * len(params), 2.4 * len(outcomes)),
        squeeze=False,
    )
    for i, out in enumerate(outcomes):
        for j, pcol in enumerate(params):
            ax = axes[i][j]
            num = numeric_param(frame[pcol])
            if pcol[len(PARAM_PREFIX) :] in grid:
                lm = level_means(frame, pcol, out)
                xs = np.arange(len(lm)) if num is None else np.array(
                    [float(np.mean(k)) for k in lm.index]
                )
                ax.plot(xs, lm["mean"], "o-", color="C0")
                if (lm["n"] > 1).any():
                    ax.fill_between(xs, lm["p10"], lm["p90"], color="C0", alpha=0.2, lw=0)
                if num is None:
                    ax.set_xticks(xs, [str(k) for k in lm.index])
            elif num is not None:
                ax.plot(num, frame[out], ".", ms=3, alpha=0.5)
            if i == len(outcomes) - 1:
                ax.set_xlabel(pcol[len(PARAM_PREFIX) :], fontsize=8)
            if j == 0:
                ax.set_ylabel(out, fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle(
        "Grid parameters: outcome mean per level (band: P10–P90 over the other parameters); "
        "Monte Carlo parameters: one dot per variant",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def _distribution_figure(frame: pd.DataFrame, outcomes: list[str], pct: pd.DataFrame) -> Any:
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(outcomes), figsize=(3.2 * len(outcomes), 2.6), squeeze=False)
    for ax, out in zip(axes[0], outcomes, strict=True):
        y = frame[out].astype(float).dropna()
        ax.hist(y, bins=min(30, max(5, len(y) // 5)), color="C0", alpha=0.7)
        for q, style in zip(("p10", "p50", "p90"), (":", "-", ":"), strict=True):
            ax.axvline(pct.loc[out, q], color="k", ls=style, lw=1)
        ax.set_xlabel(out, fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("Distributions over all variants (lines: P10, P50, P90)")
    fig.tight_layout()
    return fig


def _pareto_figure(x: np.ndarray, y: np.ndarray, mask: np.ndarray, p: dict[str, str]) -> Any:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(x[~mask], y[~mask], ".", color="0.6", label="dominated")
    order = np.argsort(x[mask])
    ax.plot(x[mask][order], y[mask][order], "o-", color="C3", label="Pareto front")
    ax.set_xlabel(f"{p['x']} ({p['x_sense']})")
    ax.set_ylabel(f"{p['y']} ({p['y_sense']})")
    ax.legend()
    fig.tight_layout()
    return fig


def _header(meta: dict[str, Any]) -> str:
    st = meta["study"]
    s = st["study"]
    base = meta["base_scenario"]
    lines = [
        f"<p>{html.escape(s.get('description') or '')}</p>",
        "<table>",
        f"<tr><td>base scenario</td><td>{html.escape(base['name'])}</td></tr>",
        f"<tr><td>variants</td><td>{meta.get('variants')}</td></tr>",
        f"<tr><td>seed / samples per grid point</td><td>{s['seed']} / {s['samples']}</td></tr>",
        f"<tr><td>days, step [s]</td><td>{base['simulation']['days']}, "
        f"{base['simulation']['step_s']}</td></tr>",
    ]
    for name, values in st.get("grid", {}).items():
        lines.append(
            f"<tr><td>grid {html.escape(name)}</td><td>{html.escape(str(values))}</td></tr>"
        )
    for name, dist in st.get("monte_carlo", {}).items():
        lines.append(
            f"<tr><td>draw {html.escape(name)}</td><td>{html.escape(json.dumps(dist))}</td></tr>"
        )
    lines.append("</table>")
    return "".join(lines)


def _table(frame: pd.DataFrame, fmt: str, index_name: str) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for idx, row in frame.iterrows():
        cells = "".join(f"<td>{html.escape(_fmt(v, fmt))}</td>" for v in row)
        rows.append(f"<tr><td>{html.escape(_fmt(idx, fmt))}</td>{cells}</tr>")
    return (
        f"<table><tr><th>{html.escape(index_name)}</th>{head}</tr>{''.join(rows)}</table>"
    )


def _fmt(v: Any, fmt: str) -> str:
    if isinstance(v, float | np.floating):
        return fmt.format(v) if np.isfinite(v) else "–"
    if isinstance(v, list | np.ndarray):
        return "[" + ", ".join(f"{float(x):.3g}" for x in v) + "]"
    return str(v)


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.find("<svg") :]


def _slug(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")
