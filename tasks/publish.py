"""Tasks from parsed pages to a published version: tables, validation, Delta write, run report.

None of these is cached: their inputs are record lists and Arrow tables, which Prefect could
only hash by pickling (non-deterministic; libraries.md §1.5), and the Delta write is itself the
idempotency guard (`publish` returns None when nothing changed). Only the writes retry, and
only on I/O errors; table building and validation are deterministic.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from govreports import tables as tables_mod
from govreports.config import DataPaths
from govreports.io import curated
from govreports.models import PageResult
from tasks.ingest import _is_io_error


@task(name="build-tables", cache_policy=NO_CACHE)
def build_tables(results: list[PageResult], code_version: str, run_id: str,
                 origins: dict[str, dict[str, Any]]) -> dict[str, pa.Table]:
    """Records to the curated tables' Arrow form (schemas live in govreports/schemas.py)."""
    urls = {sha: o["url"] for sha, o in origins.items() if o.get("url")}
    return tables_mod.results_to_tables(results, code_version=code_version, run_id=run_id, urls=urls)


@task(name="validate", cache_policy=NO_CACHE)
def validate(tables: dict[str, pa.Table], run_dir: str, run_id: str) -> Any:
    """Run the GX suites; failing documents move to quarantine (stamped with this run), the rest stay."""
    from govreports.validate import validate_tables  # GX import costs seconds: only when validating

    return validate_tables(tables, run_dir=Path(run_dir), run_id=run_id)


@task(name="publish", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10,
      retry_condition_fn=_is_io_error)
def publish(data_dir: str, tables: dict[str, pa.Table], *, run_id: str, code_version: str,
            kind: str = "nightly", replace_years: list[int] | None = None,
            raw_hashes: list[str] | None = None) -> Any:
    """Write one new version of every changed table; None when nothing changed."""
    paths = DataPaths.from_dir(data_dir)
    if replace_years is not None and "quarantine" in tables:
        tables = {**tables, "quarantine": keep_first_quarantine_runs(paths, tables["quarantine"])}
    return curated.publish(paths, tables, run_id=run_id, code_version=code_version,
                           kind=kind, replace_years=replace_years, raw_hashes=tuple(raw_hashes or ()))


def keep_first_quarantine_runs(paths: DataPaths, quarantine: pa.Table) -> pa.Table:
    """A document a backfill quarantines again, for the same reasons, keeps the run that first did.

    `quarantine.run_id` names the run that quarantined a document. Re-stamping an unchanged row
    with the backfill's run id would make every rerun of the same backfill a "change" and
    publish a new release; keeping the first run id keeps backfills idempotent.
    """
    if not quarantine.num_rows:
        return quarantine
    hashes = sorted({h for h in quarantine.column("raw_sha256").to_pylist() if h})
    if not hashes:
        return quarantine
    released = curated.read_arrow("quarantine", data_dir=paths, filters=[("raw_sha256", "in", hashes)])
    first = {(r["doc_id"], r["raw_sha256"], r["failed"]): r["run_id"] for r in released.to_pylist()}
    rows = quarantine.to_pylist()
    for row in rows:
        row["run_id"] = first.get((row["doc_id"], row["raw_sha256"], row["failed"]), row["run_id"])
    return pa.Table.from_pylist(rows, schema=quarantine.schema)


@task(name="write-summary", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=_is_io_error)
def write_summary(run_dir: str, summary: dict[str, Any]) -> str:
    """runs/<run_id>/summary.json: what the run did, page by page where something went wrong."""
    path = Path(run_dir) / "summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)  # readers never see a half-written summary
    return str(path)


@task(name="write-report", cache_policy=NO_CACHE)
def write_report(data_dir: str, summary: dict[str, Any], release_number: int | None) -> str:
    """The human-readable run report (HTML + JSON) beside the summary."""
    from govreports.report import write_run_report

    return str(write_run_report(DataPaths.from_dir(data_dir), summary, release_number))
