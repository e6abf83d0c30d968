"""The parse task: one Prefect task per batch of stored pages, staging their tables on disk.

Coarse on purpose (libraries.md §1.7): a task costs ≈5 ms of orchestration, so a batch of
hundreds of pages is one task, and the CPU-bound work inside it goes to a process pool
(tasks/_worker.py) rather than to more Prefect tasks. What the task returns is small (a page
entry per page); the rows go to the run's stage dir (govreports/io/staging.py), so neither
Prefect nor the flow process ever holds a batch's records. A batch whose manifest is already
there for the same pages and code (a retried flow run: same run id, same stage dir) is reused
instead of parsed again — a cache keyed by content, without pickling results into Prefect.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from govreports.io import staging
from tasks import _worker, progress
from tasks._worker import stage_many

#: the glue around parse_page (source lookup, crash capture, table building) is part of what a
#: staged batch means, so its code is part of the batch key
_WORKER_DIGEST = hashlib.sha256(Path(_worker.__file__).read_bytes()).hexdigest()


def batch_key(hashes: list[str], code_version: str) -> str:
    """Sorted page hashes + code version + the worker's own code: same key, same staged rows."""
    digest = hashlib.sha256(_WORKER_DIGEST.encode())
    digest.update(b"\0" + code_version.encode())
    for sha in sorted(hashes):
        digest.update(b"\0" + sha.encode())
    return digest.hexdigest()


@task(name="parse-batch", task_run_name="parse-batch-{batch_no}", cache_policy=NO_CACHE)
def parse_batch(data_dir: str, hashes: list[str], code_version: str, run_id: str, stage_dir: str,
                batch_no: int = 0, pages_before: int = 0, pages_total: int | None = None) -> dict[str, Any]:
    """Parse and stage `hashes`; returns the batch manifest: {batch, key, dir, pages: [entry…]}.

    A page that fails yields an entry with its error (and no rows). No retries: parsing is
    deterministic, so a retry would fail the same way. `pages_before` of `pages_total` (the run's
    pages) are in earlier batches: the progress lines count the run's pages, not the batch's.
    """
    directory = staging.batch_dir(Path(stage_dir), batch_no)
    key = batch_key(hashes, code_version)
    counter = progress.Counter("parsed", pages_total or len(hashes), done=pages_before)
    done = staging.read_manifest(directory)
    if done is not None and done.get("key") == key:
        counter.advance(len(hashes))
        return done
    staging.clear(directory)  # a batch cut short (or staged by other code) starts over
    pages = stage_many(data_dir, sorted(hashes), code_version, run_id, str(directory / "parsed"),
                       on_chunk=counter.advance)
    manifest = {"batch": batch_no, "key": key, "dir": str(directory), "pages": pages}
    staging.write_manifest(directory, manifest)
    return manifest


def batches(hashes: list[str], size: int) -> list[list[str]]:
    """Split sorted hashes into batches of at most `size` (deterministic, so batch keys repeat)."""
    ordered = sorted(hashes)
    size = max(1, size)
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]
