"""Link a run's staged documents to the published ones: repeats and corrected versions (duplicates.py).

Runs just before the publish, on the staged valid parts: reads the run's documents and, for the
same report years, the released ones; rewrites each staged documents part with `duplicate_of` and
`supersedes` filled in. Not under the publish lock: two runs publishing the same report at the same
moment may both keep it (the next backfill of that year links them).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from govreports.config import DataPaths
from govreports.documents.duplicates import Candidate, link
from govreports.io import staging
from govreports.io.reading import read_if_published

_COLUMNS = ["doc_id", "body", "title", "agency", "region", "report_year", "doc_type", "publish_date", "fingerprint"]


def _when(row: dict) -> tuple:
    """Earlier first: by publish date (unknown last), then doc_id."""
    return (row.get("publish_date") is None, row.get("publish_date") or 0, row["doc_id"])


def _candidates(batches: Iterable[pa.RecordBatch]) -> list[tuple[tuple, Candidate]]:
    """(order key, Candidate) per row, a batch at a time: the rows (with their bodies) are never all
    held as Python dicts next to the candidates built from them."""
    out = []
    for batch in batches:
        out.extend((_when(row), Candidate.from_row(row)) for row in batch.to_pylist())
    return out


def _ordered(pairs: list[tuple[tuple, Candidate]]) -> list[Candidate]:
    return [c for _, c in sorted(pairs, key=lambda pair: pair[0])]  # stable, as sorting the rows was


def link_staged(paths: DataPaths, valid_dirs: Iterable[str]) -> int:
    """Fill duplicate_of / supersedes in the staged documents; returns how many documents were linked.

    The released documents this run re-stages (a backfill re-stages all of its years') are not read:
    they would be left out of the comparison anyway.
    """
    files = [f for d in valid_dirs for f in staging.parts(Path(d), "documents")]
    staged = _candidates(b for f in files for b in pq.ParquetFile(f).iter_batches(batch_size=256, columns=_COLUMNS))
    if not staged:
        return 0
    years = sorted({c.report_year for _, c in staged if c.report_year is not None})
    ids = sorted({c.doc_id for _, c in staged})
    filters = [("doc_id", "not in", ids), *([("report_year", "in", years)] if years else [])]
    released = read_if_published("documents", paths, columns=[*_COLUMNS, "duplicate_of", "supersedes"],
                                 filters=filters, all_versions=True)
    known = _candidates(released.to_batches(max_chunksize=256))
    del released
    links = link(_ordered(known), _ordered(staged))
    linked = sum(1 for dup, sup in links.values() if dup or sup)
    if linked:
        for path in files:
            _rewrite(path, links)
    return linked


def _rewrite(path: Path, links: dict[str, tuple[str | None, str | None]]) -> None:
    table = pq.read_table(path)
    ids = table.column("doc_id").to_pylist()
    for k, name in enumerate(("duplicate_of", "supersedes")):
        values = pa.array([links.get(i, (None, None))[k] for i in ids], pa.string())
        table = table.set_column(table.schema.get_field_index(name), table.schema.field(name), values)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
