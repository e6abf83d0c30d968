"""Tasks from staged batches to a published version: validation, Delta write, run artifacts.

They pass paths, never tables: the rows stay in the run's stage dir (govreports/io/staging.py)
and each task reads what it needs, so no task input is a large object Prefect would walk or
pickle. None is cached: the Delta write is itself the idempotency guard (`publish` returns None
when nothing changed). Only the writes retry, and only on I/O errors; validation is deterministic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from govreports.config import DataPaths
from govreports.io import curated, runs, staging
from govreports.io.publish_inputs import release_memory, tables_to_publish
from govreports.run_contract import RunSummary, ValidatedBatch, ValidationOutcome
from govreports.tables.validation_merge import merge_results
from tasks.ingest import _is_io_error


@task(name="validate-batch", task_run_name="validate-batch-{batch_no}", cache_policy=NO_CACHE)
def validate_batch(batch_dir: str, run_id: str, batch_no: int = 0) -> ValidatedBatch:
    """Run the GX suites on one staged batch; what passes (and the quarantine) is staged under valid/.

    merge_results folds the batches' results into the run's validation.json.
    """
    from govreports.tables.validate import validate_tables  # GX import costs seconds: only when validating

    directory = Path(batch_dir)
    outcome = validate_tables(staging.read_tables(directory / "parsed"), run_id=run_id)
    staging.clear(directory / "valid")
    staging.write_tables(directory / "valid", outcome.tables, "part")
    done = ValidatedBatch(batch=batch_no, dir=str(directory / "valid"), results=outcome.results,
                          failed_docs=outcome.failed_docs)
    del outcome
    release_memory()
    return done


@task(name="write-validation", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=_is_io_error)
def write_validation(paths: DataPaths, run_id: str, batches: list[ValidatedBatch]) -> ValidationOutcome:
    """runs/<run_id>/validation.json for the whole run; returns its outcome for the summary."""
    results = merge_results([b.results for b in batches])
    failed_docs: dict[str, list[str]] = {}
    for batch in batches:
        failed_docs.update(batch.failed_docs)
    runs.write_validation(paths, run_id, results)
    return ValidationOutcome.of(results, dict(sorted(failed_docs.items())))


@task(name="publish", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=10,
      retry_condition_fn=_is_io_error)
def publish(paths: DataPaths, valid_dirs: list[str], *, run_id: str, code_version: str,
            kind: str = "nightly", replace_years: list[int] | None = None,
            raw_hashes: list[str] | None = None, retried: list[str] | None = None) -> Any:
    """Write one new version of every changed table from the staged valid parts; None when nothing changed.

    The documents' duplicate_of / supersedes are linked against what is published while the other
    tables are written (publish_inputs.tables_to_publish)."""
    tables = tables_to_publish(paths, valid_dirs, backfill=replace_years is not None)
    release = curated.publish(paths, tables, run_id=run_id, code_version=code_version,
                              kind=kind, replace_years=replace_years, raw_hashes=tuple(raw_hashes or ()),
                              retried=tuple(retried or ()))
    release_memory()
    return release


@task(name="write-summary", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=_is_io_error)
def write_summary(paths: DataPaths, summary: RunSummary) -> str:
    """runs/<run_id>/summary.json: what the run did, page by page where something went wrong."""
    return str(runs.write_summary(paths, summary))


@task(name="write-report", cache_policy=NO_CACHE)
def write_report(paths: DataPaths, summary: RunSummary, release_number: int | None) -> str:
    """The human-readable run report (HTML + JSON) beside the summary."""
    return str(runs.write_run_report(paths, summary, release_number))
