"""Link a run's staged documents to the published ones: repeats and corrected versions (duplicates.py).

Runs just before the publish, on the staged valid parts: reads the run's documents and, for the
same report years, the released ones; rewrites each staged documents part with `duplicate_of` and
`supersedes` filled in. Not under the publish lock: two runs publishing the same report at the same
moment may both keep it (the next backfill of that year links them).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from govreports.config import DataPaths
from govreports.documents.duplicates import Candidate, compared, fingerprint, repeats, supersessions
from govreports.io import body_spill, staging
from govreports.io.reading import read_if_published

_COLUMNS = ["doc_id", "body", "title", "agency", "region", "report_year", "doc_type", "publish_date", "fingerprint"]


def _when(row: dict) -> tuple:
    """Earlier first: by publish date (unknown last), then doc_id."""
    return (row.get("publish_date") is None, row.get("publish_date") or 0, row["doc_id"])


def _candidates(batches: Iterable[pa.RecordBatch]) -> list[tuple[tuple, Candidate]]:
    """(order key, Candidate without its body) per row, a batch at a time: no body is kept."""
    out = []
    for batch in batches:
        out.extend((_when(row), Candidate.from_row(row, with_text=False)) for row in batch.to_pylist())
    return out


def _ordered(pairs: list[tuple[tuple, Candidate]]) -> list[Candidate]:
    return [c for _, c in sorted(pairs, key=lambda pair: pair[0])]  # stable, as sorting the rows was


def _links(known: list[tuple[tuple, Candidate]], staged: list[tuple[tuple, Candidate]],
           bodies: Callable[[set[str]], Iterable[pa.RecordBatch]]) -> dict[str, tuple[str | None, str | None]]:
    """duplicates.link over the light candidates, the bodies it compares held a group at a time
    (io/body_spill.py); `bodies(released doc_ids)` streams (doc_id, body) of the staged documents
    and of those released ones."""
    wanted = compared(c for _, c in known + staged)
    links, in_force, versions = repeats(_ordered(known), _ordered(staged))
    by_id = {c.doc_id: c for _, c in known + staged if c.doc_id in wanted}
    cut = body_spill.groups(versions, in_force, wanted)
    spill = body_spill.BodySpill([docs for _, docs in cut])
    try:
        spill.write(bodies(set(spill.group_of) & {c.doc_id for _, c in known}))
        for group, (keys, docs) in enumerate(cut):
            for doc_id, text in spill.texts(group).items():
                by_id[doc_id].text = text
            for key in keys:
                for doc_id, earlier in supersessions(in_force.get(key), versions[key]).items():
                    links[doc_id] = (None, earlier)
            for doc_id in docs:
                by_id[doc_id].text = ""  # this group's bodies go before the next group's come
    finally:
        spill.close()
    return links


def link_staged(paths: DataPaths, valid_dirs: Iterable[str]) -> int:
    """Fill duplicate_of / supersedes in the staged documents; returns how many documents were linked.

    The released documents this run re-stages (a backfill re-stages all of its years') are not read:
    they would be left out of the comparison anyway.
    """
    files = [f for d in valid_dirs for f in staging.parts(Path(d), "documents")]

    def staged_batches(columns: list[str]) -> Iterable[pa.RecordBatch]:
        return (b for f in files for b in pq.ParquetFile(f).iter_batches(batch_size=256, columns=columns))

    light = [c for c in _COLUMNS if c != "body"]
    staged = _candidates(staged_batches(light))  # the workers fingerprinted every body: not read here
    if not staged:
        return 0
    _fill_fingerprints([c for _, c in staged if not c.fingerprint], staged_batches(["doc_id", "body"]))
    years = sorted({c.report_year for _, c in staged if c.report_year is not None})
    ids = sorted({c.doc_id for _, c in staged})
    filters = [("doc_id", "not in", ids), *([("report_year", "in", years)] if years else [])]
    known = _candidates(read_if_published("documents", paths, columns=[*light, "duplicate_of", "supersedes"],
                                          filters=filters, all_versions=True).to_batches(max_chunksize=256))

    def released_bodies(doc_ids: set[str]) -> Iterable[pa.RecordBatch]:
        if not doc_ids:
            return iter(())
        return read_if_published("documents", paths, columns=["doc_id", "body"], all_versions=True,
                                 filters=[("doc_id", "in", sorted(doc_ids))]).to_batches(max_chunksize=256)

    unprinted = [c for _, c in known if not c.fingerprint]  # released before fingerprints existed
    _fill_fingerprints(unprinted, released_bodies({c.doc_id for c in unprinted}))
    links = _links(known, staged, lambda known_ids: itertools.chain(
        staged_batches(["doc_id", "body"]), released_bodies(known_ids)))
    linked = sum(1 for dup, sup in links.values() if dup or sup)
    if linked:
        for path in files:
            _rewrite(path, links)
    return linked


def _fill_fingerprints(unprinted: list[Candidate], bodies: Iterable[pa.RecordBatch]) -> None:
    """Fingerprint the candidates that have none from their bodies (read only when there are some)."""
    if not unprinted:
        return
    by_id = {c.doc_id: c for c in unprinted}
    for batch in bodies:
        for doc_id, body in zip(batch.column("doc_id").to_pylist(), batch.column("body").to_pylist(), strict=True):
            if doc_id in by_id:
                by_id[doc_id].fingerprint = fingerprint(body or "")


def _rewrite(path: Path, links: dict[str, tuple[str | None, str | None]]) -> None:
    table = pq.read_table(path)
    ids = table.column("doc_id").to_pylist()
    for k, name in enumerate(("duplicate_of", "supersedes")):
        values = pa.array([links.get(i, (None, None))[k] for i in ids], pa.string())
        table = table.set_column(table.schema.get_field_index(name), table.schema.field(name), values)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
