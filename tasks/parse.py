"""The parse task: one Prefect task per batch of stored pages, cached on their content hashes.

Coarse on purpose (libraries.md §1.7): a task costs ≈5 ms of orchestration, a page ≈0.1–1 s of
parsing, so a batch of a few hundred pages is one task, and the CPU-bound work inside it goes
to a process pool (tasks/_worker.py) rather than to more Prefect tasks. The cache key is the
sorted page hashes plus the code version — never a DataFrame (§1.5) — so re-running a batch
with unchanged code (a retried run, a repeated backfill) reuses the parsed pages.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import task
from prefect.context import TaskRunContext

from govreports.models import PageResult
from tasks import _worker
from tasks._worker import parse_many

#: the glue around parse_page (source lookup, crash capture) is part of what a cached result means
_WORKER_DIGEST = hashlib.sha256(Path(_worker.__file__).read_bytes()).hexdigest()


def parse_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """Key = sorted hashes + code version (+ this wrapper's own code) + data dir.

    The data dir is part of the key because a page's `source` comes from its sidecar in that
    data dir: the same bytes received under another name elsewhere must not reuse this result.
    """
    digest = hashlib.sha256(_WORKER_DIGEST.encode())
    digest.update(str(Path(parameters["data_dir"]).resolve()).encode())
    digest.update(b"\0" + parameters["code_version"].encode())
    for sha in sorted(parameters["hashes"]):
        digest.update(b"\0" + sha.encode())
    return f"parse-batch-{digest.hexdigest()}"


@task(
    name="parse-batch",
    task_run_name="parse-batch-{batch_no}",
    cache_key_fn=parse_cache_key,
    cache_expiration=timedelta(days=14),
    persist_result=True,
)
def parse_batch(data_dir: str, hashes: list[str], code_version: str, batch_no: int = 0) -> list[PageResult]:
    """Parse the stored pages `hashes`; a page that fails yields a PageResult with its error.

    No retries: parsing is deterministic, so a retry would fail the same way. `code_version`
    is an argument only so that it enters the cache key.
    """
    return parse_many(data_dir, hashes)


def batches(hashes: list[str], size: int) -> list[list[str]]:
    """Split sorted hashes into batches of at most `size` (deterministic, so cache keys repeat)."""
    ordered = sorted(hashes)
    size = max(1, size)
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]

