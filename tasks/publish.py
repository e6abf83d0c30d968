"""Tasks from staged batches to a published version: validation, Delta write, run report.

They pass paths, never tables: the rows stay in the run's stage dir (govreports/io/staging.py)
and each task reads what it needs, so no task input is a large object Prefect would walk or
pickle. None is cached: the Delta write is itself the idempotency guard (`publish` returns None
when nothing changed). Only the writes retry, and only on I/O errors; validation is deterministic.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from govreports.config import DataPaths
from govreports.io import curated, dedupe, staging
from govreports.io.reading import read_if_published
from govreports.tables.schemas import TABLES
from govreports.tables.validation_merge import merge_results
from tasks.ingest import _is_io_error


@task(name="validate-batch", task_run_name="validate-batch-{batch_no}", cache_policy=NO_CACHE)
def validate_batch(batch_dir: str, run_id: str, batch_no: int = 0) -> dict[str, Any]:
    """Run the GX suites on one staged batch; what passes (and the quarantine) is staged under valid/.

    Returns {batch, dir (of the valid parts), results, failed_docs}; merge_results folds the
    batches' results into the run's validation.json.
    """
    from govreports.tables.validate import validate_tables  # GX import costs seconds: only when validating

    directory = Path(batch_dir)
    outcome = validate_tables(staging.read_tables(directory / "parsed"), run_id=run_id)
    staging.clear(directory / "valid")
    staging.write_tables(directory / "valid", outcome.tables, "part")
    done = {"batch": batch_no, "dir": str(directory / "valid"), "results": outcome.results,
            "failed_docs": outcome.failed_docs}
    del outcome
    release_memory()
    return done


def release_memory() -> None:
    """Hand freed heap back to the OS between batches (glibc and Arrow keep it for reuse otherwise).

    A batch's validation frees hundreds of MB of pandas and Arrow buffers; without this the
    process keeps them as its high-water mark, and the next phase (publish) adds to it.
    """
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


@task(name="write-validation", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=_is_io_error)
def write_validation(run_dir: str, batches: list[dict[str, Any]]) -> SimpleNamespace:
    """runs/<run_id>/validation.json for the whole run; returns {results, failed_docs} for the summary."""
    results = merge_results([b["results"] for b in batches])
    failed_docs: dict[str, list[str]] = {}
    for batch in batches:
        failed_docs.update(batch["failed_docs"])
    path = Path(run_dir) / "validation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)
    return SimpleNamespace(results=results, failed_docs=dict(sorted(failed_docs.items())))


@task(name="publish", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10,
      retry_condition_fn=_is_io_error)
def publish(data_dir: str, valid_dirs: list[str], *, run_id: str, code_version: str,
            kind: str = "nightly", replace_years: list[int] | None = None,
            raw_hashes: list[str] | None = None, retried: list[str] | None = None) -> Any:
    """Write one new version of every changed table from the staged valid parts; None when nothing changed."""
    paths = DataPaths.from_dir(data_dir)
    dedupe.link_staged(paths, valid_dirs)  # duplicate_of / supersedes against what is published
    tables: dict[str, Any] = {name: staging.dataset([f for d in valid_dirs for f in staging.parts(Path(d), name)],
                                                   name) for name in TABLES}
    if replace_years is not None:  # a backfill streams too (curated diffs in DuckDB); only its quarantine,
        tables["quarantine"] = keep_first_quarantine_runs(paths, tables["quarantine"].to_table())  # a few rows
    release = curated.publish(paths, tables, run_id=run_id, code_version=code_version,
                              kind=kind, replace_years=replace_years, raw_hashes=tuple(raw_hashes or ()),
                              retried=tuple(retried or ()))
    release_memory()
    return release


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
    released = read_if_published("quarantine", paths, filters=[("raw_sha256", "in", hashes)])
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
    from govreports.report.build import write_run_report

    return str(write_run_report(DataPaths.from_dir(data_dir), summary, release_number))
