"""What a run hands to curated.publish: its staged valid parts as datasets, with quarantine run ids kept.

Moved out of tasks/publish.py so the task stays a wrapper: the rows stay in the run's stage dir
(govreports/io/staging.py) and are streamed to the publish, never loaded whole; only a backfill's
quarantine (a few rows) is read, to keep the run id that first quarantined each document.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pyarrow as pa

from govreports import settings
from govreports.config import DataPaths
from govreports.io import staging
from govreports.io.reading import read_if_published
from govreports.tables.schemas import TABLES


def _staged(valid_dirs: list[str], name: str) -> Any:
    """The staged valid parts of table `name`, as one dataset."""
    return staging.dataset([f for d in valid_dirs for f in staging.parts(Path(d), name)], name)


def tables_to_publish(paths: DataPaths, valid_dirs: list[str], *, backfill: bool) -> dict[str, Any]:
    """Every table of the staged valid parts, as a dataset (a backfill's quarantine as a table).

    The documents come as a callable (curated.Deferred) that first fills their duplicate_of /
    supersedes (dedupe.link_staged rewrites the staged documents) and only then opens them: the
    linking, in Python, runs while curated.publish writes the other tables on its other thread.
    """
    from govreports.io import dedupe

    def linked_documents() -> Any:
        dedupe.link_staged(paths, valid_dirs)  # against what is published: publish calls this under its lock
        settings.trim_heap()  # what linking held (≈70 MB at 20,000 pages), before the write needs its own
        return _staged(valid_dirs, "documents")

    tables: dict[str, Any] = {name: linked_documents if name == "documents" else _staged(valid_dirs, name)
                              for name in TABLES}
    if backfill:  # a backfill streams too (curated diffs in DuckDB); only its quarantine, a few rows, is read
        tables["quarantine"] = keep_first_quarantine_runs(paths, tables["quarantine"].to_table())
    return tables


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


def release_memory() -> None:
    """Hand freed heap back to the OS between batches (glibc and Arrow keep it for reuse otherwise).

    A batch's validation frees hundreds of MB of pandas and Arrow buffers; without this the
    process keeps them as its high-water mark, and the next phase (publish) adds to it. Some of
    them are only garbage once a cycle is broken (GX's validator objects refer to each other and to
    the batch's DataFrames): collected here, not whenever Python's oldest generation next fills,
    which let the flow process climb by ≈70 MB a batch between collections.
    """
    gc.collect()
    pa.default_memory_pool().release_unused()
    settings.trim_heap()
