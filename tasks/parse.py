"""The parse task: one Prefect task per batch of stored pages, staging their tables on disk.

Coarse on purpose (libraries.md §1.7): a task costs ≈5 ms of orchestration, so a batch of
hundreds of pages is one task, and the CPU-bound work inside it goes to a process pool
(govreports/io/parse_pool.py) rather than to more Prefect tasks. What the task returns is small (a
page entry per page); the rows go to the run's stage dir (govreports/io/staging.py), so neither
Prefect nor the flow process ever holds a batch's records. A batch whose manifest is already
there for the same pages and code (a retried flow run: same run id, same stage dir) is reused
instead of parsed again — a cache keyed by content, without pickling results into Prefect.
"""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from govreports.config import DataPaths
from govreports.io import staging
from govreports.io.parse_pool import batch_key, stage_many
from govreports.run_contract import BatchManifest
from govreports_cli import stage_log


@task(name="parse-batch", task_run_name="parse-batch-{batch_no}", cache_policy=NO_CACHE)
def parse_batch(paths: DataPaths, hashes: list[str], code_version: str, run_id: str, stage_dir: str,
                batch_no: int = 0, pages_before: int = 0, pages_total: int | None = None) -> BatchManifest:
    """Parse and stage `hashes`; returns the batch manifest (batch, key, dir, one entry per page).

    A page that fails yields an entry with its error (and no rows). No retries: parsing is
    deterministic, so a retry would fail the same way. `pages_before` of `pages_total` (the run's
    pages) are in earlier batches: the progress lines count the run's pages, not the batch's.
    """
    directory = staging.batch_dir(Path(stage_dir), batch_no)
    key = batch_key(hashes, code_version)
    counter = stage_log.Counter("parsed", pages_total or len(hashes), done=pages_before)
    done = staging.read_manifest(directory)
    if done is not None and done.get("key") == key:
        counter.advance(len(hashes))
        return BatchManifest.from_json(done)
    staging.clear(directory)  # a batch cut short (or staged by other code) starts over
    pages = stage_many(paths, sorted(hashes), code_version, run_id, str(directory / "parsed"),
                       on_chunk=counter.advance)
    manifest = BatchManifest(batch=batch_no, key=key, dir=str(directory), pages=pages)
    staging.write_manifest(directory, manifest.to_json())
    return manifest
