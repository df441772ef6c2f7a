"""Studies: parameter sweeps, Monte Carlo and fleet life, locally or on a Dask cluster.

Python API (see ``docs/studies.md`` and ``examples/study_api.py``):

- :func:`packlife.studies.schema.load_study` — read and validate a study TOML file;
- :func:`packlife.studies.variants.make_variant` / :func:`~packlife.studies.variants.n_variants`
  — the variants (grid point × seeded Monte Carlo sample), each a validated scenario;
- :func:`packlife.studies.runner.run_study` — run them (local Dask cluster, a scheduler address,
  a client, or in-process), resumable, streamed to a Parquet dataset;
- :func:`packlife.studies.store.read_results` — one row per variant (or per fleet unit);
- :mod:`packlife.studies.analysis`, :mod:`~packlife.studies.compare`,
  :func:`packlife.studies.report.write_report` — sensitivities, percentiles, Pareto front,
  comparisons and the HTML report;
- :mod:`packlife.studies.fleet` — fleet life: many units aged for years on a representative day.
"""
