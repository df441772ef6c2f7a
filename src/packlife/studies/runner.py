"""Running a study: variants in batches, in this process or on a Dask cluster, resumable.

The client enumerates variant keys lazily, skips the ones already in the result dataset, and
keeps a bounded number of batches in flight (``2 × workers``), so memory stays bounded however
many variants a study has. Workers rebuild each variant from the study and its index (a few
hundred bytes per task) and return one row per variant; the client writes each finished batch
as a Parquet part file. The same code runs on a :class:`distributed.LocalCluster` (default) or
an existing cluster given by its scheduler address.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from packlife.errors import PacklifeError
from packlife.site.outputs import timeseries_frame
from packlife.site.run import SiteResult, run_scenarios
from packlife.site.scenario import Scenario
from packlife.site.sessions import Session
from packlife.site.summary import summarise
from packlife.studies.analysis import flatten_summary
from packlife.studies.schema import Study
from packlife.studies.store import ResultStore
from packlife.studies.variants import Variant, make_variant, n_variants, variant_sessions

log = logging.getLogger(__name__)

#: How long to try to reach a scheduler given by address [s].
CONNECT_TIMEOUT_S = 10.0

#: One finished variant: its row and, when asked, its time series.
Outcome = tuple[dict[str, Any], pd.DataFrame | None]


@dataclass(frozen=True)
class StudyRun:
    """What :func:`run_study` did."""

    out_dir: Path
    total: int
    skipped: int
    ran: int
    wall_s: float


def simulate_batch(pairs: list[tuple[Scenario, list[Session]]]) -> list[SiteResult]:
    """Run a batch of (scenario, sessions) pairs with the compiled site loop, in one call.

    One thread per batch: parallelism comes from the Dask worker processes (one per core).
    """
    return run_scenarios(pairs, threads=1)


def run_batch(study: Study, indices: list[int], with_series: bool = False) -> list[Outcome]:
    """Build, run and summarise variants ``indices`` of ``study`` (runs on a worker)."""
    try:
        variants = [make_variant(study, i) for i in indices]
        pairs = [(v.scenario, variant_sessions(study, v.scenario)) for v in variants]
        t0 = time.perf_counter()
        results = simulate_batch(pairs)
        per_variant_s = (time.perf_counter() - t0) / max(len(results), 1)
    except PacklifeError as exc:
        # re-raised as the base class: it pickles back to the client with its message intact
        raise PacklifeError(str(exc)) from None
    out: list[Outcome] = []
    for v, res in zip(variants, results, strict=True):
        row = variant_row(v, summarise(res), study.spec.study.end_soh, per_variant_s)
        series = timeseries_frame(res, res.engine.pack_trace_frame(0)) if with_series else None
        out.append((row, series))
    return out


def variant_row(
    v: Variant, summary: dict[str, Any], end_soh: float, wall_s: float
) -> dict[str, Any]:
    """One result row: variant identity, parameter values, summary figures, per-pack end states.

    ``years_to_first_replacement`` extrapolates each pack's SoH fade over the run linearly to
    ``end_soh`` and takes the first pack (NaN when no pack faded) — a screening figure; use a
    ``[fleet]`` study for multi-year ageing.
    """
    row: dict[str, Any] = {
        "variant_index": v.index,
        "variant_key": v.key,
        "grid_index": v.grid_index,
        "sample": v.sample,
    }
    for name, value in v.params.items():
        row[f"param.{name}"] = [float(x) for x in value] if isinstance(value, list) else value
    row.update(flatten_summary(summary, end_soh))
    row["simulate_s"] = wall_s
    return row


def default_batch_size(total: int, workers: int) -> int:
    """Variants per task: ~8 tasks per worker, at most 64 variants (bounded result messages)."""
    return max(1, min(64, total // max(8 * workers, 1)))


def pending_batches(
    study: Study, done: set[str], batch_size: int
) -> Iterator[tuple[list[int], int]]:
    """Batches of variant indices still to run (lazily), with the count skipped before each."""
    batch: list[int] = []
    skipped = 0
    for i in range(n_variants(study)):
        if done and make_variant(study, i).key in done:
            skipped += 1
            continue
        batch.append(i)
        if len(batch) == batch_size:
            yield batch, skipped
            batch, skipped = [], 0
    if batch or skipped:
        yield batch, skipped


def run_study(
    study: Study,
    out_dir: Path | str,
    workers: int = 2,
    scheduler: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    client: Any | None = None,
) -> StudyRun:
    """Run every unfinished variant of ``study`` and write the results under ``out_dir``.

    Parameters
    ----------
    study : Study
        From :func:`packlife.studies.schema.load_study`.
    out_dir : Path or str
        Output folder (see :mod:`packlife.studies.store`); finished variants found there are
        not run again.
    workers : int
        Worker processes of the local Dask cluster; 0 runs in this process without Dask.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); ``workers`` is then ignored.
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` after each batch (done counts skipped variants).
    client : distributed.Client, optional
        Run on this already connected client (``workers`` and ``scheduler`` are then ignored),
        e.g. to reuse one cluster for several studies.
    """
    t0 = time.perf_counter()
    store = ResultStore(Path(out_dir))
    store.check_same_study(study_fingerprint(study))
    store.write_meta(_meta(study))
    done = store.finished_keys()
    total = n_variants(study) if study.spec.fleet is None else study.spec.fleet.units
    size = study.spec.study.batch_size or default_batch_size(total, max(workers, 1))
    with_series = study.spec.study.timeseries
    state = {"done": 0, "skipped": 0, "ran": 0}

    def record(outcomes: list[Outcome]) -> None:
        if outcomes:
            store.write_rows([row for row, _ in outcomes])
            for row, series in outcomes:
                if series is not None:
                    store.write_series(str(row["variant_key"]), series)
        state["ran"] += len(outcomes)
        state["done"] += len(outcomes)
        if on_progress is not None:
            on_progress(state["done"], total)

    def count_skipped(batches: Iterator[tuple[list[int], int]]) -> Iterator[list[int]]:
        for batch, skipped in batches:
            state["skipped"] += skipped
            state["done"] += skipped
            if batch:
                yield batch
            elif on_progress is not None:
                on_progress(state["done"], total)

    if study.spec.fleet is not None:
        from packlife.studies.fleet import fleet_tasks

        fn, tasks, skipped = fleet_tasks(study, done, store.root)
        state["skipped"] = state["done"] = skipped
        record_units = _fleet_recorder(store, state, total, on_progress)
        _execute(fn, tasks, study, workers, scheduler, record_units, client)
    else:
        batches = count_skipped(pending_batches(study, done, size))
        tasks = ((batch, with_series) for batch in batches)
        _execute(run_batch, tasks, study, workers, scheduler, record, client)
    log.info("study %s: %d run, %d skipped", study.name, state["ran"], state["skipped"])
    return StudyRun(Path(out_dir), total, state["skipped"], state["ran"], time.perf_counter() - t0)


def _execute(
    fn: Callable[..., Any],
    tasks: Iterator[tuple[Any, ...]],
    study: Study,
    workers: int,
    scheduler: str | None,
    record: Callable[[Any], None],
    client: Any | None = None,
) -> None:
    """Run ``fn(study, *args)`` for each args tuple in this process (``workers == 0``) or on
    Dask, recording each result as it finishes."""
    if client is not None:
        run_on_client(client, fn, study, tasks, record)
        return
    if scheduler is None and workers == 0:
        for args in tasks:
            record(fn(study, *args))
        return
    with dask_client(workers, scheduler) as client:
        run_on_client(client, fn, study, tasks, record)


def run_on_client(
    client: Any,
    fn: Callable[..., Any],
    study: Study,
    tasks: Iterator[tuple[Any, ...]],
    record: Callable[[Any], None],
) -> None:
    """Submit ``fn(study, *args)`` per task to a Dask client, at most 2 per worker in flight."""
    import importlib

    distributed: Any = importlib.import_module("distributed")
    as_completed = distributed.as_completed
    n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
    study_future = client.scatter(study, broadcast=True)
    pending = as_completed()
    for args in _take(tasks, 2 * n_workers):
        pending.add(client.submit(fn, study_future, *args, pure=False))
    for future in pending:
        result = future.result()
        future.release()
        record(result)
        nxt = next(tasks, None)
        if nxt is not None:
            pending.add(client.submit(fn, study_future, *nxt, pure=False))


def _fleet_recorder(
    store: ResultStore,
    state: dict[str, int],
    total: int,
    on_progress: Callable[[int, int], None] | None,
) -> Callable[[list[dict[str, Any]]], None]:
    def record(rows: list[dict[str, Any]]) -> None:
        store.write_rows(rows)
        state["ran"] += len(rows)
        state["done"] += len(rows)
        if on_progress is not None:
            on_progress(state["done"], total)

    return record


def _take(it: Iterator[tuple[Any, ...]], n: int) -> Iterator[tuple[Any, ...]]:
    for _ in range(n):
        item = next(it, None)
        if item is None:
            return
        yield item


@contextmanager
def dask_client(workers: int, scheduler: str | None) -> Iterator[Any]:
    """A Dask client: to ``scheduler`` if given, else a fresh local cluster of ``workers``."""
    import importlib

    try:
        distributed: Any = importlib.import_module("distributed")
    except ImportError:
        raise PacklifeError(
            "running studies on Dask needs the fleet extra: pip install 'packlife[fleet]' "
            "(or use --workers 0 to run in this process)"
        ) from None
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise PacklifeError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        with client:
            yield client
        return
    if workers < 1:
        raise PacklifeError(f"--workers must be ≥ 0, got {workers}")
    # one single-threaded process per worker: numba's own threads would oversubscribe the cores
    with (
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            env={"NUMBA_NUM_THREADS": "1"},
            silence_logs=logging.ERROR,  # no shutdown chatter on the user's terminal
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def study_fingerprint(study: Study) -> str:
    """A hash of what determines a study's results (not its report or batching settings)."""
    spec = study.spec.model_dump(
        mode="json",
        exclude={"report": True, "study": {"description", "batch_size", "timeseries"}},
    )
    blob = json.dumps({"spec": spec, "base": study.base.model_dump(mode="json")}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _meta(study: Study) -> dict[str, Any]:
    return {
        "fingerprint": study_fingerprint(study),
        "kind": "fleet" if study.spec.fleet is not None else "sweep",
        "study_file": str(study.path),
        "study": study.spec.model_dump(mode="json"),
        "base_scenario": study.base.model_dump(mode="json"),
        "variants": n_variants(study),
    }
