"""Streaming append: the rows of a table whose key is not released yet, without loading the table.

Why not rows as dicts: a nightly run of 10,000 pages brings ≈1.4 M rows; turning them into
Python dicts to dedupe by key cost gigabytes and minutes. Here only the key columns (and a row
number) go into a memory-limited DuckDB, which finds the rows whose key is neither released nor
repeated (it spills to disk rather than grow: a 50,000-page run's keys as one Arrow string
column and hash set cost the process ≈1 GB); what comes back is one boolean per row, and the
rows stream from the staged Parquet parts through that mask into delta-rs batch by batch. The
released keys are read only for the documents (or pages) being appended, so the cost does not
grow with the curated store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from govreports.io import spill_dirs
from govreports.tables.rows import conform
from govreports.tables.schemas import KEYS, PARTITION_COLUMN, PARTITIONED, SCHEMAS

BATCH_ROWS = 65_536
ROW = "__row"
#: DuckDB's working memory for the key comparison (and replace.py's diff); beyond it, it spills to a
#: temp dir. Measured on the keywords table's keys (20,000 pages, 1.2 M rows): 256MB let the process
#: grow by 290 MB, twice what 10,000 pages cost (peak grew with the run); 64MB, +129 MB against +123
#: at 10,000 (flat), for 0.03 CPU s more; 32MB, +93 MB for 0.2 s more.
MEMORY_LIMIT = "64MB"
Data = pa.Table | pads.Dataset


def iter_batches(data: Data, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    """Batches of `data` in a fixed order (file by file), so two passes see rows in the same order."""
    if isinstance(data, pa.Table):
        table = data.select(columns) if columns is not None else data
        yield from table.to_batches(max_chunksize=BATCH_ROWS)
        return
    for fragment in data.get_fragments():
        yield from fragment.to_batches(columns=columns, schema=data.schema, batch_size=BATCH_ROWS, use_threads=False)


def owners(data: Data, name: str) -> tuple[str, list[str]]:
    """The column that names what rows belong to (doc_id, or raw_sha256 for pages) and its values."""
    column = "doc_id" if "doc_id" in SCHEMAS[name].names else "raw_sha256"
    values: set[str] = set()
    for batch in iter_batches(data, [column]):  # unique per batch: never the whole column at once
        values.update(v for v in pc.unique(batch.column(0)).to_pylist() if v is not None)
    return column, sorted(values)


def _key_rows(data: Data, name: str) -> Iterator[pa.RecordBatch]:
    """The key columns of `data` with each row's position (the order "first occurrence" refers to)."""
    offset = 0
    for batch in iter_batches(data, list(KEYS[name])):
        rows = pa.array(range(offset, offset + batch.num_rows), pa.int64())
        offset += batch.num_rows
        yield pa.RecordBatch.from_arrays([*batch.columns, rows], names=[*KEYS[name], ROW])


def kept_rows(data: Data, name: str, released: pa.Table) -> np.ndarray:
    """A boolean per row of `data`: its key is not released and it is the key's first row.

    In DuckDB with a memory limit (it spills beyond it): the keys of a large run (millions of rows
    for the biggest tables) never become one Arrow string column and hash set in this process.
    Keys compare column by column, nulls equal (as a composite key of the values would).
    """
    import duckdb

    keys = [f'"{k}"' for k in KEYS[name]]
    fields = [SCHEMAS[name].field(k) for k in KEYS[name]]
    schema = pa.schema([*fields, pa.field(ROW, pa.int64())])
    tmp = spill_dirs.make("append")
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "threads": 1, "temp_directory": str(tmp),
                                 "preserve_insertion_order": True})
    try:
        con.register("_inc", pa.RecordBatchReader.from_batches(schema, _key_rows(data, name)))
        con.execute("CREATE TEMP TABLE inc AS SELECT * FROM _inc").fetchall()
        con.unregister("_inc")
        total = con.execute("SELECT count(*) FROM inc").fetchall()[0][0]
        con.register("rel", released.select(list(KEYS[name])))
        same = " AND ".join(f"rel.{k} IS NOT DISTINCT FROM inc.{k}" for k in keys)
        kept = con.sql(f"SELECT {ROW} FROM inc WHERE NOT EXISTS (SELECT 1 FROM rel WHERE {same}) "
                       f"QUALIFY row_number() OVER (PARTITION BY {', '.join(keys)} ORDER BY {ROW}) = 1"
                       ).to_arrow_table().column(0).to_numpy()
    finally:
        con.close()
        spill_dirs.remove(tmp)
    mask = np.zeros(int(total or 0), dtype=bool)
    mask[kept] = True
    return mask


def budgeted(batches: Iterator[pa.RecordBatch], limit: int) -> Iterator[Iterator[pa.RecordBatch]]:
    """Split a stream into consecutive groups of at most `limit` bytes (one commit each).

    delta-rs buffers a partitioned write until the stream ends, so one write of a whole run would
    hold all its rows; groups bound that to `limit` (times the writer's overhead). Each group must
    be consumed before the next is asked for.
    """
    stream = iter(batches)
    pending = next(stream, None)
    while pending is not None:
        def group() -> Iterator[pa.RecordBatch]:
            nonlocal pending
            used = 0
            while pending is not None and (used == 0 or used + pending.nbytes <= limit):
                used += pending.nbytes
                yield pending
                pending = next(stream, None)
        yield group()


@dataclass
class Fresh:
    """What streams into the append: the rows to write (lazily), and what they touched once written."""

    rows: int
    batches: Iterator[pa.RecordBatch]
    years: set[int] = field(default_factory=set)
    pages: set[str] = field(default_factory=set)


def fresh_rows(data: Data, name: str, released: pa.Table) -> Fresh | None:
    """Rows of `data` whose key is neither in `released` (key columns) nor repeated; None when none."""
    keep = kept_rows(data, name, released)
    count = int(keep.sum())
    if not count:
        return None
    fresh = Fresh(count, iter(()))

    def stream() -> Iterator[pa.RecordBatch]:
        offset = 0
        for batch in iter_batches(data):
            mask = pa.array(keep[offset:offset + batch.num_rows])
            offset += batch.num_rows
            kept = conform(name, pa.Table.from_batches([batch.filter(mask)]))
            if not kept.num_rows:
                continue
            if name in PARTITIONED:
                fresh.years.update(pc.unique(kept.column(PARTITION_COLUMN)).to_pylist())
            if name == "pages":
                fresh.pages.update(v for v in kept.column("raw_sha256").to_pylist() if v)
            yield from kept.to_batches()

    fresh.batches = stream()
    return fresh
