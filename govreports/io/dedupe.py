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
from govreports.duplicates import Candidate, link
from govreports.io import staging
from govreports.io.reading import read_if_published

_COLUMNS = ["doc_id", "body", "title", "agency", "region", "report_year", "doc_type", "publish_date", "fingerprint"]


def _order(rows: list[dict]) -> list[dict]:
    """Earlier first: by publish date (unknown last), then doc_id."""
    return sorted(rows, key=lambda r: (r.get("publish_date") is None, r.get("publish_date") or 0, r["doc_id"]))


def link_staged(paths: DataPaths, valid_dirs: Iterable[str]) -> int:
    """Fill duplicate_of / supersedes in the staged documents; returns how many documents were linked."""
    files = [f for d in valid_dirs for f in staging.parts(Path(d), "documents")]
    staged = [r for f in files for r in pq.read_table(f, columns=_COLUMNS).to_pylist()]
    if not staged:
        return 0
    years = sorted({r["report_year"] for r in staged if r["report_year"] is not None})
    ids = {r["doc_id"] for r in staged}
    released = read_if_published("documents", paths, columns=[*_COLUMNS, "duplicate_of", "supersedes"],
                                 filters=[("report_year", "in", years)] if years else None,
                                 all_versions=True).to_pylist()
    known = [Candidate.from_row(r) for r in _order(released) if r["doc_id"] not in ids]
    links = link(known, [Candidate.from_row(r) for r in _order(staged)])
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
