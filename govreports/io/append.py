"""Streaming append: the rows of a table whose key is not released yet, without loading the table.

Why not rows as dicts (what the backfill path still does): a nightly run of 10,000 pages brings
≈1.4 M rows; turning them into Python dicts to dedupe by key cost gigabytes and minutes. Here
only the key columns are read whole (as one Arrow string column per table), duplicates and
already-released keys become one boolean mask, and the rows stream from the staged Parquet
parts through the mask into delta-rs batch by batch. The released keys are read only for the
documents (or pages) being appended, so the cost does not grow with the curated store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from govreports.schemas import KEYS, PARTITION_COLUMN, PARTITIONED, SCHEMAS
from govreports.tables import conform

#: separates key columns in the composite key; cannot occur in ids, hashes or terms.
SEP = "\x1f"
NULL = "\x00"
BATCH_ROWS = 65_536
Data = pa.Table | pads.Dataset


def iter_batches(data: Data, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    """Batches of `data` in a fixed order (file by file), so two passes see rows in the same order."""
    if isinstance(data, pa.Table):
        table = data.select(columns) if columns is not None else data
        yield from table.to_batches(max_chunksize=BATCH_ROWS)
        return
    for fragment in data.get_fragments():
        yield from fragment.to_batches(columns=columns, schema=data.schema, batch_size=BATCH_ROWS, use_threads=False)


def composite_keys(data: pa.Table | pa.RecordBatch, name: str) -> pa.Array:
    """One string per row: the table's key columns joined (nulls spelled out, so they stay distinct)."""
    columns = [pc.fill_null(pc.cast(data.column(k), pa.string()), NULL) for k in KEYS[name]]
    if len(columns) == 1:
        return columns[0].combine_chunks() if isinstance(columns[0], pa.ChunkedArray) else columns[0]
    joined = pc.binary_join_element_wise(*columns, SEP)
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def incoming_keys(data: Data, name: str) -> pa.Array:
    batches = list(iter_batches(data, list(KEYS[name])))
    if not batches:
        return pa.array([], pa.string())
    return composite_keys(pa.Table.from_batches(batches), name)


def first_occurrences(keys: pa.Array) -> pa.Array:
    """True at the first row of each key (a page or document staged twice keeps its first rows)."""
    if pc.count_distinct(keys).as_py() == len(keys):
        return pa.repeat(True, len(keys))
    indexed = pa.table({"key": keys, "row": pa.array(range(len(keys)), pa.int64())})
    first = indexed.group_by("key", use_threads=False).aggregate([("row", "min")]).column("row_min")
    return pc.is_in(pa.array(range(len(keys)), pa.int64()), value_set=first)


def owners(data: Data, name: str) -> tuple[str, list[str]]:
    """The column that names what rows belong to (doc_id, or raw_sha256 for pages) and its values."""
    column = "doc_id" if "doc_id" in SCHEMAS[name].names else "raw_sha256"
    values = pc.unique(pa.chunked_array([b.column(0) for b in iter_batches(data, [column])], pa.string()))
    return column, sorted(v for v in values.to_pylist() if v is not None)


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


def fresh_rows(data: Data, name: str, released_keys: pa.Array) -> Fresh | None:
    """Rows of `data` whose key is neither released nor repeated; None when there are none."""
    keys = incoming_keys(data, name)
    if not len(keys):
        return None
    keep = pc.and_(first_occurrences(keys), pc.invert(pc.is_in(keys, value_set=released_keys)))
    count = pc.sum(pc.cast(keep, pa.int64())).as_py() or 0
    if not count:
        return None
    fresh = Fresh(count, iter(()))

    def stream() -> Iterator[pa.RecordBatch]:
        offset = 0
        for batch in iter_batches(data):
            mask = keep.slice(offset, batch.num_rows)
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
